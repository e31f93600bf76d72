"""Call ledgers for tests: a real Redis ledger that has recorded a whole window already.

A :class:`payerr.RedisCallLedger` vouches for a first send only after it has recorded for one
``ttl`` (a new or emptied ledger cannot know what was sent before it). Tests move its clock
past that window through the public API instead of waiting a day.
"""

from __future__ import annotations

from typing import Any

import payerr
from tests.support.clock import FakeTime

TTL = 60.0
WAIT = 5.0
"""max_wait for the tests' ledgers: generous, so that a loaded CI machine never turns a slow
answer into an "unreachable" ledger."""
PROVIDERS = ("alipay_plus", "antom", "ottpay", "paykka", "generic")


def aged_ledger(
    client: Any, time: FakeTime | None = None, *, prefix: str = "t", ttl: float = TTL
) -> Any:
    """A RedisCallLedger on ``client`` whose window of sends began ``ttl`` seconds ago (the
    fake clock ``time`` is moved on past it)."""
    time = time or FakeTime()
    ledger = payerr.RedisCallLedger(
        client, ttl=ttl, order_ttl=ttl, prefix=prefix, clock=time.clock, max_wait=WAIT
    )
    for provider in PROVIDERS:  # the first begin starts each provider's window
        keys = [(provider, "key", "ledger-start")]
        ledger.begin(keys)
        ledger.end(keys, None, last=True)
    time.now += ttl + 1
    return ledger


def worker(client: Any, time: FakeTime, *, prefix: str = "t") -> Any:
    """Another worker's ledger on the same fleet's Redis (as :func:`aged_ledger` set it up):
    its own process memory, the same window and clock."""
    return payerr.RedisCallLedger(
        client, ttl=TTL, order_ttl=TTL, prefix=prefix, clock=time.clock, max_wait=WAIT
    )


async def aged_async_ledger(client: Any, time: FakeTime | None = None, *, prefix: str = "t") -> Any:
    """:func:`aged_ledger` with a ``redis.asyncio`` client, for the async transport."""
    time = time or FakeTime()
    ledger = payerr.RedisCallLedger(
        client, ttl=TTL, order_ttl=TTL, prefix=prefix, clock=time.clock, max_wait=WAIT
    )
    for provider in PROVIDERS:
        keys = [(provider, "key", "ledger-start")]
        await ledger.abegin(keys)
        await ledger.aend(keys, None, last=True)
    time.now += TTL + 1
    return ledger


def begin_in_process(port: int, prefix: str, key: str, barrier: Any, results: Any) -> None:
    """In a worker process: begin a call under ``key`` once every worker is ready (a window
    after the ledger began, as :func:`aged_ledger` left it) and report whether it was first."""

    client = quick_client(port)
    ledger = payerr.RedisCallLedger(
        client,
        ttl=TTL,
        order_ttl=TTL,
        prefix=prefix,
        clock=lambda: FakeTime().now + TTL + 1,
        max_wait=WAIT,
    )
    barrier.wait(30)
    results.put(ledger.begin([("paykka", "key", key)]).first)
    client.close()


def retries_of(count: int, *, asynchronous: bool = False) -> Any:
    """redis-py's Retry with no backoff (redis-py < 6 does not type these: used as Any)."""
    import importlib

    backoff: Any = importlib.import_module("redis.backoff")
    retry: Any = importlib.import_module("redis.asyncio.retry" if asynchronous else "redis.retry")
    return retry.Retry(backoff.NoBackoff(), count)


def quick_client(
    port: int, *, timeout: float = 1.0, retries: int = 0, asynchronous: bool = False
) -> Any:
    """A client as the README configures one for the ledger: short timeouts, few retries."""
    import redis
    import redis.asyncio

    kind: Any = redis.asyncio.Redis if asynchronous else redis.Redis
    return kind(
        host="127.0.0.1",
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=retries_of(retries, asynchronous=asynchronous),
    )
