"""Provider text made safe once, at the edge (Architecture#provider-text-is-hostile).

Codes and messages come from the provider and are hostile input: lone surrogates make every
UTF-8 writer raise, control characters (ANSI escapes, NUL, carriage returns) rewrite terminals
and log lines, bidirectional and zero-width format characters disguise text. What payerr keeps
of them is valid UTF-8 without control or format characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from payerr._core.cards import mask_card_numbers

__all__ = ["MAX_INT_BITS", "PAN_REACH", "clean", "clean_cut", "int_text"]

_DIGITS = re.compile(r"\d{4}")

MAX_INT_BITS = 256
"""An int code wider than this is no code (``str()`` of a 5,000-digit int raises)."""


_CACHED = 256
"""Texts this short are cleaned once per process and remembered (codes and messages repeat:
the same few hundred for every payment); longer ones are cleaned each time, never held."""


def clean(text: str) -> str:
    """``text`` with control and format characters dropped, other white space made a space,
    lone surrogates replaced by U+FFFD and card numbers masked (first six, last four).
    Printable text without a long digit run comes back as it is."""
    return _clean_short(text) if len(text) <= _CACHED else _clean(text)


def _clean(text: str) -> str:
    if text.isprintable():
        # A card number needs at least four digits in a row: most text has none.
        return mask_card_numbers(text) if _DIGITS.search(text) else text
    out: list[str] = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif char.isspace():
            out.append(" ")
        elif unicodedata.category(char) == "Cs":
            out.append("\ufffd")
        elif unicodedata.category(char) in ("Co", "Cn"):
            out.append(char)  # private use, or newer than this Python's tables: harmless
    return mask_card_numbers("".join(out))


PAN_REACH = 64
"""More than the longest card number with separators between its groups (19 digits in five
groups, four separators of up to five characters: "%2520"): a number that starts before a cut
ends within this many characters after it."""

_GROWTH = 4
"""How much further :func:`clean_cut` reads, once, when cleaning shrank its window too much."""


def clean_cut(
    text: str, limit: int, suffix: str = "", *, scrub: Callable[[str], str] | None = None
) -> str:
    """``text`` cleaned (card numbers masked; passed through ``scrub`` first when given), then
    cut to ``limit`` characters, with ``suffix`` where it was cut.

    Masking comes first: a card number straddling the cut is masked whole before any of it is
    dropped (cutting first would leave up to 15 of its digits and no longer a Luhn-valid number
    to recognise). Bounded: only the first ``limit`` plus a card number's reach is read, more
    only when cleaning shrank that window, and never more than a few times ``limit``.

    The window read may itself end inside a card number, too short to recognise there. Left
    unmasked, that part stays the end of the cleaned window, no longer than it was: so the
    cleaned window's last ``PAN_REACH`` characters are dropped, however much cleaning shrank
    what came before (control characters dropped, a masked number's separators). Cutting the
    cleaned window at ``limit`` alone would let that shrinking pull part of a card number
    within ``limit``.
    """
    if scrub is None and len(text) <= _CACHED:
        return _clean_cut_short(text, limit, suffix)
    return _clean_cut(text, limit, suffix, scrub)


def _clean_cut(text: str, limit: int, suffix: str, scrub: Callable[[str], str] | None) -> str:
    window = limit + PAN_REACH
    for _ in range(2):
        if len(text) <= window:  # read whole: nothing is cut but by ``limit``
            cleaned = clean(scrub(text) if scrub else text)
            return cleaned if len(cleaned) <= limit else cleaned[:limit] + suffix
        cleaned = clean(scrub(text[:window]) if scrub else text[:window])
        keep = len(cleaned) - PAN_REACH
        if keep >= limit:
            return cleaned[:limit] + suffix
        window *= _GROWTH  # mostly control characters, or separators of masked card numbers
    return cleaned[: max(keep, 0)] + suffix


@lru_cache(maxsize=4096)
def _clean_short(text: str) -> str:
    return _clean(text)


@lru_cache(maxsize=4096)
def _clean_cut_short(text: str, limit: int, suffix: str) -> str:
    return _clean_cut(text, limit, suffix, None)


def int_text(value: int) -> str | None:
    """An int code as text, or None when it is too wide to be a code."""
    if value.bit_length() > MAX_INT_BITS:
        return None
    return str(value)
