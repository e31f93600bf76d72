"""Which operation an answer belongs to: from the request path, or from the body.

Antom's paths are exact (from its official SDK, ``global-open-sdk-python`` 1.7.1, e.g.
``AlipayPayQueryRequest``: ``/ams/api/v1/payments/inquiryPayment``; the Alipay+ server APIs
use the same names under ``/aps/api``). Other providers' paths are read by their words
(``refund``, ``capture``, ``cancel`` / ``reverse``, ``query`` / ``inquiry``). The body names
its operation where it is unambiguous: ``notifyType``, or the status field it carries.
What cannot be told stays :attr:`Operation.UNKNOWN`, which judges by the body alone.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from payerr._core.exceptions import UsageError
from payerr._core.taxonomy import Category, Classification, Operation, Outcome
from payerr._mappings.schema import normalize_code

__all__ = [
    "OPERATION_EXTENSION",
    "QUERIES",
    "REFUND_OPERATIONS",
    "fit_message",
    "operation_of_action",
    "operation_of_body",
    "operation_of_path",
    "operation_of_request",
]

REFUND_OPERATIONS = frozenset(
    {Operation.REFUND, Operation.REFUND_INQUIRY, Operation.REFUND_NOTIFICATION}
)
QUERIES = frozenset({Operation.INQUIRY, Operation.REFUND_INQUIRY, Operation.VAULTING_INQUIRY})
"""Operations that read a state and execute nothing
(Architecture#an-inquiry-is-not-an-execution)."""

# The path after ".../v1/", lower-cased: Antom's and Alipay+'s API names.
_API_NAMES = {
    "payments/pay": Operation.PAY,
    "payments/capture": Operation.CAPTURE,
    "payments/cancel": Operation.CANCEL,
    "payments/refund": Operation.REFUND,
    "payments/inquirypayment": Operation.INQUIRY,
    "payments/inquiryrefund": Operation.REFUND_INQUIRY,
    "vaults/vaultpaymentmethod": Operation.VAULTING,
    "vaults/inquirevaulting": Operation.VAULTING_INQUIRY,
    "payments/notifypayment": Operation.NOTIFICATION,
    "payments/notifyrefund": Operation.REFUND_NOTIFICATION,
    "payments/notifycapture": Operation.CAPTURE_NOTIFICATION,
    "payments/cancelpayment": Operation.CANCEL,
    "payments/inquiryrefundpayment": Operation.REFUND_INQUIRY,
}
# /ams/api/v1/..., /ams/sandbox/api/v1/..., /aps/api/v1/... (the SDK's double slash too)
_API_PATH = re.compile(r"/a[mp]s/(?:sandbox/)?api/+v1/+(.+)$")
# notifyType values (docs.antom.com notifyPayment / notifyRefund / notifyCapture).
_NOTIFY_TYPES = {
    "PAYMENT_RESULT": Operation.NOTIFICATION,
    "PAYMENT_PENDING": Operation.NOTIFICATION,
    "REFUND_RESULT": Operation.REFUND_NOTIFICATION,
    "CAPTURE_RESULT": Operation.CAPTURE_NOTIFICATION,
    "VAULTING_RESULT": Operation.VAULTING_NOTIFICATION,
}
_STATUS_FIELDS = (
    ("refundStatus", Operation.REFUND_INQUIRY),
    ("vaultingStatus", Operation.VAULTING_INQUIRY),
    ("captureStatus", Operation.CAPTURE),
    ("cancelStatus", Operation.CANCEL),
    ("paymentStatus", Operation.INQUIRY),
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_QUERY = frozenset({"query", "inquiry", "inquire", "status", "retrieve"})
_CANCEL = frozenset({"cancel", "reverse", "reversal", "void", "close"})
_cache: dict[tuple[str, str], Operation] = {}
_CACHE_LIMIT = 1024


def operation_of_path(path: str, method: str = "POST") -> Operation:
    """The operation a request path names (cached: paths repeat)."""
    key = (path, method)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    operation = _read_path(path, method.upper())
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()  # paths with ids in them never repeat: start again, bounded
    _cache[key] = operation
    return operation


def _read_path(path: str, method: str) -> Operation:
    api = _API_PATH.search(path.lower().split(";", 1)[0].rstrip("/"))
    if api is not None:
        # An Antom / Alipay+ API: its name says it, and a name not listed here (consult,
        # createPaymentSession, authorizations/...) is not a payment operation.
        return _API_NAMES.get(api.group(1), Operation.OTHER)
    words = {w.lower() for w in _WORD.findall(path)}  # queryRefund: query, refund
    if words >= {"auth", "token"}:
        return Operation.OTHER  # a token API (OTT Pay's /api/v1/auth/token): no payment
    query = bool(words & _QUERY) or method == "GET"
    if words & {"refund", "refunds"}:
        return Operation.REFUND_INQUIRY if query else Operation.REFUND
    if words & {"notify", "notification", "notifications", "webhook", "webhooks"}:
        return Operation.NOTIFICATION
    if words & {"capture", "captures"}:
        return Operation.CAPTURE
    if words & _CANCEL:
        return Operation.CANCEL
    if words & {"vault", "vaults", "vaulting"}:
        return Operation.VAULTING_INQUIRY if query else Operation.VAULTING
    if query:
        return Operation.INQUIRY
    if words & {"pay", "payment", "payments", "charge", "charges", "checkout", "orders"}:
        return Operation.PAY
    return Operation.UNKNOWN


OPERATION_EXTENSION = "payerr.operation"
"""``request.extensions`` key naming a request's operation, for endpoints whose path does not
(OTT Pay answers every call on one URL; its body's ``action`` is read too):
``client.post(url, json=body, extensions={"payerr.operation": "refund"})``."""


# OTT Pay's legacy API answers every call on one URL (``/processV2``): the request body's
# ``action`` names the operation (docs.ottpay.com/payment-api, common-rules: "action | Action
# type"). The actions its pages document: ACTIVEPAY, PASSIVEPAY (retail-api/api-list), H5PAY,
# MAPPPAY, PREPAY_INIT, CC_PURCHASE, CC_PREAUTH (the card pages), STATUS_QUERY
# (query-transaction-api-1), PREPAY_QUERY, CC_QUERYPAY, REFUND
# (refund-transaction-and-query-api), EX_RATE_QUERY (query-exchange-rate-api).
_ACTIONS = {
    "ACTIVEPAY": Operation.PAY,
    "PASSIVEPAY": Operation.PAY,
    "H5PAY": Operation.PAY,
    "MAPPPAY": Operation.PAY,
    "PREPAY_INIT": Operation.PAY,
    "CC_PURCHASE": Operation.PAY,
    "CC_PREAUTH": Operation.PAY,
    "STATUS_QUERY": Operation.INQUIRY,
    "PREPAY_QUERY": Operation.INQUIRY,
    "CC_QUERYPAY": Operation.INQUIRY,
    "REFUND": Operation.REFUND,
    "EX_RATE_QUERY": Operation.OTHER,
}
_MAX_BODY = 1 << 20  # a request body larger than this is not parsed for its operation


def operation_of_action(value: object) -> Operation:
    """The operation an OTT Pay ``action`` names: a documented action, else its words
    (``REFUND_QUERY``: a refund inquiry; ``REVERSE``: a cancel); UNKNOWN when they say none."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return Operation.UNKNOWN
    name = normalize_code(value)
    known = _ACTIONS.get(name)
    if known is not None:
        return known
    words = set(re.split(r"[^A-Z]+", name)) - {""}
    query = bool(words & {"QUERY", "INQUIRY", "QUERYPAY", "STATUS"})
    if "REFUND" in words:
        return Operation.REFUND_INQUIRY if query else Operation.REFUND
    if words & {"CANCEL", "REVERSE", "VOID", "CLOSE", "REVOKE"}:
        return Operation.CANCEL
    if words & {"CAPTURE", "COMPLETE"}:
        return Operation.CAPTURE
    if query:
        return Operation.INQUIRY
    if any(w.endswith(("PAY", "PURCHASE", "PREAUTH", "SALE")) for w in words):
        return Operation.PAY
    return Operation.UNKNOWN


def _body_field(request: Any, field: str) -> object:
    """A top-level JSON field of a request's body (None when unread, too large or not JSON)."""
    try:
        content = request.content
    except Exception:  # httpx.RequestNotRead: a stream payerr must not consume here
        return None
    if not content or len(content) > _MAX_BODY or f'"{field}"'.encode() not in content:
        return None
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return data.get(field) if isinstance(data, dict) else None


def operation_of_request(request: Any, operation_field: str | None = None) -> Operation:
    """The operation an ``httpx.Request`` names: its ``payerr.operation`` extension, else the
    body field the provider names its operations in (``operation_field``: OTT Pay's
    ``action``), else its path. Raises ValueError for an extension naming no operation (a
    caller's mistake)."""
    named = request.extensions.get(OPERATION_EXTENSION)
    if named is not None:
        try:
            return Operation(named.strip().lower() if isinstance(named, str) else named)
        except ValueError:
            known = ", ".join(o.value for o in Operation)
            raise UsageError(
                f"unknown operation {named!r} in request.extensions[{OPERATION_EXTENSION!r}]; "
                f"known: {known}"
            ) from None
    if operation_field is not None:
        operation = operation_of_action(_body_field(request, operation_field))
        if operation is not Operation.UNKNOWN:
            return operation
    return operation_of_path(request.url.path, request.method)


def operation_of_body(body: dict[str, Any]) -> Operation:
    """The operation a body names unambiguously (a notification type, an operation status
    field), or UNKNOWN."""
    notify = body.get("notifyType")
    if isinstance(notify, str) and notify.strip():
        # A notifyType payerr does not list (DISPUTE_CREATED, PAYOUT_RESULT...) is not a payment.
        return _NOTIFY_TYPES.get(normalize_code(notify), Operation.OTHER)
    for field, operation in _STATUS_FIELDS:
        if field in body:
            return operation
    return Operation.UNKNOWN


_VAULTING = frozenset(
    {Operation.VAULTING, Operation.VAULTING_INQUIRY, Operation.VAULTING_NOTIFICATION}
)
_CAPTURE = frozenset({Operation.CAPTURE, Operation.CAPTURE_NOTIFICATION})

# Shopper messages that fit the operation (Architecture#operations-and-the-field-that-decides:
# a refused refund or cancel is not "your payment could not be completed").
_MESSAGES = {
    "refund": {
        Outcome.SUCCESS: "Your refund has been processed.",
        Outcome.PENDING: "Your refund is being processed.",
        Outcome.FAILED: "Your refund could not be processed. Please contact the merchant.",
    },
    "cancel": {
        Outcome.SUCCESS: "The payment has been cancelled.",
        Outcome.PENDING: "The cancellation is being processed.",
        Outcome.FAILED: "The cancellation could not be completed. Please contact the merchant.",
    },
    "vaulting": {
        Outcome.SUCCESS: "Your card has been saved.",
        Outcome.PENDING: "Your card is being verified.",
        Outcome.FAILED: "Your card could not be saved. Please use another card.",
    },
    "capture": {
        Outcome.SUCCESS: "Your payment has been completed.",
        Outcome.PENDING: "Your payment is being completed.",
        Outcome.FAILED: "The payment could not be finalised. Please contact the merchant.",
    },
    "other": {
        Outcome.SUCCESS: "",
        Outcome.PENDING: "",
        Outcome.FAILED: "Something went wrong. Please try again or contact the merchant.",
    },
}


_TOPICS = {
    "refund": ("refund",),
    "cancel": ("cancel",),
    "vaulting": ("card",),
    "capture": ("finalis", "complet"),
}
_NOT_CHECKED = "We could not check this right now. Please try again later."
_NOT_SAVED_NOW = "Your card could not be saved right now. Please try again later."
_ON_OUR_SIDE = frozenset({Category.MERCHANT_CONFIG, Category.RETRYABLE})


def fit_message(c: Classification, operation: Operation) -> Classification:
    """``c`` with a shopper message that speaks of what the operation is about.

    A refund, cancel, capture or vaulting answer whose row speaks of something else (a payment,
    an order) gets that operation's message. An inquiry that itself failed on the merchant's or
    the provider's side says nothing about what it asked after: "we could not check".
    """
    if c.outcome is Outcome.INFO:
        return c
    on_our_side = c.outcome is Outcome.FAILED and c.category in _ON_OUR_SIDE
    if operation in QUERIES and on_our_side:
        text: str | None = _NOT_CHECKED
    else:
        kind = _kind(operation)
        if kind is None:
            return c
        text = _MESSAGES[kind].get(c.outcome)
        message = c.user_message.lower()
        if kind == "other":
            if "payment" not in message:
                return c
        elif kind == "vaulting" and on_our_side:
            text = _NOT_SAVED_NOW
        elif any(topic in message for topic in _TOPICS[kind]):
            return c
    if text is None or c.user_message == text:
        return c
    return dataclasses.replace(c, user_message=text)


def _kind(operation: Operation) -> str | None:
    if operation in REFUND_OPERATIONS:
        return "refund"
    if operation is Operation.CANCEL:
        return "cancel"
    if operation in _VAULTING:
        return "vaulting"
    if operation in _CAPTURE:
        return "capture"
    if operation is Operation.OTHER:
        return "other"
    return None
