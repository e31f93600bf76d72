"""Answers a hostile reviewer built from the providers' documents (issue 9, second review round).
Each test is one of the reproductions; the expectation quotes the rule or the doc it breaks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import payerr
from payerr import Category, Outcome

OK = {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}


def antom(body: object, operation: str | None = None) -> payerr.Classification:
    return payerr.classify_http("antom", 200, body, operation=operation)  # type: ignore[arg-type]


@pytest.mark.parametrize("look_alike", ["\u017fuccess", "SUCCE\u00df", "\u017fUCCESS"])
def test_unicode_case_mapping_never_makes_a_success(look_alike: str) -> None:
    """Architecture#provider-text-is-hostile: no Unicode case folding that turns a long s into
    SUCCESS."""
    assert payerr.classify("antom", look_alike).outcome is not Outcome.SUCCESS
    for body, operation in [
        ({"result": OK, "paymentStatus": look_alike}, "inquiry"),
        ({"result": OK, "refundStatus": look_alike}, "refund-inquiry"),
        ({"result": {"resultCode": look_alike, "resultStatus": "S"}}, "pay"),
    ]:
        assert antom(body, operation).outcome is not Outcome.SUCCESS, body
    paykka = {"ret_code": "000000", "data": {"status": look_alike}}
    assert payerr.classify_http("paykka", 200, paykka).outcome is not Outcome.SUCCESS
    ott = {"rsp_code": "SUCCESS", "data": {"respcode": look_alike}}
    assert payerr.classify_http("ottpay", 200, ott, operation="inquiry").outcome is not (
        Outcome.SUCCESS
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"result":{"resultCode":"SUCCESS","resultStatus":"S"},'
        b'"paymentStatus":"FAIL","paymentStatus":"SUCCESS"}',
        b'{"result":{"resultCode":"USER_BALANCE_NOT_ENOUGH","resultStatus":"F"},'
        b'"result":{"resultCode":"SUCCESS","resultStatus":"S"}}',
    ],
)
def test_a_name_given_twice_is_garbled_not_a_result(body: bytes) -> None:
    """RFC 8259 section 4: names SHOULD be unique; parsers disagree on which value wins."""
    assert antom(body, "inquiry").outcome is Outcome.PENDING


def test_ott_query_fields_decide_and_must_agree() -> None:
    """docs.ottpay.com Query Transaction: rspCode / status (SUCCESS; ORDERCLOSE "payment fail";
    PROCESSING). A disagreement is never success."""

    def ott(data: dict[str, Any], operation: str | None = None) -> Outcome:
        body = {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": data}
        return payerr.classify_http("ottpay", 200, body, operation=operation).outcome

    assert ott({"status": "ORDERCLOSE"}) is Outcome.FAILED
    assert ott({"status": "PROCESSING"}) is Outcome.PENDING
    # rspCode is the "Inquiry Response code": it says the query worked; status decides.
    assert ott({"rspCode": "SUCCESS", "status": "ORDERCLOSE"}, "inquiry") is Outcome.FAILED
    # respcode (documented on a pay answer) beside status, disagreeing: never a verdict.
    assert ott({"respcode": "SUCCESS", "status": "ORDERCLOSE"}, "inquiry") is Outcome.PENDING
    assert ott({"rspCode": "SOMETHING_NEW"}) is Outcome.PENDING
    assert ott({"respcode": "SUCCESS", "status": "SUCCESS"}, "inquiry") is Outcome.SUCCESS


def paykka(data: object, operation: str | None = None, ret_code: str = "000000") -> Any:
    body: dict[str, Any] = {"ret_code": ret_code, "ret_msg": "Success"}
    if data is not None:
        body["data"] = data
    return payerr.classify_http("paykka", 200, body, operation=operation)


def test_a_paykka_order_still_paid_is_not_cancelled() -> None:
    """Gateway Order Status SUCCESS is "Succeeded": a payment that stands. Answering a cancel,
    the cancel has not happened."""
    assert paykka({"status": "SUCCESS"}, "cancel").outcome is Outcome.PENDING
    assert paykka({"status": "CANCELED"}, "cancel").outcome is Outcome.SUCCESS


def test_a_paykka_void_answer_without_data_is_the_cancels_success() -> None:
    """docs.paykka.com payments-void: the answer is ret_code and ret_msg only."""
    assert paykka(None, "cancel").outcome is Outcome.SUCCESS
    assert paykka(None, "inquiry").outcome is Outcome.PENDING


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("paykka", {"ret_code": "000000", "data": {"status": "REFUNDED"}}),
        # order_status: the state a query (STATUS_QUERY, CC_QUERYPAY) and a pay answer carry.
        ("ottpay", {"rsp_code": "SUCCESS", "data": {"order_status": "FULLY_REFUNDED"}}),
        ("ottpay", {"rsp_code": "SUCCESS", "data": {"order_status": "REFUND_SUCCESS"}}),
    ],
)
def test_a_refunded_order_is_never_a_payment_to_ship(provider: str, body: dict[str, Any]) -> None:
    """A refunded order answering a payment inquiry is not "the payment succeeded"; answering
    the refund, the refund is done; with no operation, neither is claimed."""
    on = {
        op: payerr.classify_http(provider, 200, body, operation=op)
        for op in ("inquiry", "pay", "refund", "refund-inquiry", None)
    }
    assert (on["inquiry"].outcome, on["inquiry"].category) == (Outcome.FAILED, Category.FINAL)
    assert "refunded" in on["inquiry"].user_message
    assert on["pay"].outcome is Outcome.FAILED
    assert on["refund"].outcome is Outcome.SUCCESS
    assert on["refund-inquiry"].outcome is Outcome.SUCCESS
    assert on[None].outcome is Outcome.PENDING


def test_a_success_code_without_the_status_a_query_needs_is_pending() -> None:
    """Architecture#success-needs-a-positive-signal: a missing status where the operation has one
    is pending."""
    for body, operation in [
        ({"errorCode": "0000"}, "inquiry"),
        ({"ret_code": "0000"}, "inquiry"),
        ({"ret_code": "000000"}, "refund-inquiry"),
    ]:
        c = payerr.classify_http("paykka", 200, body, operation=operation)
        assert c.outcome is Outcome.PENDING, body


def test_a_payment_status_beside_a_refund_does_not_decide_it() -> None:
    """Another operation's status beside an answer makes it pending; never failed."""
    c = antom({"result": OK, "paymentStatus": "FAIL"}, "refund")
    assert (c.outcome, c.source) == (Outcome.PENDING, "paymentStatus")


def test_an_unmapped_u_code_is_never_resent() -> None:
    """Architecture#in-process-is-pending: in process is never resent. U + PAYMENT_PROCESSING is
    sent once."""
    sent = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        result = {"resultCode": "PAYMENT_PROCESSING", "resultStatus": "U", "resultMessage": "x"}
        return httpx.Response(200, json={"result": result})

    policy = payerr.RetryPolicy(attempts=3, budget=False, sleep=lambda s: None)
    transport = payerr.PaymentTransport(
        "antom", policy=policy, transport=httpx.MockTransport(handler)
    )
    with httpx.Client(transport=transport, base_url="https://open-sea-global.alipay.com") as c:
        response = c.post("/ams/api/v1/payments/pay", json={"paymentRequestId": "p1"})
    assert payerr.classification_of(response).outcome is Outcome.PENDING  # type: ignore[union-attr]
    assert sent == 1


def test_a_refund_notification_that_disagrees_is_pending() -> None:
    body = {
        "notifyType": "REFUND_RESULT",
        "result": {"resultCode": "PROCESS_FAIL", "resultStatus": "F"},
        "refundStatus": "SUCCESS",
    }
    assert antom(body).outcome is Outcome.PENDING


def test_a_notification_payerr_does_not_know_is_never_success() -> None:
    assert antom({"notifyType": "PAYMENT_SOMETHING_NEW", "result": OK}).outcome is (Outcome.PENDING)


@pytest.mark.parametrize("operation", ["refund-inquiry", "vaulting-inquiry", "inquiry"])
def test_an_inquiry_that_failed_says_nothing_of_what_it_asked(operation: str) -> None:
    """An inquiry is not an execution (Architecture#an-inquiry-is-not-an-execution): a refused
    inquiry does not tell
    the shopper the refund failed or the card is bad."""
    for code in ("ACCESS_DENIED", "INVALID_SIGNATURE"):
        c = antom({"result": {"resultCode": code, "resultStatus": "F"}}, operation)
        assert "could not check" in c.user_message.lower(), (code, c.user_message)


def test_a_merchant_side_vaulting_refusal_does_not_blame_the_card() -> None:
    c = antom({"result": {"resultCode": "PARAM_ILLEGAL", "resultStatus": "F"}}, "vaulting")
    assert "another card" not in c.user_message


@pytest.mark.parametrize("operation", ["refund", "cancel"])
def test_ott_refusals_speak_of_the_operation(operation: str) -> None:
    word = {"refund": "refund", "cancel": "cancel"}[operation]
    for code in ("ORDER_PAID", "TRADE_HAS_FINISHED"):
        c = payerr.classify("ottpay", code, operation=operation)
        assert word in c.user_message.lower(), (code, c.user_message)


@pytest.mark.parametrize("body", [[], [{"result": OK}], 5, 1.5, None])
def test_parsed_json_that_is_not_an_object_is_no_answer(body: object) -> None:
    assert antom(body).outcome is Outcome.PENDING


def test_headers_as_json_lists_and_int_values() -> None:
    assert payerr.classify_http("antom", 503, b"", [["Retry-After", "7"]]).retry_after == 7
    assert payerr.classify_http("antom", 503, b"", {"Retry-After": 7}).retry_after == 7
    assert payerr.classify_http("antom", 503, b"", {"Retry-After": "1e9"}).retry_after is None


def test_a_request_can_name_its_operation() -> None:
    """OTT Pay answers every call on one URL: the request names the operation."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rsp_code": "REFUND_SUCCESS", "rsp_msg": "ok"})

    transport = payerr.PaymentTransport("ottpay", transport=httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client:
        named = client.post(
            "https://ott.example/processV2",
            json={"action": "refund"},
            extensions={"payerr.operation": "refund"},
        )
        # The body's action names it (docs.ottpay.com/payment-api/common-rules).
        by_action = client.post("https://ott.example/processV2", json={"action": "REFUND"})
        unnamed = client.post("https://ott.example/processV2", json={"version": "1.0"})
        with pytest.raises(ValueError, match="unknown operation"):
            client.post(
                "https://ott.example/processV2", extensions={"payerr.operation": "teleport"}
            )
    assert payerr.classification_of(named).outcome is Outcome.SUCCESS  # type: ignore[union-attr]
    assert payerr.classification_of(by_action).outcome is Outcome.SUCCESS  # type: ignore[union-attr]
    assert payerr.classification_of(unnamed).outcome is Outcome.PENDING  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("antom", {"result": {"resultCode": "SUCC\u200bESS", "resultStatus": "S"}}),
        ("antom", {"result": {"resultCode": "SUCCESS\x00", "resultStatus": "S"}}),
        ("alipay_plus", {"result": {"resultCode": "SUCCESS\x1b[0m", "resultStatus": "S"}}),
        ("ottpay", {"rsp_code": "SUCC\x00ESS", "rsp_msg": "success"}),
        ("paykka", {"ret_code": "000000", "data": {"error_code": "00\u200b00", "status": "x"}}),
        ("paykka", {"ret_code": "0000\x00"}),
        ("ottpay_rest", {"status": "SUCCESS", "result": {"paymentStatus": "succ\u200bess\x00"}}),
    ],
)
def test_a_success_code_with_invisible_characters_is_never_success(
    provider: str, body: dict[str, Any]
) -> None:
    """Architecture#provider-text-is-hostile: control and zero-width characters inside a code may
    help
    recognise an in-process or failed code, never a success, in every envelope."""
    assert payerr.classify_http(provider, 200, body).outcome is not Outcome.SUCCESS
