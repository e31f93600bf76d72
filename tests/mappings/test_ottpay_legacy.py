"""OTT Pay's legacy API as its pages describe it (issue 21, point 1).

Every expected answer comes from docs.ottpay.com/payment-api (stored copies):

- common-rules: one URL, ``https://frontapi.ottpay.com:443/processV2``; the request's first
  level is ``action | Action type``, ``version``, ``merchant_id``, ``data`` (AES, Appendix A),
  ``md5``; the answer's is ``rsp_code``, ``rsp_msg``, ``data``, ``md5``.
- 12-1-api-for-checkout-payment/query-transaction-api (``PREPAY_QUERY``), the decrypted data:
  "rspCode | Inquiry Response code", "rspMsg | Inquiry Response message", "status | status |
  "SUCCESS": payment successfully, "ORDERCLOSE": payment fail, "PROCESSING": payment on
  processing".
- api-for-global-payments-portico-ecomm-payment/query-transaction-api (``CC_QUERYPAY``):
  "rspCode | Inquiry Response code", "order_status | Order status".
- retail-api/query-transaction-api (``STATUS_QUERY``): "order_status | Order status"; its values
  are not listed, and integrations read lower-case ``success``, ``init``, ``notpay``.
- pc-api (``ACTIVEPAY``): the decrypted answer carries ``code_url`` (the QR code the payer scans).
- refund-transaction-and-query-api: "action | Action name | Y | REFUND".
- Appendix B (untitled): "ORDER_NOT_EXIST | original order not exist"; "FAIL | failure.";
  "SYSTEM_ERROR | system error.".
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import payerr
from payerr import Operation, Outcome

PROCESS = "https://frontapi.ottpay.com:443/processV2"
ENCRYPTED = "41kiLvjVBO8AW4wTOthI92OQu+8fwac5cIDx0DoZpitLvSJU8WKQbk5Bii5ZYrgLz4hepQ865QZFWq"


def request(action: str) -> httpx.Request:
    """A request as common-rules shows it (the data still encrypted)."""
    body = {
        "action": action,
        "version": "2.0",
        "merchant_id": "ON00004652",
        "data": ENCRYPTED,
        "md5": "0ECB498672C0EAF9805522AFEE5A91BA",
    }
    return httpx.Request("POST", PROCESS, content=json.dumps(body).encode())


def answer(data: object, rsp_code: str = "SUCCESS", rsp_msg: str = "success") -> dict[str, Any]:
    return {"rsp_code": rsp_code, "rsp_msg": rsp_msg, "data": data, "md5": "32310A0DD3D021A7"}


def query(data: dict[str, Any], action: str = "PREPAY_QUERY") -> payerr.Classification:
    """A query's answer, classified as the transports see it: by the request's action."""
    response = httpx.Response(200, json=answer(data), request=request(action))
    return payerr.classify_response("ottpay", response)


# -- the inquiry's code says the query worked; the payment's status decides --------------


@pytest.mark.parametrize("status", [None, "", "  "])
def test_a_query_whose_payment_status_is_null_is_pending(status: object) -> None:
    """The false success of the report: rspCode SUCCESS (the inquiry worked) with a null
    payment status says nothing of the payment."""
    c = query({"rspCode": "SUCCESS", "rspMsg": "success", "status": status})
    assert c.outcome is Outcome.PENDING
    assert c.operation is Operation.INQUIRY


def test_a_query_without_a_payment_status_is_pending() -> None:
    c = query({"rspCode": "SUCCESS", "rspMsg": "success", "amount": "5"})
    assert c.outcome is Outcome.PENDING
    assert "status" in c.message


def test_a_closed_order_is_a_failed_payment() -> None:
    """ "ORDERCLOSE": payment fail, with the inquiry's rspCode SUCCESS: failed, final."""
    c = query({"rspCode": "SUCCESS", "rspMsg": "success", "status": "ORDERCLOSE"})
    assert (c.outcome, c.category) == (Outcome.FAILED, payerr.Category.FINAL)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("SUCCESS", Outcome.SUCCESS), ("PROCESSING", Outcome.PENDING)],
)
def test_the_documented_statuses_decide(status: str, outcome: Outcome) -> None:
    c = query({"rspCode": "SUCCESS", "rspMsg": "success", "status": status})
    assert c.outcome is outcome


@pytest.mark.parametrize(
    ("order_status", "outcome"),
    [
        ("success", Outcome.SUCCESS),
        ("notpay", Outcome.PENDING),
        ("init", Outcome.PENDING),
        ("SOMETHING_NEW", Outcome.PENDING),
        (None, Outcome.PENDING),
    ],
)
def test_card_and_common_queries_read_order_status(order_status: object, outcome: Outcome) -> None:
    """CC_QUERYPAY and STATUS_QUERY name the payment's state order_status; a value no page
    lists is pending, never success."""
    for action in ("CC_QUERYPAY", "STATUS_QUERY"):
        c = query({"rspCode": "SUCCESS", "order_status": order_status}, action)
        assert c.outcome is outcome, (action, order_status)


def test_an_inquiry_that_failed_says_nothing_of_the_payment() -> None:
    """rspCode FAIL ("failure.") is the inquiry's: the payment may have gone through."""
    c = query({"rspCode": "FAIL", "rspMsg": "failure.", "status": None})
    assert c.outcome is Outcome.PENDING
    c = query({"rspCode": "FAIL", "rspMsg": "failure."})
    assert c.outcome is Outcome.PENDING


def test_an_inquiry_that_could_not_look_says_so() -> None:
    """SYSTEM_ERROR answering a query: the query could be made again ("we could not check")."""
    response = httpx.Response(
        200,
        json={"rsp_code": "SYSTEM_ERROR", "rsp_msg": "system error."},
        request=request("STATUS_QUERY"),
    )
    c = payerr.classify_response("ottpay", response)
    assert c.category is payerr.Category.RETRYABLE
    assert "could not check" in c.user_message


def test_an_inquiry_for_an_order_that_does_not_exist_is_failed() -> None:
    """ORDER_NOT_EXIST ("original order not exist") answering an inquiry after a timed-out pay
    means the pay never arrived (Architecture#an-inquiry-is-not-an-execution)."""
    body = {"rsp_code": "ORDER_NOT_EXIST", "rsp_msg": "original order not exist"}
    response = httpx.Response(200, json=body, request=request("STATUS_QUERY"))
    c = payerr.classify_response("ottpay", response)
    assert (c.outcome, c.category) == (Outcome.FAILED, payerr.Category.FINAL)


# -- the operation is the request body's action --------------------------------------------


@pytest.mark.parametrize(
    ("action", "operation"),
    [
        ("ACTIVEPAY", Operation.PAY),
        ("PASSIVEPAY", Operation.PAY),
        ("H5PAY", Operation.PAY),
        ("MAPPPAY", Operation.PAY),
        ("PREPAY_INIT", Operation.PAY),
        ("CC_PURCHASE", Operation.PAY),
        ("CC_PREAUTH", Operation.PAY),
        ("STATUS_QUERY", Operation.INQUIRY),
        ("PREPAY_QUERY", Operation.INQUIRY),
        ("CC_QUERYPAY", Operation.INQUIRY),
        ("REFUND", Operation.REFUND),
        ("EX_RATE_QUERY", Operation.OTHER),
        # No page lists these; their words name them.
        ("REFUND_QUERY", Operation.REFUND_INQUIRY),
        ("REVERSE", Operation.CANCEL),
    ],
)
def test_the_action_names_the_operation(action: str, operation: Operation) -> None:
    response = httpx.Response(200, json=answer(ENCRYPTED), request=request(action))
    assert payerr.classify_response("ottpay", response).operation is operation


def test_an_answer_still_encrypted_is_never_success() -> None:
    """The report's case: a query answered SUCCESS with its data still encrypted, with and
    without the operation known. Nothing says the payment's state: pending."""
    for req in (request("PREPAY_QUERY"), request("ACTIVEPAY"), None):
        response = httpx.Response(200, json=answer(ENCRYPTED), request=req)
        if req is None:
            c = payerr.classify_http("ottpay", 200, answer(ENCRYPTED))
        else:
            c = payerr.classify_response("ottpay", response)
        assert c.outcome is Outcome.PENDING, req
        assert "encrypted" in c.message


def test_a_refused_request_with_encrypted_data_is_refused() -> None:
    """rsp_code PARAM_INVALID ("invalid parameter"): the request was refused, whatever data."""
    response = httpx.Response(
        200,
        json=answer(ENCRYPTED, "PARAM_INVALID", "invalid parameter"),
        request=request("ACTIVEPAY"),
    )
    c = payerr.classify_response("ottpay", response)
    assert (c.outcome, c.category) == (Outcome.FAILED, payerr.Category.MERCHANT_CONFIG)


def test_a_qr_code_answer_waits_for_the_payer() -> None:
    """ACTIVEPAY answers with the code_url the payer scans: the order exists, nobody paid."""
    data = {"code_url": "weixin://wxpay/bizpayurl?pr=abc", "order_id": "2020041468976O124O000857"}
    response = httpx.Response(200, json=answer(data), request=request("ACTIVEPAY"))
    c = payerr.classify_response("ottpay", response)
    assert c.outcome is Outcome.PENDING
    assert c.operation is Operation.PAY


def test_a_query_shaped_answer_without_an_operation_is_read_as_a_query() -> None:
    """rspCode beside status is PREPAY_QUERY's documented shape: the status decides."""
    for status, outcome in (("ORDERCLOSE", Outcome.FAILED), (None, Outcome.PENDING)):
        c = payerr.classify_http("ottpay", 200, answer({"rspCode": "SUCCESS", "status": status}))
        assert c.outcome is outcome, status


def test_a_body_that_is_not_json_or_names_no_action_falls_back_on_the_path() -> None:
    for content in (b"not json", b'{"action": 5}', b'{"action": "' + b"X" * 100 + b'"}'):
        req = httpx.Request("POST", "https://frontapi.ottpay.com/refund", content=content)
        response = httpx.Response(200, json={"rsp_code": "SUCCESS"}, request=req)
        assert payerr.classify_response("ottpay", response).operation is Operation.REFUND


def test_the_transport_reads_the_action_too() -> None:
    """Through PaymentTransport: a PREPAY_QUERY answer with a null status is pending."""

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer({"rspCode": "SUCCESS", "status": None}))

    transport = payerr.PaymentTransport("ottpay", transport=httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client:
        response = client.send(request("PREPAY_QUERY"))
    c = payerr.classification_of(response)
    assert c is not None
    assert (c.outcome, c.operation) == (Outcome.PENDING, Operation.INQUIRY)


# -- found by the hostile review --------------------------------------------------------


@pytest.mark.parametrize("data", [None, "", 0, [], True, "missing"])
@pytest.mark.parametrize("operation", ["pay", "refund", "cancel", None])
def test_success_without_decrypted_data_is_never_success(
    data: object, operation: str | None
) -> None:
    """Every answer carries data ("data | Encrypted Data | Y", common-rules); rsp_code SUCCESS
    only says the API request was processed. Without data to read: pending."""
    body: dict[str, Any] = {"rsp_code": "SUCCESS", "rsp_msg": "success"}
    if data != "missing":
        body["data"] = data
    c = payerr.classify_http("ottpay", 200, body, operation=operation)
    assert c.outcome is Outcome.PENDING


def test_a_code_that_names_the_state_decides_without_data() -> None:
    """Appendix B's "REFUND_SUCCESS | refund success." answering a refund is its result."""
    body = {"rsp_code": "REFUND_SUCCESS", "rsp_msg": "refund success."}
    assert payerr.classify_http("ottpay", 200, body, operation="refund").is_success


def test_an_inquiry_code_alone_without_the_operation_is_not_success() -> None:
    """rspCode is a query's "Inquiry Response code" (and a card pay's PSP code): alone, with
    no operation named, it says nothing certain of the payment."""
    c = payerr.classify_http("ottpay", 200, answer({"rspCode": "SUCCESS", "rspMsg": "success"}))
    assert c.outcome is Outcome.PENDING


def test_an_inquiry_that_failed_beside_a_state_is_pending() -> None:
    """rsp_code SYSTEM_ERROR says the query failed, yet its data says SUCCESS: they
    contradict each other, so neither decides."""
    body = answer({"status": "SUCCESS"}, "SYSTEM_ERROR", "system error.")
    response = httpx.Response(200, json=body, request=request("STATUS_QUERY"))
    assert payerr.classify_response("ottpay", response).outcome is Outcome.PENDING


# -- found by the second hostile review ---------------------------------------------------


def test_a_refund_query_answered_with_the_payments_success_is_pending() -> None:
    """The query pages' status is the payment's ("SUCCESS": payment successfully): a paid
    order is no refund's result; respcode (a pay answer's field) alone says nothing."""
    for data in ({"rspCode": "SUCCESS", "status": "SUCCESS"}, {"respcode": "SUCCESS"}):
        body = answer(data)
        c = payerr.classify_http("ottpay", 200, body, operation="refund-inquiry")
        assert c.outcome is Outcome.PENDING, data
    c = payerr.classify_http("ottpay", 200, answer({"respcode": "SUCCESS"}), operation="inquiry")
    assert c.outcome is Outcome.PENDING


@pytest.mark.parametrize(
    ("rsp_code", "data", "operation"),
    [
        ("FAIL", {"respcode": "FULLY_REFUNDED"}, "refund"),
        ("FAIL", {"respcode": "ORDER_REVERSED"}, "cancel"),
        ("PROCESSING", {"respcode": "SUCCESS"}, "pay"),
        (None, {"respcode": "SUCCESS"}, "pay"),
        ("SUCCESS", {"respcode": "SUCCESS", "status": None}, "pay"),
    ],
)
def test_the_data_says_success_but_the_answer_does_not(
    rsp_code: str | None, data: dict[str, Any], operation: str
) -> None:
    """rsp_code is required ("rsp_code | Response code | Y") and must agree; a state field
    that is null says nothing: never success."""
    body: dict[str, Any] = {"rsp_msg": "x", "data": data}
    if rsp_code is not None:
        body["rsp_code"] = rsp_code
    assert payerr.classify_http("ottpay", 200, body, operation=operation).outcome is not (
        Outcome.SUCCESS
    )


def test_a_cancel_answered_partially_refunded_has_not_happened() -> None:
    body = {"rsp_code": "PARTIAL_REFUNDED", "rsp_msg": "partial Refunded"}
    assert payerr.classify_http("ottpay", 200, body, operation="cancel").is_pending


def test_an_inquirys_own_code_never_decides_the_payment() -> None:
    """rspCode is the "Inquiry Response code": FULLY_REFUNDED there is no payment state."""
    body = answer({"rspCode": "FULLY_REFUNDED"})
    assert payerr.classify_http("ottpay", 200, body, operation="inquiry").is_pending


# -- found by the third hostile review (a generator over codes, fields and operations) ------


@pytest.mark.parametrize(
    ("body", "operation"),
    [
        # rsp_code and rspCode are required: missing or null, the query is not known to work.
        ({"data": {"rspCode": "SUCCESS", "status": "SUCCESS"}}, "inquiry"),
        ({"rsp_code": None, "data": {"rspCode": "SUCCESS", "status": "ORDERCLOSE"}}, "inquiry"),
        ({"rsp_code": "SUCCESS", "data": {"rspCode": None, "status": "SUCCESS"}}, "inquiry"),
        # Two state fields that disagree once read for the operation.
        (
            {"rsp_code": "SUCCESS",
             "data": {"rspCode": "SUCCESS", "respcode": "PROCESSING", "status": "FULLY_REFUNDED"}},
            "refund-inquiry",
        ),
        # The payment's state ("SUCCESS": payment successfully; "ORDERCLOSE": payment fail)
        # answering a refund, a refund query or a cancel says nothing of those.
        ({"rsp_code": "SUCCESS", "data": {"status": "SUCCESS"}}, "refund"),
        ({"rsp_code": "SUCCESS", "data": {"rspCode": "SUCCESS", "status": "ORDERCLOSE"}},
         "refund-inquiry"),
        ({"rsp_code": "SUCCESS", "data": {"status": "SUCCESS"}}, "cancel"),
    ],
)  # fmt: skip
def test_no_verdict_without_a_whole_answer_that_speaks_of_the_operation(
    body: dict[str, Any], operation: str
) -> None:
    assert payerr.classify_http("ottpay", 200, body, operation=operation).is_pending
