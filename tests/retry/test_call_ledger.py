"""The call ledger's contract through the public API (issue 20): what a transport records about
a key, and what a repeat answer ("duplicate", "order number used", 409) is judged with.

Answers are the providers' own (tests/support/answers.py: seed 003 for PayKKa, seed 002 for OTT Pay,
Architecture#where-each-provider-fact-lives for the envelopes); the ledger's rule is the issue's:
"failed" only when payerr
knows the request was never sent before.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import payerr
from payerr import MemoryCallLedger, OutcomeUnknownError, RetryPolicy, UsageError
from payerr.testing import reset
from tests.support.answers import ok, ottpay, paykka_failure
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted

URL = "https://provider.example/pay"
KEY = {"Idempotency-Key": "order-7"}
POLICY = RetryPolicy(budget=False, attempts=1)


def transport(answers: Any, **kwargs: Any) -> payerr.PaymentTransport:
    kwargs.setdefault("policy", POLICY)
    return payerr.PaymentTransport("paykka", transport=httpx.MockTransport(answers), **kwargs)


def test_the_transports_of_a_process_share_one_ledger() -> None:
    """Worker code often builds a client per job: the second client hears what the first sent
    (its read timeout may have executed the payment)."""
    first = Scripted(httpx.ReadTimeout("stalled"))
    with httpx.Client(transport=transport(first)) as http, pytest.raises(OutcomeUnknownError):
        http.post(URL, json={}, headers=KEY)
    second = Scripted(paykka_failure("4020", "Duplicate transaction"))
    with (
        httpx.Client(transport=transport(second)) as http,
        pytest.raises(OutcomeUnknownError) as info,
    ):
        http.post(URL, json={}, headers=KEY)
    assert info.value.executed is not None
    assert info.value.executed.error == "ReadTimeout"
    assert "attempt 1 of an earlier call" in str(info.value)


def test_testing_reset_forgets_the_process_ledger() -> None:
    """payerr.testing.reset() is a new process's state: the earlier call is forgotten (and a
    repeat is still unknown: the process cannot vouch for a first send)."""
    with (
        httpx.Client(transport=transport(Scripted(httpx.ReadTimeout("x")))) as http,
        pytest.raises(OutcomeUnknownError),
    ):
        http.post(URL, json={}, headers=KEY)
    reset()
    with (
        httpx.Client(transport=transport(Scripted(httpx.Response(409)))) as http,
        pytest.raises(OutcomeUnknownError) as info,
    ):
        http.post(URL, json={}, headers=KEY)
    assert info.value.executed is None
    assert "per process" in str(info.value)


def test_order_fields_put_the_order_number_in_the_ledger() -> None:
    """OTT Pay's ORDER_USED speaks of the order (seed 002), not the key: a job run again under
    a new key for the same order hears the earlier run's attempt."""
    ledger = MemoryCallLedger()
    body = {"action": "pay", "data": {"order_id": "A-1"}}
    kwargs: dict[str, Any] = {"ledger": ledger, "order_fields": ["data.order_id"]}
    first = payerr.PaymentTransport(
        "ottpay", transport=httpx.MockTransport(Scripted(httpx.ReadTimeout("x"))), **kwargs
    )
    with httpx.Client(transport=first) as http, pytest.raises(OutcomeUnknownError):
        http.post(URL, json=body, headers={"Idempotency-Key": "run-1"})
    answers = Scripted(ottpay("ORDER_USED", "order number duplicated"))
    second = payerr.PaymentTransport("ottpay", transport=httpx.MockTransport(answers), **kwargs)
    with httpx.Client(transport=second) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json=body, headers={"Idempotency-Key": "run-2"})
    assert info.value.executed is not None
    assert info.value.executed.error == "ReadTimeout"


def test_order_fields_do_not_make_a_request_replay_safe() -> None:
    """An order number is not an idempotency promise: a keyless read timeout is not resent."""
    answers = Scripted(httpx.ReadTimeout("x"), ok())
    http = httpx.Client(
        transport=transport(
            answers, policy=RetryPolicy(budget=False), order_fields=["merchant_order_no"]
        )
    )
    with pytest.raises(OutcomeUnknownError):
        http.post(URL, json={"merchant_order_no": "A-1"})
    assert len(answers.requests) == 1


def test_concurrent_calls_under_one_key_none_is_told_failed() -> None:
    """Issue 20: call B, registered later, wins the race and executes; call A then meets 409.
    A must not be told its payment failed (the other executed it)."""
    b_done, a_arrived = threading.Event(), threading.Event()

    def provider(request: httpx.Request) -> httpx.Response:
        if request.headers["X-Call"] == "A":
            a_arrived.set()
            assert b_done.wait(5)
            return httpx.Response(409)
        return ok()

    with httpx.Client(transport=transport(provider)) as http, ThreadPoolExecutor(1) as pool:
        a = pool.submit(http.post, URL, json={}, headers={**KEY, "X-Call": "A"})
        assert a_arrived.wait(5)
        assert http.post(URL, json={}, headers={**KEY, "X-Call": "B"}).status_code == 200
        b_done.set()
        with pytest.raises(OutcomeUnknownError) as info:
            a.result(5)
    assert info.value.classification.outcome == "pending"


def test_a_transport_refuses_what_is_not_a_ledger() -> None:
    with pytest.raises(UsageError, match="CallLedger"):
        payerr.PaymentTransport("paykka", ledger=object())  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="order_fields"):
        payerr.PaymentTransport("paykka", order_fields="merchant_order_no")


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10"])
def test_memory_ledger_refuses_a_nonsense_bound(bad: Any) -> None:
    with pytest.raises(UsageError):
        MemoryCallLedger(max_keys=bad)


@pytest.mark.parametrize("bad", [0, -5, float("inf"), float("nan"), "1d", None])
def test_memory_ledger_refuses_a_nonsense_ttl(bad: Any) -> None:
    with pytest.raises(UsageError):
        MemoryCallLedger(ttl=bad)


def test_a_key_is_forgotten_ttl_after_its_last_use_unless_in_flight() -> None:
    """Past the providers' idempotency window a resend is a new request to them too."""
    time = FakeTime()
    ledger = MemoryCallLedger(ttl=60, clock=time.clock)
    keys = [("paykka", "key", "k")]
    executed = payerr.AttemptRecord(1, None, "ReadTimeout", "", payerr.Outcome.PENDING, None, True)
    ledger.begin(keys)
    ledger.end(keys, executed, last=True)
    time.now += 30
    assert ledger.begin(keys).record is not None  # within the window: the earlier attempt
    ledger.end(keys, None, last=True)
    time.now += 61
    assert ledger.begin(keys).record is None  # a window after its last use: forgotten
    time.now += 1000
    assert ledger.begin(keys).record is not None  # the call begun above is still in flight


def test_the_memory_ledger_never_vouches_for_a_first_send() -> None:
    ledger = MemoryCallLedger()
    earlier = ledger.begin([("paykka", "key", "never-seen")])
    assert not earlier.first
    assert "per process" in earlier.why


def test_every_idempotency_header_a_request_carries_is_recorded(fleet_ledger: Any) -> None:
    """Review of issue 20: a request with two key headers (K1 sent before, K2 new) is not a
    first send: the provider may read either."""
    stalled = Scripted(httpx.ReadTimeout("x"))
    with (
        httpx.Client(transport=transport(stalled, ledger=fleet_ledger)) as http,
        pytest.raises(OutcomeUnknownError),
    ):
        http.post(URL, json={}, headers={"X-Idempotency-Key": "K1"})
    duplicate = Scripted(paykka_failure("4021", "Transaction number is duplicate"))
    with (
        httpx.Client(transport=transport(duplicate, ledger=fleet_ledger)) as http,
        pytest.raises(OutcomeUnknownError),
    ):
        http.post(URL, json={}, headers={"Idempotency-Key": "K2", "X-Idempotency-Key": "K1"})


@pytest.mark.parametrize(
    "words",
    [
        *("Order already paid", "Duplicate order number", "Request in progress", "already exists"),
        *("The order has been paid", "This order number has been used", "Order exists"),
        *("Request is being processed", "Payment is processing, please wait", "Repeat submission"),
        *("Idempotency-Key in use", "订单重复", "订单已支付"),
        *("Pedido duplicado", "Bestellung bereits bezahlt", "commande déjà payée"),
    ],
)
def test_an_unmapped_code_that_says_it_is_a_repeat_is_one(words: str) -> None:
    """Issue 20: "any 'already exists / already used / already paid / in progress' answer" is a
    repeat answer, mapped or not: outcome unknown with the per-process ledger."""
    answer = paykka_failure("4999", words)  # not in seed 003's table
    with (
        httpx.Client(transport=transport(Scripted(answer))) as http,
        pytest.raises(OutcomeUnknownError) as info,
    ):
        http.post(URL, json={}, headers=KEY)
    assert info.value.classification.repeat


@pytest.mark.parametrize("words", ["Merchant does not exist", "Card expired"])
def test_an_unmapped_code_that_is_no_repeat_stays_as_its_status_says(words: str) -> None:
    answer = paykka_failure("4999", words)
    with (
        httpx.Client(transport=transport(Scripted(answer))) as http,
        pytest.raises(payerr.FinalError) as info,
    ):
        http.post(URL, json={}, headers=KEY)
    assert not info.value.classification.repeat


def _begin_in_forked_child(ledger: MemoryCallLedger) -> None:
    ledger.begin([("paykka", "key", "in-the-child")])
    ledger.claim_notification("antom:event", "token", 600.0, 3600.0)  # notifications too


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_worker_never_inherits_a_held_lock() -> None:
    """A prefork server forks while another thread is inside the process's ledger: the child
    must still pay (not wait for ever on a lock nobody in it will release)."""
    ledger = MemoryCallLedger()
    ledger._lock.acquire()  # another thread, mid-call, at the moment of the fork
    ledger._notes.lock.acquire()  # and another mid-verification of a notification
    try:
        child = multiprocessing.get_context("fork").Process(
            target=_begin_in_forked_child, args=(ledger,)
        )
        with warnings.catch_warnings():  # 3.12+ warns that forking a threaded process is risky
            warnings.simplefilter("ignore", DeprecationWarning)
            child.start()
        child.join(timeout=20)
        if child.exitcode is None:
            child.kill()
        assert child.exitcode == 0
    finally:
        ledger._lock.release()
        ledger._notes.lock.release()


@pytest.mark.parametrize(
    "code",
    [
        *("ORDER_ALREADY_PAID", "DUPLICATE_ORDER", "REPEAT_REQUEST", "IDEMPOTENCY_CONFLICT"),
        *("TRADE_HAS_SUCCESS", "ORDERPAID"),
    ],
)
def test_an_unmapped_code_named_as_a_repeat_is_one(code: str) -> None:
    with (
        httpx.Client(transport=transport(Scripted(paykka_failure(code, "")))) as http,
        pytest.raises(OutcomeUnknownError),
    ):
        http.post(URL, json={}, headers=KEY)


def test_paykka_2038_is_a_repeat_answer() -> None:
    """Seed 003: 2038 "Multiple submission data inconsistent", PayKKa's twin of Antom's
    REPEAT_REQ_INCONSISTENT: the provider has an earlier submission, which may have executed."""
    answer = paykka_failure("2038", "Multiple submission data inconsistent")
    with (
        httpx.Client(transport=transport(Scripted(answer))) as http,
        pytest.raises(OutcomeUnknownError) as info,
    ):
        http.post(URL, json={}, headers=KEY)
    assert "new id" not in info.value.classification.action
