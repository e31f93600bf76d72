"""What each provider does with a request, written from the providers' documents only.

Nothing here reads payerr's mappings or classifier: a simulator that asked payerr what a code
means would agree with payerr by construction. Sources:

- Antom / Alipay+ (``/ams/api/v1/...``, ``/aps/api/v1/...``):
Architecture#where-each-provider-fact-lives, Architecture#operations-and-the-field-that-decides, the
  Result/Error codes tables of docs.antom.com/ac/ams (pay ``payment_cashier``, inquiryPayment
  ``paymentri_online``, refund ``refund_online``, inquiryRefund ``ir_online``, capture, cancel
  ``paymentc_online``, vaultPaymentMethod, inquireVaulting). ``resultStatus`` U marks the codes
  whose outcome is not final; requests are idempotent on ``paymentRequestId`` /
  ``refundRequestId`` / ``captureRequestId`` / ``vaultingRequestId``, and a changed body under the
  same id answers ``REPEAT_REQ_INCONSISTENT``.
- OTT Pay: seed 002 and docs.ottpay.com/payment-api. ``rsp_code`` answers; ``ORDER_PAID`` "order
  paid" and ``ORDER_USED`` "order number duplicated" answer an order number sent again; a query
  (``action`` ``STATUS_QUERY`` / ``PREPAY_QUERY`` ...) reports the inquiry's ``data.rspCode`` and
  the payment's ``data.status`` (SUCCESS / ORDERCLOSE / PROCESSING).
- OTT Pay's REST API (apidocs.ottpay.com): ``{"status": "SUCCESS", "result": {...}}`` with the
  payment's ``paymentStatus`` (init, notpay, success, ..., the status query's table) or the
  refund's ``refundStatus``; ``{"status": "ERROR", "result": {"code": 10003, "message": ...}}``
  (the integration page) for an unsuccessful answer; ``20019`` "Original payment not exist"; a
  void moves the payment to ``orderclosed`` (the reverse API). No idempotency is documented.
- PayKKa: seed 003 and docs.paykka.com (Error Handling, Gateway Order Status). ``ret_code``
  ``000000`` with ``data.status`` / ``data.error_code``; ``4021`` "Transaction number is
  duplicate", ``4000`` "Payment order is processing, please do not pay again" and ``4003``
  "Refund is completed, duplicate submission is not allowed" answer a repeat; ``206024`` "the
  order doesn't exist".
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from payerr._core.exceptions import UnknownProviderError

__all__ = [
    "EXECUTES",
    "PROVIDERS",
    "SUCCESS_CODES",
    "Answer",
    "doc_outcome",
    "envelope",
    "fingerprint",
    "identity",
    "operation_of",
]

PROVIDERS = ("antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka")
SUCCESS_CODES = {
    "antom": "SUCCESS",
    "alipay_plus": "SUCCESS",
    "ottpay": "SUCCESS",
    "ottpay_rest": "success",
    "paykka": "0000",
}

# The simulator's operations, and the id space each one's requests live in: a refund's
# refundRequestId never meets a pay's paymentRequestId.
PAY, INQUIRY, CAPTURE, CANCEL = "pay", "inquiry", "capture", "cancel"
REFUND, REFUND_INQUIRY, VAULT, VAULT_INQUIRY, OTHER = (
    "refund",
    "refund-inquiry",
    "vaulting",
    "vaulting-inquiry",
    "other",
)
SPACE = {
    PAY: PAY,
    INQUIRY: PAY,
    CAPTURE: CAPTURE,
    CANCEL: CANCEL,
    REFUND: REFUND,
    REFUND_INQUIRY: REFUND,
    VAULT: VAULT,
    VAULT_INQUIRY: VAULT,
    OTHER: OTHER,
}
EXECUTES = frozenset({PAY, CAPTURE, CANCEL, REFUND, VAULT})
INQUIRIES = {INQUIRY: PAY, REFUND_INQUIRY: REFUND, VAULT_INQUIRY: VAULT}

_AMS = re.compile(r"/a[mp]s/(?:sandbox/)?api/v\d+/(?:payments|vaults|authorizations)/(\w+)")
_AMS_OPERATIONS = {
    "pay": PAY,
    "inquiryPayment": INQUIRY,
    "capture": CAPTURE,
    "cancel": CANCEL,
    "refund": REFUND,
    "inquiryRefund": REFUND_INQUIRY,
    "vaultPaymentMethod": VAULT,
    "inquireVaulting": VAULT_INQUIRY,
}

# Antom / Alipay+ result codes whose resultStatus is U in the docs' tables (the outcome is not
# final); every other code but SUCCESS is F.
_AMS_UNKNOWN = frozenset(
    {
        "PAYMENT_IN_PROCESS",
        "UNKNOWN_EXCEPTION",
        "REQUEST_TRAFFIC_EXCEED_LIMIT",
        "REFUND_IN_PROCESS",
        "CAPTURE_IN_PROCESS",
        "VERIFICATION_IN_PROCESS",
    }
)
# U codes whose further action is "call the interface again" (UNKNOWN_EXCEPTION,
# REQUEST_TRAFFIC_EXCEED_LIMIT): the request was not taken up, so the next one is.
RESEND_CODES = frozenset({"UNKNOWN_EXCEPTION", "REQUEST_TRAFFIC_EXCEED_LIMIT"})
# OTT Pay (seed 002) codes that report a transaction still under way.
_OTT_UNDER_WAY = frozenset({"PROCESSING", "NOTPAY", "UNKNOW", "USERPAYING", "TIMEOUT", "REFUND"})
# OTT Pay REST (the payment status query's table): "init Order is created", "notpay Order is
# not paid, payment is processing", "canceling Order is revoking"; the refund page's sample
# "processing".
_OTT_REST_UNDER_WAY = frozenset({"INIT", "NOTPAY", "CANCELING", "PROCESSING"})
# PayKKa (seed 003): 4000 "Payment order is processing", 5010 "Transaction entered security review".
_PAYKKA_UNDER_WAY = frozenset({"4000", "5010"})
_PAYKKA_OK = frozenset({"0000", "000000"})

_KEY_HEADERS = ("idempotency-key", "x-idempotency-key")
# OTT Pay's pages (legacy and REST) document no idempotency key header: it deduplicates nothing.
_NO_KEY_HEADER = frozenset({"ottpay", "ottpay_rest"})
_REQUEST_IDS = {
    PAY: ("paymentRequestId",),
    CAPTURE: ("captureRequestId",),
    CANCEL: ("paymentRequestId", "paymentId"),
    REFUND: ("refundRequestId",),
    VAULT: ("vaultingRequestId",),
}
_LOOKUP_IDS = {
    PAY: ("paymentRequestId", "paymentId"),
    REFUND: ("refundRequestId", "refundId"),
    VAULT: ("vaultingRequestId",),
}
_ORDER_FIELDS = ("merchant_order_no", "order_no", "out_trade_no", "order_id", "orderId")
_REFUND_FIELDS = ("merchant_refund_no", "refund_no", "refund_id", "refundId", "out_refund_no")


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer."""

    status: int
    body: bytes
    content_type: str = "application/json"


def _json(payload: dict[str, Any], status: int = 200) -> Answer:
    return Answer(status, json.dumps(payload).encode())


def _ams_failure(code: str, message: str) -> Answer:
    """An Antom / Alipay+ answer with resultStatus F: the call did nothing."""
    return _json({"result": {"resultCode": code, "resultStatus": "F", "resultMessage": message}})


def is_ams(provider: str, path: str) -> bool:
    """Whether the request goes to an Antom / Alipay+ API endpoint (``/ams/api/v1/...``)."""
    return provider in ("antom", "alipay_plus") and _AMS.search(path) is not None


def missing_request_id(provider: str, operation: str, path: str, body: dict[str, Any]) -> bool:
    """An Antom API call without the request id its API requires (``paymentRequestId`` for pay,
    ``refundRequestId`` for refund ...): Antom answers PARAM_ILLEGAL and runs nothing."""
    if not is_ams(provider, path) or operation not in _REQUEST_IDS:
        return False
    return _value(body, _REQUEST_IDS[operation]) is None


def operation_of(provider: str, method: str, path: str, body: dict[str, Any]) -> str:
    """The operation a request asks for, from the provider's endpoint (and OTT's ``action``)."""
    match = _AMS.search(path)
    if match is not None and provider in ("antom", "alipay_plus"):
        return _AMS_OPERATIONS.get(match.group(1), OTHER)
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", path).lower()
    action = body.get("action")
    if isinstance(action, str):
        words += " " + action.lower()
    if "auth" in words and "token" in words:
        return OTHER  # OTT Pay REST's /api/v1/auth/token
    query = any(w in words for w in ("query", "inquir", "status"))
    if "refund" in words:
        return REFUND_INQUIRY if query or method == "GET" else REFUND
    if method == "GET" or query:
        return INQUIRY
    if "capture" in words:
        return CAPTURE
    if any(w in words for w in ("cancel", "void", "revers")):
        return CANCEL
    return PAY


def _flat(body: dict[str, Any]) -> dict[str, Any]:
    """The body, with OTT Pay's ``data`` object's fields beside the envelope's."""
    data = body.get("data")
    return {**data, **body} if isinstance(data, dict) else body


def _value(body: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = body.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def identity(
    provider: str, operation: str, headers: Any, body: dict[str, Any]
) -> tuple[str | None, bool]:
    """``(id, deduplicated)`` of an executing request: an idempotency key or request id the
    provider deduplicates on, else the order number it answers repeats for."""
    if provider not in _NO_KEY_HEADER:
        for name in _KEY_HEADERS:
            key = headers.get(name)
            if key:
                return f"key:{key}", True
    flat = _flat(body)
    if provider in ("antom", "alipay_plus"):
        found = _value(flat, _REQUEST_IDS.get(operation, ()))
        if found is not None:
            return f"id:{found}", True
    fields = _REFUND_FIELDS if operation == REFUND else _ORDER_FIELDS
    found = _value(flat, fields) or (
        _value(flat, _REQUEST_IDS.get(operation, ())) if operation != PAY else None
    )
    if found is None and operation == PAY:
        found = _value(flat, ("paymentRequestId",))
    return (f"order:{found}", False) if found is not None else (None, False)


def _named(flat: dict[str, Any], ids: tuple[str, ...], space: str) -> list[str]:
    """The names an order is filed or asked after by: its request id, then its order number."""
    found: list[str] = []
    request_id = _value(flat, ids)
    if request_id is not None:
        found += [f"id:{request_id}", f"order:{request_id}"]
    order = _value(flat, _REFUND_FIELDS if space == REFUND else _ORDER_FIELDS)
    if order is not None:
        found.append(f"order:{order}")
    return found


def names(provider: str, operation: str, body: dict[str, Any]) -> list[str]:
    """Every name an executed request's order can be asked after by."""
    return _named(_flat(body), _REQUEST_IDS.get(operation, ()), SPACE.get(operation, operation))


def lookup_ids(
    operation: str, headers: Any, body: dict[str, Any], query: str, path: str = ""
) -> list[str]:
    """The ids an inquiry may name its order by (its body, its query, the end of its path),
    most specific first."""
    flat = _flat(body)
    for name, value in parse_qsl(query):
        flat.setdefault(name, value)
    space = INQUIRIES.get(operation, PAY)
    keys = [f"key:{headers.get(name)}" for name in _KEY_HEADERS if headers.get(name)]
    named = keys + _named(flat, _LOOKUP_IDS.get(space, ()), space)
    from_path = path_id(path) if path else None
    return [*named, from_path] if from_path is not None else named


_TARGET_IDS = ("paymentId", "paymentRequestId")
_PATH_WORDS = frozenset(
    {"v1", "v2", "v3", "payments", "payment", "query", "inquiry", "status", "orders", "order"}
)


def target_ids(operation: str, body: dict[str, Any]) -> list[str]:
    """The names of the payment a refund, capture or cancel acts on (empty: none named)."""
    if operation not in (REFUND, CAPTURE, CANCEL):
        return []
    flat = _flat(body)
    found: list[str] = []
    payment = _value(flat, _TARGET_IDS)
    if payment is not None:
        found += [f"id:{payment}", f"order:{payment}"]
    order = _value(flat, _ORDER_FIELDS)
    if order is not None:
        found.append(f"order:{order}")
    return found


def path_id(path: str) -> str | None:
    """The last segment of a GET's path when it names an order (``/v1/payments/o-1``)."""
    last = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    return None if not last or last.lower() in _PATH_WORDS else f"order:{last}"


def no_such_order(provider: str) -> Answer:
    """The refund, capture or cancel names a payment the provider does not have."""
    if provider in ("antom", "alipay_plus"):
        return _ams_failure("ORDER_NOT_EXIST", "The order does not exist.")
    if provider == "ottpay":
        return _json({"rsp_code": "ORDER_NOT_EXIST", "rsp_msg": "original order not exist"})
    if provider == "ottpay_rest":
        return _ott_rest_error(20019, "Original payment not exist")
    data = {"status": "FAILURE", "error_code": "4008", "error_description": "Order does not exist"}
    return _json({"ret_code": "000000", "ret_msg": "success", "data": data})


def _ott_rest_error(code: int, message: str) -> Answer:
    return _json({"status": "ERROR", "result": {"code": code, "message": message}})


def payment_id(order_name: str) -> str:
    """The provider's own id for an executed payment (Antom's ``paymentId``)."""
    return "2026" + hashlib.sha256(order_name.encode()).hexdigest()[:20]


def fingerprint(body: dict[str, Any]) -> str:
    """What "the same request" means: the body, canonically encoded."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def doc_outcome(provider: str, code: str) -> str:
    """``success`` / ``pending`` / ``failed``: what the provider's own tables say the code is."""
    upper = code.strip().upper()
    if upper == SUCCESS_CODES[provider].upper() or (provider == "paykka" and upper in _PAYKKA_OK):
        return "success"
    if provider in ("antom", "alipay_plus"):
        return "pending" if upper in _AMS_UNKNOWN else "failed"
    if provider == "ottpay":
        return "pending" if upper in _OTT_UNDER_WAY else "failed"
    if provider == "ottpay_rest":
        # A status word of the query's table in process, else an ERROR answer's code: the
        # integration page calls those "unsuccessful responses".
        return "pending" if upper in _OTT_REST_UNDER_WAY else "failed"
    return "pending" if upper in _PAYKKA_UNDER_WAY else "failed"


def _sdk_event(provider: str, code: str) -> bool:
    """SDK callback codes (Antom's ``SDK_*``, Alipay+'s numeric callback codes): merchants
    forward them as ``{"code": ...}``; they are not server answers."""
    return provider in ("antom", "alipay_plus") and (
        code.upper().startswith("SDK_") or code.isdigit()
    )


def envelope(provider: str, code: str, message: str = "simulated") -> bytes:
    """The provider's answer to an executed request that carries ``code``.

    Args:
        provider: the provider id.
        code: the code the answer carries.
        message: the answer's message.

    Returns:
        The JSON body, as the provider would send it.

    Raises:
        UnknownProviderError: ``provider`` is not one the simulator plays (a ``ValueError``).

    Example:
        >>> import json
        >>> data = json.loads(envelope("paykka", "5004")).get("data")
        >>> data.get("error_code")
        '5004'
    """
    if provider not in PROVIDERS:
        raise UnknownProviderError(provider, sorted(PROVIDERS))
    return _executed(provider, PAY, code, message, {}).body


def _executed(
    provider: str, operation: str, code: str, message: str, body: dict[str, Any]
) -> Answer:
    outcome = doc_outcome(provider, code)
    if _sdk_event(provider, code):
        return _json({"code": code})
    if provider in ("antom", "alipay_plus"):
        letter = {"success": "S", "pending": "U", "failed": "F"}[outcome]
        result = {"resultCode": code, "resultStatus": letter, "resultMessage": message}
        payload: dict[str, Any] = {"result": result}
        for name in ("paymentRequestId", "refundRequestId", "captureRequestId", "paymentId"):
            if isinstance(body.get(name), str):
                payload[name] = body[name]
        if operation == PAY and outcome != "failed" and "paymentRequestId" in payload:
            payload["paymentId"] = payment_id(payload["paymentRequestId"])
        return _json(payload)
    if provider == "ottpay":
        if code.upper() == "SUCCESS":
            # The decrypted data of a paid order (PASSIVEPAY: "order_status | Order status");
            # a refund's names the refund (Appendix B: "REFUND_SUCCESS | refund success.").
            state = "REFUND_SUCCESS" if operation == REFUND else "SUCCESS"
            paid = {"order_status": state, "order_id": _value(_flat(body), _ORDER_FIELDS)}
            return _json({"rsp_code": code, "rsp_msg": message, "data": paid})
        return _json({"rsp_code": code, "rsp_msg": message})
    if provider == "ottpay_rest":
        return _ott_rest(operation, code, message, outcome, body)
    if len(code) == 6 and code.isdigit() and outcome != "success":
        return _json({"ret_code": code, "ret_msg": message})  # a gateway-level answer
    if outcome == "success":
        data: dict[str, Any] = {"status": "SUCCESS"}
    else:
        status = "PROCESSING" if outcome == "pending" else "FAILURE"
        data = {"status": status, "error_code": code, "error_description": message}
    return _json({"ret_code": "000000", "ret_msg": "success", "data": data})


def _ott_rest(
    operation: str, code: str, message: str, outcome: str, body: dict[str, Any]
) -> Answer:
    """An OTT Pay REST answer: a status word in the operation's status field, or an ERROR
    carrying a numeric code (apidocs.ottpay.com/api/integration)."""
    if outcome == "failed" and code.isdigit():
        return _json({"status": "ERROR", "result": {"code": int(code), "message": message}})
    word = code.lower()
    if operation in (REFUND, REFUND_INQUIRY):
        result: dict[str, Any] = {"refundId": "REF" + payment_id(fingerprint(body))[:12]}
        result["refundStatus"] = word
    else:
        result = {"paymentId": payment_id(fingerprint(body)), "paymentStatus": word}
        if operation == CANCEL and outcome == "success":
            result["paymentStatus"] = "orderclosed"  # "Upon successful reversal ... orderclosed"
    return _json({"status": "SUCCESS", "result": result})


def executed(provider: str, operation: str, code: str | None, body: dict[str, Any]) -> Answer:
    """The answer to a request the provider ran, carrying ``code`` (default: success)."""
    return _executed(provider, operation, code or SUCCESS_CODES[provider], "simulated", body)


def conflict(provider: str, keyed: bool) -> Answer:
    """A changed body under an idempotency key or request id the provider already has."""
    if provider in ("antom", "alipay_plus"):
        return _ams_failure(
            "REPEAT_REQ_INCONSISTENT",
            "The amount or currency is different from the previous request.",
        )
    message = "the idempotency key was used with a different request body"
    if not keyed and provider == "paykka":
        return _json({"ret_code": "000000", "ret_msg": "success", "data": _paykka_duplicate()})
    if not keyed and provider == "ottpay":
        return _json({"rsp_code": "ORDER_USED", "rsp_msg": "order number duplicated"})
    return _json({"error": "conflict", "message": message}, 409)


def _paykka_duplicate() -> dict[str, Any]:
    return {
        "status": "FAILURE",
        "error_code": "4021",
        "error_description": "Transaction number is duplicate",
    }


def repeat(provider: str, operation: str, outcome: str) -> Answer:
    """An order number sent again after its request executed, as each provider answers it."""
    if provider == "ottpay":
        if outcome == "success" and operation == PAY:
            return _json({"rsp_code": "ORDER_PAID", "rsp_msg": "order paid"})
        return _json({"rsp_code": "ORDER_USED", "rsp_msg": "order number duplicated"})
    if provider == "paykka":
        if outcome == "pending":
            data = {
                "status": "FAILURE",
                "error_code": "4000",
                "error_description": "Payment order is processing, please do not pay again",
            }
        elif operation == REFUND:
            data = {
                "status": "FAILURE",
                "error_code": "4003",
                "error_description": "Refund is completed, duplicate submission is not allowed",
            }
        else:
            data = _paykka_duplicate()
        return _json({"ret_code": "000000", "ret_msg": "success", "data": data})
    return _json({"error": "conflict", "message": "this order was already submitted"}, 409)


# How each provider names an order's state in an inquiry's answer: Antom paymentStatus /
# refundStatus / vaultingStatus (Architecture#operations-and-the-field-that-decides), OTT Pay
# respcode (seed 002: ORDER_REVERSED "order cancelled"), PayKKa's Gateway Order Status
# (docs.paykka.com).
_STATE_WORDS = {
    "antom": {
        "success": "SUCCESS",
        "failed": "FAIL",
        "pending": "PROCESSING",
        "cancelled": "CANCELLED",
    },
    # PREPAY_QUERY's status (docs.ottpay.com/payment-api/12-1-api-for-checkout-payment/
    # query-transaction-api): "SUCCESS": payment successfully, "ORDERCLOSE": payment fail,
    # "PROCESSING": payment on processing. A cancelled order is a closed one.
    "ottpay": {
        "success": "SUCCESS",
        "failed": "ORDERCLOSE",
        "pending": "PROCESSING",
        "cancelled": "ORDERCLOSE",
    },
    "paykka": {
        "success": "SUCCESS",
        "failed": "FAILURE",
        "pending": "PROCESSING",
        "cancelled": "CANCELED",
    },
}


def inquiry(
    provider: str, operation: str, found: tuple[str, str] | None, body: dict[str, Any]
) -> Answer:
    """An inquiry's answer: the state of the order it names, never an execution.

    ``found`` is ``(outcome, code)`` of the order's execution, or None when the provider has no
    executed order under that id.
    """
    space = INQUIRIES.get(operation, PAY)
    if provider in ("antom", "alipay_plus"):
        if found is None:
            result = {
                "resultCode": "ORDER_NOT_EXIST",
                "resultStatus": "F",
                "resultMessage": "The order does not exist.",
            }
            return _json({"result": result})
        outcome, code = found
        ok = {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success."}
        field = {PAY: "paymentStatus", REFUND: "refundStatus", VAULT: "vaultingStatus"}[space]
        value = _STATE_WORDS["antom"][outcome]
        payload: dict[str, Any] = {"result": ok, field: value}
        if space == PAY:
            payload["paymentResultCode"] = code
            payload["paymentResultMessage"] = "simulated"
        elif space == VAULT and outcome != "success":
            payload["vaultingResultCode"] = code
        for name in ("paymentRequestId", "paymentId", "refundRequestId", "vaultingRequestId"):
            if isinstance(body.get(name), str):
                payload[name] = body[name]
        return _json(payload)
    if provider == "ottpay":
        if found is None:
            return _json({"rsp_code": "ORDER_NOT_EXIST", "rsp_msg": "order not exist"})
        outcome, code = found
        # The decrypted data: rspCode / rspMsg are the "Inquiry Response code / message" (the
        # query worked), status the payment's state (the same page).
        decrypted = {
            "rspCode": "SUCCESS",
            "rspMsg": "success",
            "status": _STATE_WORDS["ottpay"][outcome],
        }
        return _json({"rsp_code": "SUCCESS", "rsp_msg": "success", "data": decrypted})
    if provider == "ottpay_rest":
        if found is None:
            return _ott_rest_error(20019, "Original payment not exist")
        outcome, code = found
        word = {"success": "success", "pending": "notpay", "cancelled": "orderclosed"}.get(
            outcome, "failure"
        )
        field = "refundStatus" if space == REFUND else "paymentStatus"
        if space == REFUND and outcome == "pending":
            word = "init"
        return _json({"status": "SUCCESS", "result": {field: word}})
    if found is None:
        return _json({"ret_code": "206024", "ret_msg": "the order doesn't exist"}, 400)
    outcome, code = found
    status = _STATE_WORDS["paykka"][outcome]
    data: dict[str, Any] = {"status": status}
    if outcome != "success" and code not in _PAYKKA_OK:
        data["error_code"] = code
    return _json({"ret_code": "000000", "ret_msg": "success", "data": data})


def bad_request(provider: str, why: str) -> Answer:
    """A request the provider cannot read."""
    if provider in ("antom", "alipay_plus"):
        return _ams_failure("PARAM_ILLEGAL", why)
    if provider == "ottpay_rest":
        return _ott_rest_error(10005, "Invalid parameter")
    return _json({"error": why}, 400)


def invalid_signature() -> Answer:
    return _ams_failure("INVALID_SIGNATURE", "The signature is not validated.")
