"""The CLI's text: wrapped to 100 columns by display width, terminal-safe, JSON, and "did you
mean" suggestions (shared by every verb)."""

from __future__ import annotations

import difflib
import json
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from typing import TextIO

from payerr._core.text import clean

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "WIDTH",
    "SafeOutput",
    "near",
    "print_json",
    "shorten",
    "terminal_safe",
    "wrapped",
]


EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2
"""The CLI's exit statuses: done, a failed check (an invalid mapping, an unmapped code), a
usage error (an unknown provider, an unreadable file)."""

WIDTH = 100
"""The columns the CLI's human output fits in."""


def near(typed: str, choices: Sequence[str]) -> str | None:
    """The choices close to ``typed`` (a typo), as "A" or "A or B"; None when none is."""
    lowered = {c.lower(): c for c in choices}
    key = typed.strip().lower()
    # One character dropped, added or mistyped first ('1005' is '10005'), then the closest.
    found = ([key] if key in lowered else []) + [c for c in lowered if one_edit(key, c)]
    found = found[:3]
    for c in difflib.get_close_matches(key, list(lowered), n=3, cutoff=0.75):
        if c not in found and len(found) < 3:
            found.append(c)
    return " or ".join(repr(lowered[f]) for f in found) if found else None


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one inserted, deleted or changed character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def wrapped(head: str, text: str) -> list[str]:
    """``head`` and ``text`` wrapped at :data:`WIDTH`, later lines aligned under the text (a
    label longer than its column gets the text on the lines below)."""
    indent = " " * 13 if len(head) > 13 else " " * len(head)
    if not text.isascii():
        return wrapped_wide(head, text, indent)
    wrapped = textwrap.wrap(
        text,
        WIDTH,
        initial_indent=head if len(head) <= 13 else indent,
        subsequent_indent=indent,
        break_long_words=True,
        break_on_hyphens=False,
    )
    return ([head.rstrip()] if len(head) > 13 else []) + (wrapped or [head.rstrip()])


def columns(char: str) -> int:
    """The columns a character takes on a terminal: 2 for wide East Asian characters, 0 for
    combining marks (Thai vowels and tones), 1 otherwise."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrapped_wide(head: str, text: str, indent: str) -> list[str]:
    """:func:`wrapped` for text in any script: wrapped by display columns (Chinese, Japanese
    and Korean characters take two), at a space where there is one, else between characters
    (Chinese and Japanese put no spaces between words)."""
    lines = [head.rstrip()] if len(head) > 13 else []
    line = head if len(head) <= 13 else indent
    used = sum(columns(c) for c in line)
    for word in re.findall(r"\S+\s*", text):
        width = sum(columns(c) for c in word.rstrip())
        if used + width > WIDTH:
            if width <= WIDTH - len(indent) and line.strip():  # it fits on a line of its own
                lines.append(line.rstrip())
                line, used = indent, len(indent)
            elif width > WIDTH - len(indent):  # a long run without spaces: break it anywhere
                for char in word:
                    if used + columns(char) > WIDTH:
                        lines.append(line.rstrip())
                        line, used = indent, len(indent)
                    line += char
                    used += columns(char)
                continue
        line += word
        used += sum(columns(c) for c in word)
    lines.append(line.rstrip())
    return lines


def terminal_safe(text: str) -> str:
    """``text`` without control or format characters (a provider's or a file's ANSI escapes
    never reach the terminal); line breaks are kept."""
    return "\n".join(clean(line) for line in text.split("\n"))


class OutputError(Exception):
    """Standard output cannot be written (a full disk, ``> /dev/full``): said, not a traceback."""


class SafeOutput:
    """Standard output that writes only terminal-safe text."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(terminal_safe(text))
        except BrokenPipeError:
            raise  # `payerr list | head`: the reader has all it wanted
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc


def print_json(data: object, out: TextIO) -> None:
    out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
