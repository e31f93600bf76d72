"""The transports' own cost per successful request counted in CPU instructions (valgrind):
a figure the machine's load does not move.

Timings on a shared machine drift by 10% from one run to the next; the number of instructions
a request executes does not. Each client posts N payments (each with its own idempotency key)
through an in-memory ``httpx.MockTransport``, in its own process under ``valgrind
--tool=cachegrind``; a request's count is the difference between runs of 1,300 and 300
payments, divided by 1,000 (start-up and imports cancel out). Beside bare httpx and payerr, a
"floor": a ten-line transport doing only what no first-try success can skip (the ledger keys
from the request, the call noted in the in-process ledger and ended, the answer classified by
payerr's own reader), so the figure shows how much of payerr's cost is that work.

No target: the ratios the targets are set on are timed (``bench_transport.py``,
``bench_async.py``). Instructions are not time (a cache miss costs more than an add), but a
change that removes instructions shows here at once, and one that adds them cannot hide.

Run: python benchmarks/bench_instructions.py   (needs valgrind; about a minute on 2 cores)
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _server import BODY

import payerr

PAYLOAD = {"amount": 1000, "currency": "EUR", "merchant_order_no": "ORD-20261122-0001"}
FEW, MANY = 300, 1300
CLIENTS = ("sync bare", "sync payerr", "sync floor", "async bare", "async payerr")


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"Content-Type": "application/json"})


class _Floor(httpx.BaseTransport):
    """Only the work a first-try success cannot skip, from payerr's own parts."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        from payerr._mappings.classify import read_answer  # noqa: PLC0415 -- the floor reads as payerr
        from payerr._mappings.registry import default_registry  # noqa: PLC0415
        from payerr._retry.ledger import MemoryCallLedger  # noqa: PLC0415
        from payerr._retry.safety import (  # noqa: PLC0415
            DEFAULT_KEY_HEADERS,
            identities_of,
            key_header_names,
        )

        self.inner = inner
        self.read = read_answer
        self.table = default_registry().table("paykka")
        self.names = key_header_names(DEFAULT_KEY_HEADERS)
        self.identities = identities_of
        self.ledger = MemoryCallLedger()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        found = self.identities(request, self.names, (), ())
        keys = tuple([("paykka", kind, value) for kind, value in found])
        self.ledger.begin(keys)
        response = self.inner.handle_request(request)
        c = self.read(self.table, response.status_code, response.content, response.headers)
        response.extensions["payerr.classification"] = c
        self.ledger.end(keys, None, last=True)
        return response


def child(name: str, payments: int) -> None:
    """Post ``payments`` payments through the client ``name`` (run under valgrind)."""
    mock = httpx.MockTransport(_answer)
    if name.startswith("sync"):
        sync_inner: httpx.BaseTransport
        if name == "sync payerr":
            sync_inner = payerr.PaymentTransport("paykka", transport=mock)
        elif name == "sync floor":
            sync_inner = _Floor(mock)
        else:
            sync_inner = mock
        with httpx.Client(transport=sync_inner, base_url="http://p") as client:
            for n in range(payments):
                client.post("/v1/payments", json=PAYLOAD, headers={"Idempotency-Key": f"k{n}"})
        return
    async_inner: httpx.AsyncBaseTransport = (
        mock if name == "async bare" else payerr.AsyncPaymentTransport("paykka", transport=mock)
    )

    async def run() -> None:
        async with httpx.AsyncClient(transport=async_inner, base_url="http://p") as client:
            for n in range(payments):
                headers = {"Idempotency-Key": f"k{n}"}
                await client.post("/v1/payments", json=PAYLOAD, headers=headers)

    asyncio.run(run())


def instructions(name: str, payments: int) -> int:
    done = subprocess.run(
        [
            "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
            sys.executable, str(Path(__file__).resolve()), "--child", name, str(payments),
        ],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def per_request(name: str) -> float:
    with ThreadPoolExecutor(2) as pool:
        few, many = pool.map(lambda n: instructions(name, n), (FEW, MANY))
    return (many - few) / (MANY - FEW)


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: skipped (apt-get install valgrind)")
        return 0
    counts = {name: per_request(name) for name in CLIENTS}
    print(f"instructions per successful request (valgrind; {MANY:,} minus {FEW:,} payments):")
    for mode in ("sync", "async"):
        bare = counts[f"{mode} bare"]
        print(f"  {mode:<5} bare httpx {bare:>11,.0f}")
        for kind in ("payerr", "floor"):
            name = f"{mode} {kind}"
            if name in counts:
                extra = counts[name] - bare
                print(
                    f"  {mode:<5} {kind:<10} {counts[name]:>11,.0f}  "
                    f"{extra:>+9,.0f} over bare ({counts[name] / bare:.3f}x)"
                )
    floor = counts["sync floor"] - counts["sync bare"]
    own = counts["sync payerr"] - counts["sync bare"]
    print(
        f"  of payerr's own sync cost, the floor (ledger keys, the call noted and ended, the "
        f"answer classified) is {floor / own:.0%}"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
