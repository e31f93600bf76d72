"""AsyncPaymentTransport makes the same decisions as PaymentTransport, scenario for scenario."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import payerr
from payerr import OutcomeUnknownError, PaymentError, RetryableError, RiskError, UserActionError
from tests.support.answers import antom, ok, paykka_failure
from tests.support.clients import KEY, URL, policy
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted


@dataclass
class Scenario:
    provider: str
    answers: list[httpx.Response | Exception]
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


SCENARIOS = {
    "success": Scenario("paykka", [ok()]),
    "connect-errors-then-success": Scenario(
        "paykka", [httpx.ConnectError("x"), httpx.ConnectTimeout("x"), ok()]
    ),
    "read-timeout-no-key": Scenario("paykka", [httpx.ReadTimeout("x"), ok()]),
    "read-timeout-with-key": Scenario("paykka", [httpx.ReadTimeout("x"), ok()], headers=KEY),
    "503-no-key": Scenario("paykka", [httpx.Response(503)]),
    "503-exhausted-with-key": Scenario("paykka", [httpx.Response(503)], headers=KEY),
    "429-retry-after": Scenario(
        "paykka", [httpx.Response(429, headers={"Retry-After": "3"}), ok()]
    ),
    "retry-after-too-long": Scenario(
        "paykka", [httpx.Response(429, headers={"Retry-After": "999"})], headers=KEY
    ),
    "429-exhausted": Scenario("paykka", [httpx.Response(429)]),
    "antom-request-id": Scenario(
        "antom", [antom("UNKNOWN_EXCEPTION", "U"), ok("antom")], body={"paymentRequestId": "p1"}
    ),
    "antom-pending": Scenario(
        "antom", [antom("PAYMENT_IN_PROCESS", "U")], body={"paymentRequestId": "p"}
    ),
    "risk": Scenario("antom", [antom("RISK_REJECT", "F")], headers=KEY),
    "user-action": Scenario("paykka", [paykka_failure("5004")], headers=KEY),
    "auto-key": Scenario(
        "paykka", [httpx.Response(502), ok()], options={"auto_idempotency_key": True}
    ),
}


def outcome(result: httpx.Response | PaymentError) -> tuple[object, ...]:
    if isinstance(result, PaymentError):
        c = result.classification
        return (
            type(result).__name__,
            c.outcome,
            c.category,
            result.attempts,
            result.__cause__ is not None,
        )
    answer = payerr.classification_of(result)
    assert answer is not None
    return ("response", result.status_code, answer.outcome, answer.code)


def run_sync(s: Scenario) -> tuple[tuple[object, ...], int, list[float], set[str | None]]:
    fake, handler = FakeTime(), Scripted(*s.answers)
    transport = payerr.PaymentTransport(
        s.provider, transport=httpx.MockTransport(handler), policy=policy(fake), **s.options
    )
    with httpx.Client(transport=transport) as c:
        try:
            result: httpx.Response | PaymentError = c.post(URL, json=s.body, headers=s.headers)
        except PaymentError as exc:
            result = exc
    keys = {r.headers.get("Idempotency-Key") for r in handler.requests}
    return outcome(result), len(handler.requests), fake.slept, keys


def run_async(s: Scenario) -> tuple[tuple[object, ...], int, list[float], set[str | None]]:
    fake, handler = FakeTime(), Scripted(*s.answers)

    async def go() -> httpx.Response | PaymentError:
        transport = payerr.AsyncPaymentTransport(
            s.provider, transport=httpx.MockTransport(handler), policy=policy(fake), **s.options
        )
        async with httpx.AsyncClient(transport=transport) as c:
            try:
                return await c.post(URL, json=s.body, headers=s.headers)
            except PaymentError as exc:
                return exc

    result = asyncio.run(go())
    keys = {r.headers.get("Idempotency-Key") for r in handler.requests}
    return outcome(result), len(handler.requests), fake.slept, keys


@pytest.mark.parametrize("name", SCENARIOS)
def test_async_decides_exactly_like_sync(name: str) -> None:
    """Same answer or error, same number of sends, same waits, same key handling."""
    s = SCENARIOS[name]
    sync_result, async_result = run_sync(s), run_async(s)
    assert async_result[:3] == sync_result[:3]
    assert len(async_result[3]) == len(sync_result[3])


def test_the_scenarios_cover_every_exit() -> None:
    kinds = {run_sync(s)[0][0] for s in SCENARIOS.values()}
    assert kinds == {
        "response",
        RetryableError.__name__,
        OutcomeUnknownError.__name__,
        RiskError.__name__,
        UserActionError.__name__,
    }


def test_async_transport_closes_its_inner_transport() -> None:
    closed: list[bool] = []

    class Inner(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return ok()

        async def aclose(self) -> None:
            closed.append(True)

    async def go() -> None:
        async with httpx.AsyncClient(
            transport=payerr.AsyncPaymentTransport("paykka", transport=Inner())
        ) as c:
            await c.get(URL)

    asyncio.run(go())
    assert closed == [True]


def test_async_streaming_success() -> None:
    async def go() -> bytes:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(Scripted(ok()))
        )
        async with httpx.AsyncClient(transport=transport) as c, c.stream("POST", URL, json={}) as r:
            assert payerr.classification_of(r) is not None
            return b"".join([chunk async for chunk in r.aiter_bytes()])

    assert b"000000" in asyncio.run(go())


def test_concurrent_calls_keep_their_own_attempts_and_keys() -> None:
    """Tenacity loops hold per-call state: concurrent retrying calls must not share it."""
    fake = FakeTime()
    seen: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        seen[key] = seen.get(key, 0) + 1
        await asyncio.sleep(0)
        return ok() if seen[key] == 3 else httpx.Response(503)

    async def go() -> list[httpx.Response]:
        transport = payerr.AsyncPaymentTransport(
            "paykka",
            transport=httpx.MockTransport(handler),
            policy=policy(fake),
            auto_idempotency_key=True,
        )
        async with httpx.AsyncClient(transport=transport) as c:
            return await asyncio.gather(*(c.post(URL, json={"n": n}) for n in range(20)))

    responses = asyncio.run(go())
    assert all(r.status_code == 200 for r in responses)
    assert len(seen) == 20
    assert set(seen.values()) == {3}
