"""Antom and Alipay+ envelopes: ``result`` with ``resultStatus`` S/F/U, and the payment's result.

Precedence (DESIGN.md section 2; docs.antom.com/ac/ams/paymentri_online, .../paymentrn_online):

1. When ``result.resultStatus`` is S or absent, the payment's own result decides: Alipay+'s
   ``paymentResult`` envelope, else ``paymentResultCode`` checked against ``paymentStatus``
   (SUCCESS / FAIL / PROCESSING / PENDING / CANCELLED / UNKNOWN). For inquiry, ``result`` only
   says the inquiry call worked.
2. ``notifyType = PAYMENT_PENDING`` with ``resultStatus = S`` means "being processed".
3. ``result.resultCode``: ``U`` with any code other than a pending one means "unknown, resend
   the same request" (pay is idempotent on ``paymentRequestId``), so it is retryable.
4. A forwarded SDK event: top-level ``code`` (``SDK_PAYMENT_FAIL`` defers to a
   ``paymentResultCode`` in the event's ``result``, step 1), or ``errorCode`` / ``resultCode``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from payerr.adapters._base import (
    Fallback,
    Reading,
    Unresolved,
    Verdict,
    decide,
    fallbacks,
    text_of,
    upper_of,
)
from payerr.mappings import ProviderTable
from payerr.taxonomy import DEFAULT_ACTIONS, DEFAULT_USER_MESSAGES, Category, Outcome

__all__ = ["read"]

_RESULT_STATUS = {
    "S": (Outcome.SUCCESS, None),
    "F": (Outcome.FAILED, Category.FINAL),
    "U": (Outcome.FAILED, Category.RETRYABLE),
}
_ENVELOPE_FALLBACKS = {
    prefix: fallbacks(f"{prefix}.resultStatus", _RESULT_STATUS)
    for prefix in ("result", "paymentResult")
}
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
_NOTIFY_PENDING = Fallback(Outcome.PENDING, None, "notifyType")
# Codes whose row stands for a whole paymentStatus when no usable paymentResultCode came with it.
_STATUS_CODE = {
    "SUCCESS": "SUCCESS",
    "PROCESSING": "PAYMENT_IN_PROCESS",
    "PENDING": "PAYMENT_IN_PROCESS",
}


def read(table: ProviderTable, body: dict[str, Any]) -> Reading:
    result = body.get("result")
    result = result if isinstance(result, dict) else None
    status = upper_of(result.get("resultStatus")) if result is not None else None
    detail = text_of(result.get("resultMessage")) if result is not None else None

    if status in (None, "S"):
        reading = _payment(table, body, result)
        if reading is not None:
            return reading

    if status == "S" and upper_of(body.get("notifyType")) == "PAYMENT_PENDING":
        pending = table.lookup("PAYMENT_IN_PROCESS", "notifyType")
        return pending or Unresolved(None, "notifyType", _NOTIFY_PENDING), detail

    if result is not None:
        verdict = _envelope(table, result, "result")
        if verdict is not None:
            return verdict, detail

    for field in ("code", "errorCode", "resultCode"):
        verdict = decide(table, body.get(field), field)
        if verdict is not None:
            return verdict, text_of(body.get("message")) or text_of(
                body.get("errorMessage")
            ) or detail
    return None, detail


def _envelope(table: ProviderTable, env: dict[str, Any], prefix: str) -> Verdict:
    """``{resultCode, resultStatus}``: the code decides, read in the light of the status."""
    status = upper_of(env.get("resultStatus"))
    fallback = _ENVELOPE_FALLBACKS[prefix].get(status or "")
    source = f"{prefix}.resultCode"
    verdict = decide(table, env.get("resultCode"), source, fallback)
    if verdict is None:
        return Unresolved(None, fallback.source, fallback) if fallback is not None else None
    if isinstance(verdict, Unresolved) or fallback is None:
        return verdict
    if status == "U":
        # Unknown result: resend the same request, unless the code itself says pending.
        if verdict.outcome is Outcome.PENDING or verdict.retryable:
            return verdict
        return dataclasses.replace(
            verdict,
            outcome=Outcome.FAILED,
            category=Category.RETRYABLE,
            retryable=True,
            action=DEFAULT_ACTIONS[Category.RETRYABLE],
            user_message=DEFAULT_USER_MESSAGES[Category.RETRYABLE],
            source=fallback.source,
        )
    if fallback.outcome is not verdict.outcome:
        return Unresolved(
            verdict.raw_code,
            source,
            fallback,
            why=f"resultStatus {status} contradicts {verdict.code}",
        )
    return verdict


def _payment(
    table: ProviderTable, body: dict[str, Any], result: dict[str, Any] | None
) -> Reading | None:
    """The payment's own result, when the body carries one."""
    payment_result = body.get("paymentResult")
    if isinstance(payment_result, dict):  # Alipay+ inquiry and notifications
        verdict = _envelope(table, payment_result, "paymentResult")
        if verdict is not None:
            return verdict, text_of(payment_result.get("resultMessage"))

    holder: dict[str, Any] = body
    if "paymentResultCode" not in body and result is not None and "resultStatus" not in result:
        holder = result  # a forwarded SDK event: {"code": "SDK_PAYMENT_FAIL", "result": {...}}
    code_value = holder.get("paymentResultCode")
    payment_status = upper_of(body.get("paymentStatus"))
    if code_value is None and payment_status is None:
        return None
    detail = text_of(holder.get("paymentResultMessage"))
    fallback = _PAYMENT_FALLBACKS.get(payment_status or "")

    verdict = decide(table, code_value, "paymentResultCode", fallback, must_agree=True)
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
