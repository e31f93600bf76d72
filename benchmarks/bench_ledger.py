"""The call ledger's cost (issue 20), measured in one run.

1. ``RedisCallLedger``: the Redis round trips a logical call makes on the success path, counted
   by the server itself (``INFO commandstats``; target <= 2), and its cost per call through
   ``PaymentTransport`` against a bare redis-py round trip (PING) to the same loopback server.
2. ``MemoryCallLedger`` (the default): a transport with it against the same transport with a
   ledger that records nothing (the floor). The issue's bar is "no slower than today's
   transport", whose per-transport memory did the same work: ``--per-call`` (below) compares
   releases.
3. 100,000 calls with distinct keys and mixed answers (2xx, 303 not followed, 503, read
   timeouts) through one transport: time per call and memory traced, per 10,000 calls; both
   must stay flat (last tenth / first tenth <= 1.25) and the ledger at its bound.

Run: python benchmarks/bench_ledger.py. Exits 1 when a target is missed. ``--per-call`` prints
the default transport's best µs per payment and nothing else: run it alternately with
``PYTHONPATH`` at this tree's ``src`` and at an earlier release's to compare the two.
"""

from __future__ import annotations

import gc
import itertools
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from _timing import compare
from bench_reattempt import redis_server

import payerr

URL = "https://provider.example/v1/payments"
OK_BODY = b'{"ret_code": "000000", "data": {"status": "SUCCESS"}}'
JSON = {"Content-Type": "application/json"}


def success(request: httpx.Request) -> httpx.Response:
    """A PayKKa success, a new Response each time (httpx wraps a response's stream when it
    sends it: a shared one would grow with every call)."""
    return httpx.Response(200, content=OK_BODY, headers=JSON)


NUMBER = 1_000
ROUNDS = 5
CALLS = 100_000
TENTH = CALLS // 10
FLAT = 1.25
POLICY = payerr.RetryPolicy(attempts=1, budget=False)


class NullLedger:
    """Records nothing: the floor a ledger's cost is measured from."""

    def __init__(self) -> None:
        self.nothing = payerr.MemoryCallLedger().begin([])._replace(why="")

    def begin(self, keys: Sequence[Any]) -> Any:
        return self.nothing

    def others(self, keys: Sequence[Any]) -> Any:
        return self.nothing

    def end(self, keys: Sequence[Any], executed: Any, *, last: bool) -> None:
        return None

    async def abegin(self, keys: Sequence[Any]) -> Any:
        return self.nothing

    async def aothers(self, keys: Sequence[Any]) -> Any:
        return self.nothing

    async def aend(self, keys: Sequence[Any], executed: Any, *, last: bool) -> None:
        return None


def paying(ledger: Any, answer: Callable[[httpx.Request], httpx.Response]) -> Callable[[], object]:
    """One payment per call, each under a new key, through a transport with ``ledger``."""
    # No ledger= at all for None: the script also times releases that had no ledger.
    extra = {} if ledger is None else {"ledger": ledger}
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(answer), policy=POLICY, **extra
    )
    client = httpx.Client(transport=transport)
    keys = itertools.count()

    def pay() -> object:
        try:
            return client.post(URL, json={}, headers={"Idempotency-Key": f"k{next(keys)}"})
        except payerr.PaymentError as exc:
            return exc

    return pay


def round_trips(port: int) -> bool:
    import redis  # noqa: PLC0415 -- the optional extra
    from redis import backoff, retry  # noqa: PLC0415

    untyped: Any = (retry, backoff)  # redis-py < 6 does not type these
    client: Any = redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=0.25,
        socket_connect_timeout=0.25,
        retry=untyped[0].Retry(untyped[1].NoBackoff(), 1),
    )
    ledger = payerr.RedisCallLedger(client)
    pay = paying(ledger, success)
    pay()  # scripts loaded
    before = client.info("commandstats")
    n = 1_000
    for _ in range(n):
        pay()
    after = client.info("commandstats")
    # commandstats also counts the commands a script runs; a round trip is a script call.
    calls = sum(
        int(after[name]["calls"]) - int(before.get(name, {"calls": 0})["calls"])
        for name in ("cmdstat_evalsha", "cmdstat_eval")
        if name in after
    )
    per_call = calls / n
    ok = per_call <= 2
    print(
        f"RedisCallLedger round trips per successful call: {per_call:.2f} "
        f"(target <= 2: {'met' if ok else 'MISSED'})"
    )
    base, subj = compare(client.ping, pay, number=NUMBER, rounds=ROUNDS)
    floor = paying(NullLedger(), success)
    base2, subj = compare(floor, pay, number=NUMBER, rounds=ROUNDS)
    print(
        f"  a payment with it: {subj:7.1f} us; with no ledger {base2:6.1f} us; "
        f"the ledger adds {subj - base2:6.1f} us = {(subj - base2) / base:4.2f} bare PINGs "
        f"({base:5.1f} us each)"
    )
    client.close()
    return ok


def memory_cost() -> None:
    floor = paying(NullLedger(), success)
    memory = paying(payerr.MemoryCallLedger(), success)
    base, subj = compare(floor, memory, number=NUMBER, rounds=ROUNDS)
    print(
        f"MemoryCallLedger: a payment {subj:6.1f} us vs no ledger {base:6.1f} us: "
        f"+{subj - base:4.1f} us ({subj / base:4.2f}x)"
    )


def mixed(request: httpx.Request) -> httpx.Response:
    """2xx, a 303 not followed, a 503, a read timeout: in turn, by the key's number."""
    n = int(request.headers["Idempotency-Key"][1:]) % 4
    if n == 1:
        return httpx.Response(303, headers={"Location": "/result"})
    if n == 2:
        return httpx.Response(503)
    if n == 3:
        raise httpx.ReadTimeout("stalled")
    return success(request)


def flat() -> bool:
    ledger = payerr.MemoryCallLedger()
    pay = paying(ledger, mixed)
    times = []
    gc.collect()
    for _ in range(10):
        start = time.perf_counter()
        for _ in range(TENTH):
            pay()
        times.append((time.perf_counter() - start) / TENTH * 1e6)
    ledger2 = payerr.MemoryCallLedger()
    pay = paying(ledger2, mixed)
    tracemalloc.start()
    sizes = []
    for _ in range(10):
        for _ in range(TENTH):
            pay()
        gc.collect()
        sizes.append(tracemalloc.get_traced_memory()[0] / 1e6)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    time_ratio = times[-1] / times[0]
    # Memory: the ledger fills to its bound (20,000 keys) in the first tenths, then must stay.
    memory_ratio = sizes[-1] / sizes[2]
    ok = time_ratio <= FLAT and memory_ratio <= FLAT and len(ledger) <= ledger.max_keys
    print(f"{CALLS:,} calls, distinct keys, 2xx / 303 / 503 / read timeout in turn:")
    print("  us per call by tenth: " + " ".join(f"{t:5.1f}" for t in times))
    print("  MB traced by tenth:   " + " ".join(f"{s:5.1f}" for s in sizes))
    print(
        f"  last / first tenth: time {time_ratio:4.2f}x, memory (from the third tenth, once "
        f"the ledger is full) {memory_ratio:4.2f}x, peak {peak:5.1f} MB traced, ledger "
        f"{len(ledger):,} keys (bound {ledger.max_keys:,}) "
        f"(target <= {FLAT}x: {'met' if ok else 'MISSED'})"
    )
    return ok


def per_call() -> float:
    """Best µs per payment through the default transport (what --per-call prints)."""
    pay = paying(None, success)
    for _ in range(2_000):
        pay()
    gc.disable()
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(3_000):
            pay()
        best = min(best, (time.perf_counter() - start) / 3_000 * 1e6)
    gc.enable()
    return best


def main(argv: list[str]) -> int:
    if "--transport-only" in argv:  # a whole-process workload: the default transport only
        pay = paying(None, success)
        for _ in range(20_000):
            pay()
        return 0
    if "--per-call" in argv:  # one release per process: alternate two PYTHONPATHs to compare
        print(f"{per_call():.1f}")
        return 0
    ok = True
    with redis_server() as port:
        if port is None:
            print("no redis-server could start (apt-get install redis-server): Redis rows skipped")
        else:
            ok = round_trips(port) and ok
    memory_cost()
    ok = flat() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
