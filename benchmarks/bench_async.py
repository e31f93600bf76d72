"""The async path against a minimal server, so the server's own cost does not hide the client's.

Three async clients send successful payments to the same keep-alive server process (benchmarks/
_server.py), in alternating rounds: bare ``httpx.AsyncClient``, payerr's
``AsyncPaymentTransport`` and httpx-retries' ``RetryTransport`` (a peer that retries on status
codes and classifies nothing). For each: payments per second and client CPU per request, at 1,
20 and 100 in flight (every payment with its own idempotency key).

Then each wrapper's own cost per request, measured in-process over an in-memory transport (no
sockets, so nothing but the wrapper differs from bare httpx): after 0, 1,000 and 20,000 distinct
payments seen (past payerr's 10,000-call memory), to show that it does not grow with the
number of payments a long-lived client has sent.

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
from _server import BODY, server

import payerr

ROUNDS = 14
PAYMENTS = 300
OWN_BATCHES = 40
OWN_BATCH = 100
PAYLOAD = {"amount": 1000, "currency": "EUR", "merchant_order_no": "ORD-20261122-0001"}


Wrap = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]


def _clients() -> dict[str, Wrap]:
    """Each client wraps the same kind of inner transport, so only the wrapper differs."""
    clients: dict[str, Wrap] = {
        "bare httpx": lambda inner: inner,
        "payerr": lambda inner: payerr.AsyncPaymentTransport("paykka", transport=inner),
    }
    try:
        from httpx_retries import RetryTransport  # noqa: PLC0415 -- optional benchmark peer
    except ImportError:
        print("httpx-retries not installed (pip install -e '.[bench]'): peer skipped")
    else:
        clients["httpx-retries"] = lambda inner: RetryTransport(transport=inner)
    return clients


async def _run(url: str, wrap: Wrap, in_flight: int, keys: str) -> tuple[float, float]:
    """(payments per second, client CPU microseconds per request)."""
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(
        transport=wrap(httpx.AsyncHTTPTransport(limits=limits)), timeout=10
    ) as client:

        async def pay(n: int) -> None:
            async with gate:
                headers = {"Idempotency-Key": f"{keys}-{n}"}
                await client.post(url, json=PAYLOAD, headers=headers)

        await asyncio.gather(*(pay(n) for n in range(in_flight)))  # warm the pool
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(pay(n) for n in range(PAYMENTS)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return PAYMENTS / wall, cpu / PAYMENTS * 1e6


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"Content-Type": "application/json"})


async def _own_costs_after(clients: dict[str, Wrap], seen: int) -> dict[str, float]:
    """Microseconds per request for each client over an in-memory transport, after ``seen``
    distinct payments through the same client: short interleaved batches, medians, so that
    drift in the machine's speed falls on every client alike."""
    opened = {
        name: httpx.AsyncClient(transport=wrap(httpx.MockTransport(_answer)), base_url="http://p")
        for name, wrap in clients.items()
    }
    batches: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for client in opened.values():
            for n in range(seen):
                await client.post(
                    "/v1/payments", json=PAYLOAD, headers={"Idempotency-Key": f"w{n}"}
                )
        names = list(opened)
        for batch in range(OWN_BATCHES):
            for name in names[batch % len(names) :] + names[: batch % len(names)]:
                client = opened[name]
                start = time.perf_counter()
                for n in range(OWN_BATCH):
                    key = f"m{batch}-{n}"
                    await client.post(
                        "/v1/payments", json=PAYLOAD, headers={"Idempotency-Key": key}
                    )
                batches[name].append((time.perf_counter() - start) / OWN_BATCH * 1e6)
    finally:
        for client in opened.values():
            await client.aclose()
    return {name: statistics.median(values) for name, values in batches.items()}


def _own_costs(clients: dict[str, Wrap]) -> None:
    print(
        f"own cost per request over bare httpx, in-process (medians of {OWN_BATCHES} "
        f"interleaved batches of {OWN_BATCH}):"
    )
    for seen in (0, 1_000, 20_000):
        costs = asyncio.run(_own_costs_after(clients, seen))
        bare = costs["bare httpx"]
        line = ", ".join(
            f"{name} {cost - bare:+5.1f} us" for name, cost in costs.items() if name != "bare httpx"
        )
        print(f"  after {seen:>6,} payments seen: bare {bare:5.1f} us/request; {line}")


def main() -> int:
    clients = _clients()
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with server() as url:
        for in_flight in (1, 20, 100):
            for round_ in range(ROUNDS):
                order = list(clients.items())
                order = order[round_ % len(order) :] + order[: round_ % len(order)]
                for name, wrap in order:
                    keys = f"{name}-{in_flight}-{round_}"
                    result = asyncio.run(_run(url, wrap, in_flight, keys))
                    results.setdefault((name, in_flight), []).append(result)
    print(f"{PAYMENTS} payments a run, medians of {ROUNDS} rotating rounds")
    for in_flight in (1, 20, 100):
        print(f"{in_flight} in flight:")
        bare_runs = results["bare httpx", in_flight]
        for name in clients:
            runs = results[name, in_flight]
            rate = statistics.median(p for p, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            # Paired by round, as the verdicts below: a ratio of medians mixes rounds.
            paired = statistics.median(
                ours / theirs for (ours, _), (theirs, _) in zip(runs, bare_runs, strict=True)
            )
            print(
                f"  {name:<14} {rate:7.0f} payments/s  {cpu:7.0f} us client CPU/request  "
                f"{paired:5.2f}x bare (paired)"
            )
    _own_costs(clients)
    missed = False
    for peer in ("bare httpx", "httpx-retries"):
        if peer not in clients:
            continue
        target = 0.97 if peer == "bare httpx" else 1.0
        for in_flight in (1, 20, 100):
            # Paired by round (the same minute of machine time), so drift cancels out.
            ratios = sorted(
                ours[0] / theirs[0]
                for ours, theirs in zip(
                    results["payerr", in_flight], results[peer, in_flight], strict=True
                )
            )
            median = statistics.median(ratios)
            verdict = "met" if median >= target else "MISSED"
            missed |= median < target
            print(
                f"payerr / {peer} at {in_flight:>3} in flight: {median:.2f}x "
                f"(rounds {ratios[0]:.2f}-{ratios[-1]:.2f}; target >= {target}x: {verdict})"
            )
    return 1 if missed else 0  # a missed target fails, as the other scripts do


if __name__ == "__main__":
    sys.exit(main())
