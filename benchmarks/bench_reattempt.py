"""ReattemptLimiter per call: ``allowed`` + ``record``, and ``reserve`` + ``record``, in memory and
on Redis over loopback, as ratios to a bare redis-py round trip (PING, GET of a missing key, and
EVALSHA of a no-op script) measured in the same run against the same server.

A dunning run asks ``allowed`` and records the answer for each card it tries: that pair is the
unit. On Redis each call is one Lua script (one round trip), so the pair costs two script calls:
a third baseline, ``EVALSHA`` of a script that does nothing, shows that floor (a script call
costs more than a PING in Redis itself). In memory the pair should cost well under one round
trip. Figures are reported, not judged: a round trip's cost depends on the machine more than on
payerr.

Starts its own ``redis-server`` (persistence off) on a free loopback port; without one on PATH
the Redis rows are skipped with a message. Run: python benchmarks/bench_reattempt.py
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _timing import compare

import payerr

T0 = 1_780_000_000.0
CARDS = [f"tok_{n:06d}" for n in range(5_000)]
DECLINE = dataclasses.replace(
    payerr.classify_http(
        "antom", 200, {"result": {"resultCode": "DO_NOT_HONOR", "resultStatus": "F"}}
    ),
    network=payerr.networks.NetworkAdvice("mastercard", "51", advice_code="24"),
)
NUMBER = 2_000
ROUNDS = 7


@contextmanager
def redis_server() -> Iterator[int | None]:
    """A throwaway redis-server on a free loopback port; None when none can start."""
    if shutil.which("redis-server") is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", directory, "--loglevel", "warning"]
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.02)
            yield port if server.poll() is None else None
        finally:
            server.terminate()
            server.wait(timeout=10)


def pair(limiter: payerr.networks.ReattemptLimiter, reserve: bool) -> Callable[[], object]:
    """One dunning step on the next card: ask (or reserve), then record a decline."""
    cards = itertools.cycle(CARDS)

    def step() -> object:
        card = next(cards)
        if reserve:
            decision = limiter.reserve(card, DECLINE)
            limiter.record(card, DECLINE, reservation=decision.reservation)
        else:
            decision = limiter.allowed(card, DECLINE)
            limiter.record(card, DECLINE)
        return decision

    return step


def main() -> int:
    try:
        import redis  # noqa: PLC0415, F401 -- the optional extra, only for the Redis rows
    except ImportError:
        print("redis is not installed (pip install -e '.[redis]'): nothing to compare against")
        return 0
    with redis_server() as port:
        if port is None:
            print("no redis-server could start (apt-get install redis-server): skipped")
            return 0
        # The server runs without persistence (a benchmark keeps nothing): the stores warn.
        warnings.simplefilter("ignore", payerr.RedisConfigWarning)
        url = f"redis://127.0.0.1:{port}"
        client: Any = payerr.networks.RedisReattemptStore.from_url(url, timeout=0.5).client
        clock = itertools.count(T0, 0.001).__next__  # time moves on: windows slide as in life
        subjects = {
            "memory: allowed + record": pair(
                payerr.networks.ReattemptLimiter(clock=clock), reserve=False
            ),
            "memory: reserve + record": pair(
                payerr.networks.ReattemptLimiter(clock=clock), reserve=True
            ),
            "redis: allowed + record": pair(
                payerr.networks.ReattemptLimiter(
                    payerr.networks.RedisReattemptStore(client), clock=clock
                ),
                reserve=False,
            ),
            "redis: reserve + record": pair(
                payerr.networks.ReattemptLimiter(
                    payerr.networks.RedisReattemptStore(client, prefix="bench-reserve:"),
                    clock=clock,
                ),
                reserve=True,
            ),
        }
        noop = str(client.script_load("return 1"))  # redis-py < 6 types it as maybe-awaitable
        baselines: dict[str, Callable[[], object]] = {
            "PING": client.ping,
            "GET": lambda: client.get("payerr-bench-missing"),
            # The floor for anything atomic: one script call that does nothing.
            "EVALSHA": lambda: client.evalsha(noop, 0),
        }
        print(f"redis-server on 127.0.0.1:{port}; best of {ROUNDS} rounds of {NUMBER} calls")
        for name, subject in subjects.items():
            for base_name, baseline in baselines.items():
                base, subj = compare(baseline, subject, number=NUMBER, rounds=ROUNDS)
                print(
                    f"{name:<28} {subj:8.1f} us  vs bare {base_name:<7} {base:6.1f} us  "
                    f"ratio {subj / base:5.2f}x"
                )
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
