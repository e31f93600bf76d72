"""OTT Pay's REST API: ``{"status": "SUCCESS" | "ERROR", "result": {...}}``.

apidocs.ottpay.com/api/integration: "The status attribute in the response indicates whether it
is a successful result, and the result attribute indicates the actual returned data ...
Unsuccessful responses will contain error and message in result", e.g. ``{"status": "ERROR",
"result": {"code": 10003, "message": "User does not exist"}}``.

- ``ERROR``: ``result.code`` (a JSON number) decides; the message varies for one code, so the
  code alone is matched. An unmapped code is outcome unknown.
- ``SUCCESS``: the call worked (Architecture §3, rule 1); the operation's status
  decides: a refund's ``result.refundStatus`` (init / success / failure), any other answer's
  ``result.paymentStatus`` (init, notpay, success, canceling, failure, orderclosed, authfinish,
  partial_refunded, fully_refunded; a void's cancelled). A null, absent or unknown status is
  pending: a wallet payment's answer (``payInfo``, ``paymentId``) waits for the payer. Only a
  call that is no payment operation (the token API) succeeds on ``status`` alone.
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Classification, Operation, Outcome
from payerr._mappings.adapters.base import (
    Reading,
    Unresolved,
    inquiry_failed,
    pending,
    resolve,
    text_of,
    unmapped_of,
    upper_of,
)
from payerr._mappings.operations import QUERIES, REFUND_OPERATIONS
from payerr._mappings.table import ProviderTable

__all__ = ["read"]


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    status = upper_of(body.get("status"))
    result = body.get("result")
    result = result if isinstance(result, dict) else {}
    detail = text_of(result.get("message"))
    if status == "ERROR":
        verdict = resolve(table, result.get("code"), "result.code", pending("result.code"))
        if verdict is None:
            why = "status ERROR without result.code"
            return Unresolved(None, "status", pending("status"), why=why), detail
        if (
            operation in QUERIES
            and isinstance(verdict, Classification)
            and verdict.outcome is Outcome.FAILED
        ):
            # A status query that failed is the query's failure, not the payment's (50002
            # "Timeout" answering a query says nothing of the payment it asked after).
            return inquiry_failed(table, verdict, "result.code", operation), detail
        return verdict, detail
    if status != "SUCCESS":
        if "status" in body:
            why = f"status {body.get('status')!r} is neither SUCCESS nor ERROR"
            unmapped = unmapped_of(body.get("status"))
            return Unresolved(None, "status", pending("status"), why, unmapped), detail
        return None, detail  # not this API's envelope: the HTTP status decides
    if operation is Operation.OTHER:
        return table.lookup("success", "status"), detail
    field = _status_field(result, operation)
    source = f"result.{field}"
    if field not in result:
        why = f"no {field} in the answer: the call worked, the result is not known yet"
        return Unresolved(None, source, pending(source), why=why), detail
    verdict = resolve(table, result.get(field), source, pending(source))
    if verdict is None:
        return Unresolved(None, source, pending(source), why=f"{source} is empty"), detail
    if isinstance(verdict, Classification) and _contradicted(table, result, field, operation):
        why = f"{source} {verdict.code} beside an error code or a failed status"
        return Unresolved(verdict.raw_code, source, pending(source), why=why), detail
    return verdict, detail


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
