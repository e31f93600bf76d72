"""Call ledgers for tests: a real Redis ledger that has recorded a whole window already.

A :class:`payerr.RedisCallLedger` vouches for a first send only after it has recorded for one
``ttl`` (a new or emptied ledger cannot know what was sent before it). Tests move its clock
past that window through the public API instead of waiting a day.
"""

from __future__ import annotations

from typing import Any

import payerr

from .clock import FakeTime

TTL = 60.0
PROVIDERS = ("alipay_plus", "antom", "ottpay", "paykka", "generic")


def aged_ledger(client: Any, time: FakeTime | None = None, *, prefix: str = "t") -> Any:
    """A RedisCallLedger on ``client`` whose window of sends began ``TTL`` seconds ago."""
    time = time or FakeTime()
    ledger = payerr.RedisCallLedger(client, ttl=TTL, prefix=prefix, clock=time.clock)
    for provider in PROVIDERS:  # the first begin starts each provider's window
        keys = [(provider, "/", "key", "ledger-start")]
        ledger.begin(keys)
        ledger.end(keys, None, last=True)
    time.now += TTL + 1
    return ledger


async def aged_async_ledger(client: Any, time: FakeTime | None = None, *, prefix: str = "t") -> Any:
    """:func:`aged_ledger` with a ``redis.asyncio`` client, for the async transport."""
    time = time or FakeTime()
    ledger = payerr.RedisCallLedger(client, ttl=TTL, prefix=prefix, clock=time.clock)
    for provider in PROVIDERS:
        keys = [(provider, "/", "key", "ledger-start")]
        await ledger.abegin(keys)
        await ledger.aend(keys, None, last=True)
    time.now += TTL + 1
    return ledger


def begin_in_process(port: int, prefix: str, key: str, barrier: Any, results: Any) -> None:
    """In a worker process: begin a call under ``key`` once every worker is ready (a window
    after the ledger began, as :func:`aged_ledger` left it) and report whether it was first."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    ledger = payerr.RedisCallLedger(
        client, ttl=TTL, prefix=prefix, clock=lambda: FakeTime().now + TTL + 1
    )
    barrier.wait(30)
    results.put(ledger.begin([("paykka", "/pay", "key", key)]).first)
    client.close()
