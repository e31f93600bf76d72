"""RedisReattemptStore against a real redis-server: shared, atomic, bounded, and the same
decisions as the embedded store (tests/networks/test_reattempt_limiter.py runs every rule on
both)."""

from __future__ import annotations

import importlib
import multiprocessing
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import payerr
from payerr.networks._reattempts import DAY, HOUR, MemoryReattemptStore, ReattemptLimiter, card_key
from tests.support.reattempt_cases import (
    CARD,
    PENDING,
    SUCCESS,
    T0,
    Clock,
    answer,
    mastercard,
    visa,
)

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier


PROCESSES = 4


def _limiter(client: Any, clock: Clock | None = None, **kw: object) -> ReattemptLimiter:
    store = payerr.networks.RedisReattemptStore(client, **kw)  # type: ignore[arg-type]
    return ReattemptLimiter(store, clock=clock or Clock())


def test_keys_hold_no_card_id_and_expire(redis_client: Any) -> None:
    """Bounded memory: every key expires once the longest window (or a deadline) is over."""
    limiter = _limiter(redis_client)
    limiter.record(CARD, mastercard("25"))
    keys = sorted(k.decode() if isinstance(k, bytes) else k for k in redis_client.keys("*"))
    hashed = card_key(CARD)
    assert keys == [f"payerr:reattempt:{{{hashed}}}:d", f"payerr:reattempt:{{{hashed}}}:s"]
    for key in keys:
        assert 0 < redis_client.pttl(key) <= 30 * DAY * 1000 + 1
    limiter.record(CARD, visa(category="1"))
    assert redis_client.pttl(keys[1]) > 300 * DAY * 1000  # never-retry is kept a year


def test_a_hold_keeps_the_keys_alive_and_expires_with_them(redis_client: Any) -> None:
    """A reservation's hold lives in the card's hash with the keys' TTL covering it; a pending
    answer keeps it up to pending_hold_for (default 30 days), then the keys expire."""
    clock = Clock()
    limits = payerr.networks.ReattemptLimits(hold_for=600, pending_hold_for=40 * DAY)
    limiter = ReattemptLimiter(
        payerr.networks.RedisReattemptStore(redis_client), clock=clock, limits=limits
    )
    held = limiter.reserve(CARD, visa())
    hashed = card_key(CARD)
    state: dict[bytes, bytes] = redis_client.hgetall(f"payerr:reattempt:{{{hashed}}}:s")
    assert set(state) == {b"hold_member", b"hold_until", b"hold_pending"}
    assert float(state[b"hold_until"]) == T0 + 600
    limiter.record(CARD, PENDING, reservation=held.reservation)
    assert redis_client.pttl(f"payerr:reattempt:{{{hashed}}}:s") > 39 * DAY * 1000
    limiter.record(CARD, SUCCESS, reservation=held.reservation)
    assert not redis_client.exists(f"payerr:reattempt:{{{hashed}}}:s")
    assert limiter.allowed(CARD, visa())


def test_an_attempt_id_is_stored_only_as_a_hash(redis_client: Any) -> None:
    """The payment request id is the member a decline is counted under, hashed."""
    limiter = _limiter(redis_client)
    limiter.record(CARD, visa(), attempt_id="renewal-2026-11-0042")
    limiter.record(CARD, visa(), attempt_id="renewal-2026-11-0042")
    members = redis_client.zrange(f"payerr:reattempt:{{{card_key(CARD)}}}:d", 0, -1)
    assert len(members) == 1
    assert b"renewal" not in members[0]
    assert all(b"renewal" not in k for k in redis_client.keys("*"))


def test_a_card_keeps_no_more_declines_than_a_limit_needs(redis_client: Any) -> None:
    limiter = _limiter(redis_client)
    for _ in range(200):
        limiter.record(CARD, mastercard())
    assert redis_client.zcard(f"payerr:reattempt:{{{card_key(CARD)}}}:d") == 35


def test_declines_older_than_every_window_are_trimmed(redis_client: Any) -> None:
    clock = Clock()
    limiter = _limiter(redis_client, clock)
    for _ in range(5):
        limiter.record(CARD, mastercard())
    clock.advance(30 * DAY)
    limiter.record(CARD, mastercard())
    assert redis_client.zcard(f"payerr:reattempt:{{{card_key(CARD)}}}:d") == 1


def test_the_script_cache_may_be_flushed(redis_client: Any) -> None:
    """EVALSHA falls back to EVAL after a restart or SCRIPT FLUSH (redis-py's Script)."""
    limiter = _limiter(redis_client)
    limiter.record(CARD, mastercard("24"))
    redis_client.script_flush()
    assert limiter.allowed(CARD, mastercard()).not_before == T0 + HOUR
    redis_client.script_flush()
    assert not limiter.reserve(CARD, mastercard())


def test_a_decoding_client_works_too(redis_port: int) -> None:
    import redis

    from tests.support.ledgers import retries_of

    client: Any = redis.Redis(
        host="127.0.0.1",
        port=redis_port,
        decode_responses=True,
        socket_timeout=1,
        socket_connect_timeout=1,
        retry=retries_of(0),
    )
    try:
        limiter = _limiter(client, prefix=f"t:{uuid.uuid4().hex}:")
        limiter.record(CARD, visa(category="1"))
        decision = limiter.allowed(CARD, SUCCESS)
        assert (decision.allowed, decision.not_before) == (False, None)
        assert "category 1" in decision.reason
    finally:
        client.close()


def test_prefixes_keep_merchants_apart(redis_client: Any) -> None:
    """The networks count per card at one merchant (card acceptor): one prefix each."""
    first = _limiter(redis_client, prefix="m1:")
    second = _limiter(redis_client, prefix="m2:")
    for _ in range(10):
        first.record(CARD, mastercard())
    assert not first.allowed(CARD, mastercard())
    assert second.allowed(CARD, mastercard())


@pytest.mark.parametrize("prefix", ["a{b}:", "x" * 101, "a\nb", 3])
def test_a_bad_prefix_is_a_usage_error(redis_client: Any, prefix: object) -> None:
    with pytest.raises(payerr.UsageError):
        payerr.networks.RedisReattemptStore(redis_client, prefix=prefix)  # type: ignore[arg-type]


def test_an_unreachable_redis_never_means_allowed(redis_port: int) -> None:
    """A limiter that cannot ask its store raises a typed error; it never guesses "allowed"."""
    import redis

    store = payerr.networks.RedisReattemptStore.from_url("redis://127.0.0.1:1")  # nothing listens
    limiter = ReattemptLimiter(store, clock=Clock())
    for call in (limiter.allowed, limiter.reserve):
        with pytest.raises(payerr.networks.ReattemptStoreError) as raised:
            call(CARD, mastercard())
        assert isinstance(raised.value.__cause__, redis.ConnectionError)
        assert "ConnectionError" in str(raised.value)


def test_a_slow_client_is_refused_at_construction(redis_port: int) -> None:
    """redis-py's defaults (5 s timeouts and 10 retries with backoff in redis-py 8; no timeout
    before 6) would hold a reserve for minutes on a hung Redis: refused, naming the fix."""
    import redis

    client: Any = redis.Redis(host="127.0.0.1", port=redis_port)
    with pytest.raises(payerr.UsageError, match="socket_timeout"):
        payerr.networks.RedisReattemptStore(client)
    quick = payerr.networks.RedisReattemptStore.from_url(f"redis://127.0.0.1:{redis_port}")
    assert quick.client.connection_pool.connection_kwargs["socket_timeout"] == 0.25


@pytest.mark.parametrize(
    ("backoff", "retries", "why"),
    [
        ("ConstantBackoff(5)", 1, "5 s of backoff"),  # a 0.25 s client pausing 5 s to retry
        ("ExponentialBackoff(cap=30, base=10)", 2, "50 s of backoff"),
        ("NoBackoff()", -1, "for ever"),  # redis-py: a negative count retries for ever
    ],
)
def test_a_client_whose_retries_wait_long_is_refused(
    redis_port: int, backoff: str, retries: int, why: str
) -> None:
    """The worst wait counts the backoff between retries, and a Retry(-1) never gives up."""
    import redis

    backoffs: Any = importlib.import_module("redis.backoff")  # redis-py < 6 is untyped
    retries_module: Any = importlib.import_module("redis.retry")
    made = {
        "ConstantBackoff(5)": lambda: backoffs.ConstantBackoff(5),
        "ExponentialBackoff(cap=30, base=10)": lambda: backoffs.ExponentialBackoff(30, 10),
        "NoBackoff()": backoffs.NoBackoff,
    }[backoff]()
    retry = retries_module.Retry(made, retries)
    client: Any = redis.Redis(
        port=redis_port, socket_timeout=0.25, socket_connect_timeout=0.25, retry=retry
    )
    with pytest.raises(payerr.UsageError, match=why):
        payerr.networks.RedisReattemptStore(client)
    with pytest.raises(payerr.UsageError, match=why):
        payerr.RedisCallLedger(client)


# -- a fleet: processes racing on one card ----------------------------------------------------


def _fleet_worker(
    port: int, mode: str, rounds: int, start: Barrier, results: Queue[tuple[int, int]]
) -> None:
    """One process of the fleet: reserve-then-record until the limit refuses (at most
    ``rounds`` tries), ``rounds`` plain records, or (``hold``) one reservation each on a fresh
    Visa card, the winner's answer pending, then one more reservation each."""
    store = payerr.networks.RedisReattemptStore.from_url(
        f"redis://127.0.0.1:{port}", prefix=f"fleet-{mode}:", timeout=1.0, max_wait=4.0
    )
    client: Any = store.client
    limits = payerr.networks.ReattemptLimits(
        mastercard=(payerr.networks.DeclineLimit(LIMIT[mode], DAY, "test"),)
    )
    limiter = ReattemptLimiter(store, clock=lambda: T0, limits=limits)
    if mode == "hold":
        start.wait(timeout=60)
        first = limiter.reserve(CARD, visa())
        if first:
            limiter.record(CARD, PENDING, reservation=first.reservation)
        start.wait(timeout=60)  # the winner's charge is pending now: everyone asks again
        second = limiter.reserve(CARD, visa())
        results.put((int(first.allowed), int(second.allowed)))
        client.close()
        return
    decline = mastercard()
    start.wait(timeout=60)  # every process is ready: they race from here
    granted = tries = 0
    for tries in range(1, rounds + 1):  # noqa: B007 (reported below)
        if mode == "record":
            limiter.record(CARD, decline)
            continue
        decision = limiter.reserve(CARD, decline)
        if decision:
            granted += 1
            limiter.record(CARD, decline, reservation=decision.reservation)
        elif "in flight" not in decision.reason:
            break  # the limit refused, not another worker's hold
    results.put((granted, tries))
    client.close()


LIMIT = {"reserve": 50, "record": 1_000, "hold": 15}


def _run_fleet(port: int, mode: str, rounds: int) -> list[tuple[int, int]]:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results: Queue[tuple[int, int]] = ctx.Queue()
    workers = [
        ctx.Process(target=_fleet_worker, args=(port, mode, rounds, start, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)  # a crashed worker ends the wait at once
        assert worker.exitcode == 0
    return [results.get(timeout=10) for _ in workers]


def test_a_fleet_reserving_on_one_card_never_over_admits(
    redis_client: Any, redis_port: int
) -> None:
    """4 processes reserve-then-record, released together by a barrier, race for 50 slots on
    one card until the limit refuses them: exactly 50 are granted (one at a time: a granted
    reservation holds the card until its answer is recorded)."""
    done = _run_fleet(redis_port, "reserve", 20_000)
    assert all(tries < 20_000 for _, tries in done)  # each one met the limit
    assert sum(granted for granted, _ in done) == LIMIT["reserve"]
    store = payerr.networks.RedisReattemptStore(redis_client, prefix="fleet-reserve:")
    assert len(store.read(card_key(CARD), T0 - DAY).declines) == LIMIT["reserve"]


def test_a_fleet_reserving_one_card_at_once_admits_one_worker(
    redis_client: Any, redis_port: int
) -> None:
    """4 processes reserve one Visa card at the same moment (category 2: no wait code, 15 in
    30 days, https://www.payvision.com/scheme-updates/visa-new-fees-for-declined-transactions-reattempts/):
    one wins and holds the card; its answer is pending, and no process is admitted after it
    (a pending attempt may have charged: inquire first)."""
    done = _run_fleet(redis_port, "hold", 1)
    assert sum(first for first, _ in done) == 1
    assert sum(second for _, second in done) == 0
    keys = redis_client.keys("fleet-hold:*")
    assert keys
    assert all(redis_client.pttl(key) > 0 for key in keys)  # the hold expires with its keys


def test_a_fleet_recording_on_one_card_loses_no_decline(redis_client: Any, redis_port: int) -> None:
    """4 processes x 50 records on one card: all 200 declines are counted (no lost update)."""
    _run_fleet(redis_port, "record", 50)
    store = payerr.networks.RedisReattemptStore(redis_client, prefix="fleet-record:")
    assert len(store.read(card_key(CARD), T0 - DAY).declines) == 4 * 50


# -- the same decisions as the embedded store -------------------------------------------------

ANSWERS = {
    "visa-2": visa(),
    "visa-1": visa(category="1"),
    "mc": mastercard(),
    "mc-03": mastercard("03"),
    "mc-24": mastercard("24"),
    "mc-25": mastercard("25"),
    "waits-2h": mastercard(retry_after=2 * HOUR),
    "unknown-brand": answer(),
    "success": SUCCESS,
    "pending": PENDING,
    "http-503": payerr.classify_http("antom", 503, b""),
    "retryable-mc-03": answer("UNKNOWN_EXCEPTION", "U", network=mastercard("03").network),
}
SMALL = payerr.networks.ReattemptLimits(
    visa=(payerr.networks.DeclineLimit(3, 2 * DAY, "Visa"),),
    mastercard=(
        payerr.networks.DeclineLimit(2, 5 * HOUR, "Mastercard"),
        payerr.networks.DeclineLimit(4, 3 * DAY, "Mastercard"),
    ),
    never_retry_for=10 * DAY,
    hold_for=1200,
    pending_hold_for=2 * DAY,
)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["allowed", "reserve", "record", "record-id", "settle", "forget"]),
        st.sampled_from(sorted(ANSWERS)),
        st.sampled_from([0.0, 1.0, 1800.0, HOUR, 5 * HOUR, DAY, 2 * DAY, 3 * DAY, 11 * DAY]),
        st.sampled_from(["tok_a", "tok_b"]),
    ),
    max_size=30,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # a fresh prefix each
)
@given(steps=STEPS)
# Found by hypothesis: an attempt id recorded again exactly when its decline left the longest
# window (the Lua script kept the expired member and took the new record for it), and a
# reservation settled then (it must keep the reservation's time, as the memory store does).
@example(
    steps=[
        ("record-id", "mc", 0.0, "tok_a"),
        ("allowed", "http-503", 259200.0, "tok_a"),
        ("reserve", "http-503", 0.0, "tok_b"),
        ("record-id", "mc", 0.0, "tok_a"),
        ("allowed", "http-503", 0.0, "tok_a"),
    ]
)
@example(
    steps=[
        ("record-id", "mc", 0.0, "tok_a"),
        ("allowed", "http-503", 259200.0, "tok_a"),
        ("record-id", "mc", 0.0, "tok_a"),
        ("allowed", "http-503", 0.0, "tok_a"),
    ]
)  # the same attempt id recorded again as its decline leaves the last window, nothing between
@example(
    steps=[
        ("reserve", "http-503", 0.0, "tok_b"),
        ("settle", "mc", 259200.0, "tok_b"),
        ("allowed", "http-503", 0.0, "tok_b"),
    ]
)
def test_redis_and_memory_decide_alike(
    redis_client: Any, steps: list[tuple[str, str, float, str]]
) -> None:
    """Any sequence of answers, questions and reservations over time: the same decisions."""
    clock = Clock()
    redis_store = payerr.networks.RedisReattemptStore(redis_client, prefix=f"p:{uuid.uuid4().hex}:")
    limiters = [
        ReattemptLimiter(MemoryReattemptStore(), clock=clock, limits=SMALL),
        ReattemptLimiter(redis_store, clock=clock, limits=SMALL),
    ]
    held: list[list[str]] = [[], []]
    for op, name, elapsed, card in steps:
        clock.advance(elapsed)
        last = ANSWERS[name]
        seen = []
        for limiter, reservations in zip(limiters, held, strict=True):
            if op in ("allowed", "reserve"):
                decision = getattr(limiter, op)(card, last)
                if decision.reservation:
                    reservations.append(decision.reservation)
                seen.append(
                    (decision.allowed, decision.not_before, decision.reason, decision.brand)
                )
            elif op == "record":
                limiter.record(card, last)
            elif op == "record-id":
                limiter.record(card, last, attempt_id=f"pay-{elapsed:g}")
            elif op == "settle" and reservations:
                limiter.record(card, last, reservation=reservations.pop(0), attempt_id=name)
            elif op == "forget":
                limiter.forget(card)
        assert not seen or seen[0] == seen[1]


@pytest.mark.parametrize("name", ["Vi\udcc0sa", b"Visa"], ids=["lone-surrogate", "bytes"])
def test_a_limit_whose_name_is_not_text_decides_on_redis_as_in_memory(
    redis_client: Any, name: object
) -> None:
    """A limit's name is only words for reasons: one that is not UTF-8 text (a name decoded
    with surrogateescape, bytes) must not make the Redis store refuse every reserve while the
    memory store decides (it is not sent to the script)."""
    limits = payerr.networks.ReattemptLimits(
        visa=(payerr.networks.DeclineLimit(2, 30 * DAY, name),),  # type: ignore[arg-type]
    )
    decisions = []
    for store in (
        payerr.networks.MemoryReattemptStore(),
        payerr.networks.RedisReattemptStore(redis_client),
    ):
        limiter = ReattemptLimiter(store, clock=Clock(), limits=limits)
        seen = []
        for attempt in ("a1", "a2", "a3"):
            reserved = limiter.reserve(CARD, visa(), attempt_id=attempt)
            seen.append(reserved.allowed)
            if reserved.allowed:
                limiter.record(CARD, visa(), reservation=reserved.reservation)
        decisions.append(seen)
    assert decisions[0] == decisions[1] == [True, True, False]
