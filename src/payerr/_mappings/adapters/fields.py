"""The generic reader for providers added by a mapping file alone.

The mapping header names where the code is (``code_fields``, dotted paths, first present wins)
and, optionally, where the message is (``message_fields``): :data:`RULES`.
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Operation
from payerr._mappings.adapters.base import Reading, Rule, first_answer, get_path, resolve, text_of
from payerr._mappings.table import ProviderTable

__all__ = ["RULES", "read"]


class _Answer:
    """An answer as the rules see it: the body, and the message its header points at."""

    __slots__ = ("body", "detail", "table")

    def __init__(self, table: ProviderTable, body: dict[str, Any]) -> None:
        self.table = table
        self.body = body
        detail = None
        for path in table.message_fields:
            detail = text_of(get_path(body, path))
            if detail is not None:
                break
        self.detail = detail


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    """An answer read by its mapping header: the first rule of :data:`RULES` that answers."""
    return first_answer(RULES, _Answer(table, body))


def _code_field(a: _Answer) -> Reading | None:
    for path in a.table.code_fields:
        verdict = resolve(a.table, get_path(a.body, path), path)
        if verdict is not None:
            return verdict, a.detail
    return None


def _nothing(a: _Answer) -> Reading | None:
    return None, a.detail


_HEADER = "mappings/README.md (code_fields, message_fields)"

RULES: tuple[Rule[_Answer], ...] = (
    Rule(
        "code_field",
        "The first of the header's code_fields that holds a code decides; the message is the "
        "first of its message_fields that holds one.",
        _HEADER,
        _code_field,
    ),
    Rule("nothing", "No code field holds a code: the HTTP status decides.", _HEADER, _nothing),
)
"""A mapping-only provider's precedence: the first rule that answers decides."""
