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

ROUNDS = 105
REQUESTS = 160
"""Short rounds, rotating: each pair of measures is taken a tenth of a second apart, so the
machine's drift (10% between runs here) falls on both alike."""
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
    ok &= own_cost()
    return 0 if ok else 1


OWN_TARGET_US = 20.0
OWN_BATCHES = 41
OWN_BATCH = 200


def own_cost() -> bool:
    """The transport's own CPU per successful request, in memory (``httpx.MockTransport``: no
    sockets, so nothing but the wrapper differs from bare httpx): medians of interleaved
    batches, each request with its own idempotency key. Target: +20 us."""
    from _server import BODY  # noqa: PLC0415

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BODY, headers={"Content-Type": "application/json"})

    clients = {
        "bare": httpx.Client(transport=httpx.MockTransport(answer), base_url="http://p"),
        "payerr": httpx.Client(
            transport=payerr.PaymentTransport("paykka", transport=httpx.MockTransport(answer)),
            base_url="http://p",
        ),
    }
    costs: dict[str, list[float]] = {name: [] for name in clients}
    for batch in range(-2, OWN_BATCHES):  # two warm-up batches
        for name in ("bare", "payerr") if batch % 2 else ("payerr", "bare"):
            client = clients[name]
            start = time.process_time()
            for n in range(OWN_BATCH):
                client.post(
                    "/v1/payments", json=PAYLOAD, headers={"Idempotency-Key": f"{batch}-{n}"}
                )
            if batch >= 0:
                costs[name].append((time.process_time() - start) / OWN_BATCH * 1e6)
    for client in clients.values():
        client.close()
    bare = statistics.median(costs["bare"])
    own = statistics.median(p - b for p, b in zip(costs["payerr"], costs["bare"], strict=True))
    verdict = "met" if own <= OWN_TARGET_US else "MISSED"
    print(
        f"in memory: bare {bare:5.1f} us CPU/request; payerr's own cost {own:+5.1f} us "
        f"(median of {OWN_BATCHES} interleaved batches of {OWN_BATCH}; "
        f"target <= +{OWN_TARGET_US:.0f} us: {verdict})"
    )
    return own <= OWN_TARGET_US


if __name__ == "__main__":
    sys.exit(main())
