"""OTT Pay's REST API: ``{"status": "SUCCESS" | "ERROR", "result": {...}}``.

apidocs.ottpay.com/api/integration: "The status attribute in the response indicates whether it
is a successful result, and the result attribute indicates the actual returned data ...
Unsuccessful responses will contain error and message in result", e.g. ``{"status": "ERROR",
"result": {"code": 10003, "message": "User does not exist"}}``. The message varies for one
code, so the code alone is matched. A refund's status is ``result.refundStatus`` (init /
success / failure), any other answer's ``result.paymentStatus`` (init, notpay, success,
canceling, failure, orderclosed, authfinish, partial_refunded, fully_refunded; a void's
cancelled); a wallet payment's answer (``payInfo``, ``paymentId``) waits for the payer.

The order in which an answer is read is :data:`RULES` (the docs' table, "How each provider's
answer is read", is generated from it).
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Classification, Operation, Outcome
from payerr._mappings.adapters.base import (
    Reading,
    Rule,
    Unresolved,
    first_answer,
    inquiry_failed,
    pending,
    resolve,
    text_of,
    unmapped_of,
    upper_of,
)
from payerr._mappings.operations import QUERIES, REFUND_OPERATIONS
from payerr._mappings.table import ProviderTable

__all__ = ["RULES", "read"]


class _Answer:
    """An answer as the rules see it: ``status``, ``result`` and its message, read once."""

    __slots__ = ("body", "detail", "operation", "result", "status", "table")

    def __init__(self, table: ProviderTable, body: dict[str, Any], operation: Operation) -> None:
        self.table = table
        self.body = body
        self.operation = operation
        self.status = upper_of(body.get("status"))
        result = body.get("result")
        self.result: dict[str, Any] = result if isinstance(result, dict) else {}
        self.detail = text_of(self.result.get("message"))


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    """An OTT Pay REST answer: the first rule of :data:`RULES` that answers."""
    return first_answer(RULES, _Answer(table, body, operation))


def _error(a: _Answer) -> Reading | None:
    if a.status != "ERROR":
        return None
    verdict = resolve(a.table, a.result.get("code"), "result.code", pending("result.code"))
    if verdict is None:
        why = "status ERROR without result.code"
        return Unresolved(None, "status", pending("status"), why=why), a.detail
    if (
        a.operation in QUERIES
        and isinstance(verdict, Classification)
        and verdict.outcome is Outcome.FAILED
    ):
        # A status query that failed is the query's failure, not the payment's (50002
        # "Timeout" answering a query says nothing of the payment it asked after).
        return inquiry_failed(a.table, verdict, "result.code", a.operation), a.detail
    return verdict, a.detail


def _unknown_status(a: _Answer) -> Reading | None:
    if a.status == "SUCCESS" or "status" not in a.body:
        return None
    why = f"status {a.body.get('status')!r} is neither SUCCESS nor ERROR"
    unmapped = unmapped_of(a.body.get("status"))
    return Unresolved(None, "status", pending("status"), why, unmapped), a.detail


def _not_this_api(a: _Answer) -> Reading | None:
    if a.status == "SUCCESS":
        return None
    return None, a.detail  # not this API's envelope: the HTTP status decides


def _not_a_payment(a: _Answer) -> Reading | None:
    if a.operation is not Operation.OTHER:
        return None
    return a.table.lookup("success", "status"), a.detail


def _no_status_yet(a: _Answer) -> Reading | None:
    field = _status_field(a.result, a.operation)
    if field in a.result:
        return None
    source = f"result.{field}"
    why = f"no {field} in the answer: the call worked, the result is not known yet"
    return Unresolved(None, source, pending(source), why=why), a.detail


def _operation_status(a: _Answer) -> Reading | None:
    field = _status_field(a.result, a.operation)
    source = f"result.{field}"
    verdict = resolve(a.table, a.result.get(field), source, pending(source))
    if verdict is None:
        return Unresolved(None, source, pending(source), why=f"{source} is empty"), a.detail
    if isinstance(verdict, Classification) and _contradicted(a.table, a.result, field, a.operation):
        why = f"{source} {verdict.code} beside an error code or a failed status"
        return Unresolved(verdict.raw_code, source, pending(source), why=why), a.detail
    return verdict, a.detail


def _contradicted(
    table: ProviderTable, result: dict[str, Any], field: str, operation: Operation
) -> bool:
    """Whether the answer says a failure elsewhere: an error's ``code`` under SUCCESS, or the
    other status field failed (a refund's success beside a failed payment)."""
    other = "paymentStatus" if field == "refundStatus" else "refundStatus"
    for name in ("code", other):
        found = resolve(table, result.get(name), f"result.{name}")
        if isinstance(found, Unresolved) and name == "code":
            return True  # an error code payerr does not know, under SUCCESS
        if isinstance(found, Classification):
            read = table.in_operation(found, operation)
            if name == "code" and read.outcome is not Outcome.SUCCESS:
                return True
            if name == other and read.outcome is Outcome.FAILED:
                return True
    return False


def _status_field(result: dict[str, Any], operation: Operation) -> str:
    """refundStatus for a refund, paymentStatus for the rest; the answer's own field when the
    operation is not known."""
    if operation in REFUND_OPERATIONS:
        return "refundStatus"
    if operation is Operation.UNKNOWN and "refundStatus" in result:
        return "refundStatus"
    return "paymentStatus"


_API = "apidocs.ottpay.com/api/integration"

RULES: tuple[Rule[_Answer], ...] = (
    Rule(
        "error",
        "status ERROR: result.code (a JSON number) decides, matched alone; none, or one "
        "payerr does not know: pending; a query's failure is the query's (pending, unless the "
        "order does not exist).",
        _API,
        _error,
    ),
    Rule(
        "unknown_status",
        "status neither SUCCESS nor ERROR: pending.",
        _API,
        _unknown_status,
    ),
    Rule(
        "not_this_api",
        "No status: not this API's envelope, the HTTP status decides.",
        _API,
        _not_this_api,
    ),
    Rule(
        "not_a_payment",
        "status SUCCESS answering a call that is no payment operation (the token API): success.",
        "apidocs.ottpay.com/api/auth-api/api/",
        _not_a_payment,
    ),
    Rule(
        "no_status_yet",
        "status SUCCESS without the operation's status (result.refundStatus for a refund, "
        "result.paymentStatus otherwise): pending, a wallet payment waits for the payer.",
        _API,
        _no_status_yet,
    ),
    Rule(
        "operation_status",
        "status SUCCESS: the operation's status decides (null or unknown: pending); beside an "
        "error code, or the other status failed: pending.",
        "apidocs.ottpay.com/api/cmp/payment-status-query-api/api/, "
        "apidocs.ottpay.com/api/local-card/refund-api/api/",
        _operation_status,
    ),
)
"""OTT Pay's REST API's precedence: the first rule that answers decides."""
