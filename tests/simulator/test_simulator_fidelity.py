"""The simulator answers as the providers' documents say (issue 10, item 1), so that payerr's
own tests meet what providers really send. Each expectation cites the provider's words."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from payerr.testing import ProviderSimulator, scenario

PAY = "/ams/api/v1/payments/pay"
INQUIRE = "/ams/api/v1/payments/inquiryPayment"
REFUND = "/ams/api/v1/payments/refund"
INQUIRE_REFUND = "/ams/api/v1/payments/inquiryRefund"


@pytest.fixture
def sim() -> Iterator[ProviderSimulator]:
    with ProviderSimulator(stall=0.5) as simulator:
        yield simulator


def call(
    sim: ProviderSimulator,
    provider: str,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    with httpx.Client(base_url=sim.url_for(provider), timeout=2.0) as client:
        return client.post(path, json=body, headers=headers or {})


def test_an_inquiry_for_a_pay_that_never_ran_says_it_does_not_exist(
    sim: ProviderSimulator,
) -> None:
    """A 503 before the pay ran leaves nothing to find: inquiryPayment answers
    ORDER_NOT_EXIST "The order does not exist." and executes nothing."""
    pay = {"paymentRequestId": "p-1", "paymentAmount": {"value": "100", "currency": "USD"}}
    assert call(sim, "antom", PAY, pay, scenario("503")).status_code == 503
    answer = call(sim, "antom", INQUIRE, {"paymentRequestId": "p-1"}).json()
    assert answer["result"]["resultCode"] == "ORDER_NOT_EXIST"
    assert answer["result"]["resultStatus"] == "F"
    assert sim.executions == 0


def test_an_inquiry_reports_the_pays_state_and_never_executes(sim: ProviderSimulator) -> None:
    """inquiryPayment: result S says the inquiry worked; paymentStatus carries the pay's state
    (SUCCESS / FAIL / PROCESSING) and paymentResultCode its code."""
    call(sim, "antom", PAY, {"paymentRequestId": "p-ok"})
    call(sim, "antom", PAY, {"paymentRequestId": "p-wait"}, scenario(code="PAYMENT_IN_PROCESS"))
    call(sim, "antom", PAY, {"paymentRequestId": "p-no"}, scenario(code="USER_BALANCE_NOT_ENOUGH"))
    for request_id, status in (("p-ok", "SUCCESS"), ("p-wait", "PROCESSING"), ("p-no", "FAIL")):
        for _ in range(3):
            answer = call(sim, "antom", INQUIRE, {"paymentRequestId": request_id}).json()
            assert answer["result"]["resultStatus"] == "S"
            assert answer["paymentStatus"] == status, request_id
    assert sim.executions == 3
    assert sim.inquiries == 9


def test_inquiries_do_not_use_up_the_pays_fault_script(sim: ProviderSimulator) -> None:
    script = scenario("503", code="PAYMENT_IN_PROCESS")
    call(sim, "antom", INQUIRE, {"paymentRequestId": "p-s"})
    assert call(sim, "antom", PAY, {"paymentRequestId": "p-s"}, script).status_code == 503
    answer = call(sim, "antom", PAY, {"paymentRequestId": "p-s"}, script).json()
    assert answer["result"]["resultCode"] == "PAYMENT_IN_PROCESS"


def test_get_polling_never_executes(sim: ProviderSimulator) -> None:
    with httpx.Client(base_url=sim.url_for("paykka"), timeout=2.0) as client:
        for _ in range(5):
            answer = client.get("/v1/payments", params={"merchant_order_no": "never-paid"})
            assert answer.json()["ret_code"] == "206024"  # "the order doesn't exist"
        client.post("/v1/payments", json={"merchant_order_no": "paid"})
        status = client.get("/v1/payments", params={"merchant_order_no": "paid"}).json()
    assert status["data"]["status"] == "SUCCESS"
    assert sim.executions == 1


def test_refund_ids_live_apart_from_payment_ids(sim: ProviderSimulator) -> None:
    """Architecture#operations-and-the-field-that-decides: refund is idempotent on refundRequestId,
    a separate id space."""
    call(sim, "antom", PAY, {"paymentRequestId": "same-id"}, scenario(code="PAYMENT_IN_PROCESS"))
    paid = call(sim, "antom", PAY, {"paymentRequestId": "paid-1"}).json()["paymentId"]
    refund = call(sim, "antom", REFUND, {"refundRequestId": "same-id", "paymentId": paid}).json()
    assert refund["result"]["resultCode"] == "SUCCESS"
    assert refund.get("refundRequestId") == "same-id"
    answer = call(sim, "antom", INQUIRE_REFUND, {"refundRequestId": "same-id"}).json()
    assert answer["refundStatus"] == "SUCCESS"
    assert sim.executions_of("same-id", "refund") == 1
    assert sim.executions_of("same-id", "pay") == 1


def test_a_refund_of_a_payment_that_never_ran_is_refused(sim: ProviderSimulator) -> None:
    """refund: ORDER_NOT_EXIST | F | "The order does not exist." Nothing is refunded."""
    refund = call(sim, "antom", REFUND, {"refundRequestId": "r-0", "paymentId": "nope"}).json()
    assert refund["result"]["resultCode"] == "ORDER_NOT_EXIST"
    answer = call(sim, "paykka", "/v1/refunds", {"merchant_order_no": "never-paid"}).json()
    assert answer["data"]["error_code"] == "4008"  # seed 003: "Order does not exist"
    assert sim.executions == 0


def test_an_antom_call_without_its_request_id_runs_nothing(sim: ProviderSimulator) -> None:
    """paymentRequestId is required (pay); without it Antom answers PARAM_ILLEGAL."""
    answer = call(sim, "antom", PAY, {"paymentAmount": {"value": "100"}}).json()
    assert answer["result"]["resultCode"] == "PARAM_ILLEGAL"
    assert sim.executions == 0


def test_a_cancelled_payment_is_reported_cancelled(sim: ProviderSimulator) -> None:
    """inquiryPayment's paymentStatus CANCELLED; PayKKa's Gateway Order Status CANCELED."""
    paid = call(sim, "antom", PAY, {"paymentRequestId": "c-1"}).json()["paymentId"]
    cancel = call(sim, "antom", "/ams/api/v1/payments/cancel", {"paymentId": paid}).json()
    assert cancel["result"]["resultCode"] == "SUCCESS"
    answer = call(sim, "antom", INQUIRE, {"paymentRequestId": "c-1"}).json()
    assert answer["paymentStatus"] == "CANCELLED"
    call(sim, "paykka", "/v1/payments", {"merchant_order_no": "c-2"})
    call(sim, "paykka", "/v1/payments/void", {"merchant_order_no": "c-2"})
    status = call(sim, "paykka", "/v1/payments/query", {"merchant_order_no": "c-2"}).json()
    assert status["data"]["status"] == "CANCELED"
    assert sim.outcome_of("c-2") == "cancelled"


@pytest.mark.parametrize("provider", ["ottpay", "paykka"])
def test_an_order_under_a_second_key_is_a_repeat_not_a_second_charge(
    sim: ProviderSimulator, provider: str
) -> None:
    """Providers know their order numbers, whatever idempotency key a client sends."""
    body = {"merchant_order_no": "twice", "amount": 1}
    call(sim, provider, "/v1/payments", body, {"Idempotency-Key": "first"})
    again = call(sim, provider, "/v1/payments", body, {"Idempotency-Key": "second"}).json()
    code = again.get("rsp_code") or again["data"]["error_code"]
    assert code in ("ORDER_PAID", "4021")
    assert sim.executions_of("twice") == 1
    assert sim.duplicate_executions == 0


def test_call_the_interface_again_means_the_next_call_is_taken_up(sim: ProviderSimulator) -> None:
    """UNKNOWN_EXCEPTION | U | "Call the interface again to resolve the issue." """
    first = call(sim, "antom", PAY, {"paymentRequestId": "u-1"}, scenario(code="UNKNOWN_EXCEPTION"))
    assert first.json()["result"]["resultCode"] == "UNKNOWN_EXCEPTION"
    again = call(sim, "antom", PAY, {"paymentRequestId": "u-1"}).json()
    assert again["result"]["resultCode"] == "SUCCESS"
    assert sim.executions_of("u-1") == 1


def test_get_inquiries_read_the_path_and_percent_encoded_ids(sim: ProviderSimulator) -> None:
    call(sim, "paykka", "/v1/payments", {"merchant_order_no": "o 1/é"})
    with httpx.Client(base_url=sim.url_for("paykka"), timeout=2.0) as client:
        by_query = client.get("/v1/payments", params={"merchant_order_no": "o 1/é"}).json()
        call(sim, "paykka", "/v1/payments", {"merchant_order_no": "o-2"})
        by_path = client.get("/v1/payments/o-2").json()
    assert by_query["data"]["status"] == "SUCCESS"
    assert by_path["data"]["status"] == "SUCCESS"


def test_a_stopped_simulator_closes_kept_alive_connections_and_runs_nothing() -> None:
    sim = ProviderSimulator().start()
    client = httpx.Client(base_url=sim.url_for("paykka"), timeout=2.0)
    try:
        client.post("/v1/payments", json={"merchant_order_no": "k-1"})
        sim.stop()
        assert sim.open_connections == 0
        with pytest.raises(httpx.TransportError):
            client.post("/v1/payments", json={"merchant_order_no": "k-2"})
        assert sim.executions == 1
    finally:
        client.close()


def test_a_deeply_nested_body_is_answered_not_dropped(sim: ProviderSimulator) -> None:
    with httpx.Client(base_url=sim.url_for("paykka"), timeout=2.0) as client:
        answer = client.post("/v1/payments", content=b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400
    assert sim.executions == 0


def test_a_changed_body_under_the_same_request_id_is_refused(sim: ProviderSimulator) -> None:
    """pay: REPEAT_REQ_INCONSISTENT | F | "The amount or currency is different from the
    previous request." The first request's answer is not replayed for the second."""
    call(sim, "antom", PAY, {"paymentRequestId": "r1", "paymentAmount": {"value": "100"}})
    again = call(sim, "antom", PAY, {"paymentRequestId": "r1", "paymentAmount": {"value": "999"}})
    assert again.json()["result"]["resultCode"] == "REPEAT_REQ_INCONSISTENT"
    same = call(sim, "antom", PAY, {"paymentRequestId": "r1", "paymentAmount": {"value": "100"}})
    assert same.json()["result"]["resultCode"] == "SUCCESS"
    assert sim.executions == 1


def test_a_changed_body_under_the_same_key_is_a_conflict(sim: ProviderSimulator) -> None:
    key = {"Idempotency-Key": "k-conflict"}
    call(sim, "paykka", "/v1/payments", {"merchant_order_no": "a", "amount": 1}, key)
    again = call(sim, "paykka", "/v1/payments", {"merchant_order_no": "a", "amount": 2}, key)
    assert again.status_code == 409
    assert sim.executions == 1


def test_ott_pay_ignores_a_key_and_refuses_a_reused_order_number(sim: ProviderSimulator) -> None:
    """No OTT Pay page documents an idempotency key header; Appendix B: "ORDER_USED | order
    number duplicated"."""
    key = {"Idempotency-Key": "k-conflict"}
    call(sim, "ottpay", "/v1/payments", {"merchant_order_no": "a", "amount": 1}, key)
    again = call(sim, "ottpay", "/v1/payments", {"merchant_order_no": "a", "amount": 2}, key)
    assert again.json()["rsp_code"] in ("ORDER_USED", "ORDER_PAID")
    assert sim.executions == 1


def test_chunked_bodies_are_deduplicated_like_any_other(sim: ProviderSimulator) -> None:
    body = json.dumps({"paymentRequestId": "chunky"}).encode()

    def chunks() -> Iterator[bytes]:
        yield body[:5]
        yield body[5:]

    with httpx.Client(base_url=sim.url_for("antom"), timeout=2.0) as client:
        for _ in range(2):
            answer = client.post(PAY, content=chunks())
            assert answer.json()["result"]["resultCode"] == "SUCCESS"
    assert sim.executions_of("chunky") == 1


def test_absolute_form_targets_are_served(sim: ProviderSimulator) -> None:
    """http.client sends ``POST http://host:port/path`` when given a full URL, as Antom's SDK
    does."""
    host, port = sim.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        connection.request(
            "POST", f"{sim.url_for('antom')}{PAY}", body=b'{"paymentRequestId": "abs"}'
        )
        answer = connection.getresponse()
        assert answer.status == 200
        assert json.loads(answer.read())["result"]["resultCode"] == "SUCCESS"
    finally:
        connection.close()


def test_antom_answers_are_signed_as_antom_signs_them(sim: ProviderSimulator) -> None:
    """The SDK's own verify() accepts the answer: RSA-SHA256 over
    "POST {path}\\n{client-id}.{response-time}.{body}" (docs.antom.com ac/ams/digital_signature)."""
    signature_tool = pytest.importorskip("com.alipay.ams.api.tools.signature_tool")
    answer = call(sim, "antom", PAY, {"paymentRequestId": "signed"}, {"client-id": "C1"})
    signature = answer.headers["signature"].split("signature=")[1]
    assert answer.headers["client-id"] == "C1"
    assert signature_tool.verify(
        "POST",
        PAY,
        "C1",
        answer.headers["response-time"],
        answer.text,
        signature,
        sim.antom_public_key,
    )


def test_a_request_signed_with_another_key_is_refused(sim: ProviderSimulator) -> None:
    signature_tool = pytest.importorskip("com.alipay.ams.api.tools.signature_tool")
    from payerr.testing._signing import new_key_pair, signature_header

    body = '{"paymentRequestId": "forged"}'
    at = "2026-11-23T00:00:00+00:00"
    forged = signature_tool.sign("POST", PAY, "C1", at, body, new_key_pair().private)
    headers = {"client-id": "C1", "Request-Time": at, "Signature": signature_header(forged)}
    with httpx.Client(base_url=sim.url_for("antom"), timeout=2.0) as client:
        answer = client.post(PAY, content=body, headers=headers).json()
    assert answer["result"]["resultCode"] == "INVALID_SIGNATURE"
    good = signature_tool.sign("POST", PAY, "C1", at, body, sim.merchant_private_key)
    headers["Signature"] = signature_header(good)
    with httpx.Client(base_url=sim.url_for("antom"), timeout=2.0) as client:
        answer = client.post(PAY, content=body, headers=headers).json()
    assert answer["result"]["resultCode"] == "SUCCESS"
    assert sim.executions == 1


def test_an_order_filed_under_a_key_is_found_by_its_order_number(sim: ProviderSimulator) -> None:
    """An inquiry names the order (merchant_order_no, paymentRequestId), not the key."""
    key = {"Idempotency-Key": "k-77"}
    call(sim, "paykka", "/v1/payments", {"merchant_order_no": "o-77"}, key)
    answer = call(sim, "paykka", "/v1/payments/query", {"merchant_order_no": "o-77"}).json()
    assert answer["data"]["status"] == "SUCCESS"
    call(sim, "antom", PAY, {"paymentRequestId": "p-77"}, key)
    answer = call(sim, "antom", INQUIRE, {"paymentRequestId": "p-77"}).json()
    assert answer["paymentStatus"] == "SUCCESS"
    assert sim.executions == 2
