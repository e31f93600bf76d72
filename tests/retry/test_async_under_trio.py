"""AsyncPaymentTransport under trio: a retry's wait sleeps through the running async library.

httpx runs on asyncio and on trio; so must payerr's retry waits (as stamina's do). The default
``RetryPolicy.async_sleep`` is ``anyio.sleep``, which sleeps through whichever library runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest
import tenacity
import trio
import trio.testing

import payerr
from payerr import RetryPolicy
from payerr._retry.decide import Call
from payerr._retry.transport import CALL_KEY
from tests.support.answers import ok
from tests.support.clients import KEY, URL
from tests.support.loopback import Script, serve
from tests.support.scripted import Scripted

T = TypeVar("T")

WAIT = 0.05
"""The one real wait of a test: short, and long enough to see on the clock."""


def short_waits(**overrides: Any) -> RetryPolicy:
    """The default (real) async sleep; a WAIT backoff without jitter; no shared budget."""
    overrides.setdefault("wait_initial", WAIT)
    return RetryPolicy(wait_jitter=0.0, random=lambda: 0.0, budget=False, **overrides)


def run(backend: str, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return trio.run(main) if backend == "trio" else asyncio.run(main())


def loop_time(backend: str) -> float:
    """The running library's own clock."""
    return trio.current_time() if backend == "trio" else asyncio.get_running_loop().time()


def waits(response: httpx.Response) -> list[float | None]:
    """The wait payerr chose after each attempt of the call that gave ``response``."""
    call = response.request.extensions[CALL_KEY]
    assert isinstance(call, Call)
    return [r.wait for r in call.records]


def sent(handler: Scripted) -> int:
    return len(handler.requests)


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_503_then_200_after_one_real_wait(backend: str) -> None:
    handler = Scripted(httpx.Response(503), ok())

    async def go() -> tuple[httpx.Response, float]:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=short_waits()
        )
        async with httpx.AsyncClient(transport=transport) as c:
            start = loop_time(backend)
            response = await c.post(URL, json={"amount": 100}, headers=KEY)
            return response, loop_time(backend) - start

    response, elapsed = run(backend, go)
    assert response.status_code == 200
    c = payerr.classification_of(response)
    assert c is not None
    assert not c.is_failure
    assert sent(handler) == 2
    assert waits(response) == [WAIT, None]
    assert elapsed >= WAIT  # slept once, on the running library's clock (no upper bound: a
    # loaded machine may run late)


def test_real_sockets_under_trio() -> None:
    """The default inner transport (httpx's, through httpcore and anyio) on a real socket."""
    success: dict[str, object] = {"ret_code": "000000", "data": {"status": "SUCCESS"}}
    script = Script([(503, {}, {}), (200, success, {})])

    with serve(script) as url:

        async def go() -> httpx.Response:
            transport = payerr.AsyncPaymentTransport("paykka", policy=short_waits())
            async with httpx.AsyncClient(transport=transport) as c:
                return await c.post(f"{url}/v1/payments", json={"amount": 100}, headers=KEY)

        response = trio.run(go)

    assert response.status_code == 200
    assert len(script.seen) == 2
    assert waits(response) == [WAIT, None]


def test_retry_after_is_honoured_under_trio() -> None:
    """The wait is the provider's Retry-After, slept on trio's clock (a mock one, jumping)."""
    handler = Scripted(httpx.Response(429, headers={"Retry-After": "2"}), ok())

    async def go() -> tuple[httpx.Response, float]:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=short_waits()
        )
        async with httpx.AsyncClient(transport=transport) as c:
            start = trio.current_time()
            response = await c.post(URL, json={"amount": 100}, headers=KEY)
            return response, trio.current_time() - start

    started = time.monotonic()
    response, elapsed = trio.run(go, clock=trio.testing.MockClock(autojump_threshold=0))
    # trio's clock jumped 2 s; no real sleep of that length happened (a generous bound that a
    # loaded machine cannot reach by running slowly: 2 s would have to pass in real time too)
    assert time.monotonic() - started < 2.0
    assert response.status_code == 200
    assert sent(handler) == 2
    assert waits(response) == [2.0, None]
    assert elapsed == pytest.approx(2.0)


def test_wait_retry_after_in_an_own_loop_under_trio() -> None:
    """payerr's tenacity pieces and the policy's sleep in a caller's own loop, under trio."""
    handler = Scripted(httpx.Response(429, headers={"Retry-After": "3"}), ok())

    async def go() -> tuple[httpx.Response, float]:
        retrying = tenacity.AsyncRetrying(
            retry=payerr.retry_if_retryable("paykka"),
            wait=payerr.wait_retry_after(),
            stop=tenacity.stop_after_attempt(3),
            sleep=RetryPolicy().async_sleep,
            reraise=True,
        )
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
            start = trio.current_time()
            response: httpx.Response = await retrying(
                c.post, URL, json={"amount": 100}, headers=KEY
            )
            return response, trio.current_time() - start

    response, elapsed = trio.run(go, clock=trio.testing.MockClock(autojump_threshold=0))
    assert response.status_code == 200
    assert sent(handler) == 2
    assert elapsed == pytest.approx(3.0)


def test_a_cancelled_scope_during_the_wait_cancels_cleanly() -> None:
    """Cancelled mid-wait: trio's Cancelled ends the call, no retry is sent, and the
    transport serves the next call."""
    handler = Scripted(httpx.Response(503, headers={"Retry-After": "10"}), ok())

    async def go() -> tuple[bool, float, httpx.Response]:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=short_waits()
        )
        async with httpx.AsyncClient(transport=transport) as c:
            start = trio.current_time()
            with trio.move_on_after(WAIT) as scope:
                await c.post(URL, json={"amount": 100}, headers=KEY)
            cancelled_after = trio.current_time() - start
            assert sent(handler) == 1  # the retry was never sent
            after = await c.post(URL, json={"amount": 100}, headers={"Idempotency-Key": "next"})
        return scope.cancelled_caught, cancelled_after, after

    cancelled, cancelled_after, after = trio.run(go)
    assert cancelled
    assert WAIT <= cancelled_after < 1.0  # it was waiting (the 10 s Retry-After), cut short
    assert after.status_code == 200
    assert sent(handler) == 2
