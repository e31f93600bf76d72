"""Antom and Alipay+ envelopes: ``result`` with ``resultStatus`` S/F/U, and the payment's result.

Precedence (Architecture §5; docs.antom.com/ac/ams/paymentri_online, .../paymentrn_online):

1. When ``result.resultStatus`` is S or absent, the payment's own result decides: Alipay+'s
   ``paymentResult`` envelope, else ``paymentResultCode`` checked against ``paymentStatus``
   (SUCCESS / FAIL / PROCESSING / PENDING / CANCELLED / UNKNOWN). For inquiry, ``result`` only
   says the inquiry call worked.
2. ``notifyType = PAYMENT_PENDING`` with ``resultStatus = S`` means "being processed".
3. ``result.resultCode``: ``U`` is never failed. With a mapped code that is not in process (or
   whose row is marked ``resend``) it means "unknown: resend the same request id, or inquire":
   pending, with :data:`~payerr._mappings.unknown.RESEND_SOURCE` as its source, which the transports
   resend when the request is replay-safe; ``U`` with a code payerr does not know is pending
   and never resent (it may be in process).
4. A forwarded SDK event: top-level ``code`` (``SDK_PAYMENT_FAIL`` defers to a
   ``paymentResultCode`` in the event's ``result``, step 1), or ``errorCode`` / ``resultCode``.
"""

from __future__ import annotations

from typing import Any

from payerr._core.taxonomy import (
    Category,
    Classification,
    NetworkAdvice,
    Operation,
    Outcome,
)
from payerr._mappings.adapters.base import (
    Fallback,
    Finding,
    Reading,
    Unresolved,
    code_of,
    fallbacks,
    inquiry_failed,
    pending,
    resolve,
    text_of,
    unmapped_of,
    upper_of,
)
from payerr._mappings.operations import QUERIES, operation_of_body
from payerr._mappings.table import ProviderTable
from payerr._mappings.unknown import RESEND_SOURCE, UNKNOWN_RESULT_ACTION

__all__ = ["read", "read_card"]

_RESULT_STATUS = {
    "S": (Outcome.SUCCESS, None),
    "F": (Outcome.FAILED, Category.FINAL),
    # U: "the result is unknown" (docs.antom.com/ac/ams/api_fund: resultStatus U "Unknown";
    # docs.antom.com/ac/ams/idempotency: resend the same request id, or inquire). Never failed.
    "U": (Outcome.PENDING, None),
}
_ENVELOPE_FALLBACKS = {
    prefix: fallbacks(f"{prefix}.resultStatus", _RESULT_STATUS)
    for prefix in ("result", "paymentResult")
}
# U without a code: unknown, settled by resending the same request id or by an inquiry.
_ENVELOPE_FALLBACKS["result"]["U"] = Fallback(
    Outcome.PENDING, None, RESEND_SOURCE, UNKNOWN_RESULT_ACTION
)
_PAYMENT_FALLBACKS = fallbacks(
    "paymentStatus",
    {
        "SUCCESS": (Outcome.SUCCESS, None),
        "FAIL": (Outcome.FAILED, Category.FINAL),
        "CANCELLED": (Outcome.FAILED, Category.FINAL),
        "PROCESSING": (Outcome.PENDING, None),
        "PENDING": (Outcome.PENDING, None),
        "UNKNOWN": (Outcome.PENDING, None),
    },
)
_NOTIFY_PENDING = pending("notifyType")
_UNKNOWN_PAYMENT = pending("paymentStatus")
# The status field that decides each operation (Architecture §5; SDK 1.7.1 response
# classes).
_STATUS_FIELDS = {
    Operation.REFUND: "refundStatus",
    Operation.REFUND_INQUIRY: "refundStatus",
    Operation.REFUND_NOTIFICATION: "refundStatus",
    Operation.VAULTING: "vaultingStatus",
    Operation.VAULTING_INQUIRY: "vaultingStatus",
    Operation.VAULTING_NOTIFICATION: "vaultingStatus",
    Operation.CAPTURE: "captureStatus",
    Operation.CAPTURE_NOTIFICATION: "captureStatus",
    Operation.CANCEL: "cancelStatus",
}
# These always carry their status when result is S (SDK 1.7.1: AlipayInquiryRefundResponse,
# AlipayRefundNotify, AlipayVaultingQueryResponse); a missing one is pending.
_STATUS_REQUIRED = frozenset(
    {Operation.REFUND_INQUIRY, Operation.REFUND_NOTIFICATION, Operation.VAULTING_INQUIRY}
)
# Fields that decide whenever an answer carries them (Architecture §3, rule 1).
_OPERATION_FIELDS = ("refundStatus", "vaultingStatus", "captureStatus", "cancelStatus")
_NEEDS_PAYMENT_RESULT = frozenset({Operation.INQUIRY, Operation.NOTIFICATION})
_NOTIFIED = frozenset(
    {
        Operation.NOTIFICATION,
        Operation.REFUND_NOTIFICATION,
        Operation.CAPTURE_NOTIFICATION,
        Operation.VAULTING_NOTIFICATION,
    }
)
_PENDING = {f: pending(f) for f in _OPERATION_FIELDS}
_FAIL = {f: Fallback(Outcome.FAILED, Category.FINAL, f) for f in _OPERATION_FIELDS}
_SUCCESS = {f: Fallback(Outcome.SUCCESS, None, f) for f in _OPERATION_FIELDS}
# Codes whose row stands for a whole paymentStatus when no usable paymentResultCode came with it.
_STATUS_CODE = {
    "SUCCESS": "SUCCESS",
    "PROCESSING": "PAYMENT_IN_PROCESS",
    "PENDING": "PAYMENT_IN_PROCESS",
}


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    """An Antom or Alipay+ answer, in the precedence the module docstring lists. A little over
    60 lines on purpose: each early return is one rule of that list, in its order."""
    result = body.get("result")
    result = result if isinstance(result, dict) else None
    status = upper_of(result.get("resultStatus")) if result is not None else None
    detail = text_of(result.get("resultMessage")) if result is not None else None
    if operation is Operation.UNKNOWN:
        operation = operation_of_body(body)
    if operation is Operation.OTHER and "notifyType" in body:
        # A notification payerr does not know (a new notifyType): what it reports is not known,
        # so it is never success (Architecture §3, rule 1).
        why = f"notifyType {body.get('notifyType')!r} is not one payerr knows"
        return Unresolved(None, "notifyType", _NOTIFY_PENDING, why=why), detail
    own = _STATUS_FIELDS.get(operation)
    if status in ("F", "U") and own is not None and own in body:
        said = upper_of(body.get(own))
        if said != "FAIL":
            # result says the operation failed (or is unknown) while its own status says
            # otherwise: a disagreement is pending, never failed (Architecture §3, rule 2).
            why = f"resultStatus {status} contradicts {own} {body.get(own)!r}"
            return Unresolved(None, own, _PENDING[own], why=why), detail

    if status in (None, "S"):
        if own is not None and (own in body or operation in _STATUS_REQUIRED):
            # The operation's own status decides; result only says the call worked
            # (Architecture §3, rule 1).
            return _operation_status(table, body, own), detail
        foreign = next((f for f in _OPERATION_FIELDS if f in body and f != own), None)
        if foreign is None and own is not None and "paymentStatus" in body:
            foreign = "paymentStatus"  # a payment's status beside a refund, capture ...
        if foreign is not None:
            # Another operation's status in this answer (a refundStatus beside a payment
            # inquiry): it does not decide this operation, and nothing else can be trusted.
            why = f"{foreign} in an answer to {operation}"
            return Unresolved(None, foreign, pending(foreign), why=why), detail
        if (
            table.adapter == "alipay_plus"
            and operation in _NEEDS_PAYMENT_RESULT
            and ("paymentResult" not in body and "paymentStatus" not in body)
        ):
            # Alipay+ inquiry and notifications carry the payment's result in paymentResult
            # (Architecture §5); without it, result S only says the call worked.
            why = "no paymentResult in an Alipay+ inquiry or notification"
            return Unresolved(None, "paymentResult", _UNKNOWN_PAYMENT, why=why), detail
        reading = _payment(table, body, result, operation)
        if reading is not None:
            return reading

    if status == "S" and upper_of(body.get("notifyType")) == "PAYMENT_PENDING":
        in_process = table.lookup("PAYMENT_IN_PROCESS", "notifyType")
        return in_process or Unresolved(None, "notifyType", _NOTIFY_PENDING), detail

    if result is not None:
        verdict = _envelope(table, result, "result", unknown_is_pending=operation in _NOTIFIED)
        if operation in QUERIES:
            # An inquiry's result "only indicates whether the inquiryPayment API is called
            # successfully" (docs.antom.com/ac/ams/paymentri_online): its failure is the
            # inquiry's, not the payment's.
            if isinstance(verdict, Classification) and verdict.outcome is Outcome.FAILED:
                return inquiry_failed(table, verdict, "result.resultCode", operation), detail
            fallback = verdict.fallback if isinstance(verdict, Unresolved) else None
            if isinstance(verdict, Unresolved) and fallback and fallback.outcome is Outcome.FAILED:
                why = "the inquiry itself failed: it says nothing of the payment"
                source = verdict.source
                return Unresolved(verdict.raw_code, source, pending(source), why=why), detail
        if verdict is not None:
            return verdict, detail

    for field in ("code", "errorCode", "resultCode"):
        verdict = resolve(table, body.get(field), field)
        if verdict is not None:
            return verdict, text_of(body.get("message")) or text_of(
                body.get("errorMessage")
            ) or detail
    return None, detail


def _envelope(
    table: ProviderTable, env: dict[str, Any], prefix: str, *, unknown_is_pending: bool = False
) -> Finding:
    """``{resultCode, resultStatus}``: the code decides, read in the light of the status.

    ``unknown_is_pending``: a ``U`` here reports a payment's state (a notification, Alipay+'s
    ``paymentResult``), not a call to resend: outcome unknown, never "try again".
    """
    status = upper_of(env.get("resultStatus"))
    if status == "U" and unknown_is_pending:
        code = code_of(env.get("resultCode"))
        raw = code if isinstance(code, str) else None
        hit = table.lookup(raw, f"{prefix}.resultCode") if raw else None
        entry = table.entry(raw) if hit is not None else None
        if hit is not None and hit.outcome is Outcome.PENDING and not (entry and entry.resend):
            return hit
        # A state report's U (an unknown result in a notification or in Alipay+'s
        # paymentResult): nothing for the merchant to resend; inquire.
        return Unresolved(raw, f"{prefix}.resultStatus", pending(prefix))
    fallback = _ENVELOPE_FALLBACKS[prefix].get(status or "")
    source = f"{prefix}.resultCode"
    verdict = resolve(table, env.get("resultCode"), source, fallback)
    if verdict is None:
        return Unresolved(None, fallback.source, fallback) if fallback is not None else None
    garbled = fallback is None and "resultStatus" in env
    if garbled and isinstance(verdict, Classification) and verdict.outcome is Outcome.SUCCESS:
        # resultStatus is there but is not S/F/U: the success cannot be confirmed.
        why = f"resultStatus {env.get('resultStatus')!r} is not S, F or U"
        unsure = pending(source)
        return Unresolved(verdict.raw_code, source, unsure, why)
    if isinstance(verdict, Unresolved) and status == "U":
        # U with a code payerr does not know: the docs say U "might be successful, in process,
        # or failed". Only the codes whose rows say "call again" are resent; an unmapped one
        # (PAYMENT_PROCESSING, USER_PAYING ...) may be in process: pending (Architecture §3,
        # rule 5).
        return Unresolved(verdict.raw_code, source, pending(source))
    if isinstance(verdict, Unresolved) or fallback is None:
        return verdict
    if status == "U":
        # Unknown result: pending, settled by resending the same request id or by an inquiry,
        # unless the code's own row says in process (never resent: Architecture §3,
        # rule 5). Never failed, whatever the code's row says elsewhere.
        entry = table.entry(verdict.raw_code)
        if verdict.outcome is Outcome.PENDING and not (entry is not None and entry.resend):
            return verdict
        action = entry.action if entry is not None and entry.resend else UNKNOWN_RESULT_ACTION
        return verdict.reclassified(Outcome.PENDING, action=action, source=RESEND_SOURCE)
    if fallback.outcome is not verdict.outcome:
        if verdict.outcome is Outcome.PENDING:
            # in process beside F: pending, never failed (Architecture §3, rule 5)
            return verdict
        # SUCCESS beside F, a failure code beside S: they contradict each other, so neither
        # success nor failed (Architecture §3, rules 1 and 2).
        return Unresolved(
            verdict.raw_code,
            source,
            pending(source),
            why=f"resultStatus {status} contradicts {verdict.code}",
        )
    return verdict


def _operation_status(table: ProviderTable, body: dict[str, Any], field: str) -> Finding:
    """``refundStatus`` / ``vaultingStatus`` (SUCCESS / FAIL / PROCESSING): the operation's
    result. A value payerr does not know, or none, is pending (Architecture §3, rule 1)."""
    value = upper_of(body.get(field))
    code = body.get("vaultingResultCode") if field == "vaultingStatus" else None
    if value == "SUCCESS":
        if code is not None:
            # SUCCESS comes with the code SUCCESS (SDK: vaulting_result_code); any other code
            # is a disagreement, which is never success.
            verdict = resolve(table, code, "vaultingResultCode", _SUCCESS[field], must_agree=True)
            if verdict is not None:
                return verdict
        return table.lookup("SUCCESS", field) or Unresolved(None, field, _PENDING[field])
    if value == "PROCESSING":
        hit = table.lookup("VERIFICATION_IN_PROCESS", field) if field == "vaultingStatus" else None
        return hit or Unresolved(None, field, _PENDING[field])
    if value == "FAIL":
        failed = _FAIL[field]
        if field == "vaultingStatus":
            # FAIL carries the card scheme's, issuer's or acquirer's code (SDK 1.7.1,
            # alipay_vaulting_query_response.py: vaultingResultCode).
            verdict = resolve(table, code, "vaultingResultCode", failed, must_agree=True)
            if verdict is not None:
                return verdict
        return Unresolved(None, field, failed)
    shown = repr(body.get(field)) if field in body else "missing"
    return Unresolved(None, field, _PENDING[field], why=f"{field} is {shown}")


def _payment(
    table: ProviderTable,
    body: dict[str, Any],
    result: dict[str, Any] | None,
    operation: Operation,
) -> Reading | None:
    """The payment's own result, when the body carries one.

    Longer than 60 lines on purpose: it walks Antom's documented places for a payment's result
    (``paymentResult``, ``paymentStatus`` with ``paymentResultCode``, the wrapper) in the
    order Architecture §5 gives, and splitting it would scatter that order."""
    payment_result = body.get("paymentResult")
    if isinstance(payment_result, dict):  # Alipay+ inquiry and notifications
        verdict = _envelope(table, payment_result, "paymentResult", unknown_is_pending=True)
        if verdict is not None:
            said = _PAYMENT_FALLBACKS.get(upper_of(body.get("paymentStatus")) or "")
            if (
                "paymentStatus" in body
                and isinstance(verdict, Classification)
                and (said is None or said.outcome is not verdict.outcome)
            ):
                # paymentStatus beside paymentResult disagrees (or is unreadable): a
                # disagreement is never success, nor a claim of failure.
                why = f"paymentStatus {body.get('paymentStatus')!r} contradicts {verdict.code}"
                unmapped = unmapped_of(body.get("paymentStatus")) if said is None else None
                return Unresolved(
                    verdict.raw_code, "paymentStatus", _UNKNOWN_PAYMENT, why, unmapped
                ), text_of(payment_result.get("resultMessage"))
            return verdict, text_of(payment_result.get("resultMessage"))

    holder: dict[str, Any] = body
    if "paymentResultCode" not in body and result is not None and "resultStatus" not in result:
        holder = result  # a forwarded SDK event: {"code": "SDK_PAYMENT_FAIL", "result": {...}}
    code_value = holder.get("paymentResultCode")
    payment_status = upper_of(body.get("paymentStatus"))
    detail = text_of(holder.get("paymentResultMessage"))
    if "paymentStatus" in body and payment_status not in _PAYMENT_FALLBACKS:
        # The field that decides holds null or a value payerr does not know: pending, whatever
        # paymentResultCode says (Architecture §3, rule 1).
        raw = code_of(code_value)
        why = f"paymentStatus {body.get('paymentStatus')!r} is not a status payerr knows"
        return Unresolved(
            raw if isinstance(raw, str) else None,
            "paymentStatus",
            _UNKNOWN_PAYMENT,
            why=why,
            unmapped=unmapped_of(body.get("paymentStatus")),
        ), detail
    if operation is Operation.INQUIRY and "paymentStatus" not in body and result is not None:
        # An inquiry's answer decides by paymentStatus (Architecture §5): a code without it
        # is not
        # enough for success.
        raw = code_of(code_value)
        why = "an inquiry answer without paymentStatus"
        return Unresolved(
            raw if isinstance(raw, str) else None, "paymentStatus", _UNKNOWN_PAYMENT, why=why
        ), detail
    if code_value is None and payment_status is None:
        if operation is Operation.INQUIRY and result is not None:
            why = "an inquiry answer without paymentStatus"
            return Unresolved(None, "paymentStatus", _UNKNOWN_PAYMENT, why=why), detail
        return None
    fallback = _PAYMENT_FALLBACKS.get(payment_status or "")

    verdict = resolve(table, code_value, "paymentResultCode", fallback, must_agree=True)
    if verdict is not None and not (isinstance(verdict, Unresolved) and fallback is not None):
        return verdict, detail
    # No usable code: the documented status decides on its own.
    row_code = _STATUS_CODE.get(payment_status or "")
    if row_code is not None:
        hit = table.lookup(row_code, "paymentStatus")
        if hit is not None and (verdict is None or verdict.raw_code is None):
            return hit, detail
    if fallback is not None:
        raw = verdict.raw_code if isinstance(verdict, Unresolved) else None
        why = verdict.why if isinstance(verdict, Unresolved) else ""
        return Unresolved(
            raw, "paymentResultCode" if raw else "paymentStatus", fallback, why
        ), detail
    return None


def read_card(body: dict[str, Any]) -> NetworkAdvice | None:
    """What the card network and the issuer said, from ``paymentResultInfo``.

    Antom returns it on card payments in the answers to pay and inquiryPayment and in
    notifyPayment (SDK 1.7.1: ``AlipayPayResponse`` / ``AlipayPayQueryResponse``
    ``payment_result_info``, model ``PaymentResultInfo``): ``cardBrand``, ``refusalCodeRaw``
    (the channel's raw refusal code), ``refusalReasonRaw``, ``merchantAdviceCode`` and
    ``fingerprint``. Antom documents every field as a string (docs.antom.com/ac/ams/api_fund);
    a ``merchantAdviceCode`` sent as a JSON integer 0-99 (a processor that dropped the quotes,
    and the leading zero with them) is read as its two digits (``24`` -> ``"24"``, ``3`` ->
    ``"03"``); any other value that is not a string is no advice code.
    """
    info = body.get("paymentResultInfo")
    if not isinstance(info, dict):
        return None
    from payerr.networks._advice import network_advice  # noqa: PLC0415 -- loaded on a card's first decline

    return network_advice(
        info.get("cardBrand"),
        info.get("refusalCodeRaw"),
        _advice_code(info.get("merchantAdviceCode")),
        issuer_message=info.get("refusalReasonRaw"),
        fingerprint=info.get("fingerprint"),
    )


def _advice_code(value: object) -> object:
    """A Merchant Advice Code as Antom's string; a JSON integer 0-99 as its two digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:02d}" if 0 <= value <= 99 else None
    return value if isinstance(value, str) else None
