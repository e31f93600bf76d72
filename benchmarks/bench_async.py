"""The async path against a minimal server, so the server's own cost does not hide the client's.

Three async clients send successful payments to the same keep-alive server process (benchmarks/
_server.py), in alternating rounds: bare ``httpx.AsyncClient``, payerr's
``AsyncPaymentTransport`` and httpx-retries' ``RetryTransport`` (a peer that retries on status
codes and classifies nothing). For each: payments per second and client CPU per request, at 1,
20 and 100 in flight. A last run sends 1,000 distinct payments (one idempotency key each) to
show that payerr's cost per request does not grow with the number of payments it has seen.

Targets (issue 12): payerr >= 0.95x bare httpx payments/s at 20 in flight, and at or ahead of
httpx-retries. Run: pip install -e '.[bench]' && python benchmarks/bench_async.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable

import httpx
from _server import server

import payerr

ROUNDS = 5
PAYMENTS = 600
PAYLOAD = {"amount": 1000, "currency": "EUR", "merchant_order_no": "ORD-20261122-0001"}


Make = Callable[[httpx.Limits], httpx.AsyncBaseTransport]


def _clients() -> dict[str, Make]:
    """Each client over the same inner transport and pool, so only the wrapper differs."""
    clients: dict[str, Make] = {
        "bare httpx": lambda limits: httpx.AsyncHTTPTransport(limits=limits),
        "payerr": lambda limits: payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.AsyncHTTPTransport(limits=limits)
        ),
    }
    try:
        from httpx_retries import RetryTransport  # noqa: PLC0415 -- optional benchmark peer
    except ImportError:
        print("httpx-retries not installed (pip install -e '.[bench]'): peer skipped")
    else:
        clients["httpx-retries"] = lambda limits: RetryTransport(
            transport=httpx.AsyncHTTPTransport(limits=limits)
        )
    return clients


async def _run(url: str, make: Make, in_flight: int, keys: str) -> tuple[float, float]:
    """(payments per second, client CPU microseconds per request)."""
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(transport=make(limits), timeout=10) as client:

        async def pay(n: int) -> None:
            async with gate:
                headers = {"Idempotency-Key": f"{keys}-{n}"}
                await client.post(url, json=PAYLOAD, headers=headers)

        await asyncio.gather(*(pay(n) for n in range(in_flight)))  # warm the pool
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(pay(n) for n in range(PAYMENTS)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return PAYMENTS / wall, cpu / PAYMENTS * 1e6


def main() -> int:
    clients = _clients()
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with server() as url:
        for in_flight in (1, 20, 100):
            for round_ in range(ROUNDS):
                order = list(clients.items())
                order = order[round_ % len(order) :] + order[: round_ % len(order)]
                for name, make in order:
                    keys = f"{name}-{in_flight}-{round_}"
                    result = asyncio.run(_run(url, make, in_flight, keys))
                    results.setdefault((name, in_flight), []).append(result)
        seen_many = asyncio.run(_run(url, clients["payerr"], 20, "many"))
    print(f"{PAYMENTS} payments a run, medians of {ROUNDS} rotating rounds")
    for in_flight in (1, 20, 100):
        print(f"{in_flight} in flight:")
        bare = statistics.median(p for p, _ in results["bare httpx", in_flight])
        for name in clients:
            runs = results[name, in_flight]
            rate = statistics.median(p for p, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            print(
                f"  {name:<14} {rate:7.0f} payments/s  {cpu:7.0f} us client CPU/request  "
                f"{rate / bare:5.2f}x bare"
            )
    print(
        f"payerr, 20 in flight, {PAYMENTS} payments never seen before: {seen_many[0]:.0f} /s, "
        f"{seen_many[1]:.0f} us CPU/request"
    )
    ours = statistics.median(p for p, _ in results["payerr", 20])
    bare = statistics.median(p for p, _ in results["bare httpx", 20])
    verdict = "met" if ours / bare >= 0.95 else "MISSED"
    print(f"payerr / bare at 20 in flight: {ours / bare:.2f}x (target >= 0.95x: {verdict})")
    if "httpx-retries" in clients:
        peer = statistics.median(p for p, _ in results["httpx-retries", 20])
        verdict = "met" if ours / peer >= 1.0 else "MISSED"
        print(
            f"payerr / httpx-retries at 20 in flight: {ours / peer:.2f}x (target >= 1.0x: "
            f"{verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
