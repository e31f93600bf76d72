"""Classification in bulk: logged answers in, Classifications out, one table lookup per
provider rather than one per answer (``payerr scan`` runs on it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from payerr._core.exceptions import UsageError
from payerr._core.taxonomy import Classification, Operation
from payerr._mappings.classify import (
    as_operation,
    int_status,
    read_answer,
    unless_first_send,
)
from payerr._mappings.operations import operation_of_path
from payerr._mappings.registry import Registry, default_registry
from payerr._mappings.table import ProviderTable

__all__ = ["classify_many", "classify_record"]

_BODIES = (bytes, bytearray, memoryview, str, Mapping)
_PLAIN = frozenset({dict, str, bytes})  # what JSON Lines give: checked without the ABCs


def classify_many(
    records: Iterable[Mapping[str, Any]],
    *,
    registry: Registry | None = None,
    first_send: bool = False,
) -> Iterator[Classification]:
    """Classify logged answers, one Classification per record, in order, as they are read.

    Each record is a mapping: ``provider``, ``status`` (the HTTP status), ``body`` (bytes,
    text, or the JSON object already parsed), and optionally ``path`` (the request's path:
    it names the operation), ``operation`` (says it outright) and ``headers`` (for
    ``Retry-After``). Other keys are ignored. Each answer is classified as
    :func:`classify_http` would; unknown codes are not logged (count them from the results:
    ``payerr scan`` reports them).

    Args:
        records: the answers (any iterable: a list, a generator over a file).
        registry: the mappings to read (default: the shipped ones and ``PAYERR_MAPPINGS``).
        first_send: every request was a first send (see :func:`classify`).

    Yields:
        The :class:`Classification` of each record.

    Raises:
        UsageError: a record is not a mapping, or its ``provider``, ``status``, ``body``,
            ``path``, ``operation`` or ``headers`` is of the wrong kind (the message names
            the record by its position; what the provider sent never raises).
        UnknownProviderError: a record names a provider no mapping knows.

    Example:
        >>> answers = [
        ...     {"provider": "paykka", "status": 200,
        ...      "body": {"ret_code": "000000", "data": {"status": "SUCCESS"}}},
        ...     {"provider": "antom", "status": 200, "path": "/ams/api/v1/payments/pay",
        ...      "body": b'{"result": {"resultCode": "USER_BALANCE_NOT_ENOUGH",'
        ...              b' "resultStatus": "F"}}'},
        ... ]
        >>> print(*(c.outcome.value for c in payerr.classify_many(answers)))
        success failed
    """
    chosen = registry or default_registry()
    tables: dict[str, ProviderTable] = {}
    for index, record in enumerate(records):
        yield classify_record(record, chosen, tables, first_send=first_send, index=index)


def classify_record(
    record: Mapping[str, Any],
    registry: Registry,
    tables: dict[str, ProviderTable],
    *,
    first_send: bool = False,
    index: int = 0,
) -> Classification:
    """One record of :func:`classify_many` (``tables``: the tables looked up so far)."""
    if type(record) is not dict and not isinstance(record, Mapping):
        raise UsageError(f"record {index}: a mapping is needed, not {type(record).__name__}")
    provider = record.get("provider")
    table = tables.get(provider) if isinstance(provider, str) else None
    if table is None:
        if not isinstance(provider, str):
            raise UsageError(f"record {index}: 'provider' must be text, not {_kind(provider)}")
        table = tables[provider] = registry.table(provider)
    status = int_status(record.get("status"))
    if status is None or not 100 <= status <= 599:
        raise UsageError(f"record {index}: 'status' must be an HTTP status (100-599)")
    body = record.get("body")
    if body is None:
        body = b""
    elif type(body) not in _PLAIN and not isinstance(body, _BODIES):
        raise UsageError(
            f"record {index}: 'body' must be bytes, text or a JSON object, not {_kind(body)}"
        )
    headers = record.get("headers")
    if (
        headers is not None
        and type(headers) is not dict
        and not isinstance(headers, Mapping | list | tuple)
    ):
        raise UsageError(f"record {index}: 'headers' must be a mapping or (name, value) pairs")
    operation = _operation(record, index)
    result = read_answer(table, status, body, headers, operation=operation)
    return result if first_send else unless_first_send(result)


def _operation(record: Mapping[str, Any], index: int) -> Operation:
    named = record.get("operation")
    if named is not None:
        if not isinstance(named, str | Operation):
            raise UsageError(f"record {index}: 'operation' must be text, not {_kind(named)}")
        try:
            return as_operation(named)
        except UsageError as exc:
            raise UsageError(f"record {index}: {exc}") from None
    path = record.get("path")
    if path is None:
        return Operation.UNKNOWN
    if not isinstance(path, str):
        raise UsageError(f"record {index}: 'path' must be text, not {_kind(path)}")
    return operation_of_path(path.split("?", 1)[0])


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
