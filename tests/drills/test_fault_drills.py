"""Fault drills on real sockets: chaos never charges twice, leaks nothing, always ends."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import payerr
from payerr import Category, Outcome, OutcomeUnknownError, PaymentError
from payerr.testing import ProviderSimulator, SimPayment, scenario, send_all

PROVIDERS = ["antom", "alipay_plus", "ottpay", "paykka"]
FAULTS: list[tuple[str, ...]] = [
    (), (), (), (), ("503",), ("429:0.01",), ("reset",), ("stall",), ("drop",),
    ("502", "503"), ("garbage",), ("truncated",), ("stall", "503"), ("reset", "stall"),
]  # fmt: skip
CODES: dict[str, list[str | None]] = {
    "antom": [None, None, "PAYMENT_IN_PROCESS", "USER_BALANCE_NOT_ENOUGH", "RISK_REJECT"],
    "alipay_plus": [None, None, "INVALID_SIGNATURE", "ORDER_IS_CLOSED", "UNKNOWN_EXCEPTION"],
    "ottpay": [None, None, "PROCESSING", "SYSTEM_ERROR", "ORDER_PAID"],
    "paykka": [None, None, "5004", "6007", "4000", "5019"],
}
POLICY = payerr.RetryPolicy(
    attempts=4, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01, budget=False
)
TIMEOUT = httpx.Timeout(5.0, read=0.15)


def plan(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    payments = []
    for n in range(count):
        provider = rng.choice(PROVIDERS)
        headers = scenario(*rng.choice(FAULTS), code=rng.choice(CODES[provider]))
        if rng.random() < 0.7:
            headers["Idempotency-Key"] = f"key-{seed}-{n}"
        body = {"merchant_order_no": f"order-{seed}-{n}", "amount": rng.randint(100, 99_999)}
        if provider == "antom" and rng.random() < 0.5:
            body["paymentRequestId"] = f"pay-{seed}-{n}"  # replay-safe by Antom's request id
        payments.append({"provider": provider, "headers": headers, "body": body})
    return payments


ERROR_FOR = {
    Category.RETRYABLE: payerr.RetryableError,
    Category.USER_ACTION: payerr.UserActionError,
    Category.MERCHANT_CONFIG: payerr.MerchantConfigError,
    Category.RISK: payerr.RiskError,
    Category.FINAL: payerr.FinalError,
}


def settled(result: object) -> bool:
    """A returned response is success or pending and says so; a raised error is the typed
    error its classification names (outcome unknown: OutcomeUnknownError, pending)."""
    if isinstance(result, OutcomeUnknownError):
        return result.classification.outcome is Outcome.PENDING
    if isinstance(result, PaymentError):
        c = result.classification
        if c.outcome is not Outcome.FAILED or c.category is None:
            return False
        return type(result) is ERROR_FOR[c.category]
    if not isinstance(result, httpx.Response):
        return False
    answered = payerr.classification_of(result)
    return answered is not None and answered.outcome in (Outcome.SUCCESS, Outcome.PENDING)


def wait_closed(sim: ProviderSimulator) -> None:
    assert sim.wait_idle(timeout=5)


def test_async_chaos_1000_payments_at_concurrency_50() -> None:
    payments = plan(1200, seed=2026)
    with ProviderSimulator(stall=0.4) as sim:
        sends = [SimPayment(p["provider"], p["body"], p["headers"]) for p in payments]
        results = asyncio.run(send_all(sim, sends, policy=POLICY, timeout=TIMEOUT, concurrency=50))
        wait_closed(sim)
        assert sim.duplicate_executions == 0
        assert all(settled(r) for r in results)
        assert sim.open_connections == 0
        assert sim.requests > len(payments)  # faults were replayed, retries happened
        assert sim.faults_played["stall"] > 0
        assert sim.faults_played["reset"] > 0
        unknown = [r for r in results if isinstance(r, OutcomeUnknownError)]
        assert unknown  # keyless maybe-executed calls surfaced as outcome unknown
        audit_against_the_provider(sim, payments, results)


def audit_against_the_provider(
    sim: ProviderSimulator, payments: list[dict[str, Any]], results: Sequence[object]
) -> None:
    """Every verdict checked against what the simulated provider really did: a success was
    done; a failure was not done; outcome unknown is the only answer allowed to be unsure."""
    checked = Counter[str]()
    for payment, result in zip(payments, results, strict=True):
        did = sim.outcome_of(payment["body"]["merchant_order_no"])
        if isinstance(result, OutcomeUnknownError):
            checked["unknown"] += 1
            continue
        c = (
            result.classification
            if isinstance(result, PaymentError)
            else payerr.classification_of(result)  # type: ignore[arg-type]
        )
        assert c is not None
        if c.outcome is Outcome.SUCCESS:
            assert did == "success", (payment, c)
        elif c.outcome is Outcome.FAILED:
            assert did != "success", (payment, c)  # never "failed" for a payment that ran
        checked[str(c.outcome)] += 1
    assert checked["success"] > 0
    assert checked["failed"] > 0
    assert checked["pending"] > 0


def test_sync_chaos_with_threads() -> None:
    payments = plan(240, seed=7)
    with ProviderSimulator(stall=0.4) as sim:
        clients = {
            p: httpx.Client(
                transport=payerr.PaymentTransport(p, policy=POLICY),
                base_url=sim.url_for(p),
                timeout=TIMEOUT,
            )
            for p in PROVIDERS
        }

        def pay(payment: dict[str, Any]) -> object:
            try:
                return clients[payment["provider"]].post(
                    "/v1/payments", json=payment["body"], headers=payment["headers"]
                )
            except PaymentError as exc:
                return exc

        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(pay, payments))
        finally:
            for client in clients.values():
                client.close()
        wait_closed(sim)
        assert sim.duplicate_executions == 0
        assert all(settled(r) for r in results)
        assert sim.open_connections == 0
        audit_against_the_provider(sim, payments, results)


def send(mode: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    if mode == "sync":
        with httpx.Client(
            transport=payerr.PaymentTransport("paykka", policy=POLICY), timeout=TIMEOUT
        ) as c:
            c.post(url, json=body, headers=headers)
        return

    async def go() -> None:
        transport = payerr.AsyncPaymentTransport("paykka", policy=POLICY)
        async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT) as c:
            await c.post(url, json=body, headers=headers)

    asyncio.run(go())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_execute_then_stall_without_a_key_executes_once(mode: str) -> None:
    """The request ran, the answer never came, there is no key: never resent, outcome unknown."""
    with ProviderSimulator(stall=0.5) as sim:
        url = sim.url_for("paykka") + "/v1/payments"
        body = {"merchant_order_no": "stalled-1", "amount": 1000}
        headers = scenario("stall")
        with pytest.raises(OutcomeUnknownError) as info:
            send(mode, url, body, headers)
        assert sim.executions_of("stalled-1") == 1
        assert sim.requests == 1
        assert info.value.classification.outcome == "pending"
        assert isinstance(info.value.__cause__, httpx.ReadTimeout)
