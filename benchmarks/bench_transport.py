"""Per-request overhead of PaymentTransport on successful calls, against a loopback server.

Targets: within 4% of a bare httpx.Client, and no more than 2% over httpx-retries'
RetryTransport (a peer that does less: it retries on status codes but classifies nothing).
All three clients talk to the same server process, in alternating rounds.

Run: pip install -e '.[bench]' && python benchmarks/bench_transport.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import httpx
from _server import server

import payerr

ROUNDS = 21
REQUESTS = 800
PAYLOAD = {"amount": 1000, "currency": "EUR", "merchant_order_no": "ORD-20261122-0001"}
HEADERS = {"Idempotency-Key": "bench-key"}


def per_request_us(client: httpx.Client, url: str) -> tuple[float, float]:
    """Wall-clock and client-CPU microseconds per request (CPU excludes the server's latency)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(REQUESTS):
        client.post(url, json=PAYLOAD, headers=HEADERS)
    return (
        (time.perf_counter() - wall) / REQUESTS * 1e6,
        (time.process_time() - cpu) / REQUESTS * 1e6,
    )


def main() -> int:
    clients: dict[str, Callable[[], httpx.Client]] = {
        "bare httpx.Client": httpx.Client,
        "payerr PaymentTransport": lambda: httpx.Client(
            transport=payerr.PaymentTransport("paykka")
        ),
    }
    try:
        from httpx_retries import RetryTransport  # noqa: PLC0415 -- optional benchmark peer
    except ImportError:
        print("httpx-retries is not installed (pip install -e '.[bench]'): peer skipped")
    else:
        clients["httpx-retries RetryTransport"] = lambda: httpx.Client(transport=RetryTransport())

    with server() as base:
        url = f"{base}/v1/payments"
        opened = {name: make() for name, make in clients.items()}
        for c in opened.values():  # warm up: connections open, code paths hot
            for _ in range(200):
                assert c.post(url, json=PAYLOAD, headers=HEADERS).status_code == 200
        names = list(opened)
        walls: list[dict[str, float]] = []
        cpus: list[dict[str, float]] = []
        for index in range(ROUNDS):
            order = (
                names[index % len(names) :] + names[: index % len(names)]
            )  # rotate: no fixed slot
            measured = {name: per_request_us(opened[name], url) for name in order}
            walls.append({name: wall for name, (wall, _) in measured.items()})
            cpus.append({name: cpu for name, (_, cpu) in measured.items()})
        for c in opened.values():
            c.close()

    def ratio(rounds: list[dict[str, float]], a: str, b: str) -> float:
        # Paired within each round (same machine state), then the median across rounds.
        return statistics.median(r[a] / r[b] for r in rounds)

    for name in names:
        wall = statistics.median(r[name] for r in walls)
        cpu = statistics.median(r[name] for r in cpus)
        print(f"{name:<30} {wall:7.1f} us/request wall, {cpu:7.1f} us client CPU (medians)")
    ours, bare, peer = (
        "payerr PaymentTransport",
        "bare httpx.Client",
        "httpx-retries RetryTransport",
    )
    ok = True
    for label, other, target in (("bare httpx", bare, 1.04), ("httpx-retries", peer, 1.02)):
        if other not in opened:
            continue
        wall_ratio, cpu_ratio = ratio(walls, ours, other), ratio(cpus, ours, other)
        verdict = "met" if wall_ratio <= target else "MISSED"
        print(
            f"payerr / {label:<14} {wall_ratio:6.3f}x wall (target <= {target:.2f}x: {verdict}); "
            f"{cpu_ratio:6.3f}x client CPU"
        )
        ok &= wall_ratio <= target
    if peer in opened:
        print(f"(control) httpx-retries / bare httpx {ratio(walls, peer, bare):6.3f}x wall")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
