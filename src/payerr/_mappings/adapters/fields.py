"""The generic reader for providers added by a mapping file alone.

The mapping header names where the code is (``code_fields``, dotted paths, first present wins)
and, optionally, where the message is (``message_fields``).
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Operation
from payerr._mappings.adapters.base import Reading, get_path, resolve, text_of
from payerr._mappings.table import ProviderTable

__all__ = ["read"]


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    detail = None
    for path in table.message_fields:
        detail = text_of(get_path(body, path))
        if detail is not None:
            break
    for path in table.code_fields:
        verdict = resolve(table, get_path(body, path), path)
        if verdict is not None:
            return verdict, detail
    return None, detail
