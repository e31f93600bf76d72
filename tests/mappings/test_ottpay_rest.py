"""OTT Pay's REST API (issue 21, point 6), as apidocs.ottpay.com describes it.

Every expected answer comes from its pages (stored copies):

- integration (https://apidocs.ottpay.com/api/integration/): "The status attribute in the
  response indicates whether it is a successful result, and the result attribute indicates the
  actual returned data"; ``{"status": "ERROR", "result": {"code": 10003, "message": "User does
  not exist"}}``; every call is an HTTPS POST with ``Authorization: Bearer <token>``.
- the error tables: auth (10003 "API Authorization failed", 10005 "Invalid parameter", 20004
  "Database error"), reverse (10200 "Gateway error", 20019 "Original payment not exist", 20020
  "Original payment has been finished": "The Original payment has already been captured", 50001
  "Failure": "Payment Failed", 50002 "Timeout": "... As a result, the transaction is reversed.",
  50003 "System error": "No response received for the ...").
- the payment status query (https://apidocs.ottpay.com/api/cmp/payment-status-query-api/api/):
  init "Order is created", notpay "Order is not paid, payment is processing", success "Order
  is success", canceling "Order is revoking", failure "Order failed", orderclosed "Order is
  closed", authfinish "Pre-authorization payment finished", partial_refunded "Order is
  partially refunded", fully_refunded "Order is fully refunded".
- refund (https://apidocs.ottpay.com/api/local-card/refund-api/api/): ``refundStatus`` "1) init
  : Refund initiated; 2) success: Refund Success; 3) failure: Refund Failed", and its example.
- reverse (https://apidocs.ottpay.com/api/local-card/reverse-api/): "Upon successful reversal,
  the original payment transaction status will be updated to orderclosed"; its example answer
  ``"paymentStatus": "cancelled"``.
- WeChat PC (https://apidocs.ottpay.com/api/cmp/payment-api/wechat-pc-browser/api/): the answer
  ``{"payInfo": "weixin://wxpay/bizpayurl?pr=iSatxsszz", "paymentId": "1677688845950853"}``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import payerr
from payerr import Category, FinalError, Operation, Outcome
from payerr.testing import ProviderSimulator

HOST = "https://ecom-api.ottpay.com"
PATHS = {
    "token": "/api/v1/auth/token",
    "card": "/api/v1/payment/local-card/tokenized",
    "3ds": "/api/v1/payment/local-card/payment3ds",
    "wechat": "/api/v1/pay/weixin/active-pay",
    "alipay": "/api/v1/pay/alipay/wap-pay",
    "query": "/api/v1/payment/status-query",
    "query-by-reference": "/api/v1/payment/status-query-by-reference",
    "wallet-query": "/api/v1/pay/status-query",
    "refund": "/api/v1/payment/local-card/refund",
    "wallet-refund": "/api/v1/pay/refund",
    "reverse": "/api/v1/payment/local-card/reverse",
}


def at(path: str, body: dict[str, Any], status: int = 200) -> payerr.Classification:
    request = httpx.Request("POST", HOST + PATHS[path], json={})
    return payerr.classify_response(
        "ottpay_rest", httpx.Response(status, json=body, request=request)
    )


def error(code: int | str, message: str = "from OTT Pay") -> dict[str, Any]:
    return {"status": "ERROR", "result": {"code": code, "message": message}}


def ok(**result: object) -> dict[str, Any]:
    return {"status": "SUCCESS", "result": result}


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("token", Operation.OTHER),
        ("card", Operation.PAY),
        ("3ds", Operation.PAY),
        ("wechat", Operation.PAY),
        ("alipay", Operation.PAY),
        ("query", Operation.INQUIRY),
        ("query-by-reference", Operation.INQUIRY),
        ("wallet-query", Operation.INQUIRY),
        ("refund", Operation.REFUND),
        ("wallet-refund", Operation.REFUND),
        ("reverse", Operation.CANCEL),
    ],
)
def test_each_path_names_its_operation(path: str, operation: Operation) -> None:
    assert at(path, ok()).operation is operation


def test_the_integration_pages_error_example() -> None:
    """10003 answered with another message than its table's: matched on the code."""
    c = at("card", error(10003, "User does not exist"))
    assert (c.outcome, c.category, c.code) == (Outcome.FAILED, Category.MERCHANT_CONFIG, "10003")
    assert c.detail == "User does not exist"
    assert at("card", error("10003")).code == "10003"  # a string code is the same code


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (50001, Outcome.FAILED),  # "Payment Failed"
        (50002, Outcome.FAILED),  # declined, or approved and then reversed
        (20020, Outcome.FAILED),  # already captured: the void is refused
        (50003, Outcome.PENDING),  # "No response received": not known
        (10200, Outcome.PENDING),  # the gateway's error: not known
        (90000, Outcome.PENDING),  # no public table lists it: unknown, never failed
    ],
)
def test_error_codes(code: int, outcome: Outcome) -> None:
    assert at("card", error(code)).outcome is outcome


def test_a_wallet_payment_answer_waits_for_the_payer() -> None:
    """The WeChat PC answer: a payInfo to show and a paymentId; nobody has paid yet."""
    c = at("wechat", ok(payInfo="weixin://wxpay/bizpayurl?pr=iSatxsszz", paymentId="16776"))
    assert c.outcome is Outcome.PENDING


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("init", Outcome.PENDING),
        ("notpay", Outcome.PENDING),
        ("success", Outcome.SUCCESS),
        ("canceling", Outcome.PENDING),
        ("failure", Outcome.FAILED),
        ("orderclosed", Outcome.FAILED),
        ("authfinish", Outcome.SUCCESS),
        ("partial_refunded", Outcome.SUCCESS),  # part refunded: the payment stands
        ("brand_new_status", Outcome.PENDING),
        (None, Outcome.PENDING),
    ],
)
def test_the_status_query_table(status: str | None, outcome: Outcome) -> None:
    c = at("wallet-query", ok(paymentId="1678715489187336", paymentStatus=status))
    assert c.outcome is outcome


def test_a_fully_refunded_payment_is_no_payment_to_ship() -> None:
    """The status query page's own example answer: fully_refunded."""
    c = at("wallet-query", ok(paymentId="1678715489187336", paymentStatus="fully_refunded"))
    assert c.outcome is not Outcome.SUCCESS
    assert c.message == "Order is fully refunded"


def test_a_query_without_a_status_is_pending() -> None:
    assert at("query", ok(paymentId="1678715489187336")).outcome is Outcome.PENDING


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("success", Outcome.SUCCESS),
        ("init", Outcome.PENDING),
        ("processing", Outcome.PENDING),
        ("failure", Outcome.FAILED),
        (None, Outcome.PENDING),
    ],
)
def test_a_refund_reads_its_refund_status(status: str | None, outcome: Outcome) -> None:
    body = ok(refundId="REF187814130359", refundAmount="10", refundStatus=status)
    c = at("refund", body)
    assert c.outcome is outcome
    if outcome is not Outcome.SUCCESS:
        assert "refund" in c.user_message.lower()


@pytest.mark.parametrize("status", ["cancelled", "orderclosed", "success"])
def test_a_void_that_worked(status: str) -> None:
    c = at("reverse", ok(reverseId="VOID1694723354144799", paymentStatus=status))
    assert (c.outcome, c.operation) == (Outcome.SUCCESS, Operation.CANCEL)


def test_a_cancelled_payment_answering_a_query_is_not_taken() -> None:
    assert at("query", ok(paymentStatus="cancelled")).outcome is Outcome.FAILED


def test_the_token_call_succeeds_on_status_alone() -> None:
    c = at("token", ok(token="eyJhbGciOiJIUzUxMiJ9.x.y", expired=1677688934293))
    assert (c.outcome, c.operation) == (Outcome.SUCCESS, Operation.OTHER)


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ERROR"},
        {"status": "ERROR", "result": None},
        {"status": "ERROR", "result": {"code": [10003]}},
        {"status": "OK", "result": {}},
        {"status": None, "result": {"paymentStatus": "success"}},
        {"status": "SUCCESS", "result": "success"},
        {"status": "SUCCESS", "result": {"paymentStatus": {"value": "success"}}},
        {"status": "SUCCESS", "result": {"paymentStatus": "succ\u200bess\x00"}},
        {"status": "SU\u017fCCESS", "result": {"paymentStatus": "success"}},
    ],
)
def test_hostile_answers_are_never_success(body: dict[str, Any]) -> None:
    for path in ("card", "query", "refund"):
        c = at(path, body)
        assert c.outcome is not Outcome.SUCCESS, (path, body, c)


def test_an_error_status_over_a_success_body_is_not_success() -> None:
    """HTTP 502 whose body says success: outcome unknown
    (Architecture#the-body-beats-the-status)."""
    c = at("card", ok(paymentStatus="success"), status=502)
    assert c.outcome is Outcome.PENDING


# -- the simulator serves it, and the transport drives it -----------------------------------


def test_the_simulator_serves_the_rest_api() -> None:
    with ProviderSimulator() as sim:
        base = sim.url_for("ottpay_rest")
        transport = payerr.PaymentTransport("ottpay_rest")
        with httpx.Client(transport=transport, base_url=base, timeout=2.0) as client:
            paid = client.post(PATHS["card"], json={"amount": 100, "reference": "MJG498"})
            c = payerr.classification_of(paid)
            assert c is not None
            assert (c.outcome, c.operation) == (Outcome.SUCCESS, Operation.PAY)
            assert paid.json()["status"] == "SUCCESS"
            with pytest.raises(FinalError) as caught:
                client.post(PATHS["reverse"], json={"paymentId": "not-a-payment"})
            assert caught.value.classification.code == "20019"  # "Original payment not exist"
        assert sim.duplicate_executions == 0


def test_a_declined_card_payment_is_raised_once() -> None:
    """50001 "Payment Failed": a FinalError, one request (no idempotency to resend under)."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=error(50001, "Failure"))

    transport = payerr.PaymentTransport("ottpay_rest", transport=httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client, pytest.raises(FinalError):
        client.post(HOST + PATHS["card"], json={"amount": 100})
    assert len(calls) == 1


@pytest.mark.parametrize(
    "status", ["authorized", "authfinish", "partial_refunded", "fully_refunded", "notpay"]
)
def test_a_void_answered_with_the_state_before_it_has_not_happened(status: str) -> None:
    """ "Upon successful reversal, the original payment transaction status will be updated to
    orderclosed": a state the payment had before the void is not the void's success."""
    assert at("reverse", ok(paymentStatus=status)).outcome is Outcome.PENDING


@pytest.mark.parametrize("code", [50001, 50002, 20020, 20004])
def test_a_status_query_that_failed_is_not_the_payments_failure(code: int) -> None:
    """The error tables come from the payment, refund and reverse APIs; answering a status
    query, an error is the query's, and says nothing of the payment it asked after."""
    for path in ("query", "wallet-query", "query-by-reference"):
        assert at(path, error(code)).outcome is Outcome.PENDING, (path, code)


def test_a_status_query_for_a_payment_that_does_not_exist_is_failed() -> None:
    """20019 "Original payment not exist" answering a query: it never arrived
    (Architecture#an-inquiry-is-not-an-execution)."""
    c = at("query", error(20019, "Original payment not exist"))
    assert (c.outcome, c.category) == (Outcome.FAILED, Category.FINAL)


def test_contradicting_fields_decide_nothing() -> None:
    """An error's code under SUCCESS, a refund's success beside a failed payment: pending."""
    assert at("card", ok(code=50001, paymentStatus="success")).outcome is Outcome.PENDING
    body = ok(refundStatus="success", paymentStatus="failure")
    assert at("refund", body).outcome is Outcome.PENDING
    body = ok(refundStatus="success", paymentStatus="partial_refunded")
    assert at("refund", body).outcome is Outcome.SUCCESS


def test_an_authorized_payment_is_not_a_done_capture() -> None:
    """ "the payment gateway returns an authorized status" before OTT Pay captures it."""
    c = payerr.classify_http(
        "ottpay_rest", 200, ok(paymentStatus="authorized"), operation="capture"
    )
    assert c.outcome is Outcome.PENDING
