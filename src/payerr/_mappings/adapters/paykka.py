"""PayKKa: ``{ret_code, ret_msg, data}`` (docs.paykka.com).

Gateway and authentication errors carry their code in ``ret_code`` (``010000``, ``999999``,
``2060xx``) with a non-200 status. Business errors come with HTTP 200 and ``ret_code =
"000000"``: the real result is ``data.error_code`` / ``data.error_description``, read against
``data.status`` (``SUCCESS`` / ``FAILURE`` / ``PROCESSING`` ...). Some pages show the 4-digit
code straight in ``ret_code``, and the seed names the field ``errorCode``: all are accepted.

The order in which an answer is read is :data:`RULES` (the docs' table, "How each provider's
answer is read", is generated from it).
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Category, Classification, Operation, Outcome
from payerr._mappings.adapters.base import (
    Fallback,
    Finding,
    Reading,
    Rule,
    Unresolved,
    code_of,
    fallbacks,
    first_answer,
    group,
    pending,
    resolve,
    text_of,
    unmapped_of,
    upper_of,
)
from payerr._mappings.table import ProviderTable

__all__ = ["RULES", "read"]

_OK = frozenset({"000000", "0000"})  # the gateway's success, and the 4-digit one some pages show
_DATA_STATUS = fallbacks(
    "data.status",
    {
        "SUCCESS": (Outcome.SUCCESS, None),
        "SUCCEEDED": (Outcome.SUCCESS, None),
        "FAILURE": (Outcome.FAILED, Category.FINAL),
        "FAILED": (Outcome.FAILED, Category.FINAL),
        "FAIL": (Outcome.FAILED, Category.FINAL),
        "CANCELLED": (Outcome.FAILED, Category.FINAL),
        "CANCELED": (Outcome.FAILED, Category.FINAL),
        "CLOSED": (Outcome.FAILED, Category.FINAL),
        "EXPIRED": (Outcome.FAILED, Category.FINAL),
        # Documented "Gateway Order Status" values (docs.paykka.com notify webhook and Query
        # Transaction): AUTHORIZED is "Not Captured", a payment that was authorized; REFUNDED,
        # PARTIALLY_REFUNDED and PARTIALLY_REVERSED are states only a paid order reaches.
        "AUTHORIZED": (Outcome.SUCCESS, None),
        "AUTHORISED": (Outcome.SUCCESS, None),
        "REFUNDED": (Outcome.PENDING, None),  # its rows decide per operation
        "PARTIALLY_REFUNDED": (Outcome.SUCCESS, None),
        "PARTIALLY_REVERSED": (Outcome.SUCCESS, None),
        "PROCESSING": (Outcome.PENDING, None),
        "PENDING": (Outcome.PENDING, None),
        "INIT": (Outcome.PENDING, None),
    },
)
_GATEWAY_OK = "000000"
_STATUS_ROWS = frozenset({"AUTHORIZED", "REFUNDED", "PARTIALLY_REFUNDED", "PARTIALLY_REVERSED"})
# Operations whose answer carries a status: without one, the call's success says nothing of
# the result (Architecture#success-needs-a-positive-signal).
_STATUS_OPERATIONS = frozenset(
    {
        Operation.INQUIRY,
        Operation.REFUND_INQUIRY,
        Operation.NOTIFICATION,
        Operation.REFUND_NOTIFICATION,
        Operation.CAPTURE_NOTIFICATION,
    }
)
_IN_PROCESS = frozenset({"PROCESSING", "PENDING", "INIT"})
_CANCELLED = frozenset({"CANCELLED", "CANCELED", "CLOSED", "REVERSED"})
_UNREADABLE_STATUS = pending("data.status")
_CANCEL_DONE = Fallback(Outcome.SUCCESS, None, "data.status")
_AUTHORIZED = frozenset({"AUTHORIZED", "AUTHORISED"})
# Statuses that answer one operation but not another: an order still only authorized has not
# been captured, cancelled or refunded; a partly reversed or a refunded one has not been
# cancelled (a refund is not the void that was asked for: inquire).
_NOT_DONE_BY = {
    Operation.CAPTURE: _AUTHORIZED,
    Operation.CAPTURE_NOTIFICATION: _AUTHORIZED,
    # SUCCESS is the order's "Succeeded": a payment that stands was not cancelled.
    Operation.CANCEL: _AUTHORIZED
    | {"SUCCESS", "PARTIALLY_REVERSED", "REFUNDED", "PARTIALLY_REFUNDED"},
    Operation.REFUND: _AUTHORIZED | {"PARTIALLY_REVERSED"},
    Operation.REFUND_INQUIRY: _AUTHORIZED | {"PARTIALLY_REVERSED"},
    Operation.REFUND_NOTIFICATION: _AUTHORIZED | {"PARTIALLY_REVERSED"},
}


class _Answer:
    """An answer as the rules see it: the body and its ``data``, read once."""

    __slots__ = ("body", "data", "gateway", "operation", "table")

    def __init__(self, table: ProviderTable, body: dict[str, Any], operation: Operation) -> None:
        self.table = table
        self.body = body
        self.operation = operation
        self.data = body.get("data")
        self.gateway: _Gateway | None = None
        """The envelope's fields, read by the first rule after the shortcut."""


class _Gateway:
    """``ret_code`` and ``ret_msg``, and ``data.status``."""

    __slots__ = ("detail", "ok", "ret_code", "status")

    def __init__(self, answer: _Answer) -> None:
        body, data = answer.body, answer.data
        self.detail = text_of(body.get("ret_msg"))
        self.ret_code = code_of(body.get("ret_code"))
        self.status = upper_of(data.get("status")) if isinstance(data, dict) else None
        self.ok = self.ret_code is None or self.ret_code in _OK
        """The gateway did not refuse the call: ``data`` says what happened."""


def _gateway(answer: _Answer) -> _Gateway:
    if answer.gateway is None:
        answer.gateway = _Gateway(answer)
    return answer.gateway


class _Data:
    """An answer whose ``data`` decides, as its rules see it: what the order status says for
    this operation, and the message."""

    __slots__ = (
        "answer",
        "code_decides",
        "detail",
        "fallback",
        "previous",
        "status",
        "unmapped",
        "why",
    )

    def __init__(self, answer: _Answer, data: dict[str, Any], gateway: _Gateway) -> None:
        self.answer = answer
        self.status = status = gateway.status
        operation = answer.operation
        fallback = _DATA_STATUS.get(status or "")
        if operation is Operation.CANCEL and status in _CANCELLED:
            fallback = _CANCEL_DONE  # the order cancelled is the cancel's success
        self.previous = status in _NOT_DONE_BY.get(operation, ())
        if self.previous:
            fallback = pending("data.status")
        # The status does not report this operation done (the previous step's AUTHORIZED
        # answering a capture, or a status payerr does not know, or none) and is not in
        # process: a mapped failure code decides (4015 "Capture failed" beside AUTHORIZED).
        self.code_decides = (self.previous or status not in _DATA_STATUS) and (
            status not in _IN_PROCESS
        )
        self.unmapped: str | None = None
        """``data.status`` as sent, when payerr does not know it (the value to map)."""
        self.why = ""
        if fallback is None and gateway.ret_code is not None:
            sent = data.get("status")
            self.unmapped = unmapped_of(sent)
            self.why = _unknown_status(sent, self.unmapped)
            fallback = pending("data.status")
        self.fallback = fallback
        self.detail = (
            text_of(data.get("error_description")) or text_of(data.get("errorDescription"))
        ) or gateway.detail


def _unknown_status(sent: object, unmapped: str | None) -> str:
    if unmapped:
        return f"data.status {sent!r} is not a status payerr knows"
    return "data.status is missing"


def _if_data_decides(answer: _Answer) -> _Data | None:
    """``data``, and the gateway's success (or no ``ret_code``): the business result is there."""
    data, gateway = answer.data, _gateway(answer)
    if not isinstance(data, dict) or not gateway.ok:
        return None
    return _Data(answer, data, gateway)


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    """A PayKKa answer: the first rule of :data:`RULES` that answers."""
    return first_answer(RULES, _Answer(table, body, operation))


def _common_success(a: _Answer) -> Reading | None:
    body, data = a.body, a.data
    if not (
        body.get("ret_code") == _GATEWAY_OK
        and isinstance(data, dict)
        and data.get("status") == "SUCCESS"
        and a.operation is not Operation.CANCEL
        and "error_code" not in data  # asked by name: remembered by these fields alone
        and "errorCode" not in data
        and "errorCode" not in body
    ):
        return None
    # The common answer, read without the rules below (which say the same): the gateway's
    # success and an order status SUCCESS with no business code beside it. Their message: the
    # data's description, else the gateway's words.
    detail = (
        text_of(data.get("error_description"))
        or text_of(data.get("errorDescription"))
        or text_of(body.get("ret_msg"))
    )
    return a.table.lookup("0000", "data.status"), detail


def _void_answered(a: _Answer) -> Reading | None:
    g = _gateway(a)
    if a.operation is not Operation.CANCEL or g.ret_code != _GATEWAY_OK or a.data is not None:
        return None
    # The void answer documents ret_code and ret_msg only (docs.paykka.com, payments-void):
    # "000000" is the cancel's success.
    return a.table.lookup(_GATEWAY_OK, "ret_code"), g.detail


def _data_unreadable(a: _Answer) -> Reading | None:
    g = _gateway(a)
    if g.ret_code not in _OK or isinstance(a.data, dict):
        return None
    # The call worked; the business result is in data, which is missing or not an object
    # (still encrypted, say): outcome unknown, never success
    # (Architecture#success-needs-a-positive-signal).
    return Unresolved(None, "data", _UNREADABLE_STATUS, why="data is not an object"), g.detail


def _in_process_beside_error(a: _Answer) -> Reading | None:
    g = _gateway(a)
    if g.status not in _IN_PROCESS or g.ok:
        return None
    # data.status says in process beside a gateway error (999999): pending, never resent
    # (Architecture#in-process-is-pending).
    return Unresolved(None, "data.status", _UNREADABLE_STATUS), g.detail


def _cancelled(a: _Answer) -> Reading | None:
    g = _gateway(a)
    if a.operation is not Operation.CANCEL or g.status not in _CANCELLED:
        return None
    if _failure_code(a.table, a.data, a.body):
        return None
    # A cancel (or reverse) whose order is now cancelled or closed, and no failure code beside
    # it (4016 "Reversal failed" would contradict it): the cancel worked.
    return a.table.lookup("0000", "data.status"), g.detail


def _business_code(d: _Data) -> Reading | None:
    a = d.answer
    # The seed names the field errorCode; it may stand in data or beside it.
    for name, value in _codes(a.data, a.body):
        verdict = _code_against_status(d, name, value)
        if verdict is not None:
            return verdict, d.detail
    return None


def _code_against_status(d: _Data, name: str, value: object) -> Finding:
    """One business code, read against ``data.status`` (None: the field holds no code)."""
    table, operation = d.answer.table, d.answer.operation
    verdict = resolve(table, value, name, d.fallback, must_agree=True)
    if d.code_decides and isinstance(verdict, Unresolved) and verdict.raw_code:
        hit = table.lookup(verdict.raw_code, name)
        # As this operation reads it: 5014 "has been reversed" answering a void is the void's
        # success, which a status of the previous step contradicts.
        if hit is not None and table.in_operation(hit, operation).outcome is Outcome.FAILED:
            return hit
    if (
        d.previous
        and isinstance(verdict, Classification)
        and table.in_operation(verdict, operation).outcome is Outcome.SUCCESS
    ):
        # The code says this operation is done, the status that it is not: never success.
        why = f"data.status {d.status} is the previous step's, and {name} {verdict.code} says done"
        return Unresolved(verdict.raw_code, name, pending("data.status"), why=why)
    return verdict


def _order_status(d: _Data) -> Reading | None:
    a = d.answer
    status, not_done = d.status, _NOT_DONE_BY.get(a.operation, frozenset())
    if status == "SUCCESS" and status not in not_done:
        return a.table.lookup("0000", "data.status"), d.detail
    if status in _STATUS_ROWS and status not in not_done:
        # AUTHORIZED, REFUNDED ...: the status's own rows, in PayKKa's words, decide (a
        # refunded order is a done refund but no longer a payment to ship).
        row = a.table.lookup(status, "data.status")
        if row is not None:
            return row, d.detail
    if d.fallback is not None:
        # A status no list knows: the value to map (absent or null: None).
        return Unresolved(None, "data.status", d.fallback, d.why, d.unmapped), d.detail
    return None


def _gateway_code(a: _Answer) -> Reading | None:
    """The gateway's own codes, where ``data`` said nothing."""
    detail = _gateway(a).detail
    for field in ("ret_code", "errorCode", "error_code"):
        verdict = resolve(a.table, a.body.get(field), field)
        if (
            a.operation in _STATUS_OPERATIONS
            and isinstance(verdict, Classification)
            and verdict.is_success
        ):
            # "0000" says the call worked; a query's result is its data.status, which is
            # missing: pending (Architecture#success-needs-a-positive-signal).
            why = "no data.status in the answer"
            return Unresolved(None, "data.status", _UNREADABLE_STATUS, why=why), detail
        if verdict is not None:
            return verdict, detail
    return None, detail


def _failure_code(table: ProviderTable, data: object, body: dict[str, Any]) -> bool:
    """Whether the answer carries a business code that is not a success (or one payerr does
    not know)."""
    for _, value in _codes(data, body):
        if value in (None, ""):
            continue
        hit = table.lookup(value)
        if hit is None or hit.outcome is not Outcome.SUCCESS:
            return True
    return False


def _codes(data: object, body: dict[str, Any]) -> list[tuple[str, object]]:
    """Where a business code may stand, as ``(source, value)``: ``data.error_code``, the
    seed's ``errorCode`` in data or beside it."""
    inner = data if isinstance(data, dict) else {}
    return [
        ("data.error_code", inner.get("error_code")),
        ("data.errorCode", inner.get("errorCode")),
        ("errorCode", body.get("errorCode")),
    ]


_TRUTH = "Architecture: Truth rules"
_CODES = "docs.paykka.com/payments/apis/introduction/response-code"
_STATUSES = "docs.paykka.com/payments/apis/payments/openapi/notify-webhook (Gateway Order Status)"

_DATA_DECIDES: tuple[Rule[_Data], ...] = (
    Rule(
        "business_code",
        "data.error_code, else data.errorCode, else errorCode, read against data.status (they "
        "must agree); beside the previous step's status (AUTHORIZED answering a capture) a "
        "failure code decides, a success is pending.",
        f"{_CODES}; {_STATUSES}",
        _business_code,
    ),
    Rule(
        "order_status",
        "No code: data.status decides for the operation (SUCCESS; AUTHORIZED, REFUNDED ... by "
        "their own rows; another step's status, an unknown one or none: pending).",
        _STATUSES,
        _order_status,
    ),
)

RULES: tuple[Rule[_Answer], ...] = (
    Rule(
        "common_success",
        "ret_code 000000 and data.status SUCCESS with no business code beside it, answering "
        "anything but a cancel: success (the common answer, read first; the rules below say "
        "the same).",
        _STATUSES,
        _common_success,
    ),
    Rule(
        "void_answered",
        "A cancel answered with ret_code 000000 and no data (the void answer has none): the "
        "cancel's success.",
        "docs.paykka.com (payments-void)",
        _void_answered,
    ),
    Rule(
        "data_unreadable",
        "ret_code 000000 (or 0000) and data missing or not an object (still encrypted): pending.",
        _TRUTH,
        _data_unreadable,
    ),
    Rule(
        "in_process_beside_error",
        "data.status PROCESSING, PENDING or INIT beside a gateway error: pending, never resent.",
        _TRUTH,
        _in_process_beside_error,
    ),
    Rule(
        "cancelled",
        "A cancel whose order is now CANCELLED, CANCELED, CLOSED or REVERSED, and no failure "
        "code beside it: the cancel's success.",
        _STATUSES,
        _cancelled,
    ),
    group(
        "data_decides",
        "data an object, and ret_code 000000 (or none): the business result in data decides, "
        "by these rules:",
        f"{_CODES}; {_STATUSES}",
        _if_data_decides,
        _DATA_DECIDES,
    ),
    Rule(
        "gateway_code",
        "The gateway's own code: ret_code (4-digit, or 010000, 999999, 2060xx, 2100xx), else "
        "errorCode, else error_code; its success answering a query or notification, whose "
        "data.status is missing: pending. None of them: the HTTP status decides.",
        _CODES,
        _gateway_code,
    ),
)
"""PayKKa's precedence: the first rule that answers decides."""
