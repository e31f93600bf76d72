"""The async request path imports nothing (issue 12): httpcore runs ``import sniffio`` each
time it makes a lock; without sniffio installed every call is a failed import walking
sys.path (~40% of the client's CPU). payerr declares sniffio, so the lookup never happens."""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import httpx

import payerr
from payerr.testing import ProviderSimulator


class CountingFinder(importlib.abc.MetaPathFinder):
    """Counts every module lookup that reaches the import machinery (cached ones never do)."""

    def __init__(self) -> None:
        self.lookups: list[str] = []

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        self.lookups.append(fullname)
        return None


def test_a_burst_of_async_requests_looks_up_no_module() -> None:
    async def burst(url: str, count: int, name: str) -> None:
        transport = payerr.AsyncPaymentTransport("paykka")
        async with httpx.AsyncClient(transport=transport, base_url=url, timeout=5) as client:
            await asyncio.gather(
                *(
                    client.post("/v1/payments", json={"merchant_order_no": f"{name}-{n}"})
                    for n in range(count)
                )
            )

    with ProviderSimulator() as sim:
        url = sim.url_for("paykka")
        asyncio.run(burst(url, 5, "warm"))  # warm up: first use may import lazily
        finder = CountingFinder()
        sys.meta_path.insert(0, finder)
        try:
            asyncio.run(burst(url, 40, "burst"))
        finally:
            sys.meta_path.remove(finder)
    assert finder.lookups == []
