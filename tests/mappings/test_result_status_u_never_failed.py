"""resultStatus U is never "failed", on any public path (issue 21, point 3).

What the providers say U means (the expected answers come from these pages, not from payerr):

- Antom's official SDK, ``com/alipay/ams/api/model/result_info.py`` (global-open-sdk-python):
  "Result status. Valid values are: S (success), F (failed), U (unknown)."
- Antom's capture guide (https://global.alipay.com/docs/ac/card_en/capture_en): "U: You need to
  obtain the capture result by receiving an asynchronous notification through the notifyCapture
  notification or inquiring about the capture result."
- Alipay+ refund (https://docs.alipayplus.com/alipayplus/alipayplus/api_acq_tile/refund): "Use
  the same refundRequestId parameter to retry a refund in case of timeout or when the returned
  resultStatus is U. The refundRequestId parameter is designed to be idempotent."
- Antom idempotency (https://docs.antom.com/ac/ams/idempotency): "For capture requests that are
  initiated with the same value of captureRequestId and reach a final status (S or F), the same
  result is to be returned for the request."

So a U answer is pending (outcome unknown), and what settles it is an inquiry or the same
request resent under the same request id: never "failed", never a new id. The transports keep
resending it when the request carries its request id, as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import payerr
from payerr import Operation, Outcome, OutcomeUnknownError
from payerr._cli.main import main
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted

ANTOM = "https://open-sea-global.alipay.com"
CAPTURE = f"{ANTOM}/ams/api/v1/payments/capture"
REFUND_APLUS = f"{ANTOM}/aps/api/v1/payments/refund"


def u_answer(code: str | None, message: str = "Unknown") -> dict[str, Any]:
    """The envelope Antom's SDK reads (``result_info.py``: resultCode, resultStatus,
    resultMessage)."""
    result: dict[str, Any] = {"resultStatus": "U", "resultMessage": message}
    if code is not None:
        result["resultCode"] = code
    return {"result": result}


def shipped_codes(provider: str) -> list[str]:
    return [e.code for e in payerr.default_registry().table(provider).entries.values()]


CODES = sorted({*shipped_codes("antom"), *shipped_codes("alipay_plus"), "BRAND_NEW_CODE"})
OPERATIONS = [o for o in Operation if o is not Operation.OTHER]


def test_u_is_never_failed_for_any_code_or_operation() -> None:
    """Every code either table knows (and one neither does, and none), under every operation:
    a U answer is never failed (nor success), and where U itself decided, the advice is to
    resend the *same* request id or inquire."""
    for provider in ("antom", "alipay_plus"):
        for code in [None, *CODES]:
            for operation in OPERATIONS:
                for first_send in (False, True):
                    c = payerr.classify_http(
                        provider, 200, u_answer(code), operation=operation, first_send=first_send
                    )
                    assert c.outcome is not Outcome.FAILED, (code, operation, c)
                    assert c.outcome is not Outcome.SUCCESS, (code, operation, c)
                    if c.source == "result.resultStatus":  # U decided, not an in-process row
                        assert "same request id" in c.action, c.action


def test_a_capture_answered_u_is_pending_through_classify_response() -> None:
    """The case of the report: Antom capture, U + UNKNOWN_EXCEPTION, read with the request's
    real path (global-open-sdk-python: AlipayCaptureRequest, /ams/api/v1/payments/capture)."""
    request = httpx.Request("POST", CAPTURE, json={"captureRequestId": "cap-1"})
    response = httpx.Response(200, json=u_answer("UNKNOWN_EXCEPTION"), request=request)
    c = payerr.classify_response("antom", response)
    assert (c.outcome, c.category, c.retryable) == (Outcome.PENDING, None, False)
    assert c.operation is Operation.CAPTURE
    assert "same request id" in c.action
    assert "inquire" in c.action
    assert "capture" in c.user_message.lower() or "complet" in c.user_message.lower()


def test_an_alipay_plus_refund_answered_u_is_pending() -> None:
    """Alipay+ refund, U (refund page: "retry a refund ... when the returned resultStatus is
    U", with the same refundRequestId): pending, resend the same id."""
    request = httpx.Request("POST", REFUND_APLUS, json={"refundRequestId": "r-1"})
    for code in ("UNKNOWN_EXCEPTION", "REQUEST_TRAFFIC_EXCEED_LIMIT", "PROCESS_FAIL", None):
        response = httpx.Response(200, json=u_answer(code), request=request)
        c = payerr.classify_response("alipay_plus", response)
        assert c.outcome is Outcome.PENDING, code
        assert c.operation is Operation.REFUND
        assert "refund" in c.user_message.lower(), code


def test_the_cli_says_pending_for_u(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "capture.json"
    body.write_text(json.dumps(u_answer("UNKNOWN_EXCEPTION")))
    code = main(["classify", "antom", "--operation", "capture", str(body), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (data["outcome"], data["category"], data["retryable"]) == ("pending", None, False)
    assert "same request id" in data["action"]


@pytest.mark.parametrize("code", ["UNKNOWN_EXCEPTION", "REQUEST_TRAFFIC_EXCEED_LIMIT"])
def test_u_codes_are_pending_on_their_own_and_in_explain(
    code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both codes are resultStatus U in the providers' tables (AlipayHK cancelPayment, the
    Alipay family's table: "REQUEST_TRAFFIC_EXCEED_LIMIT | U", "UNKNOWN_EXCEPTION | U"):
    classified bare, and explained, they are pending too."""
    for provider in ("antom", "alipay_plus"):
        c = payerr.classify(provider, code)
        assert c.outcome is Outcome.PENDING, provider
        assert "same request id" in c.action, provider
        assert main(["explain", provider, code]) == 0
        out = capsys.readouterr().out
        assert f"{provider} {code}: pending" in out


# -- the transports still resend it, under the caller's own request id ---------------------


def _client(handler: Scripted, fake: FakeTime) -> httpx.Client:
    policy = payerr.RetryPolicy(
        sleep=fake.sleep, clock=fake.clock, random=lambda: 0.0, budget=False
    )
    transport = payerr.PaymentTransport(
        "antom", transport=httpx.MockTransport(handler), policy=policy
    )
    return httpx.Client(transport=transport)


def _answer(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body)


def test_the_transport_resends_a_u_capture_under_its_capture_request_id() -> None:
    """captureRequestId is Antom's capture idempotency field (docs.antom.com/ac/ams/capture:
    "Antom uses this field for idempotence control"): the same request is resent, and the
    second answer (S) settles it."""
    success = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"}}
    handler = Scripted(_answer(u_answer("UNKNOWN_EXCEPTION")), _answer(success))
    body = {"captureRequestId": "cap-77", "paymentId": "p-1", "captureAmount": {"value": "100"}}
    response = _client(handler, FakeTime()).post(CAPTURE, json=body)
    assert response.status_code == 200
    assert len(handler.requests) == 2
    assert handler.bodies[0] == handler.bodies[1]
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome is Outcome.SUCCESS


def test_a_u_capture_without_its_request_id_is_outcome_unknown_never_resent() -> None:
    """Without captureRequestId (or a key) a resend could capture twice: one request, and the
    error says outcome unknown."""
    handler = Scripted(_answer(u_answer("UNKNOWN_EXCEPTION")))
    with pytest.raises(OutcomeUnknownError) as caught:
        _client(handler, FakeTime()).post(CAPTURE, json={"paymentId": "p-1"})
    assert len(handler.requests) == 1
    assert caught.value.classification.outcome is Outcome.PENDING


def test_u_resent_until_the_policy_stops_ends_outcome_unknown() -> None:
    """Always U: the attempts run out; the error is OutcomeUnknownError, never a failure."""
    handler = Scripted(_answer(u_answer("UNKNOWN_EXCEPTION")))
    with pytest.raises(OutcomeUnknownError) as caught:
        _client(handler, FakeTime()).post(CAPTURE, json={"captureRequestId": "cap-9"})
    assert len(handler.requests) == payerr.RetryPolicy().attempts
    assert caught.value.classification.outcome is Outcome.PENDING
    assert "same" in caught.value.classification.action


# -- an inquiry's own failure, a notification's U (found by the hostile review) ----------


@pytest.mark.parametrize("provider", ["antom", "alipay_plus"])
def test_an_inquiry_that_failed_is_not_the_payments_failure(provider: str) -> None:
    """inquiryPayment's result "doesn't indicate the payment result. This field only indicates
    whether the inquiryPayment API is called successfully"
    (https://docs.antom.com/ac/ams/paymentri_online)."""
    body = {"result": {"resultCode": "PROCESS_FAIL", "resultStatus": "F", "resultMessage": "x"}}
    c = payerr.classify_http(provider, 200, body, operation="inquiry")
    assert c.outcome is Outcome.PENDING
    body = {"result": {"resultCode": "ACCESS_DENIED", "resultStatus": "F", "resultMessage": "x"}}
    c = payerr.classify_http(provider, 200, body, operation="inquiry")
    assert c.category is payerr.Category.MERCHANT_CONFIG
    assert "could not check" in c.user_message


def test_order_not_exist_answering_an_inquiry_is_still_the_pays_failure() -> None:
    """Architecture#an-inquiry-is-not-an-execution: an inquiry executes nothing, so "the order does
    not exist"
    after a timed-out pay means the pay never arrived."""
    body = {"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F", "resultMessage": ""}}
    c = payerr.classify_http("antom", 200, body, operation="inquiry")
    assert (c.outcome, c.category) == (Outcome.FAILED, payerr.Category.FINAL)


def test_a_notifications_u_asks_nobody_to_resend() -> None:
    """A notification reports a state; the merchant sent nothing to resend."""
    body = {"notifyType": "PAYMENT_RESULT", "result": {"resultCode": "UNKNOWN_EXCEPTION",
            "resultStatus": "U", "resultMessage": "x"}}  # fmt: skip
    c = payerr.classify_http("antom", 200, body, operation="notification")
    assert c.outcome is Outcome.PENDING
    assert "resend" not in c.action.lower()
