"""What payerr remembers stays bounded, however many payments pass and however they end.

A transport remembers the calls under each idempotency key (so that a caller's own resend is
judged with its history); a cancelled call must not stay "in flight" forever, and a long-lived
client must not grow with every payment it has sent (issue 12, item 4).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

import payerr
from payerr import OutcomeUnknownError, RetryPolicy, _operations
from payerr._operations import operation_of_path

from .answers import ok

URL = "https://api.paykka.example/api/v1/payments"


def remembered(transport: payerr.PaymentTransport | payerr.AsyncPaymentTransport) -> int:
    return len(transport._core._calls)


def test_a_long_lived_client_remembers_a_bounded_number_of_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("payerr._transport._REMEMBERED", 50)
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(lambda request: ok()),
        policy=RetryPolicy(budget=False),
    )
    with httpx.Client(transport=transport) as http:
        for n in range(500):
            http.post(URL, json={}, headers={"Idempotency-Key": f"order-{n}"})
            assert remembered(transport) <= 50
    assert remembered(transport) == 50


def test_a_cancelled_call_may_have_executed_and_is_then_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelled mid-send (asyncio.wait_for, a task group, a client disconnect), the payment
    may have reached the provider: a resend answered "duplicate" is outcome unknown, not
    failed. And the cancelled call no longer counts as in flight, so it can be forgotten."""
    monkeypatch.setattr("payerr._transport._REMEMBERED", 3)
    stall = asyncio.Event()

    async def provider(request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        if key.startswith("slow") and not request.extensions.get("resend"):
            await stall.wait()  # never set: the provider is slow to answer
        if key.startswith("slow"):
            return httpx.Response(409)  # the provider has this key already
        return ok()

    transport = payerr.AsyncPaymentTransport(
        "paykka", transport=httpx.MockTransport(provider), policy=RetryPolicy(budget=False)
    )

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport) as http:
            for n in range(3):
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(
                        http.post(URL, json={}, headers={"Idempotency-Key": f"slow-{n}"}), 0.01
                    )
            with pytest.raises(OutcomeUnknownError) as info:
                await http.post(
                    URL,
                    json={},
                    headers={"Idempotency-Key": "slow-2"},
                    extensions={"resend": True},
                )
            assert info.value.executed is not None
            assert info.value.executed.error == "CancelledError"
            assert info.value.executed.earlier_call
            for n in range(10):
                await http.post(URL, json={}, headers={"Idempotency-Key": f"fast-{n}"})
            assert remembered(transport) <= 3

    asyncio.run(main())


def test_an_interrupted_sync_call_is_over() -> None:
    """A custom inner transport's own exception propagates unchanged, and the call is over."""

    def provider(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("inner transport bug")

    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(provider))
    with httpx.Client(transport=transport) as http, pytest.raises(RuntimeError):
        http.post(URL, json={}, headers={"Idempotency-Key": "k-1"})
    (call,) = transport._core._calls.values()
    assert call.done
    assert call.executed is not None
    assert call.executed.error == "RuntimeError"


def test_paths_with_ids_do_not_grow_the_operation_cache() -> None:

    for n in range(5000):
        assert operation_of_path(f"/v1/payments/pay_{n}/refunds") == "refund"
    assert len(_operations._cache) <= _operations._CACHE_LIMIT
    assert operation_of_path("/v1/payments") == "pay"


def test_messages_that_never_repeat_do_not_grow_the_classification_cache() -> None:
    table = payerr.default_registry().table("paykka")
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(
            lambda request: httpx.Response(
                200,
                json={
                    "ret_code": "000000",
                    "ret_msg": f"success for order {request.headers['Idempotency-Key']}",
                    "data": {"status": "SUCCESS"},
                },
            )
        ),
    )
    with httpx.Client(transport=transport) as http:
        for n in range(5000):
            response = http.post(URL, json={}, headers={"Idempotency-Key": f"o-{n}"})
            c = payerr.classification_of(response)
            assert c is not None
            assert c.outcome == "success"
    assert len(table._in_response) <= 4096
