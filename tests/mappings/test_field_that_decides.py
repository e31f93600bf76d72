"""Operations: the field that decides each operation decides
(Architecture#operations-and-the-field-that-decides).

Bodies follow Antom's official Python SDK 1.7.1 (global-open-sdk-python): its response classes
name the fields and values (``AlipayInquiryRefundResponse.refund_status`` and
``AlipayPayQueryResponse.payment_status`` are ``TransactionStatusType``: SUCCESS, FAIL,
PROCESSING, CANCELLED, PENDING; ``AlipayVaultingQueryResponse.vaulting_status`` is SUCCESS /
FAIL / PROCESSING with ``vaulting_result_code`` "a specific error code returned by the card
scheme" on FAIL and VERIFICATION_IN_PROCESS on PROCESSING). PayKKa and OTT Pay shapes follow
Architecture#where-each-provider-fact-lives.
"""

from __future__ import annotations

import http.client
import json
from email.parser import Parser
from typing import Any

import httpx
import pytest

import payerr
from payerr import Operation, OutcomeUnknownError, RetryPolicy

S_RESULT = {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success."}
ANTOM = "https://open-sea-global.alipay.com/ams/api/v1"


def antom(body: dict[str, Any], operation: str | None = None, status: int = 200) -> Any:
    return payerr.classify_http("antom", status, json.dumps(body).encode(), operation=operation)


# -- Antom: refunds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refund_status", "outcome"),
    [("SUCCESS", "success"), ("FAIL", "failed"), ("PROCESSING", "pending")],
)
def test_inquiry_refund_is_decided_by_refund_status(refund_status: str, outcome: str) -> None:
    c = antom({"result": S_RESULT, "refundId": "r1", "refundStatus": refund_status})
    assert (c.outcome, c.operation) == (outcome, Operation.REFUND_INQUIRY)
    assert c.source in ("refundStatus", "result.resultCode") or c.outcome == "success"
    if outcome == "failed":
        assert "refund" in c.user_message.lower()
        assert "payment" not in c.user_message.lower()


@pytest.mark.parametrize("value", [None, "WEIRD", "", 7])
def test_an_unknown_refund_status_is_pending(value: object) -> None:
    c = antom({"result": S_RESULT, "refundStatus": value})
    assert c.outcome == "pending"


def test_refund_inquiry_without_a_refund_status_is_pending() -> None:
    """The path says refund inquiry; result S only says the inquiry worked."""
    c = antom({"result": S_RESULT}, operation="refund-inquiry")
    assert c.outcome == "pending"


@pytest.mark.parametrize(("value", "outcome"), [("SUCCESS", "success"), ("FAIL", "failed")])
def test_refund_notification_is_decided_by_refund_status(value: str, outcome: str) -> None:
    body = {"notifyType": "REFUND_RESULT", "result": S_RESULT, "refundStatus": value}
    c = antom(body)
    assert (c.outcome, c.operation) == (outcome, Operation.REFUND_NOTIFICATION)


# -- Antom: vaulting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("STOLEN_CARD", "risk"),
        ("LOST_CARD", "risk"),
        ("PICKUP_CARD", "risk"),
        ("RESTRICTED_CARD", "risk"),
        ("DO_NOT_HONOR", "user-action"),
        ("INVALID_CVV", "user-action"),
        ("CARD_EXPIRED", "user-action"),
    ],
)
def test_a_failed_vaulting_is_decided_by_the_card_schemes_code(code: str, category: str) -> None:
    body = {"result": S_RESULT, "vaultingStatus": "FAIL", "vaultingResultCode": code}
    c = antom(body)
    assert (c.outcome, c.category, c.code, c.known) == ("failed", category, code, True)
    assert c.operation is Operation.VAULTING_INQUIRY


def test_a_failed_vaulting_with_an_unmapped_code_is_failed_not_success() -> None:
    body = {"result": S_RESULT, "vaultingStatus": "FAIL", "vaultingResultCode": "NEW_CODE_2027"}
    c = antom(body)
    assert (c.outcome, c.known) == ("failed", False)


def test_vaulting_in_process_is_pending() -> None:
    body = {
        "result": S_RESULT,
        "vaultingStatus": "PROCESSING",
        "vaultingResultCode": "VERIFICATION_IN_PROCESS",
    }
    assert antom(body).outcome == "pending"


@pytest.mark.parametrize("value", [None, "WEIRD"])
def test_an_unknown_vaulting_status_is_pending(value: object) -> None:
    assert antom({"result": S_RESULT, "vaultingStatus": value}).outcome == "pending"


# -- Antom: payments -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "WEIRD", "", 12])
def test_an_unknown_payment_status_is_pending_whatever_the_code(value: object) -> None:
    body = {"result": S_RESULT, "paymentStatus": value, "paymentResultCode": "SUCCESS"}
    c = antom(body)
    assert c.outcome == "pending"
    assert c.operation is Operation.INQUIRY


def test_an_inquiry_without_payment_status_is_pending() -> None:
    assert antom({"result": S_RESULT}, operation="inquiry").outcome == "pending"


def test_a_pay_answer_is_still_decided_by_result() -> None:
    """Architecture#operations-and-the-field-that-decides: pay, capture, cancel and refund answers
    carry only result."""
    for operation in ("pay", "capture", "cancel", "refund"):
        assert antom({"result": S_RESULT}, operation=operation).outcome == "success"


@pytest.mark.parametrize(
    "code", ["VERIFICATION_IN_PROCESS", "REFUND_IN_PROCESS", "CAPTURE_IN_PROCESS", "X_IN_PROCESS"]
)
def test_u_with_an_in_process_code_is_pending_never_retryable(code: str) -> None:
    """Architecture#in-process-is-pending: the answer may carry a 3DS challenge; resending it is
    wrong."""
    c = antom({"result": {"resultCode": code, "resultStatus": "U"}})
    assert c.outcome == "pending"
    assert not c.retryable


def test_the_transport_does_not_resend_a_3ds_challenge() -> None:
    sent: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        result = {"resultCode": "VERIFICATION_IN_PROCESS", "resultStatus": "U"}
        return httpx.Response(200, json={"result": result, "verificationUrl": "https://3ds"})

    transport = payerr.PaymentTransport(
        "antom", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )
    with httpx.Client(transport=transport) as client:
        response = client.post(
            f"{ANTOM}/vaults/vaultPaymentMethod", json={"vaultingRequestId": "v1"}
        )
    c = payerr.classification_of(response)
    assert c is not None
    assert (c.outcome, c.operation) == ("pending", Operation.VAULTING)
    assert len(sent) == 1


def test_the_transport_names_the_operation_from_the_path() -> None:
    def provider(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"result": S_RESULT, "refundStatus": "FAIL"})

    transport = payerr.PaymentTransport(
        "antom", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )
    with httpx.Client(transport=transport) as client, pytest.raises(payerr.FinalError) as info:
        client.post(f"{ANTOM}/payments/inquiryRefund", json={"refundRequestId": "r1"})
    assert info.value.classification.operation is Operation.REFUND_INQUIRY
    assert "refund" in info.value.classification.user_message.lower()


# -- operation inference and the explicit argument ------------------------------------------


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/ams/api/v1/payments/pay", "pay"),
        ("/ams/api/v1/payments/capture", "capture"),
        ("/ams/api/v1/payments/cancel", "cancel"),
        ("/ams/api/v1/payments/refund", "refund"),
        ("/ams/api/v1/payments/inquiryPayment", "inquiry"),
        ("/ams/api/v1/payments/inquiryRefund", "refund-inquiry"),
        ("/ams/sandbox/api/v1/payments/inquiryRefund", "refund-inquiry"),
        ("/ams/api/v1/vaults/vaultPaymentMethod", "vaulting"),
        ("/ams/api/v1/vaults/inquireVaulting", "vaulting-inquiry"),
        ("/aps/api/v1/payments/inquiryPayment", "inquiry"),
        ("/v1/refunds", "refund"),
        ("/v1/payments/p1/reverse", "cancel"),
        ("/v1/payments/p1/capture", "capture"),
        ("/v1/query/payment", "inquiry"),
        ("/v1/payments", "pay"),
        ("/something/else", "unknown"),
        ("/ams/api/v1/payments/createPaymentSession", "other"),
        ("/ams/api/v1/payments/consult", "other"),
        ("/ams/api//v1/payments/retrievePaymentSession", "other"),
        ("/aps/api/v1/payments/notifyPayment", "notification"),
        ("/aps/api/v1/payments/cancelPayment", "cancel"),
        ("/ams/api/v1/payments/pay;jsessionid=1", "pay"),
    ],
)
def test_operation_from_the_request_path(path: str, operation: str) -> None:
    """Antom's API names (SDK 1.7.1); names that pay nothing are "other"."""
    response = httpx.Response(
        200, json={"result": S_RESULT}, request=httpx.Request("POST", f"https://p.example{path}")
    )
    c = payerr.classify_response("antom", response)
    assert c.operation == operation
    if operation == "other":
        assert "payment" not in c.user_message.lower()


def test_classify_takes_an_operation() -> None:
    c = payerr.classify("ottpay", "REFUND_INVALID", operation="refund")
    assert c.operation is Operation.REFUND
    assert payerr.classify("ottpay", "REFUND_INVALID").operation is Operation.UNKNOWN
    with pytest.raises(ValueError, match="unknown operation"):
        payerr.classify("ottpay", "SUCCESS", operation="teleport")


def test_a_refused_refund_never_says_your_payment() -> None:
    """Architecture#operations-and-the-field-that-decides: a refused refund or cancel is not "your
    payment could not be completed"."""
    for code in ("FAIL", "SYSTEM_ERROR", "ORDER_CLOSED"):
        c = payerr.classify("ottpay", code, operation="refund")
        assert "payment could not" not in c.user_message.lower()
        cancel = payerr.classify("ottpay", code, operation="cancel")
        assert "payment could not" not in cancel.user_message.lower()


# -- PayKKa and OTT Pay ----------------------------------------------------------------------


def paykka(data: object, ret_code: str = "000000") -> Any:
    body = {"ret_code": ret_code, "ret_msg": "success", "data": data}
    return payerr.classify_http("paykka", 200, json.dumps(body).encode())


@pytest.mark.parametrize("status", ["CANCELLED", "CLOSED", "EXPIRED"])
def test_paykka_closed_states_are_failed_not_success(status: str) -> None:
    assert paykka({"status": status}).outcome == "failed"


@pytest.mark.parametrize("status", ["WEIRD", None, ""])
def test_paykka_unknown_status_is_pending(status: object) -> None:
    assert paykka({"status": status}).outcome == "pending"


@pytest.mark.parametrize("data", [None, "c2VjcmV0", [], 5])
def test_paykka_data_missing_or_not_an_object_is_pending(data: object) -> None:
    assert paykka(data).outcome == "pending"


@pytest.mark.parametrize(("status", "outcome"), [("FAILURE", "failed"), ("PROCESSING", "pending")])
def test_paykka_four_digit_success_beside_a_status_is_decided_by_the_status(
    status: str, outcome: str
) -> None:
    assert paykka({"status": status}, ret_code="0000").outcome == outcome


def test_ottpay_empty_respcode_is_pending() -> None:
    body = {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": {"respcode": None}}
    assert payerr.classify_http("ottpay", 200, json.dumps(body).encode()).outcome == "pending"


# -- headers in any form ---------------------------------------------------------------------


def test_headers_as_a_list_of_pairs_and_as_an_http_message() -> None:
    pairs = [("Content-Type", "application/json"), ("Retry-After", "7")]
    assert payerr.classify_http("paykka", 503, b"", pairs).retry_after == 7
    raw = [(b"Retry-After", b"8")]
    assert payerr.classify_http("paykka", 503, b"", raw).retry_after == 8
    message = Parser(_class=http.client.HTTPMessage).parsestr("Retry-After: 9\r\n\r\n")
    assert payerr.classify_http("paykka", 503, b"", message).retry_after == 9
    assert payerr.classify_http("paykka", 200, b"", [("only-one",)]).outcome == "pending"  # type: ignore[list-item]


def test_an_outcome_unknown_error_keeps_its_operation() -> None:
    def provider(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("stalled")

    transport = payerr.PaymentTransport(
        "antom", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )
    with httpx.Client(transport=transport) as client, pytest.raises(OutcomeUnknownError):
        client.post(f"{ANTOM}/payments/refund", json={"refundAmount": 1})


# -- rows scoped to operations ---------------------------------------------------------------


def test_order_not_exist_answering_an_inquiry_means_the_pay_never_arrived() -> None:
    """Architecture#an-inquiry-is-not-an-execution: an inquiry executes nothing; the same
    paymentRequestId may be sent
    again. The same code answering a refund keeps its row for every operation."""
    body = {"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F"}}
    inquiry = antom(body, operation="inquiry")
    assert (inquiry.outcome, inquiry.operation) == ("failed", Operation.INQUIRY)
    assert "same paymentRequestId" in inquiry.action
    refund = antom(body, operation="refund")
    assert "same paymentRequestId" not in refund.action
    assert "payment" not in refund.user_message.lower()


def test_a_scoped_row_applies_through_the_transport_path() -> None:
    def provider(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rsp_code": "REFUND_NOT_EXIST"})

    transport = payerr.PaymentTransport(
        "ottpay", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )
    with httpx.Client(transport=transport) as client, pytest.raises(payerr.FinalError) as info:
        client.post("https://ottpay.example/api/refund/query", json={})
    c = info.value.classification
    assert c.operation is Operation.REFUND_INQUIRY
    assert c.user_message == "Your refund has not been processed."


def test_scoped_rows_are_validated(tmp_path: Any) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[provider]\nid = "acme"\n'
        '[[code]]\ncode = "X"\nmessage = "x"\noutcome = "success"\noperations = ["teleport"]\n'
        '[[code]]\ncode = "Y"\nmessage = "y"\noutcome = "success"\noperations = ["refund"]\n'
        '[[code]]\ncode = "y"\nmessage = "y"\noutcome = "success"\noperations = ["refund"]\n',
        encoding="utf-8",
    )
    with pytest.raises(payerr.MappingError) as info:
        payerr.Registry([bad], use_env=False)
    text = "\n".join(info.value.errors)
    assert "unknown operation 'teleport'" in text
    assert "duplicate of 'Y' for operation 'refund'" in text


def test_explain_and_export_show_the_scope(capsys: pytest.CaptureFixture[str]) -> None:
    from payerr._cli.main import main

    assert main(["explain", "antom", "ORDER_NOT_EXIST"]) == 0
    assert "for inquiry" in capsys.readouterr().out
    assert main(["explain", "antom", "ORDER_NOT_EXIST", "--json"]) == 0
    assert "inquiry" in json.loads(capsys.readouterr().out)["scoped"]
    assert main(["export", "antom", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["code"] == "ORDER_NOT_EXIST" and r["operations"] == ["inquiry"] for r in rows)


# -- from the hostile review of this work -----------------------------------------------------


@pytest.mark.parametrize("operation", [None, "refund", "refund-inquiry", "refund-notification"])
def test_refund_status_decides_every_refund_operation(operation: str | None) -> None:
    """Architecture#success-needs-a-positive-signal: the field that decides for that operation
    decides."""
    c = antom({"result": S_RESULT, "refundStatus": "FAIL"}, operation=operation)
    assert c.outcome == "failed"


@pytest.mark.parametrize("operation", ["pay", "inquiry", "notification", "vaulting-inquiry"])
@pytest.mark.parametrize("value", ["SUCCESS", "FAIL"])
def test_another_operations_status_never_decides(operation: str, value: str) -> None:
    """A refundStatus or captureStatus beside a payment answer (or a vaulting inquiry) says
    nothing of it: pending, neither success nor failed."""
    for field in ("refundStatus", "captureStatus"):
        c = antom({"result": S_RESULT, "paymentStatus": "FAIL", field: value}, operation=operation)
        assert c.outcome != "success"
        c = antom({"result": S_RESULT, field: value}, operation=operation)
        assert c.outcome == "pending"


def test_vaulting_status_decides_vaulting() -> None:
    vault = {"result": S_RESULT, "vaultingStatus": "FAIL", "vaultingResultCode": "STOLEN_CARD"}
    assert antom(vault, operation="vaulting").category == "risk"
    assert antom({"result": S_RESULT, "captureStatus": "FAIL"}, operation="capture").is_failure


def test_a_refund_notification_without_refund_status_is_pending() -> None:
    assert antom({"notifyType": "REFUND_RESULT", "result": S_RESULT}).outcome == "pending"


@pytest.mark.parametrize("code", ["STOLEN_CARD", "VERIFICATION_IN_PROCESS"])
def test_vaulting_success_beside_another_code_is_not_success(code: str) -> None:
    body = {"result": S_RESULT, "vaultingStatus": "SUCCESS", "vaultingResultCode": code}
    assert antom(body).outcome == "pending"


def test_alipay_plus_payment_result_beside_a_disagreeing_status_is_pending() -> None:
    body = {"result": S_RESULT, "paymentResult": S_RESULT, "paymentStatus": "FAIL"}
    c = payerr.classify_http("alipay_plus", 200, json.dumps(body).encode(), operation="inquiry")
    assert c.outcome == "pending"


def test_alipay_plus_notification_without_payment_result_is_pending() -> None:
    body = {"notifyType": "PAYMENT_RESULT", "result": S_RESULT}
    c = payerr.classify_http("alipay_plus", 200, json.dumps(body).encode())
    assert (c.outcome, c.operation) == ("pending", Operation.NOTIFICATION)


@pytest.mark.parametrize("status", ["X", 1, ""])
def test_a_garbled_result_status_beside_success_is_pending(status: object) -> None:
    body = {"result": {"resultCode": "SUCCESS", "resultStatus": status}}
    assert antom(body, operation="pay").outcome == "pending"


def test_an_in_process_code_with_zero_width_spaces_is_pending() -> None:
    """The SDK's own docstrings carry U+200B around PAYMENT_IN_PROCESS."""
    for status in ("U", "F"):
        body = {
            "result": {"resultCode": "\u200bVERIFICATION_IN_PROCESS\u200b", "resultStatus": status}
        }
        c = antom(body)
        assert c.outcome == "pending"
        assert not c.retryable


def test_a_notification_payerr_does_not_list_is_not_a_payment() -> None:
    c = antom({"notifyType": "DISPUTE_CREATED", "result": S_RESULT})
    assert c.operation is Operation.OTHER
    assert "payment was successful" not in c.user_message.lower()


def test_paykka_error_code_beside_data_is_read_against_the_status() -> None:
    """Seed 003 names the field errorCode; 5004 beside status SUCCESS is not success."""
    body = {"ret_code": "000000", "errorCode": "5004", "data": {"status": "SUCCESS"}}
    assert payerr.classify_http("paykka", 200, json.dumps(body).encode()).outcome == "pending"


def test_paykka_processing_beside_a_gateway_error_is_pending_and_sent_once() -> None:
    sent: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"ret_code": "999999", "data": {"status": "PROCESSING"}})

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )
    with httpx.Client(transport=transport) as client:
        response = client.post(
            "https://paykka.example/v1/payments", json={}, headers={"Idempotency-Key": "k"}
        )
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome == "pending"
    assert len(sent) == 1


@pytest.mark.parametrize("operation", ["inquiry", "refund-inquiry"])
@pytest.mark.parametrize("data", [None, "U2FsdGVkX1", {}])
def test_an_ottpay_query_without_a_readable_respcode_is_pending(
    operation: str, data: object
) -> None:
    body = {"rsp_code": "SUCCESS", "rsp_msg": "success", "data": data}
    c = payerr.classify_http("ottpay", 200, json.dumps(body).encode(), operation=operation)
    assert c.outcome == "pending"


def test_a_cancel_whose_order_is_now_cancelled_succeeded() -> None:
    """Failed would say the provider did not cancel; it did."""
    body = {"ret_code": "000000", "data": {"status": "CANCELLED"}}
    c = payerr.classify_http("paykka", 200, json.dumps(body).encode(), operation="cancel")
    assert c.outcome == "success"
    ott = {"rsp_code": "SUCCESS", "data": {"respcode": "ORDER_REVERSED"}}
    c = payerr.classify_http("ottpay", 200, json.dumps(ott).encode(), operation="cancel")
    assert c.outcome == "success"


@pytest.mark.parametrize("code", ["MER_ACCOUNT_INSUFFICIENT", "MERCHANT_BALANCE_NOT_ENOUGH"])
def test_a_refused_refund_never_says_it_is_being_processed(code: str) -> None:
    c = payerr.classify("ottpay", code, operation="refund")
    assert c.outcome == "failed"
    assert "being processed" not in c.user_message


def test_headers_that_only_pretend_are_ignored() -> None:
    class Pretend:
        def __getitem__(self, key: object) -> str:
            raise KeyError(key)

    assert payerr.classify_http("antom", 429, b"{}", Pretend()).retry_after is None  # type: ignore[arg-type]


def test_camel_case_path_words_and_lenient_operation_names() -> None:
    request = httpx.Request("POST", "https://paykka.example/api/queryRefund")
    response = httpx.Response(200, json={"ret_code": "000000"}, request=request)
    assert payerr.classify_response("paykka", response).operation is Operation.REFUND_INQUIRY
    assert payerr.classify("ottpay", "FAIL", operation=" REFUND ").operation is Operation.REFUND


def test_an_inquiry_with_a_code_but_no_payment_status_is_pending() -> None:
    body = {"result": S_RESULT, "paymentResultCode": "SUCCESS"}
    assert antom(body, operation="inquiry").outcome == "pending"


def test_vaulting_answers_speak_of_the_card() -> None:
    body = {"result": S_RESULT, "vaultingStatus": "SUCCESS", "vaultingResultCode": "SUCCESS"}
    assert antom(body).user_message == "Your card has been saved."


# -- from the second review of this work -----------------------------------------------------


@pytest.mark.parametrize("body", [{"ret_code": "0000", "data": "x"}, {"ret_code": "0000"}])
def test_paykka_four_digit_success_without_data_is_pending_for_queries(body: object) -> None:
    raw = json.dumps(body).encode()
    assert payerr.classify_http("paykka", 200, raw, operation="inquiry").outcome == "pending"
    if "data" in body:  # type: ignore[operator]
        assert payerr.classify_http("paykka", 200, raw, operation="pay").outcome == "pending"


def test_ottpay_fields_that_disagree_are_never_success() -> None:
    body = {"rsp_code": "FAIL", "data": {"respcode": "SUCCESS"}}
    assert payerr.classify_http("ottpay", 200, json.dumps(body).encode()).outcome == "pending"


@pytest.mark.parametrize("notify", ["PAYMENT_RESULT", "REFUND_RESULT", "CAPTURE_RESULT"])
def test_a_notification_with_u_is_pending_never_try_again(notify: str) -> None:
    """A notification reports a state; it cannot be resent, and "try again" could charge twice."""
    body = {
        "notifyType": notify,
        "result": {"resultStatus": "U", "resultCode": "UNKNOWN_EXCEPTION"},
    }
    c = antom(body)
    assert c.outcome == "pending"
    assert not c.retryable


def test_alipay_plus_payment_result_u_is_pending() -> None:
    u = {"resultStatus": "U", "resultCode": "UNKNOWN_EXCEPTION"}
    body = {"result": S_RESULT, "paymentResult": u}
    c = payerr.classify_http("alipay_plus", 200, json.dumps(body).encode(), operation="inquiry")
    assert c.outcome == "pending"


def test_paykka_4019_answering_a_cancel_is_success() -> None:
    """Seed 003: 4019 "This payment has been canceled": the cancel happened."""
    body = {"ret_code": "4019", "ret_msg": "This payment has been canceled"}
    c = payerr.classify_http("paykka", 200, json.dumps(body).encode(), operation="cancel")
    assert c.outcome == "success"


def test_outcome_unknown_from_the_transport_speaks_of_the_operation() -> None:
    def provider(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502)

    transport = payerr.PaymentTransport(
        "antom",
        transport=httpx.MockTransport(provider),
        policy=RetryPolicy(budget=False, sleep=lambda s: None),
    )
    with httpx.Client(transport=transport) as client, pytest.raises(OutcomeUnknownError) as info:
        client.post(f"{ANTOM}/payments/refund", json={"refundRequestId": "r1"})
    assert info.value.classification.user_message == "Your refund is being processed."


def test_a_3ds_step_on_a_pay_does_not_speak_of_saving_a_card() -> None:
    c = antom({"result": {"resultStatus": "U", "resultCode": "VERIFICATION_IN_PROCESS"}}, "pay")
    assert "save" not in c.user_message.lower()


def test_export_markdown_and_list_show_the_scope(capsys: pytest.CaptureFixture[str]) -> None:
    from payerr._cli.main import main

    assert main(["export", "ottpay", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| operations |" in out
    assert "| ottpay | ORDER_REVERSED | cancel | success |" in out
    assert main(["list", "ottpay", "--outcome", "success"]) == 0
    assert "[cancel]" in capsys.readouterr().out
