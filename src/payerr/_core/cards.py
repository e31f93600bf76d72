"""Card numbers: finding them in any text, however they are written, and masking them.

A card number is 12-19 digits passing the Luhn check (ISO/IEC 7812), written plain or in
groups (``4111 1111 1111 1111``, ``3782-822463-10005``, ``4111+1111+1111+1111``, with a
separator percent-encoded once or twice); masked to its first six and last four digits. Used
wherever payerr puts text it did not write: provider messages (``payerr._core.text``), URLs in
errors and log events, the redaction processor (``payerr._observe.redaction``) and the
reattempt limiter's card ids.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CARD_RUN",
    "GROUPS",
    "PAN_MAX",
    "PAN_MIN",
    "PERCENT_ENCODED",
    "ascii_digits",
    "luhn_ok",
    "mask_card_numbers",
    "mask_pan",
    "may_hold_pan",
    "pan_spans",
    "safe_url",
]

# Card numbers: a "run" is digit groups joined by single separators ("4111 1111 1111 1111
# 737", "2026-11-22", "20261122000123"), with at least twelve digits in all. Inside a run, a card
# number is whole groups, never part of one: either one group of 12-19 digits, or consecutive
# groups of 4-6 digits (the last may be shorter) as cards are printed (4-4-4-4, 4-6-5, 4-4-4-4-3);
# it starts with 1-9 (ISO/IEC 7812 issues no card number starting with 0) and passes Luhn. So a
# CVV, an expiry or a quantity next to a card number never hides it, while a 22-digit payment id,
# a zero-padded code, a date or "+86 138 0013 8000" never holds one.
PAN_MIN, PAN_MAX = 12, 19
_GROUP_MIN, _GROUP_MAX = 4, 6
# (The first digit is matched before the look-behind so that the scan can skip to digits.)
# Groups are separated by one space, "-", ".", "_", "/" or "+" (a card number written into a
# URL path or a file name: 4111.1111.1111.1111, 4111_1111_1111_1111; "+" is a space in a query
# string or form body, as httpx's params= and data= encode one: 4111+1111+1111+1111), or by one
# of these percent-encoded (%20, %2D, %2E, %5F, %2F, %2B, in either case: a URL as httpx prints
# it), also twice (%2520: a URL inside another URL's query string). Every separator starts with
# a non-digit, so a run's groups are read one way only and the scan never backtracks far.
PERCENT_ENCODED = r"%(?:25)?(?:2[0BbDdEeFf]|5[Ff])"
_SEPARATOR = rf"(?:[ \-._/+]|{PERCENT_ENCODED})"
CARD_RUN = re.compile(  # (the look-ahead's first branch settles most digits at once)
    rf"[0-9](?<![0-9]{{2}})(?=(?:[ \-._/+]?[0-9]|{PERCENT_ENCODED}[0-9]){{11}})"
    rf"[0-9]*(?:{_SEPARATOR}[0-9]+)*"
)
GROUPS = re.compile(f"({_SEPARATOR})")  # split keeping the separators: group, sep, group...
_PERCENT_SEPARATOR = re.compile(PERCENT_ENCODED)  # for the cheap test below

# Cheap tests first (these run on every string of every event). In bytes, every ASCII digit
# becomes "0", a separator "-", anything else "x": C-speed substring tests then find every
# text where CARD_RUN could find a card number, and few others (a text with "%" has its
# percent-encoded separators read as spaces first). A card number written plain
# shows as twelve "0"s in a row; grouped, its first two groups are 4-6 digits and followed by a
# separator ("0000-0000-"), or it is two groups of six. A key=value secret needs "=", ":" or ","
# (or h11's "header value") and a keyword (searched in lower case: (?i) is slow).
_SHAPES = bytes(
    ord("0") if chr(i).isdigit() else ord("-") if chr(i) in " -._/+" else ord("x")
    for i in range(256)
)
_PLAIN, _SIX_SIX = "0" * PAN_MIN, "000000-000000"
_GROUPED = ("0000-0000-", "0000-00000-", "0000-000000-")


def may_hold_pan(text: str) -> bool:
    if len(text) < PAN_MIN:
        return False
    if not text.isascii():  # a card number in full-width digits shows no digit below
        text = ascii_digits(text)
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
    return PAN_MIN <= len(digits) <= PAN_MAX and digits[0] != "0" and luhn_ok(digits)


def pan_spans(groups: list[str]) -> list[tuple[int, int]]:
    """(first, last) group indexes of the card numbers in a run: for each first group, the
    longest reading, and only readings that reach past the ones before (a reading inside
    another hides nothing more)."""
    spans: list[tuple[int, int]] = []
    covered = -1  # the readings found so far end here
    for first, group in enumerate(groups):
        if covered == len(groups) - 1:
            break  # nothing left to reach
        size = len(group)
        if group[0] == "0" or size < _GROUP_MIN or _GROUP_MAX < size < PAN_MIN:
            continue
        if size >= PAN_MIN:  # a card number written plain: this group alone
            if size <= PAN_MAX and luhn_ok(group):
                spans.append((first, first))
                covered = first
            continue
        digits, longest = group, -1
        for last in range(first + 1, len(groups)):
            following = groups[last]
            digits += following
            if len(following) > _GROUP_MAX or len(digits) > PAN_MAX:
                break
            if last > covered and len(digits) >= PAN_MIN and luhn_ok(digits):
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
    pieces = GROUPS.split(run)  # group, separator, group, ..., group
    groups = pieces[::2]
    spans = pan_spans(groups)
    # After a percent-escape, the first group is read both ways: whole (a literal "%" before
    # it) and as the escape's digits followed by the rest ("%20" + "4111111111111111"). It is
    # then two groups with nothing between them, and a digit shows only if both readings let
    # it show.
    for skip in skips:
        if len(groups[0]) > skip:
            rest = pan_spans([groups[0][skip:], *groups[1:]])
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


def ascii_digits(text: str) -> str:
    """Non-ASCII text with every digit as ASCII (full-width, as CJK text and input methods
    write them, Arabic-Indic, ...) and the spaces and dashes that group digits (no-break and
    ideographic spaces, full-width and typographic dashes) as ASCII too: how a card number is
    looked for. ASCII text comes back as it is."""
    if text.isascii():
        return text
    if _OTHER_DIGIT.search(text) is not None:
        text = _OTHER_DIGIT.sub(_to_ascii_digit, text)
    return text.translate(_TO_ASCII_SEPARATORS)


def mask_digits(text: str) -> str:
    """Card numbers masked, read as :func:`ascii_digits` reads them. A text with none comes
    back exactly as it was; one with a card number comes back in its ASCII reading."""
    read = ascii_digits(text)
    if not may_hold_pan(read):
        return text
    masked = CARD_RUN.sub(_mask_run, read)
    return text if masked == read else masked


def mask_card_numbers(text: str) -> str:
    """``text`` with every card number masked to its first six and last four digits."""
    return mask_digits(text)


_FOUR_DIGITS = re.compile(r"\d{4}")  # every card number has these (\d: in any script)


def safe_url(url: httpx.URL) -> str:
    """The URL without query string, fragment or user info (they may carry secrets), and with
    any card number in the host or the path masked to its first six and last four digits."""
    port = f":{url.port}" if url.port is not None else ""
    host, path = url.host, url.path
    # payerr's own events never carry a card number, whatever processors the application
    # configured; most hosts and paths have no four digits in a row, and pay one regex scan
    # for that.
    if _FOUR_DIGITS.search(path):
        path = mask_card_numbers(path)
    if _FOUR_DIGITS.search(host):
        host = mask_card_numbers(host)
    return f"{url.scheme}://{host}{port}{path}"
