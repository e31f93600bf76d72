"""PCI-safe redaction for log events: a structlog processor that never raises.

Card numbers (12-19 digits passing the Luhn check) are masked to their first six and last four
digits wherever they appear: strings, bytes, integers, nested dicts and lists, JSON inside
strings, ``key=value`` text and exception text. A card number is written plain or grouped by
single spaces, dashes, dots, underscores, slashes or pluses (``4111 1111 1111 1111``,
``3782-822463-10005``, a form-encoded ``4111+1111+1111+1111``), or by one of them
percent-encoded, once or twice (``4111%201111%201111%201111``, ``%2520``); digit groups next
to it (a CVV, an expiry, a quantity) do not hide it. CVV/CVC, PIN and secret values (authorization
headers, signatures, cookies, tokens, API keys, passwords) are replaced by ``[REDACTED]`` by
key, and so is the header value httpx (h11) quotes in "Illegal header value b'...'". Amounts,
currencies, order ids, payment codes, timestamps and phone numbers pass untouched.
"""

from __future__ import annotations

import json
import math
import re
import sys
import traceback
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["REDACTED", "RedactSensitive", "mask_pan", "redact_text"]

REDACTED = "[REDACTED]"

# Keys whose values are secret whatever they hold. Compared after lower-casing and dropping
# everything but letters and digits ("X-PayKKa-Sign" -> "xpaykkasign").
SECRET_KEY_PARTS = (
    "cvv", "cvc", "securitycode", "password", "passwd", "passphrase", "secret", "token",
    "apikey", "accesskey", "privatekey", "signature", "authorization", "cookie", "credential",
)  # fmt: skip
SECRET_KEY_SUFFIXES = ("pin", "pinblock", "sign", "cid", "csc", "auth", "sessionid")
SECRET_KEYS = frozenset({"pin", "pincode", "sign", "xpaykkasign", "csc", "cid", "cvd", "session"})

# Card numbers: a "run" is digit groups joined by single separators ("4111 1111 1111 1111
# 737", "2026-11-22", "20261122000123"), with at least twelve digits in all. Inside a run, a card
# number is whole groups, never part of one: either one group of 12-19 digits, or consecutive
# groups of 4-6 digits (the last may be shorter) as cards are printed (4-4-4-4, 4-6-5, 4-4-4-4-3);
# it starts with 1-9 (ISO/IEC 7812 issues no card number starting with 0) and passes Luhn. So a
# CVV, an expiry or a quantity next to a card number never hides it, while a 22-digit payment id,
# a zero-padded code, a date or "+86 138 0013 8000" never holds one.
_PAN_MIN, _PAN_MAX = 12, 19
_GROUP_MIN, _GROUP_MAX = 4, 6
# (The first digit is matched before the look-behind so that the scan can skip to digits.)
# Groups are separated by one space, "-", ".", "_", "/" or "+" (a card number written into a
# URL path or a file name: 4111.1111.1111.1111, 4111_1111_1111_1111; "+" is a space in a query
# string or form body, as httpx's params= and data= encode one: 4111+1111+1111+1111), or by one
# of these percent-encoded (%20, %2D, %2E, %5F, %2F, %2B, in either case: a URL as httpx prints
# it), also twice (%2520: a URL inside another URL's query string). Every separator starts with
# a non-digit, so a run's groups are read one way only and the scan never backtracks far.
_PERCENT_ENCODED = r"%(?:25)?(?:2[0BbDdEeFf]|5[Ff])"
_SEPARATOR = rf"(?:[ \-._/+]|{_PERCENT_ENCODED})"
_CARD_RUN = re.compile(  # (the look-ahead's first branch settles most digits at once)
    rf"[0-9](?<![0-9]{{2}})(?=(?:[ \-._/+]?[0-9]|{_PERCENT_ENCODED}[0-9]){{11}})"
    rf"[0-9]*(?:{_SEPARATOR}[0-9]+)*"
)
_GROUPS = re.compile(f"({_SEPARATOR})")  # split keeping the separators: group, sep, group...
_PERCENT_SEPARATOR = re.compile(_PERCENT_ENCODED)  # for the cheap test below
_KEYWORDS = (
    r"cvv2?|cvc2?|cvd|csc|pin|pin[_-]?code|password|passwd|secret|client[_-]?secret|"
    r"api[_-]?key|access[_-]?token|refresh[_-]?token|auth[_-]?token|token|authorization|"
    r"signature|sign|x-paykka-sign|cookies?"
)
# key=value, key: value, "key": "value" in free text (exception messages, reprs, query strings,
# JSON text), and header tuples as httpx and h11 print them: (b'authorization', b'Bearer x').
# An Authorization or Cookie header written as a line ("Authorization: Digest a=1, b=2",
# "Cookie: a=1; b=2") loses everything up to the end of the line; a quoted value left open (a
# truncated repr) loses the rest of the line too.
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>
        \(\s*b?["'](?:\w+-)*(?:{_KEYWORDS})(?:-\w+)*["']\s*,\s*
      | ["']?\b(?:(?P<header>authorization|cookies?)|{_KEYWORDS})\b["']?\s*[=:]\s*
    )
    (?P<value>
        b?"(?:[^"\\]|\\.)*" | b?'(?:[^'\\]|\\.)*'
      | (?(header)[^\r\n&']+|(?:(?:Bearer|Basic)\s+\S+|[^\s&,;"'}}\]]+))
      | b?["'][^\r\n"']*
    )
    """
)
# h11 (under httpx) rejects a header value with a newline or another control character as
# "Illegal header value b'Bearer secret\n'", naming no header: the value goes, whatever the
# quoting around it (str, repr, repr of a repr); the control characters that made it illegal stay.
_HEADER_VALUE = re.compile(r"(?P<key>[Hh]eader value\b[^\r\n'\"]{0,40}?\s)(?P<value>b?\\*['\"].*)")
_QUOTE = re.compile(r"b?\\*['\"]")
_CONTROL = r"(?:\\+(?:[nrtvf0]|x[01][0-9a-fA-F]|x7[fF])|\s)*"
_CONTROL_LEAD = re.compile(_CONTROL)
_CONTROL_TRAIL = re.compile(_CONTROL + r"\Z")
# Cheap tests first (these run on every string of every event). In bytes, every ASCII digit
# becomes "0", a separator "-", anything else "x": C-speed substring tests then find every
# text where _CARD_RUN could find a card number, and few others (a text with "%" has its
# percent-encoded separators read as spaces first). A card number written plain
# shows as twelve "0"s in a row; grouped, its first two groups are 4-6 digits and followed by a
# separator ("0000-0000-"), or it is two groups of six. A key=value secret needs "=", ":" or ","
# (or h11's "header value") and a keyword (searched in lower case: (?i) is slow).
_SHAPES = bytes(
    ord("0") if chr(i).isdigit() else ord("-") if chr(i) in " -._/+" else ord("x")
    for i in range(256)
)
_PLAIN, _SIX_SIX = "0" * _PAN_MIN, "000000-000000"
_GROUPED = ("0000-0000-", "0000-00000-", "0000-000000-")
# (cvv, cvc, cvd, csc, cookie, pin, pass, secret, sign, api key, authori..., token, and h11's
# "header value", factored by first letter: a third faster than the plain alternation.)
_KEYWORD = re.compile(
    r"c(?:v[vcd]|sc|ookie)|p(?:in|ass)|s(?:ecret|ign)|a(?:pi.?key|uthori)|token|header value"
)


def _may_hold_pan(text: str) -> bool:
    if len(text) < _PAN_MIN:
        return False
    if not text.isascii():  # a card number in full-width digits shows no digit below
        text = _ascii_digits(text)
    if "%" in text:
        text = _PERCENT_SEPARATOR.sub(" ", text)
    # Back to str for the tests: "in" on str is several times faster than on bytes.
    shape = text.encode("utf-8", "replace").translate(_SHAPES).decode("latin-1")
    return (
        _PLAIN in shape
        or _GROUPED[0] in shape
        or _GROUPED[1] in shape
        or _GROUPED[2] in shape
        or _SIX_SIX in shape
    )


def _may_hold_key_value(text: str) -> bool:
    return ("=" in text or ":" in text or "," in text or "eader value" in text) and (
        _KEYWORD.search(text.lower()) is not None
    )


def _suspect(text: str) -> bool:
    """Whether ``text`` could hold a card number or a key=value secret (false positives ok)."""
    return _may_hold_pan(text) or _may_hold_key_value(text)


_JSON_STARTS = ("{", "[")
_SAFE_SCALARS = (bool, float, Decimal, date, datetime, time, timedelta, Enum, type(None))
_MAX_DEPTH = 24
_SMALL = 10 ** (_PAN_MIN - 1)  # integers below this have too few digits for a card number
_LARGE = 10**_PAN_MAX  # and numbers from this one on too many


def _whole_and_long(value: float | Decimal) -> bool:
    """A finite whole number with as many digits as a card number (NaN, infinities and
    fractions are not card numbers)."""
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    return finite and _SMALL <= abs(value) < _LARGE and value == int(value)


_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")  # 2d, less 9 when it passes 9


def luhn_ok(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812) over a string of digits."""
    # Digit sums in C (sum over bytes) rather than a Python loop: three times faster.
    raw = digits.encode()
    total = sum(raw[-1::-2]) + sum(raw[-2::-2].translate(_DOUBLED)) - 48 * len(raw)
    return total % 10 == 0


def mask_pan(digits: str) -> str:
    """First six, stars, last four: ``4111111111111111`` -> ``411111******1111``."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _is_pan(digits: str) -> bool:
    return _PAN_MIN <= len(digits) <= _PAN_MAX and digits[0] != "0" and luhn_ok(digits)


def _pan_spans(groups: list[str]) -> list[tuple[int, int]]:
    """(first, last) group indexes of the card numbers in a run: for each first group, the
    longest reading, and only readings that reach past the ones before (a reading inside
    another hides nothing more)."""
    spans: list[tuple[int, int]] = []
    covered = -1  # the readings found so far end here
    for first, group in enumerate(groups):
        if covered == len(groups) - 1:
            break  # nothing left to reach
        size = len(group)
        if group[0] == "0" or size < _GROUP_MIN or _GROUP_MAX < size < _PAN_MIN:
            continue
        if size >= _PAN_MIN:  # a card number written plain: this group alone
            if size <= _PAN_MAX and luhn_ok(group):
                spans.append((first, first))
                covered = first
            continue
        digits, longest = group, -1
        for last in range(first + 1, len(groups)):
            following = groups[last]
            digits += following
            if len(following) > _GROUP_MAX or len(digits) > _PAN_MAX:
                break
            if last > covered and len(digits) >= _PAN_MIN and luhn_ok(digits):
                longest = last
            if len(following) < _GROUP_MIN:  # a short group only ends a card number
                break
        if longest >= 0:
            spans.append((first, longest))
            covered = longest
    return spans


_HEX_LETTERS = frozenset("ABCDEFabcdef")
_ESCAPE_END = _HEX_LETTERS | {"%"}  # what a percent-escape's first two characters end with


def _escape_skips(run: str, text: str, start: int) -> tuple[int, ...]:
    """How many of ``run``'s first digits a percent-escape just before it may hold: "%20" and
    "4111111111111111" read as one run "204111111111111111", "%2520" as "2520...", "%A4" as
    "4...". Nothing when no "%" is there (nearly always)."""
    before = text[start - 1]
    if before == "%":
        return (4, 2) if run.startswith("25") else (2,)
    if before in _HEX_LETTERS and start > 1 and text[start - 2] == "%":
        return (1,)
    return ()


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    start = match.start()
    skips: tuple[int, ...] = ()
    if start and match.string[start - 1] in _ESCAPE_END:
        skips = _escape_skips(run, match.string, start)
    if not skips and run.isdigit():  # one group, the common case
        return mask_pan(run) if _is_pan(run) else run
    pieces = _GROUPS.split(run)  # group, separator, group, ..., group
    groups = pieces[::2]
    spans = _pan_spans(groups)
    # After a percent-escape, the first group is read both ways: whole (a literal "%" before
    # it) and as the escape's digits followed by the rest ("%20" + "4111111111111111"). It is
    # then two groups with nothing between them, and a digit shows only if both readings let
    # it show.
    for skip in skips:
        if len(groups[0]) > skip:
            rest = _pan_spans([groups[0][skip:], *groups[1:]])
            if rest:
                pieces = [groups[0][:skip], "", groups[0][skip:], *pieces[1:]]
                spans = sorted(
                    [(first + (first > 0), last + 1) for first, last in spans]
                    + [(first + 1, last + 1) for first, last in rest]
                )
                break
    return _render(pieces, spans) if spans else run


def _render(pieces: list[str], spans: list[tuple[int, int]]) -> str:
    """The run ``pieces`` (group, separator, group, ...) with the card numbers ``spans``
    (sorted (first, last) group indexes) masked."""
    groups = pieces[::2]
    # Overlapping readings (a card number and the same digits plus a CVV, or a group before
    # it) make one region, and a digit shows only if every reading lets it show: no reading
    # ever shows more than its first six and last four.
    out: list[str] = []
    done = 0  # pieces[:done] are written
    index = 0
    while index < len(spans):
        first, last = spans[index]
        region = [spans[index]]
        index += 1
        while index < len(spans) and spans[index][0] <= last:
            region.append(spans[index])
            last = max(last, spans[index][1])
            index += 1
        out.append("".join(pieces[done : 2 * first]))
        if len(region) == 1:  # the whole number, its separators dropped: 411111******1111
            out.append(mask_pan("".join(groups[first : last + 1])))
        else:
            out.append(_mask_region(pieces[2 * first : 2 * last + 1], first, region))
        done = 2 * last + 1
    out.append("".join(pieces[done:]))
    return "".join(out)


def _mask_region(pieces: list[str], start: int, spans: list[tuple[int, int]]) -> str:
    """``pieces`` (groups ``start``... and the separators between them), with every digit any
    reading hides starred and the separators kept."""
    groups = pieces[::2]
    offsets = [0]  # digit offset of each group in the region
    for group in groups:
        offsets.append(offsets[-1] + len(group))
    hidden: set[int] = set()
    for first, last in spans:
        begin, stop = offsets[first - start], offsets[last - start + 1]
        hidden.update(range(begin + 6, stop - 4))
    out = list(pieces)
    for index, group in enumerate(groups):
        base = offsets[index]
        out[2 * index] = "".join(
            "*" if base + position in hidden else digit for position, digit in enumerate(group)
        )
    return "".join(out)


def _mask_header_value(match: re.Match[str], mask: str) -> str:
    value = match.group("value")
    opening = _QUOTE.match(value)
    close = value.rfind(value[opening.end() - 1]) if opening else -1
    if opening is None or close < opening.end():
        return match.group("key") + mask
    content = value[opening.end() : close]
    lead = _CONTROL_LEAD.match(content)
    head = lead.group(0) if lead else ""
    trail = _CONTROL_TRAIL.search(content, len(head))
    tail = trail.group(0) if trail else ""
    return f"{match.group('key')}{value[: opening.end()]}{head}{mask}{tail}{value[close:]}"


_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
"""A decimal digit that is not ASCII (Unicode category Nd: full-width U+FF10-U+FF19 as CJK
input methods write them, Arabic-Indic, Devanagari, mathematical bold, ...)."""


def _to_ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.digit(match.group(0)))


_WIDE_SEPARATORS = {
    0x00A0: " ",  # no-break space
    0x2007: " ",  # figure space
    0x202F: " ",  # narrow no-break space
    0x3000: " ",  # ideographic space
    0x2010: "-",  # hyphen
    0x2011: "-",  # non-breaking hyphen
    0x2012: "-",  # figure dash
    0x2013: "-",  # en dash
    0x2212: "-",  # minus sign
    0xFF0D: "-",  # full-width hyphen-minus
    0xFF0E: ".",  # full-width full stop
    0xFF0F: "/",  # full-width solidus
    0xFF3F: "_",  # full-width low line
    0xFF0B: "+",  # full-width plus
}
_TO_ASCII_SEPARATORS = {code: ord(c) for code, c in _WIDE_SEPARATORS.items()}


def _ascii_digits(text: str) -> str:
    """Non-ASCII text with every digit as ASCII (full-width, as CJK text and input methods
    write them, Arabic-Indic, ...) and the spaces and dashes that group digits (no-break and
    ideographic spaces, full-width and typographic dashes) as ASCII too: how a card number is
    looked for. ASCII text comes back as it is."""
    if text.isascii():
        return text
    if _OTHER_DIGIT.search(text) is not None:
        text = _OTHER_DIGIT.sub(_to_ascii_digit, text)
    return text.translate(_TO_ASCII_SEPARATORS)


def _mask_digits(text: str) -> str:
    """Card numbers masked, read as :func:`_ascii_digits` reads them. A text with none comes
    back exactly as it was; one with a card number comes back in its ASCII reading."""
    read = _ascii_digits(text)
    if not _may_hold_pan(read):
        return text
    masked = _CARD_RUN.sub(_mask_run, read)
    return text if masked == read else masked


def _mask_card_numbers(text: str) -> str:
    """``text`` with every card number masked to its first six and last four digits."""
    return _mask_digits(text)


def redact_text(text: str, extra: Iterable[re.Pattern[str]] = (), mask: str = REDACTED) -> str:
    """Mask card numbers and ``key=value`` secrets in free text, and anything ``extra`` matches."""
    result = _mask_digits(text)
    if _may_hold_key_value(result):
        result = _KEY_VALUE.sub(lambda m: m.group("key") + mask, result)
        if "eader value" in result:
            result = _HEADER_VALUE.sub(lambda m: _mask_header_value(m, mask), result)
    for pattern in extra:
        result = pattern.sub(mask, result)
    return result


class RedactSensitive:
    """A structlog processor that masks card numbers and removes secrets; it never raises.

    Put it after ``format_exc_info`` / ``dict_tracebacks`` and before the renderer. An event
    that still carries ``exc_info`` gets its exception formatted here, redacted, so no
    unredacted traceback reaches the renderer.

    Args:
        keys: extra keys whose values are always removed (compared case- and
            punctuation-insensitively, like the built-in ones).
        patterns: extra regular expressions; every match in a string is replaced.
        mask: what a removed value becomes (default ``[REDACTED]``).

    Raises:
        re.error: a string in ``patterns`` is not a valid regular expression (raised when the
            processor is built; the processor itself never raises).

    Example:
        >>> payerr.RedactSensitive()(None, "info", {"event": "paid", "card": "4111 1111 1111 1111"})
        {'event': 'paid', 'card': '411111******1111'}
    """

    def __init__(
        self,
        *,
        keys: Iterable[str] = (),
        patterns: Iterable[str | re.Pattern[str]] = (),
        mask: str = REDACTED,
    ) -> None:
        self._extra_keys = frozenset(_normalise_key(k) for k in keys)
        self._patterns = tuple(re.compile(p) if isinstance(p, str) else p for p in patterns)
        self._mask = mask
        self._key_cache: dict[str, bool] = {}

    def __call__(self, logger: object, method_name: str, event_dict: Any) -> Any:
        try:
            if not isinstance(event_dict, dict):
                return self._value(event_dict, 0, set())
            if event_dict.get("exc_info"):
                _format_exception(event_dict)
            # The hot path, flat on purpose: most values are short innocent strings and small
            # numbers, settled by one cached key check and one C-level regex scan.
            keys, mask = self._key_cache, self._mask
            changes: list[tuple[Any, Any]] = []
            strings: list[tuple[Any, str]] = []
            for key, value in event_dict.items():
                if value is None or value == "":
                    continue
                secret = keys.get(key) if isinstance(key, str) else False
                if secret is None:
                    secret = self.is_secret_key(key)
                if secret:
                    changes.append((key, mask))
                    continue
                kind = type(value)
                if kind is str:
                    strings.append((key, value))
                    continue
                if kind is bool or ((kind is int or kind is float) and -_SMALL < value < _SMALL):
                    continue
                redacted = self._value(value, 0, set())
                if redacted is not value:
                    changes.append((key, redacted))
            if strings:
                # One scan over all top-level strings; only a suspicious event pays per value.
                joined = "\n" + "\n".join([value for _, value in strings])
                if self._patterns or "\n{" in joined or "\n[" in joined or _suspect(joined):
                    for key, value in strings:
                        redacted = self._value(value, 0, set())
                        if redacted != value:
                            changes.append((key, redacted))
            for key, redacted in changes:
                event_dict[key] = redacted
            return event_dict
        except Exception:  # a logging processor must never lose the line
            event = event_dict.get("event") if isinstance(event_dict, dict) else None
            return {
                "event": redact_text(event) if isinstance(event, str) else self._mask,
                "payerr.redaction_error": "the rest of the event could not be redacted",
            }

    # -- keys ---------------------------------------------------------------------------------

    def is_secret_key(self, key: object) -> bool:
        """Whether values under ``key`` are removed (a ``str`` or ``bytes`` key, as httpx's raw
        headers carry them)."""
        if isinstance(key, bytes | bytearray):
            key = bytes(key).decode("latin-1")
        if not isinstance(key, str):
            return False
        cached = self._key_cache.get(key)
        if cached is None:
            norm = _normalise_key(key)
            cached = (
                norm in SECRET_KEYS
                or norm in self._extra_keys
                or any(part in norm for part in SECRET_KEY_PARTS)
                or norm.endswith(SECRET_KEY_SUFFIXES)
            )
            if len(self._key_cache) < 10_000:
                self._key_cache[key] = cached
        return cached

    # -- values -------------------------------------------------------------------------------

    @staticmethod
    def _key(key: object) -> object:
        """A mapping's key: a card number used as one (``{"4111...": "declined"}``) is masked
        as a value would be."""
        if isinstance(key, str) and len(key) >= _PAN_MIN:
            return _mask_card_numbers(key)
        if isinstance(key, int) and not isinstance(key, bool) and abs(key) >= _SMALL:
            masked = redact_text(str(key))
            return key if masked == str(key) else masked
        return key

    def _item(self, key: object, value: Any, depth: int, seen: set[int]) -> Any:
        if value is not None and value != "" and self.is_secret_key(key):
            return self._mask
        return self._value(value, depth, seen)

    def _member(self, value: Any, depth: int, seen: set[int]) -> Any:
        """An item of a list: a ``(name, value)`` pair whose name is a secret header or key
        (``headers.raw``, ``http.client``'s ``getheaders()``) keeps its name, not its value;
        the name is redacted as any value is (it may hold a card number itself)."""
        if (
            isinstance(value, tuple | list)
            and len(value) == 2
            and value[1] not in (None, "", b"")
            and self.is_secret_key(value[0])
        ):
            pair = (self._value(value[0], depth + 1, seen), self._mask)
            return pair if isinstance(value, tuple) else list(pair)
        return self._value(value, depth, seen)

    def _value(self, value: Any, depth: int, seen: set[int]) -> Any:
        try:
            return self._redact(value, depth, seen)
        except Exception:  # e.g. a __repr__ that raises: drop it, keep the line
            return f"<unredactable {type(value).__name__}>"

    def _redact(self, value: Any, depth: int, seen: set[int]) -> Any:
        if isinstance(value, str):
            return self._text(value, depth, seen)
        if isinstance(value, int) and not isinstance(value, bool):
            if value >= _SMALL or value <= -_SMALL:
                masked = redact_text(str(value))
                return value if masked == str(value) else masked
            return value
        if isinstance(value, float | Decimal) and _whole_and_long(value):
            # A card number read as a number (a JSON parser's float, a Decimal column): masked
            # when it is a whole number whose digits are a card number.
            digits = str(int(value))
            masked = redact_text(digits)
            return value if masked == digits else masked
        if isinstance(value, _SAFE_SCALARS):
            return value
        if depth >= _MAX_DEPTH:
            return "<too deep to redact>"
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            text = raw.decode("latin-1")  # 1:1, so unchanged bytes round-trip exactly
            redacted = self._text(text, depth, seen)
            return raw if redacted == text else redacted.encode("latin-1", "replace")
        marker = id(value)
        if marker in seen:
            return "<cycle>"
        if isinstance(value, Mapping):
            seen.add(marker)
            try:
                return {self._key(k): self._item(k, v, depth + 1, seen) for k, v in value.items()}
            finally:
                seen.discard(marker)
        if isinstance(value, list | tuple | set | frozenset):
            seen.add(marker)
            try:
                items = [self._member(v, depth + 1, seen) for v in value]
            finally:
                seen.discard(marker)
            # Plain tuples stay tuples; sets and named tuples become lists (renderers take lists).
            return tuple(items) if type(value) is tuple else items
        # Anything else (exceptions included) is rendered by its repr later: redact that repr
        # now if it needs it, else leave the object for the renderer.
        text = repr(value)
        redacted = self._text(text, depth, seen)
        return value if redacted == text else redacted

    def _text(self, text: str, depth: int, seen: set[int]) -> str:
        if text[:1] in ("{", "[") and depth < _MAX_DEPTH:  # JSON inside a string
            try:
                parsed: Any = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None  # not JSON after all: treat it as text
            if isinstance(parsed, dict | list):
                redacted = self._redact(parsed, depth + 1, seen)
                if redacted != parsed:
                    return json.dumps(redacted, ensure_ascii=False, default=str)
        return redact_text(text, self._patterns, self._mask)


def _normalise_key(key: str) -> str:
    return "".join(c for c in key.lower() if c.isalnum())


def _exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def _format_exception(event_dict: dict[str, Any]) -> None:
    """Replace ``exc_info`` by the formatted traceback, as structlog's format_exc_info does.

    An ``exc_info`` that is not an exception (or ``True`` outside an ``except``) is dropped.
    """
    exc_info = event_dict.pop("exc_info")
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        exc_info = exc_info[1]
    elif exc_info is True:
        exc_info = sys.exc_info()[1]
    if isinstance(exc_info, BaseException):
        try:
            event_dict.setdefault("exception", _exception_text(exc_info))
        except Exception:  # a broken __str__ on the exception: name it and move on
            event_dict.setdefault("exception", f"<unformattable {type(exc_info).__name__}>")
