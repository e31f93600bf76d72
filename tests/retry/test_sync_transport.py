"""PaymentTransport: classification on responses, typed errors, and every replay-safety rule."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx

import payerr
from payerr import (
    Category,
    FinalError,
    MerchantConfigError,
    Outcome,
    OutcomeUnknownError,
    PaymentError,
    RetryableError,
    RetryPolicy,
    RiskError,
    UserActionError,
)
from tests.support.answers import antom, ok, paykka_failure
from tests.support.clients import KEY, URL, client, policy
from tests.support.clock import FakeTime
from tests.support.loopback import Script, serve
from tests.support.repo import REPO
from tests.support.scripted import Answer, Scripted


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


# -- answers that are not retried ------------------------------------------------------------


def test_success_returns_the_response_with_its_classification(fake: FakeTime) -> None:
    handler = Scripted(ok())
    response = client("paykka", handler, fake).post(URL, json={"amount": 100})
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome is Outcome.SUCCESS
    assert response.extensions["payerr.classification"] is c
    assert response.json()["ret_code"] == "000000"
    assert len(handler.requests) == 1


def test_pending_is_returned_and_never_resubmitted(fake: FakeTime) -> None:
    """Antom U + PAYMENT_IN_PROCESS: wait for the notification; the key makes no difference."""
    handler = Scripted(antom("PAYMENT_IN_PROCESS", "U"))
    body = {"paymentRequestId": "pay-1"}
    response = client("antom", handler, fake).post(URL, json=body, headers=KEY)
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome is Outcome.PENDING
    assert len(handler.requests) == 1
    assert fake.slept == []


@pytest.mark.parametrize(
    ("provider", "answer", "error", "category"),
    [
        ("paykka", paykka_failure("5004"), UserActionError, Category.USER_ACTION),
        ("paykka", httpx.Response(401, json={"ret_code": "2000"}), MerchantConfigError,
         Category.MERCHANT_CONFIG),
        ("antom", antom("FRAUD_REJECT", "F"), RiskError, Category.RISK),
        ("antom", antom("PROCESS_FAIL", "F"), FinalError, Category.FINAL),
        ("paykka", paykka_failure("5019"), RiskError, Category.RISK),
    ],
)  # fmt: skip
def test_each_failure_category_raises_its_type_without_retrying(
    fake: FakeTime,
    provider: str,
    answer: httpx.Response,
    error: type[PaymentError],
    category: Category,
) -> None:
    """Hard declines are never retried, even with an idempotency key."""
    handler = Scripted(answer)
    with pytest.raises(error) as info:
        client(provider, handler, fake).post(URL, json={"paymentRequestId": "p"}, headers=KEY)
    err = info.value
    assert err.classification.category is category
    assert err.attempts == 1
    assert err.request is not None
    assert err.request.url == URL
    assert err.response is not None
    assert err.response.status_code == answer.status_code
    assert err.response.json()  # the body is still readable
    assert len(handler.requests) == 1
    assert fake.slept == []


def test_risk_error_user_message_stays_neutral(fake: FakeTime) -> None:
    with pytest.raises(RiskError) as info:
        client("antom", Scripted(antom("SUSPECTED_CARD", "F")), fake).post(URL, json={})
    assert "fraud" not in info.value.classification.user_message.lower()


# -- nothing sent: always safe ---------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")],
    ids=["connect-error", "connect-timeout", "pool-timeout"],
)
def test_nothing_sent_is_retried_even_for_a_post_without_a_key(
    fake: FakeTime, failure: Exception
) -> None:
    handler = Scripted(failure, failure, ok())
    response = client("paykka", handler, fake).post(URL, json={"amount": 100})
    assert response.status_code == 200
    assert len(handler.requests) == 3
    assert fake.slept == [0.5, 1.0]  # wait_initial, doubled; jitter drawn as 0


def test_invalid_request_is_merchant_config_not_retried(fake: FakeTime) -> None:
    handler = Scripted(httpx.UnsupportedProtocol("ftp is not http"))
    with pytest.raises(MerchantConfigError) as info:
        client("paykka", handler, fake).post(URL, json={})
    assert isinstance(info.value.__cause__, httpx.UnsupportedProtocol)
    assert len(handler.requests) == 1


# -- maybe executed: only replay-safe requests are resent ------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.WriteTimeout("stalled"),
    ],
    ids=["read-timeout", "disconnect", "read-error", "write-timeout"],
)
def test_maybe_executed_post_without_key_is_outcome_unknown(
    fake: FakeTime, failure: Exception
) -> None:
    """Never resent: it may have charged. The error says to inquire; the cause is chained."""
    handler = Scripted(failure, ok())
    with pytest.raises(OutcomeUnknownError) as info:
        client("paykka", handler, fake).post(URL, json={"amount": 100})
    err = info.value
    assert len(handler.requests) == 1
    assert err.classification.outcome is Outcome.PENDING
    assert err.classification.category is None
    assert "inquire" in err.classification.action
    assert err.__cause__ is failure
    assert err.response is None
    assert fake.slept == []


def test_maybe_executed_post_with_key_is_retried(fake: FakeTime) -> None:
    handler = Scripted(httpx.ReadTimeout("no answer"), ok())
    response = client("paykka", handler, fake).post(URL, json={"amount": 1}, headers=KEY)
    assert response.status_code == 200
    assert len(handler.requests) == 2
    assert [r.headers["Idempotency-Key"] for r in handler.requests] == [KEY["Idempotency-Key"]] * 2


def test_maybe_executed_get_is_retried(fake: FakeTime) -> None:
    handler = Scripted(httpx.ReadTimeout("no answer"), ok())
    assert client("paykka", handler, fake).get(URL).status_code == 200
    assert len(handler.requests) == 2


def test_5xx_after_post_without_key_is_outcome_unknown(fake: FakeTime) -> None:
    handler = Scripted(httpx.Response(503), ok())
    with pytest.raises(OutcomeUnknownError) as info:
        client("paykka", handler, fake).post(URL, json={"amount": 1})
    assert info.value.response is not None
    assert info.value.response.status_code == 503
    assert len(handler.requests) == 1


def test_5xx_after_post_with_key_is_retried(fake: FakeTime) -> None:
    handler = Scripted(httpx.Response(502), httpx.Response(503), ok())
    response = client("paykka", handler, fake).post(URL, json={"amount": 1}, headers=KEY)
    assert response.status_code == 200
    assert len(handler.requests) == 3


def test_antom_request_id_makes_a_post_replay_safe(fake: FakeTime) -> None:
    """Antom pay is idempotent on paymentRequestId: U + UNKNOWN_EXCEPTION is resent."""
    handler = Scripted(antom("UNKNOWN_EXCEPTION", "U"), antom("SUCCESS", "S"))
    response = client("antom", handler, fake).post(URL, json={"paymentRequestId": "pay-77"})
    assert response.status_code == 200
    assert len(handler.requests) == 2
    assert handler.bodies[0] == handler.bodies[1]


def test_ott_pay_refuses_an_automatic_key_and_ignores_a_callers(fake: FakeTime) -> None:
    """No OTT Pay page (legacy or REST) documents an idempotency key header: a key payerr made
    up would promise a safe resend nobody keeps, and a caller's key proves nothing either."""
    for provider in ("ottpay", "ottpay_rest"):
        with pytest.raises(payerr.UsageError, match="documents no idempotency key"):
            payerr.PaymentTransport(provider, auto_idempotency_key=True)
        handler = Scripted(httpx.ReadTimeout("stalled"), ok("ottpay"))
        with pytest.raises(OutcomeUnknownError):
            client(provider, handler, fake).post(URL, json={"n": 1}, headers=KEY)
        assert len(handler.requests) == 1


def test_antom_without_request_id_is_outcome_unknown(fake: FakeTime) -> None:
    handler = Scripted(antom("UNKNOWN_EXCEPTION", "U"))
    with pytest.raises(OutcomeUnknownError):
        client("antom", handler, fake).post(URL, json={"paymentId": "only-the-provider-id"})
    assert len(handler.requests) == 1


def test_request_id_fields_only_count_for_their_provider(fake: FakeTime) -> None:
    """PayKKa documents no request-id field: paymentRequestId there proves nothing."""
    handler = Scripted(httpx.Response(503))
    with pytest.raises(OutcomeUnknownError):
        client("paykka", handler, fake).post(URL, json={"paymentRequestId": "p"})


def test_429_is_retried_even_without_a_key(fake: FakeTime) -> None:
    """A 429 says the provider refused the request: nothing executed."""
    handler = Scripted(httpx.Response(429, headers={"Retry-After": "2"}), ok())
    assert client("paykka", handler, fake).post(URL, json={"a": 1}).status_code == 200
    assert fake.slept == [2.0]


# -- waits, Retry-After, limits --------------------------------------------------------------


def test_retry_after_http_date(fake: FakeTime) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler = Scripted(httpx.Response(503, headers={"Retry-After": when}), ok())
    client("paykka", handler, fake).post(URL, json={}, headers=KEY)
    assert len(fake.slept) == 1
    assert 27 <= fake.slept[0] <= 30


def test_retry_after_beyond_max_gives_up_at_once(fake: FakeTime) -> None:
    handler = Scripted(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    with pytest.raises(RetryableError) as info:
        client("paykka", handler, fake).post(URL, json={}, headers=KEY)
    assert fake.slept == []
    assert len(handler.requests) == 1
    assert info.value.classification.retry_after == 3600
    assert info.value.attempts == 1


def test_a_wait_that_would_pass_the_timeout_gives_up_at_once(fake: FakeTime) -> None:
    handler = Scripted(httpx.Response(429, headers={"Retry-After": "20"}), ok())
    pol = policy(fake, timeout=10.0)
    with pytest.raises(RetryableError):
        client("paykka", handler, fake, policy=pol).post(URL, json={}, headers=KEY)
    assert fake.slept == []


def test_slow_attempts_count_against_the_timeout(fake: FakeTime) -> None:
    """Elapsed time includes the attempts themselves, not only the waits."""

    class Slow(Scripted):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            fake.now += 4.0  # each attempt takes 4 s
            return super().__call__(request)

    handler = Slow(httpx.Response(429))
    pol = policy(fake, timeout=9.0, attempts=10)
    with pytest.raises(RetryableError) as info:
        client("paykka", handler, fake, policy=pol).post(URL, json={}, headers=KEY)
    # attempt 4 s, wait 0.5, attempt 4 s (8.5 s); a 1 s wait would end at 9.5 s > 9 s: stop.
    assert len(handler.requests) == 2
    assert info.value.attempts == 2


def test_exhaustion_raises_retryable_error_not_tenacity_retry_error(fake: FakeTime) -> None:
    handler = Scripted(httpx.Response(429))
    with pytest.raises(RetryableError) as info:
        client("paykka", handler, fake).post(URL, json={}, headers=KEY)
    assert info.value.attempts == 3
    assert len(handler.requests) == 3
    assert fake.slept == [0.5, 1.0]
    assert "after 3 attempts" in str(info.value)


def test_backoff_is_capped_and_jittered() -> None:
    fake = FakeTime()
    pol = RetryPolicy(
        attempts=6, wait_initial=1, wait_max=3, wait_jitter=0.5, timeout=100,
        sleep=fake.sleep, clock=fake.clock, random=lambda: 0.5,
    )  # fmt: skip
    handler = Scripted(httpx.Response(429))
    with pytest.raises(RetryableError):
        client("paykka", handler, fake, policy=pol).post(URL, json={}, headers=KEY)
    assert fake.slept == [1.25, 2.25, 3.25, 3.25, 3.25]


def test_attempts_one_means_no_retry(fake: FakeTime) -> None:
    handler = Scripted(httpx.ConnectError("refused"), ok())
    with pytest.raises(RetryableError):
        client("paykka", handler, fake, policy=policy(fake, attempts=1)).post(URL, json={})
    assert len(handler.requests) == 1


# -- idempotency keys and bodies -------------------------------------------------------------


def test_auto_key_is_generated_once_and_reused_on_every_retry(fake: FakeTime) -> None:
    handler = Scripted(httpx.ReadTimeout("slow"), httpx.Response(503), ok())
    c = client("paykka", handler, fake, auto_idempotency_key=True)
    c.post(URL, json={"amount": 1})
    keys = [r.headers.get("Idempotency-Key") for r in handler.requests]
    assert len(keys) == 3
    assert keys[0]
    assert len(set(keys)) == 1
    c.post(URL, json={"amount": 1})
    assert handler.requests[-1].headers["Idempotency-Key"] != keys[0]  # one key per logical call


@pytest.mark.parametrize("header", ["Idempotency-Key", "x-idempotency-key"])
def test_a_callers_own_key_is_never_replaced(fake: FakeTime, header: str) -> None:
    handler = Scripted(httpx.Response(503), ok())
    c = client("paykka", handler, fake, auto_idempotency_key=True)
    c.post(URL, json={}, headers={header: "mine-123"})
    assert [r.headers.get(header) for r in handler.requests] == ["mine-123", "mine-123"]
    assert all(r.headers.get("Idempotency-Key") in (None, "mine-123") for r in handler.requests)


def test_no_key_is_added_to_idempotent_methods(fake: FakeTime) -> None:
    handler = Scripted(ok())
    client("paykka", handler, fake, auto_idempotency_key=True).get(URL)
    assert "Idempotency-Key" not in handler.requests[0].headers


def test_custom_idempotency_header_names(fake: FakeTime) -> None:
    handler = Scripted(httpx.Response(503), ok())
    c = client("paykka", handler, fake, idempotency_headers=["X-PayKKa-Nonce"])
    c.post(URL, json={}, headers={"X-PayKKa-Nonce": "n-1"})
    assert len(handler.requests) == 2


def test_streaming_request_bodies_are_resent_whole(fake: FakeTime) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"amount": '
        yield b"100}"

    handler = Scripted(httpx.Response(503), ok())
    client("paykka", handler, fake).post(URL, content=body(), headers=KEY)
    assert handler.bodies == [b'{"amount": 100}', b'{"amount": 100}']


# -- responses: streaming, connections -------------------------------------------------------


def test_streaming_responses_work_on_success(fake: FakeTime) -> None:
    handler = Scripted(ok())
    with client("paykka", handler, fake).stream("POST", URL, json={}) as response:
        chunks = list(response.iter_bytes())
        c = payerr.classification_of(response)
    assert json.loads(b"".join(chunks))["ret_code"] == "000000"
    assert c is not None
    assert c.outcome is Outcome.SUCCESS


class Tracking(httpx.BaseTransport):
    """An inner transport whose responses record whether they were closed."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.responses: list[httpx.Response] = []
        self.closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(len(self.responses), len(self.answers) - 1)]
        if isinstance(answer, Exception):
            self.responses.append(httpx.Response(599))
            raise answer
        response = httpx.Response(
            answer.status_code, headers=answer.headers, stream=httpx.ByteStream(answer.content)
        )
        self.responses.append(response)
        return response

    def close(self) -> None:
        self.closed = True


def test_every_response_is_closed_retried_or_not(fake: FakeTime) -> None:
    inner = Tracking([httpx.Response(503), httpx.Response(502), paykka_failure("5004")])
    transport = payerr.PaymentTransport("paykka", transport=inner, policy=policy(fake))
    with httpx.Client(transport=transport) as c, pytest.raises(UserActionError):
        c.post(URL, json={}, headers=KEY)
    assert len(inner.responses) == 3
    assert all(r.is_closed for r in inner.responses)
    assert inner.closed  # closing the client closed the inner transport


def test_connections_return_to_the_pool_on_a_real_socket(fake: FakeTime) -> None:
    """One pooled connection: retried and failed answers must release it, or the pool starves."""
    paid: dict[str, object] = {
        "ret_code": "000000",
        "ret_msg": "success",
        "data": {"status": "SUCCESS"},
    }
    script = Script(answers=[(503, {}, {}), (503, {}, {}), (200, paid, {})])
    inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1))
    transport = payerr.PaymentTransport("paykka", transport=inner, policy=policy(fake))
    with (
        serve(script) as base,
        httpx.Client(transport=transport, timeout=httpx.Timeout(5, pool=1)) as c,
    ):
        for _ in range(3):
            script.seen.clear()
            assert c.post(f"{base}/pay", json={"n": 1}, headers=KEY).status_code == 200
            assert len(script.seen) == 3
        script.seen.clear()
        with pytest.raises(OutcomeUnknownError):
            c.post(f"{base}/pay", json={"n": 2})  # 503 without a key
        script.seen.clear()
        assert c.post(f"{base}/pay", json={"n": 3}, headers=KEY).status_code == 200


def test_undecodable_body_is_a_garbled_answer(fake: FakeTime) -> None:
    class Garbled(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            headers = {"Content-Encoding": "gzip"}
            return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b"not gzip"))

    transport = payerr.PaymentTransport("paykka", transport=Garbled(), policy=policy(fake))
    with pytest.raises(OutcomeUnknownError) as info:
        httpx.Client(transport=transport).post(URL, json={})
    assert isinstance(info.value.__cause__, httpx.DecodingError)


# -- respx, default (httpcore) mode ------------------------------------------------------------


def test_respx_scripted_failures_then_success(fake: FakeTime) -> None:
    """respx's default mode mocks below httpx's transport, so payerr's transport is exercised."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post(URL).mock(
            side_effect=[httpx.ConnectError("down"), httpx.Response(503), ok("paykka")]
        )
        transport = payerr.PaymentTransport("paykka", policy=policy(fake))
        with httpx.Client(transport=transport) as c:
            response = c.post(URL, json={}, headers=KEY)
    assert response.status_code == 200
    assert route.call_count == 3


# -- construction ----------------------------------------------------------------------------


def test_unknown_provider_fails_at_construction() -> None:
    with pytest.raises(payerr.UnknownProviderError):
        payerr.PaymentTransport("stripe")


@pytest.mark.parametrize(
    "bad",
    [
        {"attempts": 0},
        {"attempts": 1.5},
        {"timeout": -1},
        {"wait_exp_base": 0.5},
        {"wait_max": "5"},
    ],
)
def test_policy_validates_its_settings(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        RetryPolicy(**bad)


def test_policy_defaults_are_documented() -> None:
    """The docs' "RetryPolicy and its defaults" table says what RetryPolicy() does."""
    page = (REPO / "docs" / "retries.md").read_text(encoding="utf-8")
    table = page.split("## RetryPolicy and its defaults", 1)[1].split("\n\n", 2)[1]
    documented = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name, default = cells[0].strip("`"), cells[1]
        number = re.fullmatch(r"([0-9.]+)( s)?", default)
        if number:
            documented[name] = float(number.group(1))
    p = RetryPolicy()
    assert documented == {
        "attempts": p.attempts,
        "timeout": p.timeout,
        "wait_initial": p.wait_initial,
        "wait_max": p.wait_max,
        "wait_jitter": p.wait_jitter,
        "max_retry_after": p.max_retry_after,
    }
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[call-arg]


def test_empty_idempotency_header_list_is_rejected() -> None:
    with pytest.raises(ValueError, match="idempotency_headers"):
        payerr.PaymentTransport("paykka", idempotency_headers=[])
