"""PayKKa: ``{ret_code, ret_msg, data}`` (docs.paykka.com).

Gateway and authentication errors carry their code in ``ret_code`` (``010000``, ``999999``,
``2060xx``) with a non-200 status. Business errors come with HTTP 200 and ``ret_code =
"000000"``: the real result is ``data.error_code`` / ``data.error_description``, read against
``data.status`` (``SUCCESS`` / ``FAILURE`` / ``PROCESSING`` ...). Some pages show the 4-digit
code straight in ``ret_code``, and the seed names the field ``errorCode``: all are accepted.
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Category, Classification, Operation, Outcome
from payerr._mappings.adapters.base import (
    Fallback,
    Reading,
    Unresolved,
    code_of,
    fallbacks,
    pending,
    resolve,
    text_of,
    unmapped_of,
    upper_of,
)
from payerr._mappings.table import ProviderTable

__all__ = ["read"]

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
# the result (Architecture §3, rule 1).
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


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    data = body.get("data")
    if (
        body.get("ret_code") == _GATEWAY_OK
        and isinstance(data, dict)
        and data.get("status") == "SUCCESS"
        and operation is not Operation.CANCEL
        and "error_code" not in data  # asked by name: remembered by these fields alone
        and "errorCode" not in data
        and "errorCode" not in body
    ):
        # The common answer, read without the general path: the gateway's success and an
        # order status SUCCESS with no business code beside it.
        # The general path's message: the data's description, else the gateway's words.
        detail = (
            text_of(data.get("error_description"))
            or text_of(data.get("errorDescription"))
            or text_of(body.get("ret_msg"))
        )
        return table.lookup("0000", "data.status"), detail
    detail = text_of(body.get("ret_msg"))
    ret_code = code_of(body.get("ret_code"))
    expects_data = ret_code in _OK or "data" in body or operation in _STATUS_OPERATIONS
    if operation is Operation.CANCEL and ret_code == _GATEWAY_OK and data is None:
        # The void answer documents ret_code and ret_msg only (docs.paykka.com, payments-void):
        # "000000" is the cancel's success.
        return table.lookup(_GATEWAY_OK, "ret_code"), detail
    if ret_code in _OK and expects_data and not isinstance(data, dict):
        # The call worked; the business result is in data, which is missing or not an object
        # (still encrypted, say): outcome unknown, never success (Architecture §3, rule 1).
        return Unresolved(None, "data", _UNREADABLE_STATUS, why="data is not an object"), detail
    status = upper_of(data.get("status")) if isinstance(data, dict) else None
    if status in _IN_PROCESS and not (ret_code is None or ret_code in _OK):
        # data.status says in process beside a gateway error (999999): pending, never resent
        # (Architecture §3, rule 5).
        return Unresolved(None, "data.status", _UNREADABLE_STATUS), detail
    if (
        operation is Operation.CANCEL
        and status in _CANCELLED
        and not _failure_code(table, data, body)
    ):
        # A cancel (or reverse) whose order is now cancelled or closed, and no failure code
        # beside it (4016 "Reversal failed" would contradict it): the cancel worked.
        return table.lookup("0000", "data.status"), detail
    if isinstance(data, dict) and (ret_code is None or ret_code in _OK):
        found = _read_data(table, body, data, status, operation, ret_code=ret_code, detail=detail)
        if found is not None:
            return found
    return _read_envelope(table, body, operation, detail)


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


def _read_data(
    table: ProviderTable,
    body: dict[str, Any],
    data: dict[str, Any],
    status: str | None,
    operation: Operation,
    *,
    ret_code: str | None,
    detail: str | None,
) -> Reading | None:
    """The business result in ``data``: its error code, else its order status (None: the
    envelope's own codes decide)."""
    fallback = _DATA_STATUS.get(status or "")
    if operation is Operation.CANCEL and status in _CANCELLED:
        fallback = _CANCEL_DONE  # the order cancelled is the cancel's success
    previous = status in _NOT_DONE_BY.get(operation, ())
    if previous:
        fallback = pending("data.status")
    # The status does not report this operation done (the previous step's AUTHORIZED
    # answering a capture, or a status payerr does not know, or none) and is not in process:
    # a mapped failure code decides (4015 "Capture failed" beside AUTHORIZED).
    code_decides = (previous or status not in _DATA_STATUS) and status not in _IN_PROCESS
    unmapped = None
    if fallback is None and ret_code is not None:
        sent = data.get("status")
        unmapped = unmapped_of(sent)
        why = (
            f"data.status {sent!r} is not a status payerr knows"
            if unmapped
            else "data.status is missing"
        )
        fallback = pending("data.status")
    else:
        why = ""
    data_detail = text_of(data.get("error_description")) or text_of(data.get("errorDescription"))
    # The seed names the field errorCode; it may stand in data or beside it.
    for name, value in _codes(data, body):
        verdict = resolve(table, value, name, fallback, must_agree=True)
        if code_decides and isinstance(verdict, Unresolved) and verdict.raw_code:
            hit = table.lookup(verdict.raw_code, name)
            # As this operation reads it: 5014 "has been reversed" answering a void is the
            # void's success, which a status of the previous step contradicts.
            if hit is not None and table.in_operation(hit, operation).outcome is Outcome.FAILED:
                return hit, data_detail or detail
        if (
            previous
            and isinstance(verdict, Classification)
            and table.in_operation(verdict, operation).outcome is Outcome.SUCCESS
        ):
            # The code says this operation is done, the status that it is not: never success.
            why = (
                f"data.status {status} is the previous step's, and {name} {verdict.code} says done"
            )
            return Unresolved(verdict.raw_code, name, pending("data.status"), why=why), (
                data_detail or detail
            )
        if verdict is not None:
            return verdict, data_detail or detail
    if status == "SUCCESS" and not _NOT_DONE_BY.get(operation, frozenset()) & {status}:
        return table.lookup("0000", "data.status"), data_detail or detail
    if status in _STATUS_ROWS and status not in _NOT_DONE_BY.get(operation, ()):
        # AUTHORIZED, REFUNDED ...: the status's own rows, in PayKKa's words, decide (a
        # refunded order is a done refund but no longer a payment to ship).
        row = table.lookup(status, "data.status")
        if row is not None:
            return row, data_detail or detail
    if fallback is not None:
        # A status no list knows: the value to map (absent or null: None).
        return Unresolved(None, "data.status", fallback, why, unmapped), data_detail or detail
    return None


def _read_envelope(
    table: ProviderTable, body: dict[str, Any], operation: Operation, detail: str | None
) -> Reading:
    """The gateway's own codes, where ``data`` said nothing."""
    for field in ("ret_code", "errorCode", "error_code"):
        verdict = resolve(table, body.get(field), field)
        if (
            operation in _STATUS_OPERATIONS
            and isinstance(verdict, Classification)
            and verdict.is_success
        ):
            # "0000" says the call worked; a query's result is its data.status, which is
            # missing: pending (Architecture §3, rule 1).
            why = "no data.status in the answer"
            return Unresolved(None, "data.status", _UNREADABLE_STATUS, why=why), detail
        if verdict is not None:
            return verdict, detail
    return None, detail
