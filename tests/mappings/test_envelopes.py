"""classify_response on each provider's real envelope shapes
(Architecture#where-each-provider-fact-lives)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import payerr
from payerr import Category, Classification, Outcome


def respond(provider: str, body: Any = None, status: int = 200, **headers: str) -> Classification:
    kwargs: dict[str, Any] = {"headers": {k.replace("_", "-"): v for k, v in headers.items()}}
    if isinstance(body, bytes | str):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    return payerr.classify_response(provider, httpx.Response(status, **kwargs))


def result(code: str, status: str, message: str = "msg") -> dict[str, str]:
    return {"resultCode": code, "resultStatus": status, "resultMessage": message}


# -- Antom ------------------------------------------------------------------------------------


def test_antom_pay_success() -> None:
    c = respond("antom", {"result": result("SUCCESS", "S", "success")})
    assert c.outcome is Outcome.SUCCESS
    assert c.source == "result.resultCode"
    assert c.detail == "success"
    assert c.http_status == 200


def test_antom_pay_u_payment_in_process_is_pending() -> None:
    """U + PAYMENT_IN_PROCESS: redirect, wait for notifyPayment, inquire; never resubmit."""
    c = respond("antom", {"result": result("PAYMENT_IN_PROCESS", "U"), "normalUrl": "https://x"})
    assert c.outcome is Outcome.PENDING
    assert not c.retryable


def test_antom_pay_u_with_another_code_means_resend() -> None:
    """U + any other mapped code: the result is unknown ("U: Unknown",
    docs.antom.com/ac/ams/api_fund), so it is pending, never failed, and the way to settle it
    is to resend the same request (pay is idempotent on paymentRequestId:
    docs.antom.com/ac/ams/idempotency) or to inquire."""
    c = respond("antom", {"result": result("PARAM_ILLEGAL", "U")})
    assert (c.outcome, c.category, c.retryable) == (Outcome.PENDING, None, False)
    assert c.known
    assert c.code == "PARAM_ILLEGAL"
    assert c.source == "result.resultStatus"
    assert "same request id" in c.action
    assert "inquire" in c.action


def test_antom_pay_u_unknown_code_is_pending() -> None:
    """resultStatus U "might be successful, in process, or failed" (Antom's result process
    logic): with a code payerr does not know (PAYMENT_PROCESSING, USER_PAYING ...), it may be
    in process, so it is pending, never resent as transient."""
    for code in ("BRAND_NEW", "PAYMENT_PROCESSING", "USER_PAYING"):
        c = respond("antom", {"result": result(code, "U")})
        assert (c.outcome, c.category, c.known) == (Outcome.PENDING, None, False), code


def test_antom_f_unknown_code_is_final_and_unknown() -> None:
    c = respond("antom", {"result": result("BRAND_NEW", "F")})
    assert (c.outcome, c.category, c.known) == (Outcome.FAILED, Category.FINAL, False)
    assert c.raw_code == "BRAND_NEW"


def test_antom_s_with_unknown_code_is_never_success() -> None:
    c = respond("antom", {"result": result("BRAND_NEW", "S")})
    assert c.outcome is Outcome.PENDING
    assert not c.known


def test_antom_f_with_success_code_is_not_success() -> None:
    """resultStatus F beside resultCode SUCCESS contradicts itself: neither success nor a
    failure payerr could stand behind (Architecture#success-needs-a-positive-signal,
    Architecture#failed-means-not-done)."""
    c = respond("antom", {"result": result("SUCCESS", "F")})
    assert c.outcome is Outcome.PENDING


def test_antom_business_error_on_http_200() -> None:
    """Business errors come back with HTTP 200: the code decides."""
    c = respond("antom", {"result": result("USER_BALANCE_NOT_ENOUGH", "F")})
    assert c.category is Category.USER_ACTION


def test_antom_inquiry_payment_result_code_decides_over_result() -> None:
    """inquiryPayment: result says the inquiry worked; paymentResultCode is the payment."""
    body = {
        "result": result("SUCCESS", "S", "Success"),
        "paymentStatus": "FAIL",
        "paymentResultCode": "ISSUER_REJECTS_TRANSACTION",
        "paymentResultMessage": "The issuing bank rejects the transaction.",
    }
    c = respond("antom", body)
    assert c.code == "ISSUER_REJECTS_TRANSACTION"
    assert c.source == "paymentResultCode"
    assert c.detail == "The issuing bank rejects the transaction."
    assert c.category is Category.USER_ACTION


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("PROCESSING", Outcome.PENDING), ("PENDING", Outcome.PENDING), ("UNKNOWN", Outcome.PENDING),
     ("SUCCESS", Outcome.SUCCESS), ("FAIL", Outcome.FAILED), ("CANCELLED", Outcome.FAILED)],
)  # fmt: skip
def test_antom_inquiry_payment_status_alone(status: str, outcome: Outcome) -> None:
    """paymentStatus without a paymentResultCode decides on its own."""
    c = respond("antom", {"result": result("SUCCESS", "S"), "paymentStatus": status})
    assert c.outcome is outcome
    assert c.source == "paymentStatus"


def test_antom_inquiry_unknown_result_code_with_fail_status() -> None:
    c = respond("antom", {"result": result("SUCCESS", "S"), "paymentStatus": "FAIL",
                          "paymentResultCode": "NEW_DECLINE"})  # fmt: skip
    assert (c.outcome, c.category, c.known, c.raw_code) == (
        Outcome.FAILED, Category.FINAL, False, "NEW_DECLINE"
    )  # fmt: skip


def test_antom_inquiry_contradiction_is_not_success() -> None:
    """paymentStatus SUCCESS beside a failure code: conservative, never success."""
    c = respond("antom", {"result": result("SUCCESS", "S"), "paymentStatus": "SUCCESS",
                          "paymentResultCode": "FRAUD_REJECT"})  # fmt: skip
    assert c.outcome is not Outcome.SUCCESS
    # The code is in the mapping; the status beside it decided, and the message says both.
    assert c.known
    assert "is mapped" in c.message
    assert "not in payerr" not in c.message


def test_antom_inquiry_call_failure_is_read_from_result() -> None:
    """When the inquiry itself failed (F), result decides, not stale payment fields."""
    c = respond("antom", {"result": result("ACCESS_DENIED", "F"), "paymentStatus": "SUCCESS"})
    assert c.category is Category.MERCHANT_CONFIG


def test_antom_notify_payment_pending_is_pending() -> None:
    """notifyType PAYMENT_PENDING with S means 'being processed', not success."""
    body = {
        "notifyType": "PAYMENT_PENDING",
        "result": result("SUCCESS", "S"),
        "paymentRequestId": "r1",
    }
    c = respond("antom", body)
    assert c.outcome is Outcome.PENDING
    assert c.source == "notifyType"


def test_antom_notify_payment_result() -> None:
    ok = respond("antom", {"notifyType": "PAYMENT_RESULT", "result": result("SUCCESS", "S")})
    assert ok.outcome is Outcome.SUCCESS
    bad = respond("antom", {"notifyType": "PAYMENT_RESULT", "result": result("RISK_REJECT", "F")})
    assert bad.category is Category.RISK


def test_antom_sdk_payment_fail_defers_to_payment_result_code() -> None:
    """A forwarded SDK event: SDK_PAYMENT_FAIL defers to the paymentResultCode in its result."""
    body = {"code": "SDK_PAYMENT_FAIL", "result": {"paymentResultCode": "USER_BALANCE_NOT_ENOUGH"}}
    c = respond("antom", body)
    assert c.code == "USER_BALANCE_NOT_ENOUGH"
    assert c.category is Category.USER_ACTION


def test_antom_sdk_events_alone() -> None:
    assert respond("antom", {"code": "SDK_PAYMENT_PROCESSING"}).outcome is Outcome.PENDING
    assert respond("antom", {"code": "SDK_END_OF_LOADING"}).outcome is Outcome.INFO
    assert respond("antom", {"code": "SDK_Payment_SUCCESSFUL"}).outcome is Outcome.SUCCESS


# -- Alipay+ ----------------------------------------------------------------------------------


def test_alipay_plus_payment_result_object_decides() -> None:
    """Alipay+ inquiry/notify carry the payment's own result envelope in paymentResult."""
    body = {
        "result": result("SUCCESS", "S"),
        "paymentResult": result("USER_BALANCE_NOT_ENOUGH", "F"),
    }
    c = respond("alipay_plus", body)
    assert c.category is Category.USER_ACTION
    assert c.source == "paymentResult.resultCode"


def test_alipay_plus_envelope_and_numeric_sdk_code() -> None:
    assert respond("alipay_plus", {"result": result("SUCCESS", "S")}).outcome is Outcome.SUCCESS
    c = respond("alipay_plus", {"errorCode": 10005})
    assert (c.code, c.category) == ("10005", Category.RETRYABLE)


# -- OTT Pay ----------------------------------------------------------------------------------


def test_ottpay_decrypted_respcode_decides_over_rsp_code() -> None:
    body = {"rsp_code": "SUCCESS", "rsp_msg": "success",
            "data": {"respcode": "PROCESSING", "respmsg": "User paying"}}  # fmt: skip
    c = respond("ottpay", body)
    assert c.outcome is Outcome.PENDING
    assert c.source == "data.respcode"
    assert c.detail == "User paying"


def test_ottpay_encrypted_data_leaves_rsp_code_deciding() -> None:
    c = respond("ottpay", {"rsp_code": "SIGN_FAIL", "rsp_msg": "verification signature fail",
                           "data": "kq3Jd9+base64==", "md5": "abc"})  # fmt: skip
    assert c.category is Category.MERCHANT_CONFIG
    assert c.source == "rsp_code"


def test_ottpay_unknown_respcode() -> None:
    """Unknown respcode: a failed rsp_code still fails; a successful one never makes success."""
    failed = respond("ottpay", {"rsp_code": "FAIL", "data": {"respcode": "NEWCODE"}})
    assert (failed.outcome, failed.known) == (Outcome.FAILED, False)
    ok = respond("ottpay", {"rsp_code": "SUCCESS", "data": {"respcode": "NEWCODE"}})
    assert (ok.outcome, ok.known) == (Outcome.PENDING, False)


# -- PayKKa -----------------------------------------------------------------------------------


def paykka_business(
    status: str, code: str | None = None, field: str = "error_code"
) -> dict[str, Any]:
    data: dict[str, Any] = {"status": status, "order_no": "o-1"}
    if code is not None:
        data[field] = code
        data["error_description"] = "from the provider"
    return {"ret_code": "000000", "ret_msg": "success", "data": data}


def test_paykka_business_error_inside_data() -> None:
    c = respond("paykka", paykka_business("FAILURE", "5004"))
    assert (c.code, c.category, c.source) == ("5004", Category.USER_ACTION, "data.error_code")
    assert c.detail == "from the provider"


def test_paykka_seed_field_name_error_code_camel_case() -> None:
    c = respond("paykka", paykka_business("FAILURE", "5019", field="errorCode"))
    assert c.category is Category.RISK


def test_paykka_success_and_processing_by_status() -> None:
    assert respond("paykka", paykka_business("SUCCESS")).outcome is Outcome.SUCCESS
    assert respond("paykka", paykka_business("PROCESSING")).outcome is Outcome.PENDING
    # ret_code 000000 says the call worked; with no data, nothing says the payment did
    # (Architecture#success-needs-a-positive-signal; issue 9 names "data missing or a string").
    for data in ({}, {"data": "ENCRYPTED=="}, {"data": None}):
        body = {"ret_code": "000000", "ret_msg": "success", **data}
        assert respond("paykka", body).outcome is Outcome.PENDING


def test_paykka_unknown_business_code_with_failure_status() -> None:
    c = respond("paykka", paykka_business("FAILURE", "8888"))
    assert (c.outcome, c.category, c.known) == (Outcome.FAILED, Category.FINAL, False)


def test_paykka_success_code_beside_failure_status_is_not_success() -> None:
    assert respond("paykka", paykka_business("FAILURE", "0000")).outcome is Outcome.FAILED


def test_paykka_four_digit_code_straight_in_ret_code() -> None:
    c = respond("paykka", {"ret_code": "2000", "ret_msg": "Signature error"}, status=401)
    assert (c.code, c.category) == ("2000", Category.MERCHANT_CONFIG)


def test_paykka_gateway_codes() -> None:
    assert respond("paykka", {"ret_code": "010000"}, 400).category is Category.MERCHANT_CONFIG
    assert respond("paykka", {"ret_code": "999999"}, 500).category is Category.RETRYABLE
    # docs.paykka.com "Error Enums (ret_code)": 206003 "Signature error".
    c = respond("paykka", {"ret_code": "206003", "ret_msg": "Signature error"}, 401)
    assert (c.category, c.known, c.code) == (Category.MERCHANT_CONFIG, True, "206003")
    # A gateway code the page does not list falls back on the HTTP status.
    c = respond("paykka", {"ret_code": "206099", "ret_msg": "sign error"}, 401)
    assert (c.category, c.known, c.source, c.raw_code) == (
        Category.MERCHANT_CONFIG, False, "http_status", "206099"
    )  # fmt: skip


def test_paykka_leading_zero_codes_sent_as_numbers_do_not_match() -> None:
    """JSON 0 is not "0000": an int drops the zeros, so it is not taken for success."""
    assert respond("paykka", paykka_business("FAILURE", 0)).outcome is Outcome.FAILED  # type: ignore[arg-type]


# -- HTTP fallbacks, every provider -----------------------------------------------------------

PROVIDERS = ["antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [429, 502, 503, 504, 500, 408])
def test_transient_statuses_are_retryable(provider: str, status: int) -> None:
    c = respond(provider, "<html>Bad Gateway</html>", status)
    assert c.category is Category.RETRYABLE
    assert c.source == "http_status"
    assert c.http_status == status


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [401, 403, 400, 404])
def test_client_errors_are_merchant_config(provider: str, status: int) -> None:
    assert respond(provider, b"", status).category is Category.MERCHANT_CONFIG


def test_retry_after_seconds_is_kept_as_the_hint() -> None:
    assert respond("antom", b"", 429, retry_after="7").retry_after == 7.0


def test_retry_after_http_date_is_converted_to_seconds() -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    c = respond("paykka", b"", 503, retry_after=format_datetime(when, usegmt=True))
    assert c.retry_after is not None
    assert 100 < c.retry_after <= 121


@pytest.mark.parametrize("value", ["soon", "-5", "", "Wed, 99 Foo 2026", "nan", "inf"])
def test_bad_retry_after_is_ignored(value: str) -> None:
    c = respond("antom", b"", 503, retry_after=value)
    assert c.retry_after is None
    assert c.category is Category.RETRYABLE


@pytest.mark.parametrize("value", ["²", "٣", "3\u00a0"])
def test_non_ascii_retry_after_is_ignored(value: str) -> None:
    """Unicode digits pass str.isdigit() and float(); a header value is ASCII or nothing."""
    c = payerr.classify_http("antom", 503, b"", {"Retry-After": value})
    assert c.retry_after is None
    assert c.category is Category.RETRYABLE


def test_retry_after_with_a_known_body_code() -> None:
    body = {"result": result("REQUEST_TRAFFIC_EXCEED_LIMIT", "U")}
    c = respond("antom", body, 429, retry_after="3")
    assert (c.code, c.retry_after, c.known) == ("REQUEST_TRAFFIC_EXCEED_LIMIT", 3.0, True)


def test_success_answers_do_not_carry_retry_after() -> None:
    assert respond("antom", {"result": result("SUCCESS", "S")}, retry_after="3").retry_after is None


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_an_error_status_with_a_success_body_is_outcome_unknown(status: int) -> None:
    """Architecture#the-body-beats-the-status: the body says it executed, the status says error.
    Neither
    success nor "refused, safe to resend": outcome unknown, inquire."""
    c = respond("antom", {"result": result("SUCCESS", "S")}, status)
    assert c.outcome is Outcome.PENDING
    assert not c.known
    assert not c.retryable


@pytest.mark.parametrize("body", [b"", b"not json", b'{"result": ', b"[1, 2]", b'"SUCCESS"'])
def test_unreadable_2xx_is_pending_never_success(body: bytes) -> None:
    c = respond("antom", body)
    assert c.outcome is Outcome.PENDING
    assert not c.known
    assert "inquire" in c.action


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_status_is_not_success_and_not_failed(status: int) -> None:
    """A redirect is not a result: a 303 after a POST that executed points at its outcome."""
    c = respond("ottpay", b"", status)
    assert c.outcome is Outcome.PENDING
    assert not c.known


def test_streaming_response_not_read_is_classified_on_status_alone() -> None:
    """payerr does not consume a stream it was not given."""
    response = httpx.Response(200, stream=httpx.ByteStream(b'{"rsp_code": "SUCCESS"}'))
    c = payerr.classify_response("ottpay", response)
    assert c.outcome is Outcome.PENDING
    assert not response.is_stream_consumed


def test_classify_http_accepts_plain_header_mappings() -> None:
    c = payerr.classify_http("antom", 429, b"", {"RETRY-AFTER": "2"})
    assert c.retry_after == 2.0


@pytest.mark.parametrize(
    "operation", [None, "notification", "refund-notification", "capture-notification"]
)
def test_a_notification_of_a_kind_payerr_does_not_know_is_never_success(
    operation: str | None,
) -> None:
    """Antom names what a notification reports by its notifyType (PAYMENT_RESULT,
    REFUND_RESULT, CAPTURE_RESULT ...: docs.antom.com/ac/ref/notification); result S only says
    the notification was made. A notifyType payerr does not know is pending whether payerr read
    the operation from the body or the caller named it a notification (it was success when
    named: Architecture#success-needs-a-positive-signal)."""
    body = {
        "notifyType": "PAYMENT_NEW_KIND",
        "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
    }
    c = payerr.classify_http("antom", 200, body, operation=operation)
    assert c.outcome is payerr.Outcome.PENDING
    assert c.source == "notifyType"
