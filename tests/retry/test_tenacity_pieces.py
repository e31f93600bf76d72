"""payerr's tenacity pieces in loops users write themselves, composed with tenacity's own."""

from __future__ import annotations

import httpx
import pytest
import tenacity

import payerr
from payerr import OutcomeUnknownError, RetryableError, RetryPolicy
from tests.support.answers import ok
from tests.support.clients import KEY, URL
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted


def payerr_client(handler: Scripted) -> httpx.Client:
    """payerr classifies and raises; the user's loop does the retrying (attempts=1)."""
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=RetryPolicy(attempts=1)
    )
    return httpx.Client(transport=transport)


def loop(fake: FakeTime, retry: tenacity.retry_base, attempts: int = 4) -> tenacity.Retrying:
    return tenacity.Retrying(
        retry=retry,
        wait=payerr.wait_retry_after(initial=0.1, jitter=0),
        stop=tenacity.stop_after_attempt(attempts) | payerr.stop_before_timeout(30),
        sleep=fake.sleep,
        reraise=True,
    )


def test_user_loop_retries_retryable_errors_until_success() -> None:
    fake, handler = FakeTime(), Scripted(httpx.Response(503), httpx.ConnectError("x"), ok())
    c = payerr_client(handler)
    response = loop(fake, payerr.retry_if_retryable())(c.post, URL, json={}, headers=KEY)
    assert response.status_code == 200
    assert len(handler.requests) == 3
    assert fake.slept == [0.1, 0.2]


def test_user_loop_never_retries_outcome_unknown() -> None:
    fake, handler = FakeTime(), Scripted(httpx.ReadTimeout("x"), ok())
    c = payerr_client(handler)
    with pytest.raises(OutcomeUnknownError):
        loop(fake, payerr.retry_if_retryable())(c.post, URL, json={})
    assert len(handler.requests) == 1


def test_user_loop_reraises_payerr_errors_not_retry_error() -> None:
    fake, handler = FakeTime(), Scripted(httpx.Response(429))
    c = payerr_client(handler)
    with pytest.raises(RetryableError):
        loop(fake, payerr.retry_if_retryable(), attempts=2)(c.post, URL, json={}, headers=KEY)
    assert len(handler.requests) == 2


def test_user_loop_resends_a_keyed_5xx_and_ends_outcome_unknown() -> None:
    """A 503 may follow an execution: not RetryableError, but the caller's key makes the same
    request safe to resend, and the loop does."""
    fake, handler = FakeTime(), Scripted(httpx.Response(503))
    c = payerr_client(handler)
    with pytest.raises(payerr.OutcomeUnknownError) as info:
        loop(fake, payerr.retry_if_retryable(), attempts=2)(c.post, URL, json={}, headers=KEY)
    assert info.value.safe_to_resend
    assert len(handler.requests) == 2


def test_plain_httpx_responses_are_classified_with_the_provider() -> None:
    """Without a payerr transport, the retry piece classifies responses itself."""
    fake = FakeTime()
    handler = Scripted(httpx.Response(503, headers={"Retry-After": "2"}), ok())
    c = httpx.Client(transport=httpx.MockTransport(handler))
    response = loop(fake, payerr.retry_if_retryable("paykka"))(c.post, URL, json={}, headers=KEY)
    assert response.status_code == 200
    assert fake.slept == [2.0]  # Retry-After read straight from the header


def test_plain_httpx_post_without_key_is_not_resent() -> None:
    fake, handler = FakeTime(), Scripted(httpx.Response(503), ok())
    c = httpx.Client(transport=httpx.MockTransport(handler))
    response = loop(fake, payerr.retry_if_retryable("paykka"))(c.post, URL, json={})
    assert response.status_code == 503  # handed back for the caller to inquire
    assert len(handler.requests) == 1


@pytest.mark.parametrize(
    ("failure", "headers", "sends"),
    [
        (httpx.ConnectError("down"), {}, 2),
        (httpx.ReadTimeout("slow"), {}, 1),
        (httpx.ReadTimeout("slow"), KEY, 2),
    ],
    ids=["connect-no-key", "read-timeout-no-key", "read-timeout-key"],
)
def test_plain_httpx_transport_errors(
    failure: Exception, headers: dict[str, str], sends: int
) -> None:
    fake, handler = FakeTime(), Scripted(failure, ok())
    c = httpx.Client(transport=httpx.MockTransport(handler))
    retrying = loop(fake, payerr.retry_if_retryable("paykka"))
    if sends == 1:
        with pytest.raises(type(failure)):
            retrying(c.post, URL, json={}, headers=headers)
    else:
        assert retrying(c.post, URL, json={}, headers=headers).status_code == 200
    assert len(handler.requests) == sends


def test_pieces_compose_with_tenacity_operators() -> None:
    fake = FakeTime()
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("app-level hiccup")
        return "done"

    retrying = tenacity.Retrying(
        retry=payerr.retry_if_retryable() | tenacity.retry_if_exception_type(ValueError),
        wait=payerr.wait_retry_after(initial=1, jitter=0) + tenacity.wait_fixed(1),
        stop=tenacity.stop_after_attempt(3) & payerr.stop_before_timeout(30),
        sleep=fake.sleep,
        reraise=True,
    )
    assert retrying(flaky) == "done"
    assert fake.slept == [2.0]


def test_stop_before_timeout_refuses_a_long_retry_after() -> None:
    fake = FakeTime()
    handler = Scripted(httpx.Response(503, headers={"Retry-After": "120"}), ok())
    c = httpx.Client(transport=httpx.MockTransport(handler))
    retrying = tenacity.Retrying(
        retry=payerr.retry_if_retryable("paykka"),
        wait=payerr.wait_retry_after(),
        stop=payerr.stop_before_timeout(300, max_retry_after=60),
        sleep=fake.sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
    )
    assert retrying(c.post, URL, json={}, headers=KEY).status_code == 503
    assert fake.slept == []


def test_decorator_form_from_the_docs() -> None:
    fake, handler = FakeTime(), Scripted(httpx.Response(502), ok())
    c = payerr_client(handler)

    @tenacity.retry(
        retry=payerr.retry_if_retryable(),
        wait=payerr.wait_retry_after(),
        stop=tenacity.stop_after_attempt(3) | payerr.stop_before_timeout(20),
        sleep=fake.sleep,
        reraise=True,
    )
    def pay() -> httpx.Response:
        return c.post(URL, json={"amount": 100}, headers=KEY)

    assert pay().status_code == 200
