"""One provider's merged code table: fast lookups and their bounded caches.

Lookups are two dict hits: every spelling a row answers to, and every source it may be read
from, maps to a :class:`~payerr._core.taxonomy.Classification` built once.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from payerr._core.reasons import Reason, reason_fits, status_reason
from payerr._core.taxonomy import (
    Category,
    Classification,
    CodeEntry,
    Operation,
    Outcome,
)
from payerr._core.text import clean, int_text
from payerr._mappings.memo import ReadingMemo
from payerr._mappings.schema import (
    DEFAULT_CODE_FIELDS,
    MAX_CODE_LEN,
    Document,
    RequestIdField,
    adapter_names,
    garbled,
    normalize_code,
)

__all__ = ["ProviderTable"]

_EXECUTING = (Operation.PAY, Operation.CAPTURE, Operation.REFUND, Operation.VAULTING)
_CACHE_LIMIT = 4096  # spellings cached per source; beyond it lookups still work, uncached


class ProviderTable:
    """One provider's merged code table, frozen once built."""

    __slots__ = (
        "_by_source",
        "_in_response",
        "_lock",
        "adapter",
        "checked",
        "code_fields",
        "declared_ids",
        "docs_url",
        "entries",
        "honours_keys",
        "id",
        "memo",
        "message_fields",
        "operation_field",
        "origins",
        "request_id_fields",
        "request_ids",
        "scoped",
        "seed",
        "title",
        "topics",
    )

    def __init__(self, documents: Sequence[Document]) -> None:
        header: dict[str, Any] = {}
        rows: dict[str, CodeEntry] = {}
        scoped: dict[tuple[str, Operation], CodeEntry] = {}
        for doc in documents:
            header.update(doc.header)
            for row in doc.rows:
                if row.operations:
                    for operation in row.operations:
                        scoped[normalize_code(row.code), operation] = row
                else:
                    rows[normalize_code(row.code)] = row
        self.scoped: Mapping[tuple[str, Operation], CodeEntry] = scoped
        """Rows scoped to operations, by (normalised code, operation)."""
        self.id: str = header["id"]
        self.title: str = header.get("title", self.id)
        self.docs_url: str = header.get("docs_url", "")
        self.seed: str = header.get("seed", "")
        checked = header.get("checked", "")
        self.checked: str = checked.isoformat() if isinstance(checked, _dt.date) else checked
        self.adapter: str = header.get(
            "adapter", self.id if self.id in adapter_names() else "fields"
        )
        self.code_fields: tuple[str, ...] = tuple(header.get("code_fields", DEFAULT_CODE_FIELDS))
        self.message_fields: tuple[str, ...] = tuple(header.get("message_fields", ()))
        self.honours_keys: bool = header.get("idempotency_key_header", True)
        """Whether the provider deduplicates on an idempotency key header. False where its
        documents say it does not (OTT Pay): such a header then makes nothing replay-safe."""
        self.operation_field: str | None = header.get("operation_field")
        """A top-level request JSON field naming the operation, for providers that answer
        every call on one URL (OTT Pay's ``action``)."""
        self.request_id_fields: tuple[str, ...] = tuple(header.get("request_id_fields", ()))
        """Top-level request JSON fields the provider deduplicates on for every operation (a
        user mapping's ``request_id_fields``); the shipped files declare theirs per operation."""
        self.declared_ids: tuple[RequestIdField, ...] = tuple(
            r for doc in documents for r in doc.request_ids
        )
        """Each ``[[request_id]]`` of the mapping files: a field, its operations, its source."""
        per_operation: dict[Operation, list[str]] = {}
        for declared in self.declared_ids:
            for operation in declared.operations:
                per_operation.setdefault(operation, []).append(declared.field)
        # The operation untold: the ids that key an executing request of their own (a
        # paymentRequestId, a refundRequestId ...), never one that only names the payment a
        # cancel or an inquiry is about (a refund names its payment's paymentId too).
        per_operation[Operation.UNKNOWN] = [
            f for op in _EXECUTING for f in per_operation.get(op, ())
        ]
        self.request_ids: Mapping[Operation, tuple[str, ...]] = {
            op: tuple(dict.fromkeys([*fields, *self.request_id_fields]))
            for op, fields in per_operation.items()
        }
        self.origins: tuple[tuple[str, int], ...] = tuple(
            (d.origin, len(d.rows)) for d in documents
        )
        """Each file the table was merged from, with its row count, in order."""
        self.entries: Mapping[str, CodeEntry] = rows
        self.topics: Mapping[str, str] = {
            code: row.topic for code, row in rows.items() if row.topic
        }
        """What the answers of a code are about where no operation says it (its row's
        ``topic``), by normalised code: shopper messages name it."""
        self._by_source: dict[str, dict[object, Classification]] = {}
        self._in_response: dict[
            tuple[int, str | None, int, Operation], tuple[Classification, Classification]
        ] = {}
        self._lock = threading.Lock()
        self.memo = ReadingMemo()
        """Verdicts remembered by the body fields their reader read (payerr._mappings.memo)."""
        self._prime("code")

    def _prime(self, source: str) -> dict[object, Classification]:
        """Build the lookup dict for one source: every known spelling → its Classification."""
        cache: dict[object, Classification] = {}
        for key, entry in self.entries.items():
            spellings = {entry.code, key, *entry.spellings}
            for spelling in spellings:
                cache[spelling] = entry.classification(raw_code=spelling, source=source)
            # Numeric codes arrive as int from JSON and SDKs; "0000" keeps its zeros and stays str.
            if key.isdigit() and (key == "0" or not key.startswith("0")):
                cache[int(key)] = entry.classification(raw_code=key, source=source)
        with self._lock:
            self._by_source[source] = cache
        return cache

    def key_headers(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The idempotency key headers that count for this provider: ``names``, or none when
        it deduplicates on no key header (``idempotency_key_header = false``)."""
        return names if self.honours_keys else ()

    def request_ids_for(self, operation: Operation) -> tuple[str, ...]:
        """The request JSON fields the provider deduplicates ``operation`` on: its declared
        ``[[request_id]]`` fields and the file-wide ``request_id_fields``. An operation payerr
        cannot tell (``unknown``) takes every declared field."""
        return self.request_ids.get(operation, self.request_id_fields)

    def codes(self, source: str = "code") -> dict[object, Classification]:
        """The lookup dict for one source (spelling -> Classification); grows as it is used."""
        cache = self._by_source.get(source)
        return cache if cache is not None else self._prime(source)

    def lookup(self, code: object, source: str = "code") -> Classification | None:
        """The Classification for a known code, or None. Never raises on odd input."""
        cache = self.codes(source)
        try:
            hit = cache.get(code)
        except TypeError:  # unhashable: a list or dict where a code should be
            return None
        if hit is not None:
            return hit
        if type(code) is int:
            text = int_text(code)
            if text is None:
                return None
            raw = text
        elif isinstance(code, str) and len(code) <= MAX_CODE_LEN:
            raw = clean(code)
        else:
            return None
        entry = self.entries.get(normalize_code(raw))
        if entry is None:
            return None
        if entry.outcome is Outcome.SUCCESS and isinstance(code, str) and garbled(code):
            # "SUCCESS\x00", "SUC\u200bCESS": invisible or control characters inside a code
            # may help recognise an in-process or failed code, never a success.
            return None
        result = entry.classification(raw_code=raw, source=source)
        if len(cache) < _CACHE_LIMIT:
            cache[code] = result
        return result

    def in_response(
        self,
        c: Classification,
        detail: str | None,
        status: int,
        operation: Operation = Operation.UNKNOWN,
    ) -> Classification:
        """``c`` carrying one response's message and status, shared between equal responses.

        Building a frozen 15-field object costs as much as parsing a small body; most answers
        repeat (the same code, message and status), so copies are cached per table, bounded.
        """
        key = (id(c), detail, status, operation)
        hit = self._in_response.get(key)
        if hit is not None and hit[0] is c:  # the cache holds c, so its id cannot be reused
            return hit[1]
        result = c.in_response(detail, status, operation)
        if len(self._in_response) >= _CACHE_LIMIT:
            # Full (messages that carry order ids never repeat): start again, so the answers
            # that do repeat are cached again at once, and memory stays bounded.
            self._in_response.clear()
        self._in_response[key] = (c, result)
        return result

    def all_entries(self) -> list[CodeEntry]:
        """Every row: the ones for every operation, then the scoped ones (each once)."""
        scoped = list({id(e): e for e in self.scoped.values()}.values())
        return [*self.entries.values(), *scoped]

    def in_operation(self, c: Classification, operation: Operation) -> Classification:
        """``c`` as the row scoped to ``operation`` reads it, where one is (rare: no cache)."""
        entry = self.scoped.get((c.code, operation)) if c.code else None
        if entry is None:
            return c
        return entry.classification(raw_code=c.raw_code, source=c.source).rederived(
            detail=c.detail,
            http_status=c.http_status,
            retry_after=c.retry_after if c.retry_after is not None else entry.retry_after,
            retry_at=c.retry_at,
            operation=operation,
        )

    def entry(self, code: object) -> CodeEntry | None:
        """The mapping row for a code (any accepted spelling), or None."""
        if type(code) is int:
            code = int_text(code)
        if not isinstance(code, str):
            return None
        return self.entries.get(normalize_code(code))

    def unknown(
        self,
        raw_code: str | None,
        outcome: Outcome,
        category: Category | None,
        *,
        source: str,
        message: str,
        action: str | None = None,
        detail: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        repeat: bool = False,
        operation: Operation = Operation.UNKNOWN,
        reason: Reason | None = None,
        unmapped: str | None = None,
    ) -> Classification:
        """A Classification decided by a fallback rather than a mapping row.

        Its reason is ``unknown`` for a code no row knows; for a bare answer (no code), what
        the HTTP status says (:func:`payerr._core.reasons.status_reason`), unless ``reason``
        is given.
        """
        if outcome is Outcome.SUCCESS:
            outcome = Outcome.PENDING  # a code no row knows is never success
        outcome, category, retryable = Classification.consistent(outcome, category)
        default_action, user_message = Classification.defaults(outcome, category)
        if reason is None:
            reason = status_reason(http_status) if not raw_code and http_status else Reason.UNKNOWN
        if not reason_fits(reason, outcome, category):
            # The HTTP status's reason beside a status field's verdict it does not go with (a
            # 400 "invalid request" whose data.status says FAILURE, final): the verdict is the
            # status field's, and why is not known. Never an error on what the provider sent.
            reason = Reason.UNKNOWN
        return Classification(
            provider=self.id,
            code=normalize_code(raw_code) if raw_code else "",
            raw_code=raw_code,
            message=message,
            outcome=outcome,
            category=category,
            retryable=retryable,
            known=False,
            action=action or default_action,
            user_message=user_message,
            retry_after=retry_after,
            source=source,
            detail=detail,
            http_status=http_status,
            repeat=repeat and outcome is Outcome.FAILED,
            operation=operation,
            reason=reason,
            unmapped=unmapped,
        )
