"""Antom's official SDK through payerr (``payerr.integrations.antom_sdk``), against the
simulator: the SDK's own request objects, signing and verification; payerr's transport,
retries and typed errors. Nothing of the SDK is mocked."""

from __future__ import annotations

import importlib
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import payerr
from payerr import Category, Operation, Outcome, RetryPolicy
from payerr.testing import ProviderSimulator, scenario
from payerr.testing._signing import new_key_pair
from tests.support.repo import REPO

# The SDK's own classes (untyped: Any here); without the SDK ([antom] extra) the module skips.
_pay = pytest.importorskip("com.alipay.ams.api.request.pay.alipay_pay_request")
_query = pytest.importorskip("com.alipay.ams.api.request.pay.alipay_pay_query_request")
_refund = pytest.importorskip("com.alipay.ams.api.request.pay.alipay_refund_request")
_refund_query = pytest.importorskip("com.alipay.ams.api.request.pay.alipay_inquiry_refund_request")
_amount = pytest.importorskip("com.alipay.ams.api.model.amount")
_pay_response = pytest.importorskip("com.alipay.ams.api.response.pay.alipay_pay_response")
_exception = pytest.importorskip("com.alipay.ams.api.exception.exception")
_signature_tool = pytest.importorskip("com.alipay.ams.api.tools.signature_tool")

from payerr.integrations.antom_sdk import AntomAnswer, PayerrAlipayClient  # noqa: E402

AlipayApiException: type[Exception] = _exception.AlipayApiException
CLIENT_ID = "PAYERR_SDK_TEST"
PAY_PATH = "/ams/api/v1/payments/pay"


@pytest.fixture(scope="module")
def _simulator() -> Iterator[ProviderSimulator]:
    """One simulator (and one pair of RSA keys, slow to make) for the module."""
    with ProviderSimulator(stall=1.0) as simulator:
        yield simulator


@pytest.fixture
def sim(_simulator: ProviderSimulator) -> ProviderSimulator:
    _simulator.reset()  # every test counts its own requests and executions
    return _simulator


@pytest.fixture
def waits() -> list[float]:
    """The backoff waits the retry policy asked for (no real sleeping)."""
    return []


def make_client(
    sim: ProviderSimulator,
    waits: list[float],
    *,
    client_id: str = CLIENT_ID,
    private_key: str | None = None,
    public_key: str | None = None,
    attempts: int = 3,
    timeout: float = 2.0,
) -> PayerrAlipayClient:
    policy = RetryPolicy(attempts=attempts, sleep=waits.append, budget=False)
    return PayerrAlipayClient(
        sim.url_for("antom"),
        client_id,
        private_key or sim.merchant_private_key,
        public_key or sim.antom_public_key,
        policy=policy,
        timeout=timeout,
    )


@pytest.fixture
def client(sim: ProviderSimulator, waits: list[float]) -> Iterator[PayerrAlipayClient]:
    with make_client(sim, waits) as antom:
        yield antom


def pay_request(request_id: str, value: str = "1000") -> Any:
    request = _pay.AlipayPayRequest()
    request.payment_request_id = request_id
    request.payment_amount = _amount.Amount(currency="USD", value=value)
    request.payment_redirect_url = "https://shop.example/return"
    return request


def result_of(answer: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(answer)
    return body


# -- 1. the SDK's answer, verified and classified ----------------------------------------------


def test_a_pay_returns_the_sdks_answer_verified_and_classified(
    sim: ProviderSimulator, client: PayerrAlipayClient
) -> None:
    answer = client.execute(pay_request("pay-ok"))

    # What SDK code relies on: the response body as a str, parsed by json or the SDK itself.
    assert isinstance(answer, str)
    assert isinstance(answer, AntomAnswer)
    assert result_of(answer)["result"]["resultStatus"] == "S"
    assert _pay_response.AlipayPayResponse(answer).result.result_code == "SUCCESS"
    # What payerr adds: the classification of that answer.
    assert answer.classification.outcome is Outcome.SUCCESS
    assert answer.classification.operation is Operation.PAY
    assert answer.classification.code == "SUCCESS"
    # Antom signed it over the request path (not the gateway's prefix), and it verifies.
    assert answer.response is not None
    headers = answer.response.headers
    assert _signature_tool.verify(
        "POST",
        PAY_PATH,
        headers["client-id"],
        headers["response-time"],
        str(answer),
        headers["signature"].split("signature=")[1],
        sim.antom_public_key,
    )
    assert sim.executions == 1
    # A str SDK code may pickle or copy; the classification travels with it.
    copy = pickle.loads(pickle.dumps(answer))
    assert copy == answer
    assert copy.classification == answer.classification


def test_the_sdks_sandbox_path_is_signed_and_served(
    sim: ProviderSimulator, waits: list[float]
) -> None:
    """A SANDBOX_ client id sends to /ams/sandbox/api/..., signed over that path, as the SDK."""
    request = pay_request("pay-sandbox")
    with make_client(sim, waits, client_id="SANDBOX_PAYERR") as antom:
        answer = antom.execute(request)
    assert request.path == "/ams/sandbox/api/v1/payments/pay"
    assert answer.classification.outcome is Outcome.SUCCESS
    assert sim.executions_of("pay-sandbox") == 1


def test_a_request_signed_with_the_wrong_merchant_key_raises_merchant_config_error(
    sim: ProviderSimulator, waits: list[float]
) -> None:
    """Antom answers INVALID_SIGNATURE (F): the merchant's keys are wrong, not the shopper."""
    with (
        make_client(sim, waits, private_key=new_key_pair().private) as antom,
        pytest.raises(payerr.MerchantConfigError) as caught,
    ):
        antom.execute(pay_request("pay-wrong-key"))
    assert caught.value.classification.code == "INVALID_SIGNATURE"
    assert caught.value.attempts == 1
    assert sim.executions == 0


# -- 2, 3. safe retries ----------------------------------------------------------------------


def test_a_503_is_resent_once_under_the_same_payment_request_id(
    sim: ProviderSimulator, client: PayerrAlipayClient, waits: list[float]
) -> None:
    answer = client.execute_with_headers(pay_request("pay-503"), extra_headers=scenario("503"))
    assert answer.classification.outcome is Outcome.SUCCESS
    assert len(waits) == 1  # one backoff: one resend
    assert sim.requests == 2
    # The script plays per paymentRequestId: the 503 on its first arrival, the pay on its
    # second, so the resend carried the same id; and it ran once.
    assert sim.faults_played["503"] == 1
    assert sim.executions_of("pay-503") == 1
    assert sim.executions == 1


def test_a_stalled_pay_is_resent_and_answered_from_antoms_record_not_run_twice(
    sim: ProviderSimulator, waits: list[float]
) -> None:
    """The pay executed but its answer never came (read timeout). Under its paymentRequestId a
    resend cannot charge twice: payerr resends, Antom replays the stored answer."""
    # The read timeout sits below the simulator's stall (1 s), well above a signed answer.
    with make_client(sim, waits, timeout=0.4) as antom:
        answer = antom.execute_with_headers(pay_request("pay-stall"), scenario("stall"))
    assert answer.classification.outcome is Outcome.SUCCESS
    assert result_of(answer)["paymentRequestId"] == "pay-stall"
    assert sim.faults_played["stall"] == 1
    assert sim.requests == 2
    assert sim.executions == 1
    assert sim.duplicate_executions == 0


def test_an_unknown_outcome_is_settled_by_sending_the_same_request_again(
    sim: ProviderSimulator, waits: list[float]
) -> None:
    """No retries left after a stall: OutcomeUnknownError, safe to resend (the caller's own
    paymentRequestId). Sending the same SDK request again gets the pay's answer, not a
    second charge."""
    request = pay_request("pay-unknown")
    with make_client(sim, waits, attempts=1, timeout=0.4) as antom:
        with pytest.raises(payerr.OutcomeUnknownError) as caught:
            antom.execute_with_headers(request, scenario("stall"))
        assert caught.value.safe_to_resend
        assert caught.value.classification.outcome is Outcome.PENDING
        answer = antom.execute(request)
    assert answer.classification.outcome is Outcome.SUCCESS
    assert sim.executions_of("pay-unknown") == 1
    assert sim.duplicate_executions == 0


def test_a_garbled_answer_is_resent_for_a_readable_one(
    sim: ProviderSimulator, client: PayerrAlipayClient
) -> None:
    answer = client.execute_with_headers(pay_request("pay-garbage"), scenario("garbage"))
    assert answer.classification.outcome is Outcome.SUCCESS
    assert sim.executions == 1


def test_a_rate_limit_that_outlasts_the_retries_raises_retryable_error(
    sim: ProviderSimulator, client: PayerrAlipayClient, waits: list[float]
) -> None:
    """Where the SDK raises AlipayApiException("invalid http status 429"), payerr honours
    Retry-After, then raises RetryableError: nothing executed, resending is safe."""
    with pytest.raises(payerr.RetryableError) as caught:
        client.execute_with_headers(pay_request("pay-429"), scenario("429:1", "429:1", "429:1"))
    assert caught.value.attempts == 3
    assert waits == [1.0, 1.0]
    assert sim.executions == 0


# -- 4. declines and pending -------------------------------------------------------------------


def test_a_decline_raises_user_action_error_and_is_not_resent(
    sim: ProviderSimulator, client: PayerrAlipayClient
) -> None:
    with pytest.raises(payerr.UserActionError) as caught:
        client.execute_with_headers(
            pay_request("pay-declined"), scenario(code="USER_BALANCE_NOT_ENOUGH")
        )
    c = caught.value.classification
    assert c.code == "USER_BALANCE_NOT_ENOUGH"
    assert c.category is Category.USER_ACTION
    assert c.operation is Operation.PAY
    assert c.user_message  # safe to show the shopper
    assert caught.value.attempts == 1
    assert sim.requests == 1


def test_payment_in_process_comes_back_pending_and_is_sent_once(
    sim: ProviderSimulator, client: PayerrAlipayClient, waits: list[float]
) -> None:
    """Pending is an answer, not an error: returned (signature verified), never resubmitted."""
    answer = client.execute_with_headers(
        pay_request("pay-pending"), scenario(code="PAYMENT_IN_PROCESS")
    )
    assert result_of(answer)["result"]["resultStatus"] == "U"
    assert answer.classification.outcome is Outcome.PENDING
    assert answer.classification.code == "PAYMENT_IN_PROCESS"
    assert sim.requests == 1
    assert waits == []
    assert sim.executions == 1


# -- 5. answers that are not Antom's -----------------------------------------------------------


def test_a_success_signed_with_another_key_is_refused(
    sim: ProviderSimulator, waits: list[float]
) -> None:
    with (
        make_client(sim, waits, public_key=new_key_pair().public) as antom,
        pytest.raises(AlipayApiException, match="verif"),
    ):
        antom.execute(pay_request("pay-forged"))
    assert sim.executions == 1  # it ran at Antom: a refused answer means "inquire"


def test_a_decline_signed_with_another_key_is_refused_too(
    sim: ProviderSimulator, waits: list[float]
) -> None:
    """A forged decline could make the merchant start over under a new paymentRequestId."""
    with (
        make_client(sim, waits, public_key=new_key_pair().public) as antom,
        pytest.raises(AlipayApiException) as caught,
    ):
        antom.execute_with_headers(
            pay_request("pay-forged-decline"), scenario(code="USER_BALANCE_NOT_ENOUGH")
        )
    assert isinstance(caught.value.__cause__, payerr.UserActionError)


# -- 6. inquiries and refunds ------------------------------------------------------------------


def test_an_inquiry_reports_the_pays_state_and_executes_nothing(
    sim: ProviderSimulator, client: PayerrAlipayClient
) -> None:
    client.execute(pay_request("pay-then-inquire"))
    inquiry = _query.AlipayPayQueryRequest()
    inquiry.payment_request_id = "pay-then-inquire"
    for _ in range(2):
        answer = client.execute(inquiry)
        assert result_of(answer)["paymentStatus"] == "SUCCESS"
        assert answer.classification.outcome is Outcome.SUCCESS
        assert answer.classification.operation is Operation.INQUIRY
    assert sim.inquiries == 2
    assert sim.executions == 1


def test_an_inquiry_of_a_pay_in_process_is_pending(
    sim: ProviderSimulator, client: PayerrAlipayClient
) -> None:
    client.execute_with_headers(pay_request("pay-slow"), scenario(code="PAYMENT_IN_PROCESS"))
    inquiry = _query.AlipayPayQueryRequest()
    inquiry.payment_request_id = "pay-slow"
    answer = client.execute(inquiry)
    assert result_of(answer)["paymentStatus"] == "PROCESSING"
    assert answer.classification.outcome is Outcome.PENDING
    assert sim.executions == 1


def test_a_refund_then_its_inquiry(
    sim: ProviderSimulator, client: PayerrAlipayClient, waits: list[float]
) -> None:
    client.execute(pay_request("pay-to-refund"))
    refund = _refund.AlipayRefundRequest()
    refund.refund_request_id = "refund-1"
    refund.payment_id = "pay-to-refund"
    refund.refund_amount = _amount.Amount(currency="USD", value="1000")
    answer = client.execute_with_headers(refund, scenario("503"))  # resent under refundRequestId
    assert answer.classification.outcome is Outcome.SUCCESS
    assert answer.classification.operation is Operation.REFUND
    assert len(waits) == 1

    inquiry = _refund_query.AlipayInquiryRefundRequest()
    inquiry.refund_request_id = "refund-1"
    status = client.execute(inquiry)
    assert result_of(status)["refundStatus"] == "SUCCESS"
    assert status.classification.outcome is Outcome.SUCCESS
    assert status.classification.operation is Operation.REFUND_INQUIRY
    assert sim.executions_of("refund-1", "refund") == 1
    assert sim.executions == 2


# -- 7. an optional extra ----------------------------------------------------------------------


def test_without_the_sdk_the_import_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "com.alipay.ams.api.default_alipay_client", None)
    monkeypatch.delitem(sys.modules, "payerr.integrations.antom_sdk")
    with pytest.raises(ImportError, match=r"pip install 'payerr\[antom\]'"):
        importlib.import_module("payerr.integrations.antom_sdk")


def test_import_payerr_never_imports_the_sdk() -> None:
    probe = (
        "import sys, payerr, payerr.integrations\n"
        "print(sorted(m for m in sys.modules if m.startswith('com.alipay')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("keep", [(), ("response-time", "client-id")])
def test_an_unsigned_decline_is_refused_as_the_sdk_refuses_it(
    sim: ProviderSimulator, waits: list[float], keep: tuple[str, ...]
) -> None:
    """A man in the middle strips the signature and turns Antom's SUCCESS into a decline. The
    SDK's own execute() refuses any 200 without a verified signature (``__parse_header``:
    "signature not exist"); so does this client, instead of raising a decline that would send
    the merchant to start over under a new paymentRequestId."""

    def forge(request: httpx.Request) -> httpx.Response:
        real = httpx.post(str(request.url), content=request.content, headers=request.headers)
        decline = {
            "result": {
                "resultCode": "USER_BALANCE_NOT_ENOUGH",
                "resultStatus": "F",
                "resultMessage": "forged",
            }
        }
        headers = {name: real.headers[name] for name in keep}
        return httpx.Response(200, json=decline, headers=headers)

    with make_client(sim, waits) as antom:
        antom._http = httpx.Client(
            transport=payerr.PaymentTransport("antom", transport=httpx.MockTransport(forge))
        )
        with pytest.raises(AlipayApiException):
            antom.execute(pay_request("forged-1"))
    assert sim.outcome_of("forged-1") == "success"  # the payment ran: never call it failed
