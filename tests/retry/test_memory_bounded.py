"""What payerr remembers stays bounded, however many payments pass and however they end.

The call ledger remembers the calls under each idempotency key (so that a caller's own resend
is judged with its history); a cancelled call or one answered 3xx must not stay "in flight"
forever, and a long-lived client must not grow with every payment it has sent (issue 12,
item 4; issue 20, item 3).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

import payerr
from payerr import OutcomeUnknownError, RetryPolicy
from payerr._mappings import operations as _operations
from payerr._mappings.operations import operation_of_path
from tests.support.answers import ok

URL = "https://api.paykka.example/api/v1/payments"


def test_a_long_lived_client_remembers_a_bounded_number_of_calls() -> None:
    ledger = payerr.MemoryCallLedger(max_keys=50)
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(lambda request: ok()),
        policy=RetryPolicy(budget=False),
        ledger=ledger,
    )
    with httpx.Client(transport=transport) as http:
        for n in range(500):
            http.post(URL, json={}, headers={"Idempotency-Key": f"order-{n}"})
            assert len(ledger) <= 50
    assert len(ledger) == 50


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_calls_answered_with_a_redirect_not_followed_finish(status: int) -> None:
    """Issue 20: with follow_redirects=False a 3xx is the call's end; it must not stay in
    flight for ever (the memory grew without bound and every new key scanned it)."""
    ledger = payerr.MemoryCallLedger(max_keys=5)
    answer = httpx.Response(status, headers={"Location": "/result"})
    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(lambda request: answer),
        policy=RetryPolicy(budget=False),
        ledger=ledger,
    )
    with httpx.Client(transport=transport, follow_redirects=False) as http:
        for n in range(200):
            http.post(URL, json={}, headers={"Idempotency-Key": f"order-{n}"})
    assert len(ledger) == 5


def test_a_resent_key_moves_to_the_newest_slot() -> None:
    """Issue 20: a key whose call is resent is the newest, not the oldest: three later keys
    later, the resend's history is still there."""
    ledger = payerr.MemoryCallLedger(max_keys=3)

    def provider(request: httpx.Request) -> httpx.Response:
        if request.headers["Idempotency-Key"] == "a" and request.extensions.get("first"):
            raise httpx.ReadTimeout("stalled")  # call 1 of "a" may have executed
        return httpx.Response(409) if request.headers["Idempotency-Key"] == "a" else ok()

    transport = payerr.PaymentTransport(
        "paykka",
        transport=httpx.MockTransport(provider),
        policy=RetryPolicy(attempts=1, budget=False),
        ledger=ledger,
    )
    key = {"Idempotency-Key": "a"}
    with httpx.Client(transport=transport) as http:
        with pytest.raises(OutcomeUnknownError):
            http.post(URL, json={}, headers=key, extensions={"first": True})
        http.post(URL, json={}, headers={"Idempotency-Key": "b"})
        with pytest.raises(OutcomeUnknownError):
            http.post(URL, json={}, headers=key)  # resent: now the newest
        for other in ("c", "d"):
            http.post(URL, json={}, headers={"Idempotency-Key": other})
        with pytest.raises(OutcomeUnknownError) as info:
            http.post(URL, json={}, headers=key)
    assert info.value.executed is not None
    assert info.value.executed.error == "ReadTimeout"
    assert info.value.executed.earlier_call


def test_a_cancelled_call_may_have_executed_and_is_then_forgotten() -> None:
    """Cancelled mid-send (asyncio.wait_for, a task group, a client disconnect), the payment
    may have reached the provider: a resend answered "duplicate" is outcome unknown, not
    failed. And the cancelled call no longer counts as in flight, so it can be forgotten."""
    ledger = payerr.MemoryCallLedger(max_keys=3)
    stall = asyncio.Event()

    async def provider(request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        if key.startswith("slow") and not request.extensions.get("resend"):
            await stall.wait()  # never set: the provider is slow to answer
        if key.startswith("slow"):
            return httpx.Response(409)  # the provider has this key already
        return ok()

    transport = payerr.AsyncPaymentTransport(
        "paykka",
        transport=httpx.MockTransport(provider),
        policy=RetryPolicy(budget=False),
        ledger=ledger,
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
            assert len(ledger) <= 3

    asyncio.run(main())


def test_an_interrupted_sync_call_is_over() -> None:
    """A custom inner transport's own exception ends the call in OutcomeUnknownError (no
    foreign exception escapes a transport; it is the cause's cause), and the call is over: it
    may have executed, and a resend under its key hears so."""
    ledger = payerr.MemoryCallLedger(max_keys=1)

    def provider(request: httpx.Request) -> httpx.Response:
        if request.headers["Idempotency-Key"] == "k-2":
            return ok()
        if request.extensions.get("resend"):
            return httpx.Response(409)
        raise RuntimeError("inner transport bug")

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(provider), ledger=ledger
    )
    with httpx.Client(transport=transport) as http:
        with pytest.raises(OutcomeUnknownError) as first:
            http.post(URL, json={}, headers={"Idempotency-Key": "k-1"})
        assert first.value.__cause__ is not None
        assert isinstance(first.value.__cause__.__cause__, RuntimeError)
        with pytest.raises(OutcomeUnknownError) as info:
            http.post(URL, json={}, headers={"Idempotency-Key": "k-1"}, extensions={"resend": 1})
        http.post(URL, json={}, headers={"Idempotency-Key": "k-2"})
    assert info.value.executed is not None
    assert info.value.executed.error == "InnerFailure"
    assert len(ledger) == 1  # k-1 was over, so k-2 could take its place


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
