"""Fault drills for the Redis stores, on real redis-server processes: stopped, restarted with and
without persistence, frozen (SIGSTOP), put to sleep (DEBUG SLEEP), flushed, evicting, and a
reply lost after its command ran. What the README promises holds through each, or a warning
named the setting that breaks it.

Every drill scripts its fault: nothing here waits for a race to happen. Where the fault is
time itself (a frozen server whose queued commands run when it wakes), the test waits until
the moment has passed for certain, never for a guessed duration.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import payerr
from payerr.networks._reattempts import DAY, ReattemptLimiter, card_key
from tests.support.cut_proxy import CutProxy
from tests.support.reattempt_cases import CARD, SUCCESS, T0, Clock, mastercard, visa
from tests.support.redis_server import free_port, missing, start, stop

pytestmark = pytest.mark.skipif(
    missing() is not None and not os.environ.get("CI"), reason=str(missing())
)

STOLEN = visa(category="1")  # Visa category 1: the issuer will never approve
QUICK = 0.5
"""The drills' client timeout: a frozen server is noticed in 4 x 0.5 s at most, and a loaded
machine's loopback reply (milliseconds) is never taken for an outage."""


class Server:
    """One redis-server a drill can stop, freeze and start again on the same port and dir."""

    def __init__(self, directory: Path, *settings: str) -> None:
        self.directory = directory
        self.settings = settings
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *settings: str) -> None:
        self.process = start(self.port, self.directory, *self.settings, *settings)
        assert self.process is not None, "redis-server did not start"

    def stop(self) -> None:
        assert self.process is not None
        stop(self.process)  # SIGTERM: Redis writes its AOF and exits
        self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def url(self, port: int | None = None) -> str:
        return f"redis://127.0.0.1:{port or self.port}"

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)


@contextmanager
def server(tmp_path: Path, *settings: str) -> Iterator[Server]:
    drill = Server(tmp_path, *settings)
    drill.start()
    try:
        yield drill
    finally:
        if drill.process is not None:
            drill.thaw()
            drill.stop()


def limiter(url: str, clock: Clock | None = None, **store: Any) -> ReattemptLimiter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)  # drills of bad settings
        made = payerr.networks.RedisReattemptStore.from_url(url, timeout=QUICK, **store)
    return ReattemptLimiter(made, clock=clock or Clock())


def _decide_elsewhere(url: str, now: float, attempt_id: str | None, out: Any) -> None:
    """Another worker process: its own limiter, client and memory; reserve the card."""
    other = limiter(url, Clock(now))
    decision = other.reserve(CARD, visa(), attempt_id=attempt_id)
    out.put((decision.allowed, decision.reason, decision.reservation))


def another_worker(url: str, now: float, attempt_id: str | None = None) -> tuple[Any, ...]:
    """What a reserve on CARD from another process answers."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    worker = ctx.Process(target=_decide_elsewhere, args=(url, now, attempt_id, out))
    worker.start()
    worker.join(timeout=60)
    assert worker.exitcode == 0
    result: tuple[Any, ...] = out.get(timeout=10)
    return result


def declines(url: str, card: str = CARD) -> int:
    store = limiter(url).store
    return len(store.read(card_key(card), 0.0).declines)


# -- never-retry marks survive an outage --------------------------------------------------------


def test_a_stolen_card_recorded_during_an_outage_is_never_allowed_again(tmp_path: Path) -> None:
    """Redis is down when the stolen-card decline comes back: record raises a typed error
    saying the answer is kept; when Redis is back, this worker writes it before anything else,
    and another process refuses the card, also after every hold would have expired."""
    with server(tmp_path) as redis_server:
        clock = Clock()
        worker = limiter(redis_server.url(), clock)
        held = worker.reserve(CARD, visa(), attempt_id="pay-1")
        assert held
        redis_server.stop()
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            worker.record(CARD, STOLEN, reservation=held.reservation, attempt_id="pay-1")
        assert (raised.value.operation, raised.value.kept, worker.unwritten) == ("record", True, 1)
        assert "keeps it" in str(raised.value)
        assert "safe" in str(raised.value)
        with pytest.raises(payerr.networks.ReattemptStoreError):  # never "allowed" while down
            worker.allowed(CARD, visa())
        redis_server.start()
        worker.flush()
        assert worker.unwritten == 0
        later = T0 + 2 * DAY  # the reservation's 15-minute hold is long over
        allowed, reason, _ = another_worker(redis_server.url(), later)
        assert not allowed
        assert "category 1" in reason
        assert declines(redis_server.url()) == 1  # the reserved attempt, counted once


def test_recording_again_after_an_outage_counts_once(tmp_path: Path) -> None:
    """The job that saw the error records again (here from another limiter, as another worker
    would), and the first worker also writes what it kept: one decline, one never-retry."""
    with server(tmp_path) as redis_server:
        first = limiter(redis_server.url())
        redis_server.stop()
        with pytest.raises(payerr.networks.ReattemptStoreError):
            first.record(CARD, STOLEN, attempt_id="pay-7")
        redis_server.start()
        limiter(redis_server.url()).record(CARD, STOLEN, attempt_id="pay-7")  # the job again
        first.flush()
        assert declines(redis_server.url()) == 1
        allowed, reason, _ = another_worker(redis_server.url(), T0 + DAY)
        assert not allowed
        assert "category 1" in reason


def test_kept_answers_are_written_in_order_before_the_next_use(tmp_path: Path) -> None:
    """Answers kept during an outage reach Redis in the order they came, before the call
    that found Redis again reads anything (no flush needed)."""
    with server(tmp_path) as redis_server:
        worker = limiter(redis_server.url())
        redis_server.stop()
        for n in range(3):
            with pytest.raises(payerr.networks.ReattemptStoreError):
                worker.record(CARD, mastercard(), attempt_id=f"pay-{n}")
        assert worker.unwritten == 3
        redis_server.start()
        decision = worker.allowed(CARD, mastercard())  # writes the three, then reads
        assert worker.unwritten == 0
        assert "3 of 10 declines in 24 h" in decision.reason


def test_a_frozen_redis_fails_fast_and_grants_nothing_later(tmp_path: Path) -> None:
    """SIGSTOP: connects succeed and replies never come. reserve raises within the client's
    timeouts; the commands Redis finds when it wakes (redis-py sent the script twice) grant
    nothing: their caller has given up."""
    with server(tmp_path) as redis_server:
        worker = limiter(redis_server.url(), max_wait=4 * QUICK)
        worker.record(CARD, mastercard(), attempt_id="warm")  # scripts loaded, pool connected
        redis_server.freeze()
        sent = time.time()
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            worker.reserve(CARD, mastercard())
        assert raised.value.operation == "reserve"
        while time.time() <= sent + 4 * QUICK:  # until the reserve's deadline is over for sure
            time.sleep(0.05)
        redis_server.thaw()
        client = redis_server.client()
        assert client.ping()  # every command queued before it has run
        state = client.hgetall(f"payerr:reattempt:{{{card_key(CARD)}}}:s")
        assert b"hold_member" not in state  # nobody holds the card
        assert declines(redis_server.url()) == 1  # the warm-up decline only
        assert worker.reserve(CARD, mastercard())


def test_debug_sleep_fails_fast_too(tmp_path: Path) -> None:
    """DEBUG SLEEP (a server busy for seconds): the same typed error, within the timeouts."""
    with server(tmp_path, "--enable-debug-command", "yes") as redis_server:
        worker = limiter(redis_server.url(), max_wait=4 * QUICK)
        worker.record(CARD, mastercard(), attempt_id="warm")
        # DEBUG SLEEP sent on its own link, its reply not awaited. The link answers a PING
        # first, so the server has accepted it and reads it like any other: the DEBUG's bytes
        # are in its queue before the record's are sent, and the server is asleep when the
        # record arrives (a link not yet accepted could be read after the record's).
        with socket.create_connection(("127.0.0.1", redis_server.port), timeout=30) as sleeper:
            sleeper.sendall(b"PING\r\n")
            assert sleeper.recv(16).startswith(b"+PONG")
            sleeper.sendall(b"DEBUG SLEEP 6\r\n")  # well past the client's 2 x 0.5 s
            with pytest.raises(payerr.networks.ReattemptStoreError):
                worker.record(CARD, STOLEN, attempt_id="pay-9")
            assert sleeper.recv(16).startswith(b"+OK")  # the server woke
        worker.flush()  # the kept answer, written once the server answers again
        allowed, reason, _ = another_worker(redis_server.url(), T0 + DAY)
        assert not allowed
        assert "category 1" in reason


# -- a reply lost after its command ran ---------------------------------------------------------


def test_a_lost_reserve_reply_is_granted_again_to_the_same_attempt(tmp_path: Path) -> None:
    """The reserve script ran, its reply was lost, and redis-py's one retry was lost too: the
    caller gets a typed error. Reserving again with the same attempt id, from another worker,
    is granted the same reservation: one decline counted, no phantom, no 15-minute hold."""
    with server(tmp_path) as redis_server, CutProxy(redis_server.port) as proxy:
        url = redis_server.url(proxy.port)
        worker = limiter(url)
        worker.record("tok_other", mastercard(), attempt_id="warm")  # scripts loaded
        proxy.lose_replies(2)
        with pytest.raises(payerr.networks.ReattemptStoreError):
            worker.reserve(CARD, mastercard(), attempt_id="pay-42")
        allowed, _, reservation = another_worker(url, T0, attempt_id="pay-42")
        assert allowed
        assert reservation
        assert declines(url) == 1
        worker.record(CARD, SUCCESS, reservation=reservation, attempt_id="pay-42")
        assert declines(url) == 0  # a success gives the slot back
        assert worker.reserve(CARD, mastercard())  # and lifts the hold


def test_a_lost_reply_is_resent_by_redis_py_and_granted_once(tmp_path: Path) -> None:
    """One lost reply: redis-py's retry sends the same script (same member) again, which
    finds its own hold and grants it again instead of refusing its own reservation."""
    with server(tmp_path) as redis_server, CutProxy(redis_server.port) as proxy:
        url = redis_server.url(proxy.port)
        worker = limiter(url)
        worker.record("tok_other", mastercard(), attempt_id="warm")
        proxy.lose_replies(1)
        assert worker.reserve(CARD, mastercard())  # no attempt id needed for this one
        assert declines(url) == 1


def test_a_lost_reply_without_an_attempt_id_is_given_back(tmp_path: Path) -> None:
    """Without an attempt id nobody can claim the phantom reservation. The link dropped (not a
    hung server), so the worker gives it back at once: another worker finds the card neither
    held nor counted even if this one exits now (a cron dunning run)."""
    with server(tmp_path) as redis_server, CutProxy(redis_server.port) as proxy:
        url = redis_server.url(proxy.port)
        worker = limiter(url)
        worker.record("tok_other", mastercard(), attempt_id="warm")
        proxy.lose_replies(2)
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            worker.reserve(CARD, mastercard())
        assert "was given back" in str(raised.value)
        assert worker.unwritten == 0
        assert declines(url) == 0
        allowed, _, _ = another_worker(url, T0)
        assert allowed


def test_a_reserve_on_a_hung_redis_is_given_back_before_the_next_use(tmp_path: Path) -> None:
    """A hung server (a timeout): the give-back waits for this process's next use of the store
    instead of paying the timeouts twice; the error says the card may be held until then."""
    with server(tmp_path) as redis_server:
        worker = limiter(redis_server.url(), max_wait=4 * QUICK)
        worker.record("tok_other", mastercard(), attempt_id="warm")
        redis_server.freeze()
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            worker.reserve(CARD, mastercard())
        assert "attempt_id" in str(raised.value)
        assert worker.unwritten == 1
        redis_server.thaw()
        assert worker.reserve(CARD, mastercard())  # given back first, then granted
        assert worker.unwritten == 0
        assert declines(redis_server.url()) == 1


# -- what the server must keep, said at construction --------------------------------------------


def test_a_restart_with_persistence_keeps_every_mark(tmp_path: Path) -> None:
    with server(tmp_path) as redis_server:
        worker = limiter(redis_server.url())
        for n in range(20):
            worker.record(f"tok_{n}", STOLEN, attempt_id=f"pay-{n}")
        redis_server.stop()
        redis_server.start()
        again = limiter(redis_server.url(), Clock(T0 + DAY))
        assert sum(not again.allowed(f"tok_{n}", visa()) for n in range(20)) == 20


def test_a_server_without_persistence_is_named_at_construction(tmp_path: Path) -> None:
    """appendonly no: a restart forgets every mark. The store says so, naming the setting."""
    with server(tmp_path, "--appendonly", "no") as redis_server:
        with pytest.warns(payerr.RedisConfigWarning, match="appendonly") as warned:
            payerr.networks.RedisReattemptStore.from_url(redis_server.url())
        assert "no persistence" in str(warned[0].message)
        with pytest.warns(payerr.RedisConfigWarning, match="appendonly"):
            payerr.RedisCallLedger.from_url(redis_server.url())


def test_an_evicting_policy_is_named_at_construction(tmp_path: Path) -> None:
    settings = ("--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru")
    with server(tmp_path, *settings) as redis_server:
        with pytest.warns(payerr.RedisConfigWarning, match="maxmemory-policy") as warned:
            payerr.networks.RedisReattemptStore.from_url(redis_server.url())
        assert "'volatile-lru'" in str(warned[0].message)
    safe_settings = ("--maxmemory", "64mb", "--maxmemory-policy", "noeviction")
    with server(tmp_path, *safe_settings) as safe, warnings.catch_warnings():
        warnings.simplefilter("error")
        payerr.networks.RedisReattemptStore.from_url(safe.url())


def test_a_server_that_forbids_config_is_read_through_info(tmp_path: Path) -> None:
    """Managed Redis renames CONFIG: the settings come from INFO instead; nothing breaks."""
    with server(tmp_path, "--appendonly", "no", "--rename-command", "CONFIG", "") as redis_server:
        with pytest.warns(payerr.RedisConfigWarning, match="appendonly"):
            store = payerr.networks.RedisReattemptStore.from_url(redis_server.url())
        ReattemptLimiter(store, clock=Clock()).record(CARD, STOLEN)


def test_a_server_that_forbids_config_and_info_still_works(tmp_path: Path) -> None:
    settings = ("--rename-command", "CONFIG", "", "--rename-command", "INFO", "")
    with server(tmp_path, *settings) as redis_server:
        with capture_logs() as logs, warnings.catch_warnings():
            warnings.simplefilter("error")
            store = payerr.networks.RedisReattemptStore.from_url(redis_server.url())
        assert [log["event"] for log in logs] == ["payerr.redis_unchecked"]
        assert "appendonly yes" in logs[0]["consequence"]
        ReattemptLimiter(store, clock=Clock()).record(CARD, STOLEN)


def test_an_async_client_is_refused(tmp_path: Path) -> None:
    """The limiter is synchronous: a redis.asyncio client would return coroutines nobody
    awaits, and record would lose a never-retry mark without a word."""
    import redis.asyncio

    client: Any = redis.asyncio.Redis(port=1, socket_timeout=0.2, socket_connect_timeout=0.2)
    with pytest.raises(payerr.UsageError, match="synchronous"):
        payerr.networks.RedisReattemptStore(client)


def test_a_store_made_while_redis_is_down_checks_once_it_answers(tmp_path: Path) -> None:
    redis_server = Server(tmp_path, "--appendonly", "no")
    store = payerr.networks.RedisReattemptStore.from_url(
        redis_server.url()
    )  # nothing listens: no check
    redis_server.start()
    try:
        with pytest.warns(payerr.RedisConfigWarning, match="appendonly"):
            ReattemptLimiter(store, clock=Clock()).record(CARD, STOLEN)
    finally:
        redis_server.stop()
