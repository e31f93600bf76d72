"""Antom and Alipay+ envelopes: ``result`` with ``resultStatus`` S/F/U, and the payment's result.

The order in which an answer is read is :data:`RULES` (the docs' table, "How each provider's
answer is read", is generated from it).
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
    Rule,
    Unresolved,
    code_of,
    fallbacks,
    first_answer,
    group,
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

__all__ = ["RULES", "read", "read_card"]

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
# The status field that decides each operation (Architecture#operations-and-the-field-that-decides;
# SDK 1.7.1 response
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
# Fields that decide whenever an answer carries them (Architecture#success-needs-a-positive-signal).
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


class _Answer:
    """An answer as the rules see it: the body, and what every rule looks at, read once."""

    __slots__ = (
        "body",
        "call_worked",
        "detail",
        "operation",
        "own",
        "payment",
        "result",
        "status",
        "table",
    )

    def __init__(self, table: ProviderTable, body: dict[str, Any], operation: Operation) -> None:
        result = body.get("result")
        result = result if isinstance(result, dict) else None
        self.table = table
        self.body = body
        self.result = result
        self.status = upper_of(result.get("resultStatus")) if result is not None else None
        self.detail = text_of(result.get("resultMessage")) if result is not None else None
        if operation is Operation.UNKNOWN:
            operation = operation_of_body(body)
        self.operation = operation
        self.own = _STATUS_FIELDS.get(operation)
        """The status field that decides this operation (refundStatus ...), if it has one."""
        self.call_worked = self.status in (None, "S")
        """result S or absent: the payment's or the operation's own result decides."""
        self.payment: _Payment | None = None
        """The payment's result fields, read by the first rule that needs them."""


class _Payment:
    """``paymentResultCode`` and ``paymentResultMessage`` (in the body, or in a forwarded SDK
    event's ``result``) and ``paymentStatus``; the code read against the status."""

    __slots__ = ("code", "detail", "fallback", "status", "verdict")

    def __init__(self, answer: _Answer) -> None:
        body, result = answer.body, answer.result
        holder: dict[str, Any] = body
        if "paymentResultCode" not in body and result is not None and "resultStatus" not in result:
            holder = result  # a forwarded SDK event: {"code": "SDK_PAYMENT_FAIL", "result": {...}}
        self.code = holder.get("paymentResultCode")
        self.status = upper_of(body.get("paymentStatus"))
        self.detail = text_of(holder.get("paymentResultMessage"))
        self.fallback = _PAYMENT_FALLBACKS.get(self.status or "")
        self.verdict = resolve(
            answer.table, self.code, "paymentResultCode", self.fallback, must_agree=True
        )


def _payment(answer: _Answer) -> _Payment:
    if answer.payment is None:
        answer.payment = _Payment(answer)
    return answer.payment


def read(table: ProviderTable, body: dict[str, Any], operation: Operation) -> Reading:
    """An Antom or Alipay+ answer: the first rule of :data:`RULES` that answers."""
    return first_answer(RULES, _Answer(table, body, operation))


def _unknown_notification(a: _Answer) -> Reading | None:
    if "notifyType" not in a.body:
        return None
    if a.operation is not Operation.OTHER and (
        a.operation not in _NOTIFIED or operation_of_body(a.body) is not Operation.OTHER
    ):
        return None  # (a caller that says "notification" knows no more of a new notifyType)
    # A notification payerr does not know (a new notifyType): what it reports is not known, so
    # it is never success (Architecture#success-needs-a-positive-signal).
    why = f"notifyType {a.body.get('notifyType')!r} is not one payerr knows"
    return Unresolved(None, "notifyType", _NOTIFY_PENDING, why=why), a.detail


def _result_against_own_status(a: _Answer) -> Reading | None:
    own = a.own
    if a.status not in ("F", "U") or own is None or own not in a.body:
        return None
    if upper_of(a.body.get(own)) == "FAIL":
        return None
    # result says the operation failed (or is unknown) while its own status says otherwise: a
    # disagreement is pending, never failed (Architecture#failed-means-not-done).
    why = f"resultStatus {a.status} contradicts {own} {a.body.get(own)!r}"
    return Unresolved(None, own, _PENDING[own], why=why), a.detail


def _if_call_worked(a: _Answer) -> _Answer | None:
    return a if a.call_worked else None


# With result S or absent (a.call_worked):


def _own_status(a: _Answer) -> Reading | None:
    own = a.own
    if own is None:
        return None
    if own in a.body or a.operation in _STATUS_REQUIRED:
        # The operation's own status decides; result only says the call worked
        # (Architecture#success-needs-a-positive-signal).
        return _operation_status(a.table, a.body, own), a.detail
    return None


def _foreign_status(a: _Answer) -> Reading | None:
    body, own = a.body, a.own
    foreign = next((f for f in _OPERATION_FIELDS if f in body and f != own), None)
    if foreign is None and own is not None and "paymentStatus" in body:
        foreign = "paymentStatus"  # a payment's status beside a refund, capture ...
    if foreign is None:
        return None
    # Another operation's status in this answer (a refundStatus beside a payment inquiry): it
    # does not decide this operation, and nothing else can be trusted.
    why = f"{foreign} in an answer to {a.operation}"
    return Unresolved(None, foreign, pending(foreign), why=why), a.detail


def _alipay_plus_without_payment_result(a: _Answer) -> Reading | None:
    if a.table.adapter != "alipay_plus" or a.operation not in _NEEDS_PAYMENT_RESULT:
        return None
    if "paymentResult" in a.body or "paymentStatus" in a.body:
        return None
    # Alipay+ inquiry and notifications carry the payment's result in paymentResult
    # (Architecture#operations-and-the-field-that-decides); without it, result S only says the call
    # worked.
    why = "no paymentResult in an Alipay+ inquiry or notification"
    return Unresolved(None, "paymentResult", _UNKNOWN_PAYMENT, why=why), a.detail


def _payment_result(a: _Answer) -> Reading | None:
    envelope = a.body.get("paymentResult")
    if not isinstance(envelope, dict):  # Alipay+ inquiry and notifications
        return None
    status = upper_of(envelope.get("resultStatus"))
    verdict = _envelope(a.table, envelope, "paymentResult", status, unknown_is_pending=True)
    if verdict is None:
        return None
    body = a.body
    said = _PAYMENT_FALLBACKS.get(upper_of(body.get("paymentStatus")) or "")
    if (
        "paymentStatus" in body
        and isinstance(verdict, Classification)
        and (said is None or said.outcome is not verdict.outcome)
    ):
        # paymentStatus beside paymentResult disagrees (or is unreadable): a disagreement is
        # never success, nor a claim of failure.
        why = f"paymentStatus {body.get('paymentStatus')!r} contradicts {verdict.code}"
        unmapped = unmapped_of(body.get("paymentStatus")) if said is None else None
        verdict = Unresolved(verdict.raw_code, "paymentStatus", _UNKNOWN_PAYMENT, why, unmapped)
    return verdict, text_of(envelope.get("resultMessage"))


def _unknown_payment_status(a: _Answer) -> Reading | None:
    if "paymentStatus" not in a.body:
        return None
    p = _payment(a)
    if p.status in _PAYMENT_FALLBACKS:
        return None
    # The field that decides holds null or a value payerr does not know: pending, whatever
    # paymentResultCode says (Architecture#success-needs-a-positive-signal).
    raw = code_of(p.code)
    why = f"paymentStatus {a.body.get('paymentStatus')!r} is not a status payerr knows"
    return Unresolved(
        raw if isinstance(raw, str) else None,
        "paymentStatus",
        _UNKNOWN_PAYMENT,
        why=why,
        unmapped=unmapped_of(a.body.get("paymentStatus")),
    ), p.detail


def _inquiry_without_payment_status(a: _Answer) -> Reading | None:
    if a.operation is not Operation.INQUIRY or "paymentStatus" in a.body or a.result is None:
        return None
    # An inquiry's answer decides by paymentStatus
    # (Architecture#operations-and-the-field-that-decides): a code without it is not
    # enough for success.
    p = _payment(a)
    raw = code_of(p.code)
    why = "an inquiry answer without paymentStatus"
    return Unresolved(
        raw if isinstance(raw, str) else None, "paymentStatus", _UNKNOWN_PAYMENT, why=why
    ), p.detail


def _payment_result_code(a: _Answer) -> Reading | None:
    p = _payment(a)
    if p.code is None and p.status is None:
        return None  # nothing of the payment's own here
    verdict = p.verdict
    if verdict is None or (isinstance(verdict, Unresolved) and p.fallback is not None):
        return None  # no usable code: the status decides on its own (the next rule)
    return verdict, p.detail


def _payment_status_alone(a: _Answer) -> Reading | None:
    p = _payment(a)
    if p.code is None and p.status is None:
        return None
    verdict = p.verdict
    row_code = _STATUS_CODE.get(p.status or "")
    if row_code is not None:
        hit = a.table.lookup(row_code, "paymentStatus")
        if hit is not None and (verdict is None or verdict.raw_code is None):
            return hit, p.detail
    if p.fallback is None:
        return None
    raw = verdict.raw_code if isinstance(verdict, Unresolved) else None
    why = verdict.why if isinstance(verdict, Unresolved) else ""
    source = "paymentResultCode" if raw else "paymentStatus"
    return Unresolved(raw, source, p.fallback, why), p.detail


# Any result:


def _payment_pending_notice(a: _Answer) -> Reading | None:
    if a.status != "S" or upper_of(a.body.get("notifyType")) != "PAYMENT_PENDING":
        return None
    in_process = a.table.lookup("PAYMENT_IN_PROCESS", "notifyType")
    return in_process or Unresolved(None, "notifyType", _NOTIFY_PENDING), a.detail


def _result_wrapper(a: _Answer) -> Reading | None:
    if a.result is None:
        return None
    notified = a.operation in _NOTIFIED
    verdict = _envelope(a.table, a.result, "result", a.status, unknown_is_pending=notified)
    if a.operation in QUERIES:
        # An inquiry's result "only indicates whether the inquiryPayment API is called
        # successfully" (docs.antom.com/ac/ams/paymentri_online): its failure is the inquiry's,
        # not the payment's.
        if isinstance(verdict, Classification) and verdict.outcome is Outcome.FAILED:
            return inquiry_failed(a.table, verdict, "result.resultCode", a.operation), a.detail
        fallback = verdict.fallback if isinstance(verdict, Unresolved) else None
        if isinstance(verdict, Unresolved) and fallback and fallback.outcome is Outcome.FAILED:
            why = "the inquiry itself failed: it says nothing of the payment"
            source = verdict.source
            return Unresolved(verdict.raw_code, source, pending(source), why=why), a.detail
    return None if verdict is None else (verdict, a.detail)


def _sdk_event(a: _Answer) -> Reading | None:
    body = a.body
    for field in ("code", "errorCode", "resultCode"):
        verdict = resolve(a.table, body.get(field), field)
        if verdict is not None:
            detail = text_of(body.get("message")) or text_of(body.get("errorMessage"))
            return verdict, detail or a.detail
    return None


def _nothing(a: _Answer) -> Reading | None:
    return None, a.detail


_TRUTH = "Architecture: Truth rules"
_SDK = "global-open-sdk-python 1.7.1 (response and notify classes)"

_CALL_WORKED: tuple[Rule[_Answer], ...] = (  # in this order, with result S or absent
    Rule(
        "own_status",
        "The operation's own status decides: refundStatus, "
        "vaultingStatus (its vaultingResultCode on FAIL), captureStatus, cancelStatus "
        "(SUCCESS, FAIL, PROCESSING; anything else pending); a refund inquiry or notification "
        "and a vaulting inquiry without theirs: pending.",
        f"{_SDK}; docs.antom.com/ac/ams/inquire_vaulting",
        _own_status,
    ),
    Rule(
        "foreign_status",
        "Another operation's status (a refundStatus answering a "
        "payment inquiry, a paymentStatus answering a refund): pending.",
        _TRUTH,
        _foreign_status,
    ),
    Rule(
        "alipay_plus_without_payment_result",
        "Alipay+ only: an inquiry or notification with neither paymentResult nor "
        "paymentStatus: pending (result S only says the call worked).",
        "docs.alipayplus.com/alipayplus/alipayplus/api_acq_tile/inquiry_payment",
        _alipay_plus_without_payment_result,
    ),
    Rule(
        "payment_result",
        "Alipay+'s paymentResult envelope (resultCode read against "
        "its resultStatus; U there is pending, never resent); a paymentStatus beside it that "
        "disagrees: pending.",
        "docs.alipayplus.com/alipayplus/alipayplus/api_acq_tile/inquiry_payment",
        _payment_result,
    ),
    Rule(
        "unknown_payment_status",
        "A paymentStatus that is null or not SUCCESS, FAIL, "
        "CANCELLED, PROCESSING, PENDING or UNKNOWN: pending, whatever paymentResultCode says.",
        f"docs.antom.com/ac/ams/paymentri_online; {_TRUTH}",
        _unknown_payment_status,
    ),
    Rule(
        "inquiry_without_payment_status",
        "A payment inquiry's answer without paymentStatus: pending.",
        "docs.antom.com/ac/ams/paymentri_online",
        _inquiry_without_payment_status,
    ),
    Rule(
        "payment_result_code",
        "paymentResultCode (a forwarded SDK event's, in its result) "
        "decides, read against paymentStatus: when they disagree, the status decides (an "
        "in-process code beside FAIL stays pending).",
        "docs.antom.com/ac/ams/paymentri_online, .../paymentrn_online",
        _payment_result_code,
    ),
    Rule(
        "payment_status_alone",
        "No usable paymentResultCode: paymentStatus decides on its own (SUCCESS, PROCESSING "
        "and PENDING by their rows).",
        "docs.antom.com/ac/ams/paymentri_online, .../paymentrn_online",
        _payment_status_alone,
    ),
)

RULES: tuple[Rule[_Answer], ...] = (
    Rule(
        "unknown_notification",
        "A notification whose notifyType payerr does not know (read from the body, or under an "
        "operation the caller named a notification): pending (what it reports is not known).",
        f"docs.antom.com/ac/ref/notification; {_TRUTH}",
        _unknown_notification,
    ),
    Rule(
        "result_against_own_status",
        "result F or U beside the operation's own status (refundStatus, vaultingStatus, "
        "captureStatus, cancelStatus) that is not FAIL: pending, never failed.",
        _TRUTH,
        _result_against_own_status,
    ),
    group(
        "call_worked",
        "With result S or absent (it says the call worked), the operation's or the payment's "
        "own result decides, by these rules:",
        f"docs.antom.com/ac/ams/paymentri_online; {_TRUTH}",
        _if_call_worked,
        _CALL_WORKED,
    ),
    Rule(
        "payment_pending_notice",
        "notifyType PAYMENT_PENDING with result S: the payment is being processed (pending).",
        "docs.antom.com/ac/ams/paymentrn_online",
        _payment_pending_notice,
    ),
    Rule(
        "result_wrapper",
        "result.resultCode read against resultStatus: U with a mapped code not in process is "
        "pending, settled by resending the same request id or an inquiry; U with a code payerr "
        "does not know is pending, never resent; a U in a notification is pending; an "
        "inquiry's own failure says nothing of the payment (pending), unless the order does "
        "not exist or the inquiry could not be made (retryable, merchant-config: kept as "
        "they are).",
        "docs.antom.com/ac/ams/api_fund, .../idempotency, .../paymentri_online",
        _result_wrapper,
    ),
    Rule(
        "sdk_event",
        "A forwarded SDK event: its top-level code, else errorCode, else resultCode.",
        "docs.antom.com/ac/sdks/ref",
        _sdk_event,
    ),
    Rule(
        "nothing",
        "Nothing in the body decides: the HTTP status will.",
        _TRUTH,
        _nothing,
    ),
)
"""Antom's and Alipay+'s precedence: the first rule that answers decides."""


def _envelope(
    table: ProviderTable,
    env: dict[str, Any],
    prefix: str,
    status: str | None,
    *,
    unknown_is_pending: bool = False,
) -> Finding:
    """``{resultCode, resultStatus}``: the code decides, read in the light of the status
    (``status``: ``resultStatus``, read by the caller).

    ``unknown_is_pending``: a ``U`` here reports a payment's state (a notification, Alipay+'s
    ``paymentResult``), not a call to resend: outcome unknown, never "try again".
    """
    if status == "U" and unknown_is_pending:
        return _state_unknown(table, env, prefix)
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
    return _against_status(table, verdict, fallback, status, source)


def _state_unknown(table: ProviderTable, env: dict[str, Any], prefix: str) -> Finding:
    """A state report's U (an unknown result in a notification or in Alipay+'s
    ``paymentResult``): its code's row when that says in process, else pending; nothing for
    the merchant to resend: inquire."""
    code = code_of(env.get("resultCode"))
    raw = code if isinstance(code, str) else None
    hit = table.lookup(raw, f"{prefix}.resultCode") if raw else None
    entry = table.entry(raw) if hit is not None else None
    if hit is not None and hit.outcome is Outcome.PENDING and not (entry and entry.resend):
        return hit
    return Unresolved(raw, f"{prefix}.resultStatus", pending(prefix))


def _against_status(
    table: ProviderTable,
    verdict: Classification | Unresolved,
    fallback: Fallback | None,
    status: str | None,
    source: str,
) -> Finding:
    """A code's verdict read against its envelope's ``resultStatus`` (``fallback``)."""
    if isinstance(verdict, Unresolved) and status == "U":
        # U with a code payerr does not know: the docs say U "might be successful, in process,
        # or failed". Only the codes whose rows say "call again" are resent; an unmapped one
        # (PAYMENT_PROCESSING, USER_PAYING ...) may be in process: pending
        # (Architecture#in-process-is-pending).
        return Unresolved(verdict.raw_code, source, pending(source))
    if isinstance(verdict, Unresolved) or fallback is None:
        return verdict
    if status == "U":
        return _unknown_result(table, verdict)
    if fallback.outcome is not verdict.outcome:
        if verdict.outcome is Outcome.PENDING:
            # in process beside F: pending, never failed (Architecture#in-process-is-pending)
            return verdict
        # SUCCESS beside F, a failure code beside S: they contradict each other, so neither
        # success nor failed (Architecture#success-needs-a-positive-signal,
        # Architecture#failed-means-not-done).
        why = f"resultStatus {status} contradicts {verdict.code}"
        return Unresolved(verdict.raw_code, source, pending(source), why=why)
    return verdict


def _unknown_result(table: ProviderTable, verdict: Classification) -> Classification:
    """resultStatus U with a mapped code: pending, settled by resending the same request id or
    by an inquiry, unless the code's own row says in process (never resent:
    Architecture#in-process-is-pending). Never failed, whatever the code's row says elsewhere."""
    entry = table.entry(verdict.raw_code)
    if verdict.outcome is Outcome.PENDING and not (entry is not None and entry.resend):
        return verdict
    action = entry.action if entry is not None and entry.resend else UNKNOWN_RESULT_ACTION
    return verdict.reclassified(Outcome.PENDING, action=action, source=RESEND_SOURCE)


def _operation_status(table: ProviderTable, body: dict[str, Any], field: str) -> Finding:
    """``refundStatus`` / ``vaultingStatus`` (SUCCESS / FAIL / PROCESSING): the operation's
    result. A value payerr does not know, or none, is pending
    (Architecture#success-needs-a-positive-signal)."""
    value = upper_of(body.get(field))
    code = body.get("vaultingResultCode") if field == "vaultingStatus" else None
    if value == "SUCCESS":
        return _operation_done(table, field, code)
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


def _operation_done(table: ProviderTable, field: str, code: object) -> Finding:
    """The operation's status SUCCESS: its row, unless a vaultingResultCode beside it
    disagrees."""
    if code is not None:
        # SUCCESS comes with the code SUCCESS (SDK: vaulting_result_code); any other code is a
        # disagreement, which is never success.
        verdict = resolve(table, code, "vaultingResultCode", _SUCCESS[field], must_agree=True)
        if verdict is not None:
            return verdict
    return table.lookup("SUCCESS", field) or Unresolved(None, field, _PENDING[field])


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
