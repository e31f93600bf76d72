"""The retry budget: an outage never becomes a retry storm."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

import payerr
from payerr import PaymentError, RetryBudget
from payerr._retry.budget import shared_budget
from tests.support.clients import URL


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_quiet_window_still_allows_the_floor() -> None:
    budget = RetryBudget(percent=0.2, min_retries=10, ttl=10, clock=Clock())
    assert [budget.try_withdraw() for _ in range(11)] == [True] * 10 + [False]


def test_retries_grow_with_traffic_by_the_percentage() -> None:
    budget = RetryBudget(percent=0.2, min_retries=10, ttl=10, clock=Clock())
    for _ in range(100):
        budget.deposit()
    granted = sum(budget.try_withdraw() for _ in range(100))
    assert granted == 10 + 20


def test_the_window_slides() -> None:
    clock = Clock()
    budget = RetryBudget(percent=0.0, min_retries=2, ttl=10, clock=clock)
    assert budget.try_withdraw()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    clock.now = 5.0
    assert not budget.try_withdraw()  # both retries are still inside the window
    clock.now = 10.5
    assert budget.try_withdraw()  # the old retries fell out
    clock.now = 1000.0
    assert budget.available == 2


@pytest.mark.parametrize(
    "bad", [{"percent": 1.5}, {"percent": -0.1}, {"ttl": 0}, {"min_retries": -1}]
)
def test_budget_validates(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- the message is checked in the next test
        RetryBudget(**bad)  # type: ignore[arg-type]


def test_policy_budget_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="budget"):
        payerr.RetryPolicy(budget="yes")  # type: ignore[arg-type]
    assert payerr.RetryPolicy(budget=False).budget_for("paykka") is None
    assert payerr.RetryPolicy().budget_for("paykka") is shared_budget("paykka")
    own = RetryBudget()
    assert payerr.RetryPolicy(budget=own).budget_for("antom") is own


def outage(calls: int, budget: bool) -> tuple[int, list[object], list[Any]]:
    """``calls`` concurrent keyed payments against a provider answering 503 to everything.

    Sleeps return at once and the clock is real, so only attempts and the budget limit retries
    (a fake clock shared by concurrent calls would end them by timeout instead).
    """
    sent = 0

    async def down(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        await asyncio.sleep(0)
        return httpx.Response(503)

    async def instant(seconds: float) -> None:
        await asyncio.sleep(0)

    async def go() -> list[object]:
        pol = payerr.RetryPolicy(attempts=5, budget=budget, async_sleep=instant, timeout=60)
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(down), policy=pol
        )
        async with httpx.AsyncClient(transport=transport) as client:
            return await asyncio.gather(
                *(
                    client.post(URL, json={"n": n}, headers={"Idempotency-Key": f"order-{n}"})
                    for n in range(calls)
                ),
                return_exceptions=True,
            )

    with capture_logs() as logs:
        results = asyncio.run(go())
    return sent, results, logs


def test_full_outage_stays_within_the_budget() -> None:
    """200 concurrent keyed payments, attempts=5, every answer 503: at most 1.2 x 200 + 20 sent."""
    sent, results, logs = outage(200, budget=True)
    assert sent <= 1.2 * 200 + 20
    assert all(isinstance(r, PaymentError) and r.safe_to_resend for r in results)
    exhausted = [e for e in logs if e["event"] == "payerr.retry_budget_exhausted"]
    assert exhausted
    assert {e["payment.provider"] for e in exhausted} == {"paykka"}
    assert exhausted[0]["log_level"] == "warning"


def test_without_a_budget_every_attempt_is_spent() -> None:
    sent, results, _ = outage(200, budget=False)
    assert sent == 200 * 5
    assert all(isinstance(r, PaymentError) and r.safe_to_resend for r in results)


def test_transports_of_one_provider_share_the_budget() -> None:
    """A second client for the same provider finds the budget the first one spent."""
    outage(200, budget=True)
    assert shared_budget("paykka").available < 1
    assert shared_budget("antom").available == shared_budget("antom").min_retries
