"""RedisCallLedger against a real redis-server (issue 20): atomic across processes, every key
with a TTL, nothing stored as written, cautious when new or emptied, and failing safe (and
saying so once) when Redis is down or hung.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

import payerr
from payerr import OutcomeUnknownError, RetryPolicy, UsageError
from tests.support import redis_server
from tests.support.answers import ok, ottpay, paykka_failure
from tests.support.clock import FakeTime
from tests.support.cut_proxy import CutProxy
from tests.support.ledgers import (
    TTL,
    WAIT,
    aged_async_ledger,
    aged_ledger,
    begin_in_process,
    quick_client,
    worker,
)
from tests.support.redis_server import running_redis
from tests.support.scripted import Scripted

URL = "https://provider.example/pay"
KEY = {"Idempotency-Key": "order-secret-4111"}
POLICY = RetryPolicy(budget=False, attempts=1)
DUPLICATE = paykka_failure("4021", "Transaction number is duplicate")  # seed 003


def client(answers: Any, ledger: Any, provider: str = "paykka") -> httpx.Client:
    transport = payerr.PaymentTransport(
        provider, transport=httpx.MockTransport(answers), policy=POLICY, ledger=ledger
    )
    return httpx.Client(transport=transport)


def test_a_key_no_worker_sent_meeting_a_duplicate_is_a_real_failure(fleet_ledger: Any) -> None:
    with client(Scripted(DUPLICATE), fleet_ledger) as http, pytest.raises(payerr.FinalError):
        http.post(URL, json={}, headers=KEY)


def test_a_key_another_worker_sent_is_outcome_unknown(redis_client: Any) -> None:
    """Two ledgers on one Redis are two workers: B hears what A sent."""
    time = FakeTime()
    worker_a = aged_ledger(redis_client, time)
    worker_b = worker(redis_client, time)
    with (
        client(Scripted(httpx.ReadTimeout("stalled")), worker_a) as http,
        pytest.raises(OutcomeUnknownError),
    ):
        http.post(URL, json={}, headers=KEY)
    with client(Scripted(DUPLICATE), worker_b) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={}, headers=KEY)
    c = info.value.classification
    assert (c.outcome, c.category, c.repeat) == ("pending", None, True)
    assert info.value.executed is not None
    assert info.value.executed.error == "ReadTimeout"
    assert "could not be completed" not in c.user_message


def test_a_new_ledger_vouches_for_nothing_for_one_window(redis_client: Any) -> None:
    """Sends made before the ledger existed are not in it: cautious for one ttl."""
    time = FakeTime()
    ledger = payerr.RedisCallLedger(
        redis_client, ttl=TTL, order_ttl=TTL, prefix="young", clock=time.clock, max_wait=WAIT
    )
    with client(Scripted(DUPLICATE), ledger) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={}, headers=KEY)
    assert "has not yet recorded a whole idempotency window" in str(info.value)
    time.now += TTL + 1
    with (
        client(Scripted(DUPLICATE), ledger) as http,
        pytest.raises(payerr.FinalError),
    ):
        http.post(URL, json={}, headers={"Idempotency-Key": "another"})


def test_an_emptied_ledger_is_cautious_again(redis_client: Any) -> None:
    """FLUSHALL (or a failover to an empty replica) forgets what was sent: never "failed",
    neither for another worker (the window starts again) nor for the worker that sent it (its
    own memory still knows)."""
    time = FakeTime()
    ledger = aged_ledger(redis_client, time)
    with (
        client(Scripted(httpx.ReadTimeout("x")), ledger) as http,
        pytest.raises(OutcomeUnknownError),
    ):
        http.post(URL, json={}, headers=KEY)
    redis_client.flushdb()
    other = worker(redis_client, time)
    with client(Scripted(DUPLICATE), other) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={}, headers=KEY)
    assert "emptied" in str(info.value)
    with client(Scripted(DUPLICATE), ledger) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json={}, headers=KEY)
    assert "ReadTimeout" in str(info.value)


def test_every_key_expires_and_nothing_is_stored_as_written(redis_client: Any) -> None:
    ledger = aged_ledger(redis_client, prefix="ttl")
    with client(Scripted(ok()), ledger) as http:
        http.post(URL, json={}, headers=KEY)
    names = [k.decode() for k in redis_client.keys("ttl:call:*")]
    assert names
    for name in names:
        assert 0 < redis_client.pttl(name) <= TTL * 1000
        assert "order-secret" not in name
        assert not any(b"order-secret" in v for v in redis_client.hgetall(name).values())


def test_a_client_without_a_socket_timeout_is_refused(redis_port: int) -> None:
    """redis-py waits for ever by default: a hung server would hold every payment."""
    import redis

    bare: Any = redis.Redis(host="127.0.0.1", port=redis_port, socket_timeout=None)
    with pytest.raises(UsageError, match="for ever"):
        payerr.RedisCallLedger(bare)
    bare.close()


def test_a_client_that_would_retry_for_long_is_refused(redis_port: int) -> None:
    """redis-py 6+ retries a failed command several times with backoff: a hung server would
    hold a payment for many seconds. The ledger says so, and what to use instead."""
    slow = quick_client(redis_port, timeout=5, retries=10)
    with pytest.raises(UsageError, match=r"about 110 s .*NoBackoff"):
        payerr.RedisCallLedger(slow)
    slow.connection_pool.disconnect()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ttl": 0}, "ttl"),
        ({"ttl": float("nan")}, "ttl"),
        ({"prefix": ""}, "prefix"),
        ({"prefix": "a{b}"}, "braces"),
    ],
)
def test_bad_settings_are_refused(redis_client: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        payerr.RedisCallLedger(redis_client, max_wait=WAIT, **kwargs)


def test_a_ledger_on_a_sync_client_is_refused_by_the_async_transport(redis_client: Any) -> None:
    ledger = payerr.RedisCallLedger(redis_client, max_wait=WAIT)
    with pytest.raises(UsageError, match=r"redis\.asyncio"):
        payerr.AsyncPaymentTransport("paykka", ledger=ledger)


def test_the_async_transport_shares_the_fleet_ledger(redis_port: int, redis_client: Any) -> None:
    """An async worker (redis.asyncio) and a sync worker see each other's sends."""

    time = FakeTime()
    sync_ledger = aged_ledger(redis_client, time)

    async def main() -> None:
        aclient = quick_client(redis_port, asynchronous=True)
        ledger = await aged_async_ledger(aclient, FakeTime())
        with pytest.raises(UsageError, match="synchronous"):
            payerr.PaymentTransport("paykka", ledger=ledger)
        transport = payerr.AsyncPaymentTransport(
            "paykka",
            transport=httpx.MockTransport(Scripted(httpx.ReadTimeout("x"))),
            policy=POLICY,
            ledger=ledger,
        )
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(OutcomeUnknownError):
                await http.post(URL, json={}, headers=KEY)
            transport = payerr.AsyncPaymentTransport(
                "paykka",
                transport=httpx.MockTransport(Scripted(DUPLICATE)),
                policy=POLICY,
                ledger=ledger,
            )
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(payerr.FinalError):
                await http.post(URL, json={}, headers={"Idempotency-Key": "fresh-async"})
        await aclient.connection_pool.disconnect()

    asyncio.run(main())
    with client(Scripted(DUPLICATE), sync_ledger) as http, pytest.raises(OutcomeUnknownError):
        http.post(URL, json={}, headers=KEY)  # the async worker sent this key


def test_begin_is_atomic_across_processes(redis_port: int, redis_client: Any) -> None:
    """Four processes begin the same key at once: exactly one is the first send."""
    aged_ledger(redis_client, prefix="atomic")  # start the window (then moved past it below)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    args = (redis_port, "atomic", "same-key", barrier, results)
    processes = [context.Process(target=begin_in_process, args=args) for _ in range(4)]
    for process in processes:
        process.start()
    firsts = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    results.close()
    results.join_thread()
    assert sorted(firsts) == [False, False, False, True]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[int]:
    """A redis-server of this test's own, to stop and start again."""
    with running_redis(tmp_path) as port:
        yield port


def quick(port: int, retries: int = 0) -> Any:
    return quick_client(port, timeout=0.05, retries=retries)


def test_redis_down_fails_safe_and_says_so_once(private_redis: int, tmp_path: Path) -> None:
    """Never "failed" for a repeat, never a failed payment, one warning per outage, and a
    word when Redis is back."""
    time = FakeTime()
    server = quick(private_redis)
    ledger = aged_ledger(server, time, prefix="down")
    server.shutdown(nosave=True)
    with capture_logs() as logs:
        with client(Scripted(ok()), ledger) as http:
            for n in range(3):
                assert http.post(URL, json={}, headers={"Idempotency-Key": f"p{n}"}).is_success
                time.now += ledger.outage_pause  # each call tries Redis again
        with client(Scripted(DUPLICATE), ledger) as http, pytest.raises(OutcomeUnknownError) as e:
            http.post(URL, json={}, headers={"Idempotency-Key": "never-sent"})
    assert "could not be reached" in str(e.value)
    warnings = [entry for entry in logs if entry["event"] == "payerr.ledger_unreachable"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    again = redis_server.start(private_redis, tmp_path)
    assert again is not None
    try:
        time.now += ledger.outage_pause
        with capture_logs() as logs, client(Scripted(ok()), ledger) as http:
            http.post(URL, json={}, headers=KEY)
        assert [e["event"] for e in logs if e["event"].startswith("payerr.ledger")] == [
            "payerr.ledger_recovered"
        ]
    finally:
        redis_server.stop(again)
        server.close()


class HungServer:
    """Accepts connections (the kernel completes each handshake) and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []

    def connections(self) -> int:
        """Connections made so far (taken from the kernel's queue: no race with a thread)."""
        while True:
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                return len(self.accepted)
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def test_a_hung_redis_costs_one_call_per_pause_not_every_payment() -> None:
    """A server that accepts and never answers: the client's socket_timeout ends the wait, the
    payment goes through, and while the ledger pauses no payment waits on Redis again."""
    time = FakeTime()
    hung = HungServer()
    redis_client = quick(hung.port, retries=2)
    ledger = payerr.RedisCallLedger(redis_client, ttl=TTL, clock=time.clock)
    try:
        with client(Scripted(ok()), ledger) as http:
            assert http.post(URL, json={}, headers=KEY).is_success
            tried = hung.connections()
            assert tried >= 1
            for n in range(20):
                assert http.post(URL, json={}, headers={"Idempotency-Key": f"n{n}"}).is_success
            assert hung.connections() == tried  # paused: Redis left alone
            time.now += ledger.outage_pause
            http.post(URL, json={}, headers={"Idempotency-Key": "after-the-pause"})
            assert hung.connections() > tried  # one call tries again
        with client(Scripted(DUPLICATE), ledger) as http, pytest.raises(OutcomeUnknownError):
            http.post(URL, json={}, headers=KEY)
    finally:
        redis_client.close()
        hung.close()


def test_the_ott_pay_order_is_shared_by_the_fleet(redis_client: Any) -> None:
    """Two workers, two keys, one order (a job re-run that made a new key): the second hears
    the first's attempt through the order number (seed 002 ORDER_USED speaks of the order)."""
    time = FakeTime()
    a = aged_ledger(redis_client, time)
    b = worker(redis_client, time)
    body = {"action": "pay", "data": {"order_id": "OTT-9"}}

    def ott(answers: Any, ledger: Any) -> httpx.Client:
        transport = payerr.PaymentTransport(
            "ottpay",
            transport=httpx.MockTransport(answers),
            policy=POLICY,
            ledger=ledger,
            order_fields=["data.order_id"],
        )
        return httpx.Client(transport=transport)

    with ott(Scripted(httpx.ReadTimeout("x")), a) as http, pytest.raises(OutcomeUnknownError):
        http.post(URL, json=body, headers={"Idempotency-Key": "run-1"})
    used = ottpay("ORDER_USED", "order number duplicated")
    with ott(Scripted(used), b) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json=body, headers={"Idempotency-Key": "run-2"})
    assert info.value.executed is not None


def test_a_worker_cut_off_from_redis_writes_back_what_it_sent_when_it_is_back(
    redis_port: int, redis_client: Any
) -> None:
    """Review of issue 20: worker A, cut off from Redis, still pays (the payment must not
    fail), so the fleet's ledger misses that send. When A reaches Redis again it writes the
    keys it sent back before anything else: worker B's repeat answer for A's key is then
    outcome unknown, not failed."""
    time = FakeTime()
    aged_ledger(redis_client, time)  # the fleet's window, recorded in full so far
    with CutProxy(redis_port) as proxy:
        link = quick_client(proxy.port, timeout=2.0)
        worker_a = worker(link, time)
        worker_b = worker(redis_client, time)

        def provider(request: httpx.Request) -> httpx.Response:
            if request.extensions.get("stall"):
                raise httpx.ReadTimeout("executed, then stalled")
            return ok()

        with client(provider, worker_a) as http:
            http.post(URL, json={}, headers={"Idempotency-Key": "before"})
            proxy.cut()
            with pytest.raises(OutcomeUnknownError):  # executed, answer lost: a job re-run
                http.post(URL, json={}, headers=KEY, extensions={"stall": 1})
            proxy.mend()
            time.now += worker_a.outage_pause
            http.post(URL, json={}, headers={"Idempotency-Key": "after"})  # A is back
        with (
            client(Scripted(DUPLICATE), worker_b) as http,
            pytest.raises(OutcomeUnknownError) as info,
        ):
            http.post(URL, json={}, headers=KEY)
        assert "sent while the ledger was unreachable" in str(info.value)
        link.close()


def test_keys_are_the_providers_not_the_paths(fleet_ledger: Any) -> None:
    """Review of issue 20: a provider keeps keys and order numbers per account, so a resend to
    another spelling of the path (a trailing slash, another endpoint) is the same key."""
    first = Scripted(httpx.ReadTimeout("stalled"))
    with client(first, fleet_ledger) as http, pytest.raises(OutcomeUnknownError):
        http.post("https://provider.example/v1/payments", json={}, headers=KEY)
    for path in ("/v1/payments/", "/V1/payments", "/v1/checkout/sessions"):
        with (
            client(Scripted(DUPLICATE), fleet_ledger) as http,
            pytest.raises(OutcomeUnknownError),
        ):
            http.post(f"https://provider.example{path}", json={}, headers=KEY)


def test_an_order_number_outlives_the_key_window(redis_client: Any) -> None:
    """Review of issue 20: OTT Pay and PayKKa keep an order number unique for good (seeds 002
    and 003: ORDER_USED, 4021), so a job run again days later must still meet its first run:
    order numbers are kept ``order_ttl`` (30 days by default), not the key's 24 h."""
    time = FakeTime()
    ledger = payerr.RedisCallLedger(
        redis_client, ttl=60, order_ttl=3600, prefix="o", clock=time.clock, max_wait=WAIT
    )
    body = {"action": "pay", "data": {"order_id": "OTT-77"}}
    kwargs: dict[str, Any] = {"policy": POLICY, "ledger": ledger, "order_fields": ["data.order_id"]}

    def ott(answers: Any) -> httpx.Client:
        transport = payerr.PaymentTransport(
            "ottpay", transport=httpx.MockTransport(answers), **kwargs
        )
        return httpx.Client(transport=transport)

    time.now += 3601  # a ledger that has recorded a whole order window
    with ott(Scripted(httpx.ReadTimeout("x"))) as http, pytest.raises(OutcomeUnknownError):
        http.post(URL, json=body, headers={"Idempotency-Key": "day-1"})
    time.now += 600  # ten times the key's ttl later
    used = ottpay("ORDER_USED", "order number duplicated")
    with ott(Scripted(used)) as http, pytest.raises(OutcomeUnknownError) as info:
        http.post(URL, json=body, headers={"Idempotency-Key": "day-2"})
    assert info.value.executed is not None


def test_an_async_ledger_used_from_another_event_loop_never_breaks_the_payment(
    redis_port: int,
) -> None:
    """Review of issue 20: a redis.asyncio client belongs to one event loop; a worker that
    runs each job in a new asyncio.run() and keeps the ledger gets a loop error from redis-py.
    The payment still goes through (the ledger says it could not be reached)."""
    aclient = quick_client(redis_port, asynchronous=True)
    ledger = payerr.RedisCallLedger(aclient, max_wait=WAIT)
    answered = []

    async def job(n: int, ledger: payerr.RedisCallLedger) -> None:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(Scripted(ok())), policy=POLICY, ledger=ledger
        )
        async with httpx.AsyncClient(transport=transport) as http:
            response = await http.post(URL, json={}, headers={"Idempotency-Key": f"job-{n}"})
            answered.append(response.status_code)

    for n in range(4):
        asyncio.run(job(n, ledger))
    assert answered == [200] * 4
    # The client's connections belong to loops that are gone: collect them here, where their
    # "unclosed transport" warnings are expected, not in a later test.
    del ledger, aclient
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_a_restarted_redis_starts_the_window_again(tmp_path: Path) -> None:
    """Second review of issue 20: Redis restarts (with its data, appendfsync always); a worker
    that never saw the outage (started after it, or idle through it) must not vouch for a
    first send: the server may lack the last writes, and other workers' sends during the
    outage were never recorded. The sentinel keeps the server's run_id, which a restart (or a
    failover to a replica) changes."""
    port = redis_server.free_port()
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    server = redis_server.start(port, tmp_path, *aof)
    assert server is not None
    try:
        time = FakeTime()
        first = quick_client(port)
        aged_ledger(first, time)
        first.shutdown()  # SHUTDOWN: the AOF keeps every write
        first.connection_pool.disconnect()
        server.wait(timeout=10)
        server = redis_server.start(port, tmp_path, *aof)
        assert server is not None
        later = quick_client(port)
        ledger = worker(later, time)
        assert later.hgetall("t:ledger:{paykka}")  # the window survived, on the old run_id
        with client(Scripted(DUPLICATE), ledger) as http, pytest.raises(OutcomeUnknownError) as e:
            http.post(URL, json={}, headers={"Idempotency-Key": "nobody-sent-it"})
        assert "has not yet recorded a whole idempotency window" in str(e.value)
        later.connection_pool.disconnect()
    finally:
        if server is not None:
            redis_server.stop(server)


def test_past_the_write_back_limit_the_window_starts_again(
    redis_port: int, redis_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long outage with more sends than a worker keeps to write back: when Redis is back,
    the worker starts the fleet's window again instead."""
    monkeypatch.setattr("payerr._retry.ledger_redis.UNRECORDED_LIMIT", 2)
    time = FakeTime()
    aged_ledger(redis_client, time)
    with CutProxy(redis_port) as proxy:
        link = quick_client(proxy.port, timeout=2.0)
        worker_a = worker(link, time)
        worker_b = worker(redis_client, time)
        proxy.cut()
        with client(Scripted(ok()), worker_a) as http:
            for n in range(5):
                http.post(URL, json={}, headers={"Idempotency-Key": f"outage-{n}"})
            proxy.mend()
            time.now += worker_a.outage_pause
            http.post(URL, json={}, headers={"Idempotency-Key": "back"})
        with (
            client(Scripted(DUPLICATE), worker_b) as http,
            pytest.raises(OutcomeUnknownError) as info,
        ):
            http.post(URL, json={}, headers={"Idempotency-Key": "outage-4"})  # not written back
        assert "has not yet recorded a whole idempotency window" in str(info.value)
        link.close()


@pytest.mark.parametrize("number", [20240002, 20240003.0])
def test_a_numeric_order_number_is_recorded(fleet_ledger: Any, number: float) -> None:
    """Second review of issue 20: an order number sent as a JSON number is still the order."""
    body = {"merchant_order_no": number}
    kwargs: dict[str, Any] = {
        "policy": POLICY,
        "ledger": fleet_ledger,
        "order_fields": ["merchant_order_no"],
    }

    def pay(answers: Any, key: str) -> httpx.Response:
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(answers), **kwargs
        )
        with httpx.Client(transport=transport) as http:
            return http.post(URL, json=body, headers={"Idempotency-Key": key})

    with pytest.raises(OutcomeUnknownError):
        pay(Scripted(httpx.ReadTimeout("x")), "run-1")
    with pytest.raises(OutcomeUnknownError):  # a new key per run, the same order
        pay(Scripted(DUPLICATE), "run-2")


def test_a_blocking_pool_that_waits_long_for_a_connection_is_refused(redis_port: int) -> None:
    """Second review of issue 20: a BlockingConnectionPool waits for a free connection (20 s
    by default): that wait counts against max_wait."""
    import redis

    untyped: Any = redis  # redis-py does not type BlockingConnectionPool's constructor
    pool = untyped.BlockingConnectionPool(
        host="127.0.0.1", port=redis_port, socket_timeout=0.1, socket_connect_timeout=0.1
    )
    with pytest.raises(UsageError, match="waiting for a pooled connection"):
        payerr.RedisCallLedger(untyped.Redis(connection_pool=pool))
    pool.disconnect()


def test_a_server_without_info_still_records(tmp_path: Path) -> None:
    """Third review of issue 20: INFO renamed away (a managed Redis may do it): the ledger
    cannot see restarts then, but it records, vouches and never turns into an outage."""
    with running_redis(tmp_path, "--rename-command", "INFO", "") as port:
        redis_client = quick_client(port)
        ledger = aged_ledger(redis_client)
        with capture_logs() as logs:
            with (
                client(Scripted(httpx.ReadTimeout("x")), ledger) as http,
                pytest.raises(OutcomeUnknownError),
            ):
                http.post(URL, json={}, headers=KEY)
            with client(Scripted(DUPLICATE), ledger) as http:
                with pytest.raises(OutcomeUnknownError):
                    http.post(URL, json={}, headers=KEY)  # the key was sent: unknown
                with pytest.raises(payerr.FinalError):
                    http.post(URL, json={}, headers={"Idempotency-Key": "never-sent"})
        assert not [e for e in logs if e["event"] == "payerr.ledger_unreachable"]
        redis_client.connection_pool.disconnect()
