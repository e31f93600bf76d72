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
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from payerr._core.cards import (
    PAN_MAX,
    PAN_MIN,
    mask_card_numbers,
    may_hold_pan,
)

__all__ = ["REDACTED", "RedactSensitive", "redact_text"]

REDACTED = "[REDACTED]"

# Keys whose values are secret whatever they hold. Compared after lower-casing and dropping
# everything but letters and digits ("X-PayKKa-Sign" -> "xpaykkasign").
SECRET_KEY_PARTS = (
    "cvv", "cvc", "securitycode", "password", "passwd", "passphrase", "secret", "token",
    "apikey", "accesskey", "privatekey", "signature", "authorization", "cookie", "credential",
)  # fmt: skip
SECRET_KEY_SUFFIXES = ("pin", "pinblock", "sign", "cid", "csc", "auth", "sessionid")
SECRET_KEYS = frozenset({"pin", "pincode", "sign", "xpaykkasign", "csc", "cid", "cvd", "session"})

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
# (cvv, cvc, cvd, csc, cookie, pin, pass, secret, sign, api key, authori..., token, and h11's
# "header value", factored by first letter: a third faster than the plain alternation.)
_KEYWORD = re.compile(
    r"c(?:v[vcd]|sc|ookie)|p(?:in|ass)|s(?:ecret|ign)|a(?:pi.?key|uthori)|token|header value"
)


def _may_hold_key_value(text: str) -> bool:
    return ("=" in text or ":" in text or "," in text or "eader value" in text) and (
        _KEYWORD.search(text.lower()) is not None
    )


def _suspect(text: str) -> bool:
    """Whether ``text`` could hold a card number or a key=value secret (false positives ok)."""
    return may_hold_pan(text) or _may_hold_key_value(text)


_JSON_STARTS = ("{", "[")
_SAFE_SCALARS = (bool, float, Decimal, date, datetime, time, timedelta, Enum, type(None))
_MAX_DEPTH = 24
_SMALL = 10 ** (PAN_MIN - 1)  # integers below this have too few digits for a card number
_LARGE = 10**PAN_MAX  # and numbers from this one on too many


def _whole_and_long(value: float | Decimal) -> bool:
    """A finite whole number with as many digits as a card number (NaN, infinities and
    fractions are not card numbers)."""
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    return finite and _SMALL <= abs(value) < _LARGE and value == int(value)


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


def redact_text(text: str, extra: Iterable[re.Pattern[str]] = (), mask: str = REDACTED) -> str:
    """Mask card numbers and ``key=value`` secrets in free text, and anything ``extra`` matches."""
    result = mask_card_numbers(text)
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
        if isinstance(key, str) and len(key) >= PAN_MIN:
            return mask_card_numbers(key)
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
