"""Classify a bare code or a whole HTTP answer.

``classify_http`` is the sans-IO core (status, headers, bytes in; Classification out) that
``classify_response``, the CLI and the transports share. It is pure: it logs nothing and reads
no clock (an HTTP-date ``Retry-After`` comes back as ``retry_at``); the shells around it log
unknown codes and measure dates. Mapping files are read once, on a provider's first use.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import time
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from payerr._core.exceptions import UsageError
from payerr._core.http import MAX_BODY_BYTES, parse_json_object, read_retry_after, status_fallback
from payerr._core.taxonomy import Classification, Operation, Outcome
from payerr._core.text import clean_cut, int_text
from payerr._mappings.adapters import CARD_READERS, READERS, Unresolved
from payerr._mappings.operations import fit_message, operation_of_body, operation_of_request
from payerr._mappings.registry import Registry, default_registry
from payerr._mappings.schema import normalize_code
from payerr._mappings.table import ProviderTable
from payerr._mappings.unknown import WHY_STANDALONE, repeat_unknown, resend_settles
from payerr._observe import hooks as _hooks
from payerr._observe.events import UnknownCode

__all__ = [
    "EXTENSION_KEY",
    "HTTP_STATUS",
    "as_operation",
    "classification_of",
    "classify",
    "classify_http",
    "classify_response",
    "log_unknown",
    "read_answer",
]

EXTENSION_KEY = "payerr.classification"
"""The ``response.extensions`` key under which payerr's transports store the Classification."""

_DEFAULT = default_registry()
_FAST = _DEFAULT.fast  # provider -> code -> Classification, filled on first use per provider
_MAX_RAW = 128

HTTP_STATUS = "http_status"
"""``Classification.source`` when nothing in the body decided and the HTTP status did."""

UNKNOWN_ACTION = (
    "Unknown code: do not resubmit; inquire the payment status before deciding, and add the "
    "code to a mapping file."
)

if TYPE_CHECKING:
    from email.message import Message

    import httpx

Headers: TypeAlias = (
    "httpx.Headers | Mapping[str, str | int] | Message"
    " | Iterable[tuple[str | bytes, str | bytes] | list[str | bytes]]"
)
"""Headers in any form: httpx's, a mapping, ``http.client``'s ``HTTPMessage`` or list of pairs."""


def classify(
    provider: str,
    code: str | int,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
    first_send: bool = False,
) -> Classification:
    """Classify a bare provider code, as an SDK callback, a webhook or a log line carries it.

    Codes match case-insensitively with surrounding white space ignored; numeric codes may be
    ``int`` or ``str``; leading zeros are kept (PayKKa's ``"0000"`` is not ``0``). An unknown
    code gives ``known=False`` and outcome *pending* (outcome unknown: never success, never
    retried) and is logged as ``payerr.unknown_code``.

    A repeat answer ("duplicate", "order number used": ``repeat`` is true) is outcome unknown
    (*pending*, inquire) unless ``first_send`` says you know this request (its key, request id
    and order number) was never sent before: an earlier attempt may have executed it, and
    "failed, use a new order number" would charge twice.

    Args:
        provider: the provider id (``"antom"``, ``"alipay_plus"``, ``"ottpay"``, ...).
        code: the code as the provider sends it.
        registry: the mappings to read (default: the shipped ones and ``PAYERR_MAPPINGS``).
        operation: what the code answered (``"refund"``, :class:`Operation`): a row scoped to
            that operation wins.
        first_send: you know this request was never sent before (see above).

    Returns:
        The :class:`Classification` (never raises on what the provider sent).

    Raises:
        UnknownProviderError: no mapping exists for ``provider`` (a ``ValueError``).
        MappingError: one of the provider's mapping files is broken.
        UsageError: ``operation`` is not an operation payerr knows.

    Example:
        >>> payerr.classify("paykka", "5004").category
        <Category.USER_ACTION: 'user-action'>
    """
    if registry is None and operation is None:
        try:
            c = _FAST[provider][code]
        except (KeyError, TypeError):
            pass
        else:  # a known code: the hot path, inlined
            if first_send or not c.repeat:
                return c
            hit = _STANDALONE.get(id(c))
            return hit[1] if hit is not None and hit[0] is c else unless_first_send(c)
    c = _classify_code(provider, code, registry, operation)
    return c if first_send else unless_first_send(c)


def unless_first_send(c: Classification) -> Classification:
    """A repeat failure judged without knowing it met a first send: outcome unknown.

    Known codes come as shared instances, so their outcome-unknown form is built once per
    instance (bounded: a response's copy carrying its own message is not kept for long)."""
    if not (c.repeat and c.outcome is Outcome.FAILED):
        return c
    hit = _STANDALONE.get(id(c))
    if hit is not None and hit[0] is c:
        return hit[1]
    unknown = repeat_unknown(c, None, WHY_STANDALONE)
    if len(_STANDALONE) >= _STANDALONE_LIMIT:
        _STANDALONE.clear()
    _STANDALONE[id(c)] = (c, unknown)  # the key's object is kept alive by the value
    return unknown


_STANDALONE: dict[int, tuple[Classification, Classification]] = {}
_STANDALONE_LIMIT = 1024


def _classify_code(
    provider: str,
    code: str | int,
    registry: Registry | None,
    operation: Operation | str | None,
) -> Classification:
    """:func:`classify` as the mapping row says, first send or not."""
    if operation is not None:
        op = as_operation(operation)
        c = _classify_code(provider, code, registry, None)
        table = (registry or _DEFAULT).table(provider)
        text = c.raw_code
        if op is not Operation.UNKNOWN and text is not None:
            scoped = table.scoped.get((normalize_code(text), op))
            if scoped is not None:
                c = scoped.classification(raw_code=text)
        return fit_message(dataclasses.replace(c, operation=op), op)
    if registry is None:
        try:
            return _FAST[provider][code]
        except (KeyError, TypeError):
            registry = _DEFAULT
    table = registry.fast_table(provider)
    hit = table.lookup(code)
    if hit is not None:
        return hit
    raw: str | None = None
    if isinstance(code, str):
        raw = clean_cut(code, _MAX_RAW)
    elif type(code) is int:
        raw = int_text(code)
    if raw is not None:
        message = f"Code {raw!r} is not in payerr's {provider} mapping."
    else:
        message = f"Not a code: got a {type(code).__name__}."
    return log_unknown(
        table.unknown(
            raw, Outcome.PENDING, None, source="default", message=message, action=UNKNOWN_ACTION
        )
    )


Body = bytes | bytearray | memoryview | str | Mapping[str, Any] | list[Any] | int | float | None
"""A body as received (bytes or text) or as already parsed (JSON: an object, or anything else,
which is no answer)."""


def _as_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    if body is None:
        return b""
    raise UsageError(
        "body must be bytes, str or an already parsed JSON object (a dict), "
        f"not {type(body).__name__}"
    )


def classify_http(
    provider: str,
    status_code: int,
    body: Body = b"",
    headers: Headers | None = None,
    *,
    registry: Registry | None = None,
    now: float | None = None,
    operation: Operation | str | None = None,
    first_send: bool = False,
) -> Classification:
    """Classify an HTTP answer from its parts. Never raises on what the provider sent.

    The provider's envelope decides where it has a known code
    (Architecture#operations-and-the-field-that-decides, names
    the field that decides per provider and operation); an unknown code falls back on the
    provider's status field, then on the HTTP status. A 2xx whose outcome cannot be read is
    *pending*; an error status is never *success*: a 429, 5xx or other error status whose body
    says the operation succeeded is *pending* (outcome unknown), and one whose body carries
    another business result is classified by it.
    ``Retry-After`` is kept on retryable answers and on 429 / 503: delta-seconds as
    ``retry_after``; an HTTP-date as ``retry_at`` (POSIX time), and also as ``retry_after``
    when ``now`` (POSIX time) is given. ``body`` may be bytes, text, or the JSON object
    already parsed (a dict, as an SDK or a webhook framework hands it over). ``headers`` may
    be ``httpx.Headers``, any mapping,
    ``http.client``'s ``HTTPMessage`` or a list of ``(name, value)`` pairs.

    ``operation`` (an :class:`~payerr.Operation` or its value) says what was classified; without
    it, the body names it where it can (``notifyType``, ``refundStatus``, ``vaultingStatus``,
    ``paymentStatus``). The operation's own status field decides over the wrapper, and a
    value payerr does not know is pending.

    A failed card payment whose answer carries what the issuer and the card network said
    (Antom ``paymentResultInfo``) gets it as ``Classification.network``; a Merchant Advice
    Code's wait may lengthen ``retry_after`` on a decline (Architecture#card-networks). The
    verdict stays the provider code's.

    A repeat answer (a ``repeat`` row, HTTP 409) is outcome unknown unless ``first_send``
    (see :func:`classify`).

    Pure: logs nothing and reads no clock (``classify_response`` and the transports log
    ``payerr.unknown_code``).

    Args:
        provider: the provider id.
        status_code: the HTTP status.
        body: the answer's body: bytes, text, or the JSON object already parsed.
        headers: the answer's headers, if any (for ``Retry-After``).
        registry: the mappings to read (default: the shipped ones and ``PAYERR_MAPPINGS``).
        now: POSIX time, to turn an HTTP-date ``Retry-After`` into ``retry_after``.
        operation: what was classified (see above).
        first_send: you know this request was never sent before (see :func:`classify`).

    Returns:
        The :class:`Classification`.

    Raises:
        UnknownProviderError: no mapping exists for ``provider``.
        MappingError: one of the provider's mapping files is broken.
        UsageError: ``status_code`` is not an int, ``body`` is of a type payerr cannot read,
            or ``operation`` is unknown.

    Example:
        >>> body = {"result": {"resultCode": "SUCCESS", "resultStatus": "S"},
        ...         "paymentStatus": "FAIL", "paymentResultCode": "USER_BALANCE_NOT_ENOUGH"}
        >>> c = payerr.classify_http("antom", 200, body, operation="inquiry")
        >>> (c.outcome, c.code, c.source)
        (<Outcome.FAILED: 'failed'>, 'USER_BALANCE_NOT_ENOUGH', 'paymentResultCode')
    """
    table = (registry or _DEFAULT).table(provider)
    c = read_answer(
        table, http_status(status_code), body, headers, now=now, operation=as_operation(operation)
    )
    return c if first_send else unless_first_send(c)


def http_status(status: object) -> int:
    """An HTTP status as a plain int (``HTTPStatus.OK`` is 200, and reads back as 200: remembered
    and cached verdicts are shared between the two). Raises UsageError for anything else."""
    found = int_status(status)
    if found is None:
        raise UsageError(
            f"status_code must be an HTTP status (an int), not {type(status).__name__}"
        )
    return found


def int_status(status: object) -> int | None:
    """``status`` as a plain int when it is one (``HTTPStatus`` included, ``True`` not)."""
    if type(status) is int:
        return status
    if isinstance(status, int) and not isinstance(status, bool):
        return int(status)
    return None


def read_answer(
    table: ProviderTable,
    status_code: int,
    body: Body,
    headers: Headers | None,
    *,
    now: float | None = None,
    operation: Operation = Operation.UNKNOWN,
) -> Classification:
    """:func:`classify_http` on a table already loaded: the transports' per-request core."""
    obj: dict[str, Any] | None
    size: int | None = None
    if type(body) is bytes and len(body) <= MAX_BODY_BYTES:
        # What httpx hands over (response.content): the common case, tested first.
        obj = parse_json_object(body)
        size, unreadable = len(body), None
        if obj is None:
            unreadable = _describe_unreadable(body)
    elif type(body) is dict or isinstance(body, Mapping):
        # Already parsed by the caller (an SDK's dict, a webhook framework's JSON).
        obj, unreadable = dict(body), None
    elif isinstance(body, list | tuple | int | float) or body is None:
        # Parsed JSON that is not an object ([...], 5, null): no answer to read.
        obj = None
        unreadable = None if body is None else _describe_unreadable(b"[not a JSON object]")
    elif isinstance(body, str | bytearray | memoryview) and _size(body) > MAX_BODY_BYTES:
        # Too large to parse, whatever its encoding: not copied (or encoded) to find out.
        obj = None
        unreadable = f"the body ({_size(body)} characters or bytes) is larger than payerr reads"
    else:
        raw = _as_bytes(body)
        obj = parse_json_object(raw)
        size = len(raw)
        unreadable = _describe_unreadable(raw) if obj is None else None
    if obj is not None:
        # Remembered by the table: the same fields' values give the same verdict.
        result = table.memo.read(
            obj, size, (status_code, operation), partial(_read, table, status_code, operation)
        )
        operation = result.operation
    else:
        result = fit_message(_finish(table, None, unreadable, status_code, operation), operation)
    # Retry-After is a hint for resending: read it where a resend is on the table (a
    # retryable failure, an unknown result that the same request id settles), never on an
    # answer whose action says not to resend (final, risk, ... under a 429 or 503).
    if headers is not None and (
        result.retryable
        or resend_settles(result)
        or (status_code in (429, 503) and result.outcome is not Outcome.FAILED)
    ):
        seconds, at = read_retry_after(_header(headers, "retry-after"))
        if at is not None:
            result = dataclasses.replace(
                result, retry_at=at, retry_after=None if now is None else max(0.0, at - now)
            )
        elif seconds is not None:
            result = dataclasses.replace(result, retry_after=seconds)
    if result.outcome is Outcome.FAILED and obj is not None and operation in _CARD_OPERATIONS:
        # A declined card payment: the network's advice refines it (payerr.networks._advice).
        card = CARD_READERS.get(table.adapter)
        if card is not None:
            advice = card(obj)
            if advice is not None:
                from payerr.networks._advice import refine  # noqa: PLC0415 -- a card's decline

                result = refine(result, advice)
    return result


def _read(
    table: ProviderTable, status_code: int, operation: Operation, obj: dict[str, Any]
) -> Classification:
    """An object body's verdict: its reader's, finished (pure: remembered by the table)."""
    if operation is Operation.UNKNOWN:
        operation = operation_of_body(obj)
    verdict, detail = READERS[table.adapter](table, obj, operation)
    return fit_message(_finish(table, verdict, detail, status_code, operation), operation)


_CARD_OPERATIONS = frozenset(
    {Operation.PAY, Operation.INQUIRY, Operation.NOTIFICATION, Operation.UNKNOWN}
)
"""Where a failure is a payment's: a refund's or a capture's is not the issuer's decline."""


def classify_response(
    provider: str,
    response: httpx.Response,
    *,
    registry: Registry | None = None,
    operation: Operation | str | None = None,
    first_send: bool = False,
) -> Classification:
    """Classify an ``httpx.Response``: its status, headers and (already read) body.

    A response a payerr transport or ``retry_if_retryable`` already classified (for the same
    provider, with the default registry) gives that Classification: it knows the call's
    history (an answer "duplicate" to a resend after an attempt that may have executed is
    outcome unknown, which the response alone cannot tell). A streaming response whose body
    has not been read is classified on its status alone (a 2xx is then *pending*); payerr does
    not consume the stream. An unknown code is logged as ``payerr.unknown_code``. Without
    ``operation``, the request's path names it (``/ams/api/v1/payments/inquiryRefund``), else
    the body. A repeat answer is outcome unknown unless ``first_send`` (see :func:`classify`).

    Args:
        provider: the provider id (``"antom"``, ``"paykka"``, ...).
        response: the answer, its body read (``client.post(...)`` reads it).
        registry: the mappings to read (default: the shipped ones and ``PAYERR_MAPPINGS``).
        operation: what the request was (``"refund"``, :class:`Operation`); default: read
            from the request's path, else the body.
        first_send: you know this request was never sent before: a repeat answer
            ("duplicate", HTTP 409) is then a failure, not outcome unknown.

    Returns:
        The :class:`Classification`; never raises on what the provider sent.

    Raises:
        UnknownProviderError: no mapping exists for ``provider``.
        MappingError: one of the provider's mapping files is broken.
        UsageError: ``operation``, or the ``payerr.operation`` extension of the response's
            request, is not an operation payerr knows.

    Example:
        >>> response = httpx.Response(200, json={"ret_code": "000000",
        ...                                     "data": {"status": "SUCCESS"}})
        >>> payerr.classify_response("paykka", response).outcome
        <Outcome.SUCCESS: 'success'>
    """
    if registry is None and operation is None:
        attached = classification_of(response)
        if attached is not None and attached.provider == provider:
            return attached
    try:
        body = response.content
    except Exception as exc:
        if not isinstance(exc, sys.modules["httpx"].ResponseNotRead):
            raise
        body = b""  # a stream not read: classified on its status
    table = (registry or _DEFAULT).table(provider)
    op = (
        as_operation(operation)
        if operation is not None
        else _operation_of(response, table.operation_field)
    )
    result = read_answer(
        table, response.status_code, body, response.headers, now=time.time(), operation=op
    )
    return log_unknown(result if first_send else unless_first_send(result))


_UNSET = object()


def _operation_of(response: httpx.Response, operation_field: str | None) -> Operation:
    """The operation the response's request names (its ``payerr.operation`` extension, else the
    provider's operation field in its body, else its path; unknown without a request)."""
    request = getattr(response, "_request", _UNSET)  # httpx keeps it there (None: no request)
    if request is None:
        return Operation.UNKNOWN
    if request is _UNSET:  # another httpx: its public property, which raises without one
        try:
            request = response.request
        except RuntimeError:
            return Operation.UNKNOWN
    return operation_of_request(request, operation_field)


def as_operation(operation: Operation | str | None) -> Operation:
    """An operation given as the enum, its value, or None (unknown)."""
    if operation is None:
        return Operation.UNKNOWN
    try:
        return Operation(operation.strip().lower() if isinstance(operation, str) else operation)
    except ValueError:
        known = ", ".join(o.value for o in Operation)
        raise UsageError(f"unknown operation {operation!r}; known: {known}") from None


def classification_of(response: httpx.Response) -> Classification | None:
    """The Classification a payerr transport attached to ``response``, if any.

    Args:
        response: a response a :class:`PaymentTransport` returned.

    Returns:
        Its :class:`Classification`, or None for a response no payerr transport handled.

    Example:
        >>> payerr.classification_of(httpx.Response(200)) is None
        True
    """
    value = response.extensions.get(EXTENSION_KEY)
    return value if isinstance(value, Classification) else None


def _finish(
    table: ProviderTable,
    verdict: Classification | Unresolved | None,
    detail: str | None,
    status: int,
    operation: Operation,
) -> Classification:
    """Turn an adapter's verdict into the final Classification for this response."""
    if table.scoped and operation is not Operation.UNKNOWN:
        verdict = _scope(table, verdict, operation)
    if isinstance(verdict, Classification):
        return _known(table, verdict, detail, status, operation)
    unmapped = None
    if isinstance(verdict, Unresolved):
        raw = verdict.raw_code
        why = _why(verdict)
        unmapped = verdict.unmapped
        # A known "already have it" code keeps saying so when its status field disagrees; an
        # unknown code whose words say it is a repeat answer is one ("any 'already
        # exists / already used / already paid / in progress' answer").
        entry = table.entry(raw) if raw else None
        repeat = status == 409 or (
            entry.repeat if entry is not None else _sounds_repeated(raw, detail)
        )
        if verdict.fallback is not None:
            return _fallback(table, verdict, detail, status, operation, repeat=repeat)
    else:
        raw, why, repeat = None, "", status == 409
    outcome, category, message = status_fallback(status)
    if raw:
        message += f"; code {raw!r} is not in payerr's {table.id} mapping"
    if why:
        message += f"; {why}"
    return table.unknown(
        raw,
        outcome,
        category,
        source=HTTP_STATUS,
        message=message + ".",
        action=UNKNOWN_ACTION if outcome is Outcome.PENDING else None,
        detail=detail,
        http_status=status,
        repeat=repeat,
        operation=operation,
        unmapped=unmapped,
    )


_SOUNDS_REPEATED = re.compile(
    r"duplica|dupliqu|doppel|\brepeat(ed)?\b|already|bereits|d[ée]j[àa]|\bya\s+(est|exist|pag)"
    r"|has\s+been\s+(paid|used|processed|completed|submitted|finished|closed)|\bpaid\b"
    r"|orderpaid|has\s+success|\b(being|is)\s+process|\bprocessing\b"
    r"|in\s+(progress|process|use)\b|idempoten|conflict"
    r"|(?<!not\s)(?<!n't\s)(?<!no\s)\bexists?\b|重复|已支付|已存在|已使用|已完成|处理中",
    re.IGNORECASE,
)
"""Words of a repeat answer ("Duplicate order", "order already paid", "Order exists", "request
in progress", "Idempotency-Key in use", 订单重复), read in the message and in the code itself
(``ORDER_ALREADY_PAID``), for codes the mapping does not know."""


def _sounds_repeated(raw: str | None, detail: str | None) -> bool:
    """Whether an unknown code, or its message, says the provider already has the request."""
    words = f"{(raw or '').replace('_', ' ')} {detail or ''}"
    return _SOUNDS_REPEATED.search(words) is not None


def _known(
    table: ProviderTable,
    verdict: Classification,
    detail: str | None,
    status: int,
    operation: Operation,
) -> Classification:
    """A code the mapping knows, carrying this response's message and status."""
    if not (not 200 <= status < 300 and verdict.outcome is Outcome.SUCCESS):
        if (
            verdict.detail == detail
            and verdict.http_status == status
            and verdict.operation is operation
        ):
            return verdict
        return table.in_response(verdict, detail, status, operation)
    # An error status is never success, and a body that says the operation succeeded means it
    # may have executed: outcome unknown (Architecture#the-body-beats-the-status).
    return table.unknown(
        verdict.raw_code,
        Outcome.PENDING,
        None,
        source=verdict.source,
        message=f"HTTP {status} contradicts {verdict.code}: outcome unknown.",
        detail=detail,
        http_status=status,
        operation=operation,
    )


def _fallback(
    table: ProviderTable,
    verdict: Unresolved,
    detail: str | None,
    status: int,
    operation: Operation,
    *,
    repeat: bool,
) -> Classification:
    """An unknown code (or none) where the provider's status field still says something."""
    raw, fb = verdict.raw_code, verdict.fallback
    assert fb is not None  # the caller checked
    category = f" ({fb.category})" if fb.category else ""
    entry = table.entry(raw) if raw else None
    if entry is not None:
        # The code is mapped, and the status field beside it decided: say so, with the row's
        # words and why the row did not decide (never "not in the mapping").
        outcome = Outcome.PENDING if fb.outcome is Outcome.SUCCESS else fb.outcome
        reason = _why(verdict) or f"{fb.source} disagrees with it"
        row = entry.classification(raw_code=raw, source=fb.source)
        return row.reclassified(
            outcome,
            fb.category if outcome is Outcome.FAILED else None,
            action=fb.action,
            message=(
                f"code {raw!r} is mapped ({entry.message}), but {reason}: outcome unknown."
                if fb.outcome is Outcome.PENDING
                else f"{fb.source} says {fb.outcome}{category} and code {raw!r} is mapped "
                f"({entry.message}), but {reason}: outcome {outcome}."
            ),
            detail=detail,
            http_status=status,
            repeat=repeat and outcome is Outcome.FAILED,
            operation=operation,
            unmapped=verdict.unmapped,
        )
    what = (
        f"code {raw!r} is not in payerr's {table.id} mapping" if raw else _why(verdict) or "no code"
    )
    return table.unknown(
        raw,
        fb.outcome,
        fb.category,
        source=fb.source,
        message=f"{fb.source} says {fb.outcome}{category}; {what}.",
        action=UNKNOWN_ACTION if raw else fb.action,
        detail=detail,
        http_status=status,
        repeat=repeat,
        operation=operation,
        unmapped=verdict.unmapped,
    )


def _why(verdict: Unresolved) -> str:
    """Why a reader could not decide, as a message may carry it: its quotes of provider text
    cleaned (card numbers masked, control characters gone) and cut."""
    return clean_cut(verdict.why, _MAX_WHY, "...") if verdict.why else ""


_MAX_WHY = 300


def _scope(
    table: ProviderTable, verdict: Classification | Unresolved | None, operation: Operation
) -> Classification | Unresolved | None:
    """The row scoped to this operation, where the code has one: a known code's verdict, or an
    unmapped code that only the scoped row knows (never against a status field's verdict)."""
    if isinstance(verdict, Classification):
        if resend_settles(verdict):
            # resultStatus U decided: the result is unknown, whatever the code's row for this
            # operation says (ORDER_NOT_EXIST answering an inquiry is failed only under F).
            return verdict
        return table.in_operation(verdict, operation)
    if isinstance(verdict, Unresolved) and verdict.raw_code and verdict.fallback is None:
        entry = table.scoped.get((normalize_code(verdict.raw_code), operation))
        if entry is not None:
            return entry.classification(raw_code=verdict.raw_code, source=verdict.source)
    return verdict


def _size(body: str | bytearray | memoryview) -> int:
    return body.nbytes if isinstance(body, memoryview) else len(body)


def _describe_unreadable(body: bytes) -> str | None:
    if not body:
        return None
    if len(body) > MAX_BODY_BYTES:
        return f"the body ({len(body)} bytes) is larger than payerr reads"
    return f"the body ({len(body)} bytes) is not a readable JSON object"


def _header(headers: Headers, name: str) -> str | None:
    """One header's value from ``httpx.Headers``, a mapping, an ``HTTPMessage`` or a list of
    ``(name, value)`` pairs (``http.client``'s ``getheaders()``). None when absent or odd."""
    httpx = sys.modules.get("httpx")  # not loaded: no httpx.Headers can exist
    if httpx is not None and isinstance(headers, httpx.Headers):
        value: object = headers.get(name)
        return value if isinstance(value, str) else None
    email_message = sys.modules.get("email.message")  # not loaded: no Message can exist
    if email_message is not None and isinstance(headers, email_message.Message):
        value = headers.get(name)
        return value if isinstance(value, str) else None
    if isinstance(headers, Mapping):
        value = headers.get(name)
        if value is None:
            value = next(
                (v for k, v in headers.items() if isinstance(k, str) and k.lower() == name),
                None,
            )
        if type(value) is int:
            return str(value)
        return value if isinstance(value, str) else None
    try:
        items = headers.items() if isinstance(headers, Mapping) else iter(headers)
        for pair in items:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                continue  # [name, value] lists too: the JSON form of a header list
            key, value = pair
            if isinstance(key, bytes):
                key = key.decode("latin-1")
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            elif type(value) is int:
                value = str(value)  # {"Retry-After": 7}
            if isinstance(key, str) and key.lower() == name:
                return value if isinstance(value, str) else None
    except Exception:  # an object that only pretends to be headers: no Retry-After, no crash
        return None
    return None


def log_unknown(result: Classification) -> Classification:
    """Tell the hooks when no mapping knew the code (``payerr.unknown_code`` in the logs, at
    most once a minute per code; the ``payerr.classification.unknown`` metric); the shells
    call this."""
    unmapped = result.unmapped
    if unmapped is None and (result.known or result.raw_code is None):
        return result
    hooks = _hooks.listeners(UnknownCode, result)
    if hooks:
        # A status value no list knows is named by its field (paymentStatus=PARTIAL): the code
        # beside it, if any, may be a known one.
        unknown = UnknownCode(
            provider=result.provider,
            operation=result.operation,
            code=result.code if unmapped is None else normalize_code(unmapped),
            raw_code=result.raw_code if unmapped is None else unmapped,
            status_field=None if unmapped is None else result.source,
            classification=result,
        )
        _hooks.deliver(hooks, unknown)
    return result
