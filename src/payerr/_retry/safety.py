"""Replay safety: may this request be sent again, and did a failed attempt reach the provider?

Architecture#retry-safety. A request that may have reached the provider is resent only when it is
replay-safe: an idempotent method, an idempotency key header, or a provider request id the
provider documents as idempotent (Antom ``paymentRequestId``). Connect errors, connect timeouts
and pool timeouts mean nothing was sent, which is always safe to resend.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from enum import Enum

import httpx

from payerr._core.reasons import Reason
from payerr._core.taxonomy import (
    DEFAULT_ACTIONS,
    Category,
    Classification,
    Outcome,
)
from payerr._core.text import clean_cut
from payerr._mappings.operations import operation_of_request
from payerr._mappings.registry import default_registry
from payerr._mappings.table import ProviderTable
from payerr._observe.redaction import redact_text
from payerr._retry.body import AnswerCut, InnerFailure

__all__ = [
    "DEFAULT_KEY_HEADERS",
    "IDEMPOTENT_METHODS",
    "Identity",
    "Sent",
    "classify_transport_error",
    "has_idempotency_key",
    "identities_of",
    "is_replay_safe",
    "key_header_names",
    "request_identity",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
"""RFC 9110 section 9.2.2."""

DEFAULT_KEY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
"""Request headers that carry an idempotency key, checked case-insensitively."""


class Sent(Enum):
    """Whether an attempt's request may have reached the provider."""

    NO = "no"
    """Nothing left this machine (connect failure, pool timeout): resending is always safe."""
    MAYBE = "maybe"
    """It may have executed, with no answer (read timeout, dropped connection)."""
    ANSWERED = "answered"
    """The provider answered."""


def has_idempotency_key(
    request: httpx.Request, headers: Iterable[str] = DEFAULT_KEY_HEADERS
) -> bool:
    """Whether the request carries a non-empty idempotency key in one of ``headers``."""
    return _key_of(request, tuple(headers)) is not None


def key_header_names(names: Iterable[str]) -> frozenset[bytes]:
    """Header names as :func:`identities_of` matches them."""
    return _lowered(tuple(names))


@functools.lru_cache(maxsize=64)
def _lowered(names: tuple[str, ...]) -> frozenset[bytes]:
    return frozenset(name.strip().lower().encode("latin-1", "replace") for name in names)


def _key_of(request: httpx.Request, names: tuple[str, ...]) -> str | None:
    """The first non-empty key among ``names``, read from the raw header list: asking
    ``request.headers.get`` first makes httpx decode every header (~3 us per request)."""
    wanted = _lowered(names)
    for name, value in request.headers.raw:
        if name.lower() in wanted:
            key = value.strip()
            if key:
                return key.decode("latin-1")
    return None


Identity = tuple[str, str, str]
"""``(path, "key" or the body field's name, value)``: what a provider deduplicates on."""


def request_identity(
    request: httpx.Request,
    *,
    idempotency_headers: Iterable[str] = DEFAULT_KEY_HEADERS,
    request_id_fields: Iterable[str] = (),
) -> Identity | None:
    """What the provider deduplicates this request on: an idempotency key header, or a
    top-level JSON body field the provider documents as idempotent (Antom
    ``paymentRequestId``). None when there is neither: the provider cannot tell a resend from
    a new request."""
    path = request.url.path
    key = _key_of(request, tuple(idempotency_headers))
    if key is not None:
        return path, "key", key  # the same key under another header name is the same one
    fields = tuple(request_id_fields)
    return _request_id(request, path, fields) if fields else None


def identities_of(
    request: httpx.Request,
    key_headers: frozenset[bytes],
    request_id_fields: tuple[str, ...],
    order_fields: tuple[str, ...],
) -> list[tuple[str, str]]:
    """Every name the provider may know this request by, as ``(kind, value)``: each
    idempotency key it carries (``"key"``; every header named, a provider may read any), each
    request id field of its body (the field's name) and each order number field
    (``"order:"`` and the field's name, dotted for a nested one: ``data.order_id``). A repeat
    answer may speak of any of them. ``key_headers``: from :func:`key_header_names`."""
    found: list[tuple[str, str]] = []
    for name, raw in request.headers.raw:
        if name.lower() in key_headers:
            key = raw.strip().decode("latin-1")
            if key and ("key", key) not in found:
                found.append(("key", key))
    if request_id_fields or order_fields:
        fields = request_id_fields + order_fields
        data = _json_body(request, tuple(f.rpartition(".")[2] for f in fields))
        if data is not None:
            for f in fields:
                value = _id_text(_dotted(data, f))
                if value:
                    found.append((f"order:{f}" if f in order_fields else f, value))
    return found


def _id_text(value: object) -> str | None:
    """A request id or order number as text: a string, or a JSON number (``20240001`` and
    ``20240001.0`` name the same order); None for anything else."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _dotted(data: dict[str, object], name: str) -> object:
    """``data["a"]["b"]`` for ``"a.b"``; None where the path does not lead to a value."""
    value: object = data
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def is_replay_safe(
    request: httpx.Request,
    *,
    idempotency_headers: Iterable[str] = DEFAULT_KEY_HEADERS,
    request_id_fields: Iterable[str] = (),
    provider: str | None = None,
) -> bool:
    """Whether sending ``request`` twice cannot execute it twice.

    Args:
        request: the request (its method, headers and JSON body are read).
        idempotency_headers: header names that carry an idempotency key.
        request_id_fields: top-level JSON body fields the provider deduplicates on.
        provider: the provider the request goes to: its mappings add the request ids it
            documents for the request's operation, and a provider that deduplicates on no key
            header (OTT Pay) is not made safe by one. Without it, a key header is taken at
            its word.

    Returns:
        True for a GET, HEAD or OPTIONS, or a request carrying a key or request id that
        counts; False otherwise.

    Raises:
        UnknownProviderError: ``provider`` has no mapping.
        MappingError: one of ``provider``'s mapping files is broken.
        UsageError: with ``provider``, the request's ``payerr.operation`` extension names no
            operation.

    Example:
        >>> request = httpx.Request("POST", "https://api.paykka.test/v1/payments",
        ...                         headers={"Idempotency-Key": "order-1"})
        >>> payerr.is_replay_safe(request, provider="paykka")
        True
    """
    if provider is not None:
        table = default_registry().table(provider)
        return replay_safe_at(request, table, tuple(idempotency_headers), tuple(request_id_fields))
    if request.method.upper() in IDEMPOTENT_METHODS:
        return True
    identity = request_identity(
        request, idempotency_headers=idempotency_headers, request_id_fields=request_id_fields
    )
    return identity is not None


def replay_safe_at(
    request: httpx.Request,
    table: ProviderTable,
    idempotency_headers: tuple[str, ...],
    request_id_fields: tuple[str, ...] = (),
) -> bool:
    """:func:`is_replay_safe` as one provider's table reads the request: the key headers it
    honours, and the request ids it documents for the request's operation."""
    operation = operation_of_request(request, table.operation_field)
    return is_replay_safe(
        request,
        idempotency_headers=table.key_headers(idempotency_headers),
        request_id_fields=(*request_id_fields, *table.request_ids_for(operation)),
    )


def _json_body(request: httpx.Request, fields: tuple[str, ...]) -> dict[str, object] | None:
    """The request's JSON object body, when it may hold one of ``fields``."""
    try:
        body = request.content
    except httpx.RequestNotRead:
        return None  # a streaming body we must not consume here: not provably safe
    if not body or not any(f.encode() in body for f in fields):
        return None  # cheap filter: no field name in the bytes, no need to parse
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _request_id(request: httpx.Request, path: str, fields: tuple[str, ...]) -> Identity | None:
    data = _json_body(request, fields)
    if data is None:
        return None
    for f in fields:
        value = data.get(f)
        if isinstance(value, str) and value.strip():
            return path, f, value.strip()
    return None


# httpx's exception tree, sorted by what it says about the request (httpx/_exceptions.py).
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
_NOT_SENDABLE: tuple[type[Exception], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)
_NOT_SENT_ACTION = "Resend: nothing reached the provider."
_MAYBE_SENT_ACTION = "Resend only if the request is replay-safe; otherwise inquire first."


_CUT_ACTION = (
    "Outcome unknown: the answer was cut (too large, or still arriving at the call's "
    "deadline) after the request may have executed. Inquire the payment status; do not resend."
)
_FOREIGN_ACTION = (
    "Outcome unknown: the HTTP transport failed with an unexpected error after the request may "
    "have been sent. Inquire the payment status; do not resend."
)


def classify_transport_error(provider: str, exc: Exception) -> tuple[Classification, Sent]:
    """What a transport exception means, and whether the request may have been sent."""
    # Exception text is hostile too: httpx's "Illegal header value b'Bearer ...\\n'" carries a
    # secret, a proxy's error may carry escapes or a card number.
    text = f"{type(exc).__name__}: {exc}"
    message = clean_cut(text, 300, scrub=redact_text)
    if isinstance(exc, AnswerCut | InnerFailure):
        # Answered, but too large or too slow to read, or the inner transport broke in a way
        # httpx does not name: it may have executed. Outcome unknown, never resent for it (a
        # resend would meet the same answer, or the same fault).
        c = Classification(
            provider=provider,
            code="",
            raw_code=None,
            message=f"{message}: outcome unknown",
            outcome=Outcome.PENDING,
            category=None,
            retryable=False,
            known=False,
            action=_CUT_ACTION if isinstance(exc, AnswerCut) else _FOREIGN_ACTION,
            user_message=Classification.defaults(Outcome.PENDING, None)[1],
            source="transport",
        )
        return c, Sent.MAYBE
    if isinstance(exc, _NOT_SENDABLE):
        category, sent, action = (
            Category.MERCHANT_CONFIG,
            Sent.NO,
            DEFAULT_ACTIONS[Category.MERCHANT_CONFIG],
        )
        reason = Reason.INVALID_REQUEST  # a malformed URL or header: nothing went out
    elif isinstance(exc, _NOT_SENT):
        category, sent, action = Category.RETRYABLE, Sent.NO, _NOT_SENT_ACTION
        reason = Reason.NETWORK_ERROR
    else:  # read/write timeouts and errors, a dropped connection, a protocol error mid-answer
        category, sent, action = Category.RETRYABLE, Sent.MAYBE, _MAYBE_SENT_ACTION
        reason = Reason.NETWORK_ERROR
    return (
        Classification(
            provider=provider,
            code="",
            raw_code=None,
            message=message,
            outcome=Outcome.FAILED,
            category=category,
            retryable=category is Category.RETRYABLE,  # checked by Classification itself
            known=False,
            action=action,
            user_message=Classification.defaults(Outcome.FAILED, category)[1],
            source="transport",
            reason=reason,
        ),
        sent,
    )
