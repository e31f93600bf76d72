"""OTT Pay's legacy API: ``{rsp_code, rsp_msg, data, md5}`` (docs.ottpay.com/payment-api).

``rsp_code`` (Appendix B) says whether the API request was processed ("Check API request
process status by Response Code"). ``data`` is AES-encrypted on the wire (Appendix A); once the
merchant has decrypted it into an object, its fields decide:

- **A query's answer** (``STATUS_QUERY``, ``PREPAY_QUERY``, ``CC_QUERYPAY``): ``rspCode`` /
  ``rspMsg`` are the *inquiry's* own "Inquiry Response code" and only say the query worked; the
  payment's state is ``status`` (``PREPAY_QUERY``: "SUCCESS": payment successfully,
  "ORDERCLOSE": payment fail, "PROCESSING": payment on processing) or ``order_status``
  (``STATUS_QUERY``, ``CC_QUERYPAY``). Only that state decides; a null, absent or unknown one
  is pending. A query that itself failed says nothing of the payment (pending), unless the
  provider's code says the order does not exist (Architecture §3, rule 6) or the
  query could not be made (retryable, merchant-config: "we could not check").
- **Any other answer** (a pay's, a refund's): ``respcode`` (in-app UnionPay), ``rspCode``
  (``CC_PURCHASE``: "Returned by the Payment Service Provider (e.g. "PROCESSING")"),
  ``status`` or ``order_status`` (``PASSIVEPAY``) decide, and must agree. A decrypted answer
  with none of them (``ACTIVEPAY``'s ``code_url``, ``H5PAY``'s ``payinfo``: the payer has yet to
  pay) is pending, never success.
- ``data`` still encrypted (a string) cannot be read: pending, unless ``rsp_code`` says the
  request was refused.

An answer without the operation named (no path, no ``action``) whose data carries ``rspCode``
beside ``status`` or ``order_status`` has a query's documented shape, and is read as one.
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import Classification, Operation, Outcome
from payerr._mappings.adapters.base import (
    Fallback,
    Reading,
    Unresolved,
    inquiry_failed,
    pending,
    resolve,
    text_of,
)
from payerr._mappings.operations import QUERIES
from payerr._mappings.table import ProviderTable

__all__ = ["read"]

# The payment's state in a query's decrypted data: PREPAY_QUERY's status, STATUS_QUERY's and
# CC_QUERYPAY's order_status; respcode, which no query page documents, as a last resort.
_STATE_FIELDS = ("status", "order_status", "respcode")
# Where any other decrypted answer carries its transaction's state.
_DATA_FIELDS = ("respcode", "rspCode", "status", "order_status")
_REFUNDS = frozenset({Operation.REFUND, Operation.REFUND_NOTIFICATION})


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    detail = text_of(body.get("rsp_msg"))
    envelope = resolve(table, body.get("rsp_code"), "rsp_code")
    refused = isinstance(envelope, Classification) and envelope.outcome is Outcome.FAILED
    data = body.get("data")
    if isinstance(data, dict):
        data_detail = text_of(data.get("respmsg")) or text_of(data.get("rspMsg")) or detail
        if operation in QUERIES or (
            operation is Operation.UNKNOWN
            and "rspCode" in data
            and ("status" in data or "order_status" in data)
        ):
            return _query(table, data, envelope, operation), data_detail
        return _answer(table, data, envelope, operation), data_detail
    if isinstance(data, str) and data.strip() and not refused:
        if isinstance(envelope, Classification) and envelope.outcome is Outcome.PENDING:
            return envelope, detail
        why = "data is still encrypted: decrypt it (Appendix A) and classify the decrypted answer"
        return Unresolved(None, "data", pending("data"), why=why), detail
    if operation in QUERIES and refused:
        return inquiry_failed(table, envelope, "rsp_code", operation), detail
    if isinstance(envelope, Classification) and envelope.code == "SUCCESS":
        # rsp_code SUCCESS says the API request was processed ("Check API request process
        # status by Response Code"); what it did is in data, which every answer carries
        # ("data | Encrypted Data | Y"). Missing or not an object: pending, never success
        # (Architecture §3, rule 1). Codes that name a state themselves
        # (REFUND_SUCCESS, PARTIAL_REFUNDED ...) decide on their own.
        why = "no decrypted data to read the transaction's state from"
        return Unresolved(None, "data", pending("data"), why=why), detail
    return envelope, detail


def _query(
    table: ProviderTable,
    data: dict[str, Any],
    envelope: Classification | Unresolved | None,
    operation: Operation,
) -> Classification | Unresolved:
    """A query's decrypted answer: the inquiry's codes say whether it worked, the payment's
    state decides."""
    inquiry = resolve(table, data.get("rspCode"), "data.rspCode")
    if envelope is None or ("rspCode" in data and inquiry is None):
        # Both are required ("rsp_code | Response code | Y", "rspCode | Inquiry Response code
        # | Y"): missing, null or empty, the answer does not say the query worked.
        field = "rsp_code" if envelope is None else "data.rspCode"
        why = f"{field} is missing or empty: the answer does not say the query worked"
        return Unresolved(None, field, pending(field), why=why)
    for field, verdict in (("rsp_code", envelope), ("data.rspCode", inquiry)):
        if verdict is None or (
            isinstance(verdict, Classification) and verdict.outcome is Outcome.SUCCESS
        ):
            continue
        if isinstance(verdict, Classification) and verdict.outcome is Outcome.FAILED:
            if any(f in data for f in _STATE_FIELDS):
                # The inquiry says it failed, yet its data names the payment's state: they
                # contradict each other, so neither decides.
                why = f"{field} {verdict.code} says the inquiry failed, yet data names a state"
                return Unresolved(verdict.raw_code, field, pending(field), why=why)
            return inquiry_failed(table, verdict, field, operation)
        raw = verdict.raw_code
        why = f"the inquiry's own code ({field} {raw!r}) is not a success"
        return Unresolved(raw, field, pending(field), why=why)
    fields = [f for f in _STATE_FIELDS if f in data]
    deciding = [f for f in fields if f != "respcode"]
    if not deciding:
        # respcode is documented on a pay's answer only: alone, it says nothing of what the
        # query found (docs.ottpay.com: PREPAY_QUERY's status, STATUS_QUERY's order_status).
        why = "no payment status (status or order_status) in the query's answer"
        return Unresolved(None, "data.status", pending("data.status"), why=why)
    states = [resolve(table, data.get(f), f"data.{f}", pending(f"data.{f}")) for f in fields]
    source = f"data.{deciding[0]}"
    state = states[fields.index(deciding[0])]
    if any(s is None for s in states):
        empty = next(f for f, s in zip(fields, states, strict=True) if s is None)
        return Unresolved(
            None, f"data.{empty}", pending(f"data.{empty}"), why=f"data.{empty} is empty"
        )
    if len(states) > 1 and (
        any(not isinstance(s, Classification) for s in states)
        or len(
            {
                table.in_operation(s, operation).outcome
                for s in states
                if isinstance(s, Classification)
            }
        )
        > 1
    ):
        # Two fields name the payment's state and disagree: never success, nor failed.
        why = "the decrypted status fields disagree: " + ", ".join(
            f"{f}={data.get(f)!r}" for f in fields
        )
        return Unresolved(None, source, pending(source), why=why)
    assert state is not None  # checked above
    if operation is Operation.REFUND_INQUIRY and not _names_a_refund(state):
        # The query pages describe the payment's status ("SUCCESS": payment successfully,
        # "ORDERCLOSE": payment fail): the payment's state is no refund's result.
        why = f"{source} names the payment's state, not the refund's"
        return Unresolved(None, source, pending(source), why=why)
    return state


def _names_a_refund(verdict: Classification | Unresolved | None) -> bool:
    """Whether a state code speaks of a refund (REFUND_SUCCESS, FULLY_REFUNDED, REF_...), not
    of the payment (SUCCESS, ORDERCLOSE, PROCESSING)."""
    if not isinstance(verdict, Classification):
        return False
    return "REFUND" in verdict.code or verdict.code.startswith("REF_")


def _answer(
    table: ProviderTable,
    data: dict[str, Any],
    envelope: Classification | Unresolved | None,
    operation: Operation,
) -> Classification | Unresolved | None:
    """A pay's or a refund's decrypted answer: its state fields decide, and must agree."""
    fallback = None
    if isinstance(envelope, Classification) and envelope.outcome is Outcome.FAILED:
        fallback = Fallback(Outcome.FAILED, envelope.category, "rsp_code")
    found = [name for name in _DATA_FIELDS if name in data]
    verdicts = [resolve(table, data.get(name), f"data.{name}", fallback) for name in found]
    readings = [v for v in verdicts if v is not None]
    if (
        operation is Operation.UNKNOWN
        and found == ["rspCode"]
        and readings
        and isinstance(readings[0], Classification)
        and readings[0].outcome is Outcome.SUCCESS
    ):
        # rspCode alone: a card pay's PSP code (CC_PURCHASE) or a query's "Inquiry Response
        # code", which says nothing of the payment. Without the operation: never success.
        why = "data.rspCode alone, and no operation named (a query's rspCode is the inquiry's)"
        return Unresolved(None, "data.rspCode", pending("data.rspCode"), why=why)
    if readings and len(readings) < len(found):
        # A state field is there, and empty (status null beside respcode SUCCESS): what it
        # would say is not known, so the others cannot decide alone.
        empty = next(n for n, v in zip(found, verdicts, strict=True) if v is None)
        why = f"data.{empty} is empty"
        return Unresolved(None, f"data.{empty}", pending(f"data.{empty}"), why=why)
    if readings:
        verdict = readings[0]
        outcomes = {
            table.in_operation(v, operation).outcome
            for v in readings
            if isinstance(v, Classification)
        }
        if len(outcomes) > 1 or (
            len(readings) > 1 and any(isinstance(v, Unresolved) for v in readings)
        ):
            # Two of the decrypted fields disagree (respcode SUCCESS, status ORDERCLOSE):
            # never success, nor a claim of failure (Architecture §3, rule 2).
            why = "the decrypted status fields disagree: " + ", ".join(
                f"{name}={data.get(name)!r}" for name in found
            )
            return Unresolved(None, f"data.{found[0]}", pending(f"data.{found[0]}"), why=why)
        if (
            isinstance(verdict, Classification)
            and table.in_operation(verdict, operation).outcome is Outcome.SUCCESS
            and not (
                isinstance(envelope, Classification)
                and table.in_operation(envelope, operation).outcome is Outcome.SUCCESS
            )
        ):
            # The data says success while rsp_code says the request failed, is in process, or
            # is missing (it is required: "rsp_code | Response code | Y"): a disagreement, or
            # half an answer, is never success.
            shown = envelope.code if isinstance(envelope, Classification) else "no rsp_code"
            why = f"rsp_code {shown}, data.{found[0]} says {verdict.code}"
            source = f"data.{found[0]}"
            return Unresolved(verdict.raw_code, source, pending(source), why=why)
        if (
            operation in _REFUNDS
            and isinstance(verdict, Classification)
            and table.in_operation(verdict, operation).outcome is Outcome.SUCCESS
            and not _names_a_refund(verdict)
        ):
            # SUCCESS (payment successfully), ORDERCLOSE ...: the payment's state, which says
            # nothing of the refund asked for.
            why = f"data.{found[0]} names the payment's state, not the refund's"
            return Unresolved(None, f"data.{found[0]}", pending(f"data.{found[0]}"), why=why)
        if (
            operation is Operation.CANCEL
            and isinstance(verdict, Classification)
            and verdict.code == "SUCCESS"
        ):
            # "SUCCESS": payment successfully: the payment stands, so it was not cancelled.
            why = f"data.{found[0]} SUCCESS says the payment stands, not that it was cancelled"
            return Unresolved(None, f"data.{found[0]}", pending(f"data.{found[0]}"), why=why)
        return verdict
    if fallback is not None:
        return envelope  # the request was refused; its data names no state
    if found:
        # The field that decides is there, and empty: a successful rsp_code (the call worked)
        # says nothing of the payment (Architecture §3, rule 1).
        why = f"data.{found[0]} is empty"
        return Unresolved(None, f"data.{found[0]}", pending(f"data.{found[0]}"), why=why)
    if isinstance(envelope, Classification) and envelope.outcome is Outcome.SUCCESS:
        # ACTIVEPAY's code_url, H5PAY's payinfo: the order exists, the payer has yet to pay.
        why = (
            "the decrypted data carries no transaction state (respcode, rspCode, status or "
            "order_status): a code_url or payinfo answer waits for the payer"
        )
        return Unresolved(None, "data.respcode", pending("data.respcode"), why=why)
    return envelope
