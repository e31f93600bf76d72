"""The call ledger a fleet shares, on one Redis (``payerr[redis]``).

Every worker that sends a payment notes it here first, so a worker that meets "duplicate" or
"order number already used" can tell a resend of what another worker sent (outcome unknown:
inquire) from a merchant who reused an order number (a real failure). Each key of a call
(``payerr._retry.ledger.LedgerKey``, hashed: no idempotency key or order number is stored as
written) is one Redis hash: ``opens`` (calls begun under it), ``inflight`` (calls not ended) and
``executed`` (the first attempt that may have executed, as a small JSON record), expiring
``ttl`` (an idempotency key) or ``order_ttl`` (a request id or order number) after its last
use. One sentinel per provider holds when the ledger began to record without a gap
(``since``) and on which server (its ``run_id``): a ledger vouches for a first send only once
it has recorded a whole window, so a new ledger, one that was emptied (a flush, an eviction),
and one whose server restarted or failed over to a replica (which may lack the last writes)
is cautious for one window instead of calling a resend "failed".

Each step is one Lua script (``EVALSHA``; Redis runs it atomically, so two workers cannot both
see themselves as first), two per call on the success path: ``begin`` and ``end``. A repeat
answer or a failure adds one ``others``. The keys of one provider share a Redis Cluster hash
slot (``{provider}`` in the name), as a multi-key script needs.

When Redis fails (down, hung past the client's ``socket_timeout``, read-only, or any other
error: the ledger catches every ``Exception`` its client raises), the ledger answers as the
per-process :class:`~payerr.MemoryCallLedger` it keeps beside it would: never a first send,
so a repeat answer is outcome unknown. It logs ``payerr.ledger_unreachable`` once per outage
(a warning) and ``payerr.ledger_recovered`` when Redis answers again; the payment
itself never fails because of the ledger. During an outage it leaves Redis alone for
``outage_pause`` seconds at a time, so only one call per pause pays the client's timeouts, and
it refuses a client whose timeouts and retries could hold a payment past ``max_wait``. When
Redis answers again, the worker first writes back the keys it sent meanwhile (past
``UNRECORDED_LIMIT`` it starts the fleet's window again instead), then lets its other calls use
Redis; the step that found Redis again vouches for nothing itself.

This module does not import ``redis`` until a ledger is made: the client you pass brings it.
A ledger reads the server's persistence and eviction settings once it answers and warns
(:class:`~payerr.RedisConfigWarning`) about any that can drop its keys.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

import anyio

from payerr._core import log as _log
from payerr._core.attempts import AttemptRecord
from payerr._core.exceptions import NotificationLedgerError, UsageError
from payerr._core.redis_checks import (
    QUICK_TIMEOUT,
    aread_settings,
    check_server,
    quick_client,
    require_quick,
    server_warnings,
    warn_unsafe,
)
from payerr._core.taxonomy import Category, Outcome
from payerr._mappings.unknown import WHY_SEEN, WHY_UNREACHABLE, WHY_YOUNG
from payerr._retry.ledger import (
    DEFAULT_LEDGER_TTL,
    DEFAULT_ORDER_TTL,
    IN_FLIGHT,
    Earlier,
    LedgerKey,
    MemoryCallLedger,
    is_body_id,
    positive_ttl,
)

__all__ = [
    "DEFAULT_MAX_WAIT",
    "DEFAULT_OUTAGE_PAUSE",
    "LEDGER_RECOVERED",
    "LEDGER_UNREACHABLE",
    "RedisCallLedger",
]

_T = TypeVar("_T")
_Step = Generator[tuple[Any, list[str], list[Any]], Any, _T]
"""A ledger step: yields (script, keys, args) to run, is sent each reply, returns its answer."""

DEFAULT_OUTAGE_PAUSE = 5.0
"""Seconds a ledger leaves a failed Redis alone before one call tries it again."""

DEFAULT_MAX_WAIT = 1.0
"""The longest, in seconds, a ledger step may hold a payment while Redis hangs."""

LEDGER_UNREACHABLE = "payerr.ledger_unreachable"
LEDGER_RECOVERED = "payerr.ledger_recovered"

# Every script that reads the window first checks the sentinel against the server it runs on:
# a hash of ``since`` (when recording began without a gap) and ``run`` (the server's run_id,
# from INFO). A server that restarted, or a replica promoted after a failover, has another
# run_id: it may lack the last writes, so the window starts again (KEYS[1] the sentinel,
# ARGV[1] now). Returns the window's start.
_WINDOW = """
local function window(write)
  -- pcall: a server with INFO renamed or denied still records (restarts then go unnoticed).
  local info = redis.pcall('INFO', 'server')
  local run = type(info) == 'string' and string.match(info, 'run_id:(%x+)') or ''
  local s = redis.call('HMGET', KEYS[1], 'since', 'run')
  if s[1] and s[2] == run then return tonumber(s[1]) end
  if write then redis.call('HSET', KEYS[1], 'since', ARGV[1], 'run', run) end
  return tonumber(ARGV[1])
end
"""

# KEYS[1] the provider's sentinel, KEYS[2..] the call's keys. ARGV[1] now (the ledger's clock,
# seconds), ARGV[2] the window in seconds the sentinel must have recorded for this call to be
# vouched for, ARGV[3..] each key's ttl in ms. Returns trusted (the sentinel has recorded the
# window), seen (another call began under a key), inflight (one has not ended), and the first
# executed record found ('' none).
_BEGIN = (
    _WINDOW
    + """
local trusted = tonumber(ARGV[1]) - window(true) >= tonumber(ARGV[2])
local seen, inflight, executed = 0, 0, ''
for i = 2, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'opens', 'inflight', 'executed')
  if v[1] and tonumber(v[1]) > 0 then seen = 1 end
  if v[2] and tonumber(v[2]) > 0 then inflight = 1 end
  if v[3] and executed == '' then executed = v[3] end
  redis.call('HINCRBY', KEYS[i], 'opens', 1)
  redis.call('HINCRBY', KEYS[i], 'inflight', 1)
  redis.call('PEXPIRE', KEYS[i], ARGV[i + 1])
end
return {trusted and 1 or 0, seen, inflight, executed}
"""
)

# As _BEGIN, read only, for a call that began: its own open and flight are counted, and a key
# gone since (a flush, an eviction) or a window started anew means the ledger cannot vouch.
_OTHERS = (
    _WINDOW
    + """
local trusted = tonumber(ARGV[1]) - window(false) >= tonumber(ARGV[2])
local seen, inflight, executed = 0, 0, ''
for i = 2, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'opens', 'inflight', 'executed')
  if not v[1] then trusted = false end
  if v[1] and tonumber(v[1]) > 1 then seen = 1 end
  if v[2] and tonumber(v[2]) > 1 then inflight = 1 end
  if v[3] and executed == '' then executed = v[3] end
end
return {trusted and 1 or 0, seen, inflight, executed}
"""
)

# KEYS: the call's keys. ARGV[1] the executed record ('' none), ARGV[2] '1' when the call is
# over (its flight ends), '' for a redirect hop that may go on; ARGV[3..] each key's ttl in ms.
# A key that is not there (its begin could not be recorded, or it was lost since) is made: the
# call was sent.
_END = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if ARGV[2] == '1' and tonumber(redis.call('HGET', KEYS[i], 'inflight') or '0') > 0 then
      redis.call('HINCRBY', KEYS[i], 'inflight', -1)
    end
  else
    redis.call('HSET', KEYS[i], 'opens', 1, 'inflight', 0)
  end
  if ARGV[1] ~= '' then redis.call('HSETNX', KEYS[i], 'executed', ARGV[1]) end
  redis.call('PEXPIRE', KEYS[i], ARGV[i + 2])
end
return 1
"""

# After an outage, the keys a worker sent under while it could not record them: opened, and
# may have executed (KEYS: one provider's keys; ARGV[1..] each key's ttl in ms).
_WRITE_BACK = """
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'opens', 1)
  redis.call('HSETNX', KEYS[i], 'executed', '?')
  redis.call('PEXPIRE', KEYS[i], ARGV[i])
end
return 1
"""

# KEYS[1]: one provider's sentinel (one slot). ARGV[1] now. The window starts again (a worker
# missed more sends than it could keep for writing back).
_RESTART = """
local since = tonumber(redis.call('HGET', KEYS[1], 'since'))
if not since or since < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'since', ARGV[1])
end
return 1
"""

_DRAIN_ROUNDS = 20
"""Rounds of writing back before the worker gives up for this pause (calls that go on without
Redis while it writes add keys; each round writes what the last one left)."""

UNRECORDED_LIMIT = 10_000
"""Keys a worker keeps, while Redis is unreachable, to write back when it answers again; past
this the worker starts the fleet's window again instead."""


_CLAIM_NOTIFICATION = """
local found = redis.call('GET', KEYS[1])
if not found then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 'new'
end
if found == 'done' then return 'done' end
if found == ARGV[1] then return 'new' end
return 'busy'
"""
"""A verified notification's key: claimed for a while by the delivery that handles it, then
``done`` (payerr.verify_notification). A claim sent again under its own token (redis-py
resending a script whose reply was lost) is still that delivery's: "new", never "busy"."""
_RELEASE_NOTIFICATION = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisCallLedger:
    """A :class:`~payerr.CallLedger` on Redis, shared by every worker of a fleet.

    ``PaymentTransport("paykka", ledger=RedisCallLedger(client))``, where ``client`` is a
    redis-py client that gives up quickly::

        client = redis.Redis(host=..., socket_timeout=0.25, socket_connect_timeout=0.25,
                             retry=Retry(NoBackoff(), 1))

    The async transport takes one made with a ``redis.asyncio`` client, created in the event
    loop that uses it (a ``redis.asyncio`` client belongs to one loop). ``from_url`` makes
    either. A sync ledger reads the server's persistence and eviction settings at construction
    (an async one at its first step) and warns with :class:`~payerr.RedisConfigWarning`
    naming each that can drop its keys.

    It vouches for a first send (so that a repeat answer is a real failure) only when no call
    of the fleet began under any of the request's keys, and the ledger has recorded without a
    gap for a whole window: ``ttl`` for an idempotency key, ``order_ttl`` when the request
    carries a request id or order number. A new ledger, an emptied one, and one whose server
    restarted or failed over start that window again. A worker that could not reach Redis
    writes back the keys it sent meanwhile as soon as it can.

    Server requirements: persistence (``appendonly yes``), so that the keys outlive a restart
    (a restart or a failover, noticed through the server's ``run_id``, starts the window
    again), and a ``maxmemory-policy`` that never evicts these keys (``noeviction``, or no
    ``maxmemory``). Every worker's clock must be in sync (NTP): the window's start is written
    with the writer's clock.

    Args:
        redis_client: a ``redis.Redis`` or ``redis.asyncio.Redis`` client (or cluster client).
            Its worst wait on a hung server, ``(retries + 1) * (socket_connect_timeout +
            socket_timeout)``, must not pass ``max_wait``: redis-py's defaults (no timeout
            before 6.0; 5 s and several retries with backoff since) would hold a payment
            for minutes.
        ttl: seconds an idempotency key is kept after its last use; no shorter than your
            providers' idempotency windows (default 24 h).
        order_ttl: seconds a request id or order number is kept (default 30 days): a job run
            again within it still meets its first run.
        prefix: the key prefix, one per set of merchant accounts that share order numbers.
        outage_pause: seconds Redis is left alone after it failed, before one call tries it
            again (the others answer from memory meanwhile).
        max_wait: the longest a ledger step may hold a payment, in seconds (the async steps
            are also cancelled then).
        clock: POSIX time in seconds (tests inject one).

    Raises:
        UsageError: ``prefix`` is not printable text of 1 to 100 characters or holds braces;
            ``redis_client`` is not a redis-py client, or its worst wait on a hung server
            passes ``max_wait``; ``ttl``, ``order_ttl``, ``outage_pause`` or ``max_wait`` is
            not a positive number of seconds.
        RedisConfigWarning: only where warnings are turned into errors (``-W error``): a sync
            ledger's server has a setting that can drop its keys (checked at construction).

    Example:
        ``payerr.PaymentTransport("paykka", ledger=payerr.RedisCallLedger.from_url(
        "redis://redis.internal:6379/0"))``
    """

    def __init__(
        self,
        redis_client: Any,
        *,
        ttl: float = DEFAULT_LEDGER_TTL,
        order_ttl: float = DEFAULT_ORDER_TTL,
        prefix: str = "payerr",
        outage_pause: float = DEFAULT_OUTAGE_PAUSE,
        max_wait: float = DEFAULT_MAX_WAIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(prefix, str) or not 0 < len(prefix) <= 100 or not prefix.isprintable():
            raise UsageError("prefix must be printable text of 1 to 100 characters")
        if "{" in prefix or "}" in prefix:
            raise UsageError("prefix must not contain braces (payerr sets the cluster hash tag)")
        if not callable(getattr(redis_client, "register_script", None)):
            raise UsageError(
                "redis_client must be a redis-py client (redis.Redis or redis.asyncio.Redis), "
                f"not {type(redis_client).__name__}"
            )
        self.max_wait = positive_ttl(max_wait, "max_wait")
        require_quick(redis_client, self.max_wait, "a payment")
        self.client = redis_client
        self.ttl = positive_ttl(ttl)
        self.order_ttl = positive_ttl(order_ttl, "order_ttl")
        self.outage_pause = positive_ttl(outage_pause, "outage_pause")
        self.prefix = prefix
        self.clock = clock
        self.asynchronous = inspect.iscoroutinefunction(
            getattr(type(redis_client), "execute_command", None)
        )
        self._begin = redis_client.register_script(_BEGIN)
        self._others = redis_client.register_script(_OTHERS)
        self._end = redis_client.register_script(_END)
        self._restart = redis_client.register_script(_RESTART)
        self._write_back = redis_client.register_script(_WRITE_BACK)
        self._claim = redis_client.register_script(_CLAIM_NOTIFICATION)
        self._release = redis_client.register_script(_RELEASE_NOTIFICATION)
        self._memory = MemoryCallLedger(ttl=max(self.ttl, self.order_ttl))
        self._providers: set[str] = set()
        self._unrecorded: dict[LedgerKey, None] = {}
        """Keys this worker sent under while Redis could not record them (ordered, unique)."""
        self._overflowed = False
        self._down = False
        self._paused_until = 0.0
        self._state_lock = threading.Lock()
        self._checked = False
        _LEDGERS.add(self)
        if not self.asynchronous:
            self._check_server()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        asynchronous: bool = False,
        timeout: float = QUICK_TIMEOUT,
        **kwargs: Any,
    ) -> RedisCallLedger:
        """A ledger on a client for ``url`` that gives up after ``timeout`` seconds per
        connect and per reply, with one retry (``asynchronous=True``: a ``redis.asyncio``
        client, for :class:`~payerr.AsyncPaymentTransport`; make it in the loop that uses
        it): at most ``4 * timeout`` in all, which is ``max_wait`` unless given (and at least
        ``DEFAULT_MAX_WAIT``). Other arguments are the constructor's.

        Raises:
            UsageError: ``url`` is not a Redis URL, ``timeout`` is not seconds in (0, 60], or
                an argument the constructor refuses.
            ModuleNotFoundError: redis-py is not installed (``pip install 'payerr[redis]'``).
            RedisConfigWarning: as the constructor, where warnings are turned into errors.
        """
        client = quick_client(url, timeout=timeout, asynchronous=asynchronous)
        kwargs.setdefault("max_wait", max(DEFAULT_MAX_WAIT, 4 * timeout))
        return cls(client, **kwargs)

    def _check_server(self) -> None:
        """Warn about server settings that can drop the ledger's keys, once it answers (a
        step never fails for it: a warning turned into an error is raised only here, at
        construction)."""
        self._checked = check_server(self.client, repr(self), stacklevel=3)

    async def _acheck_server(self) -> None:
        try:
            config = await aread_settings(self.client)
            self._checked = True
            warn_unsafe(server_warnings(config, repr(self)), stacklevel=3)
        except Exception:  # the ledger never breaks a payment over a warning
            return

    # -- the steps, written once --------------------------------------------------------------
    # Each step is a generator that yields the scripts to run, as (script, keys, args), and is
    # sent their replies: the sync and the async shells below only run the scripts (the way
    # httpx drives one auth flow from two clients). A step that finds Redis again after an
    # outage writes back what this worker sent meanwhile before the others use Redis again, and
    # vouches for nothing itself.

    def _begin_step(self, keys: Sequence[LedgerKey], local: Earlier) -> _Step[Earlier]:
        reply = yield self._begin, self._keys(keys), self._begin_args(keys)
        recovered = self._down
        yield from self._recovery()
        return _mine(_earlier(reply, recovered), local)

    def _others_step(self, keys: Sequence[LedgerKey]) -> _Step[Earlier]:
        reply = yield self._others, self._keys(keys), self._others_args(keys)
        recovered = self._down
        yield from self._recovery()
        return _mine(_earlier(reply, recovered), self._memory.others(keys))

    def _end_step(
        self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, last: bool
    ) -> _Step[None]:
        yield self._end, self._call_keys(keys), self._end_args(keys, executed, last)
        yield from self._recovery()

    def _recovery(self) -> _Step[None]:
        """After an outage, or when calls went on without Redis: write back the keys sent
        meanwhile (past the limit, start the fleet's window again), then, once nothing is
        left, let every call use Redis. A key is forgotten only once written, so an
        interrupted write-back loses nothing."""
        if not (self._down or self._unrecorded):
            return
        for _ in range(_DRAIN_ROUNDS):
            batches, overflowed = self._pending()
            for keys in batches:
                yield self._write_back, self._call_keys(keys), self._ttls(keys)
                self._written(keys)
            if overflowed:
                for sentinel in self._sentinels():  # one script per slot (Redis Cluster)
                    yield self._restart, [sentinel], [repr(float(self.clock()))]
            if self._up(overflowed):
                return

    def _run(self, step: _Step[_T]) -> _T:
        """Run a step's scripts on the synchronous client."""
        reply: Any = None
        while True:
            try:
                script, keys, args = step.send(reply)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]  # the step's return value
            reply = script(keys=keys, args=args)
            if not self._checked:
                try:
                    self._check_server()
                except Exception:  # a warning made an error: never a payment's failure
                    self._checked = True

    async def _arun(self, step: _Step[_T]) -> _T:
        """Run a step's scripts on the redis.asyncio client, all within ``max_wait``."""
        reply: Any = None
        with anyio.fail_after(self.max_wait):
            while True:
                try:
                    script, keys, args = step.send(reply)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]  # the step's return value
                reply = await script(keys=keys, args=args)
                if not self._checked:
                    await self._acheck_server()

    # -- the shells ---------------------------------------------------------------------------
    # Every step catches Exception: the ledger must never break a payment (a Redis error, a
    # client closed under it, a loop gone); BaseException (a cancellation) still propagates.

    def begin(self, keys: Sequence[LedgerKey]) -> Earlier:
        """Note a call under ``keys`` before its first attempt; what other calls did. When Redis
        fails, answers as the memory beside it would (never a first send).

        Raises:
            UsageError: this ledger has a ``redis.asyncio`` client (the async transport calls
                ``abegin`` instead).
        """
        self._sync_only()
        local = self._opened(keys)
        if not self._try():
            return self._missed(keys, local)
        try:
            return self._run(self._begin_step(keys, local))
        except Exception as exc:
            return self._missed(keys, self._unreachable(exc, local))

    def others(self, keys: Sequence[LedgerKey]) -> Earlier:
        """After ``begin``: what other calls under ``keys`` did, begun before this one or since.

        Raises:
            UsageError: this ledger has a ``redis.asyncio`` client (the async transport calls
                ``aothers`` instead).
        """
        self._sync_only()
        if not self._try():
            return _down(self._memory.others(keys))
        try:
            return self._run(self._others_step(keys))
        except Exception as exc:
            return self._unreachable(exc, self._memory.others(keys))

    def end(self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, *, last: bool) -> None:
        """The call returned or raised; ``executed`` is its first attempt that may have
        executed. ``last`` is false for a redirect hop that may be followed by another.

        Raises:
            UsageError: this ledger has a ``redis.asyncio`` client (the async transport calls
                ``aend`` instead).
        """
        self._sync_only()
        self._memory.end(keys, executed, last=last)
        if not self._try():
            return
        try:
            self._run(self._end_step(keys, executed, last))
        except Exception as exc:
            self._unreachable(exc, None)

    def claim_notification(self, key: str, token: str, claim_ttl: float, ttl: float) -> str:
        """Claim a verified notification for handling, for the fleet (one Lua step):
        ``"new"`` (claimed by ``token`` for ``claim_ttl``), ``"busy"`` (another delivery holds
        it, not done) or ``"done"`` (handled before). See :func:`payerr.verify_notification`.

        Raises:
            NotificationLedgerError: Redis could not say. payerr does not guess: "new" could
                ship an order twice, "done" would lose it; answer with an error status and
                the provider redelivers later.
            UsageError: this ledger has a ``redis.asyncio`` client.
        """
        self._sync_only(notifications=True)
        try:
            found = self._claim(
                keys=[self._notification_key(key)],
                args=[token, max(1, int(claim_ttl))],
                client=self.client,
            )
        except Exception as exc:
            # Redis may have run the claim and lost the reply: give it up (once, best effort),
            # or every redelivery would be told "in progress" until it lapses.
            with contextlib.suppress(Exception):
                self._release(keys=[self._notification_key(key)], args=[token], client=self.client)
            raise _cannot_say(exc) from exc
        return _claim_state(found)

    def done_notification(self, key: str, token: str, ttl: float) -> None:
        """The claimed notification was handled: later deliveries are duplicates.

        Raises:
            NotificationLedgerError: Redis could not record it (a redelivery may then be
                handled again: keep your handler idempotent on the notification's id).
            UsageError: this ledger has a ``redis.asyncio`` client.
        """
        self._sync_only(notifications=True)
        try:
            self.client.set(self._notification_key(key), b"done", ex=max(1, int(ttl)))
        except Exception as exc:
            raise NotificationLedgerError(
                f"the call ledger's Redis could not record a handled notification "
                f"({type(exc).__name__})"
            ) from exc

    def release_notification(self, key: str, token: str) -> None:
        """Handling failed: drop ``token``'s claim, never another delivery's (one Lua step).

        Raises:
            NotificationLedgerError: Redis could not (the claim then expires by itself).
            UsageError: this ledger has a ``redis.asyncio`` client.
        """
        self._sync_only(notifications=True)
        try:
            self._release(keys=[self._notification_key(key)], args=[token], client=self.client)
        except Exception as exc:
            raise NotificationLedgerError(
                f"the call ledger's Redis could not release a notification ({type(exc).__name__})"
            ) from exc

    async def aclaim_notification(self, key: str, token: str, claim_ttl: float, ttl: float) -> str:
        """:meth:`claim_notification` for :func:`payerr.averify_notification`, within
        ``max_wait``.

        Raises:
            NotificationLedgerError: Redis could not say (or not within ``max_wait``).
            UsageError: this ledger has a synchronous client.
        """
        self._async_only(notifications=True)
        try:
            with anyio.fail_after(self.max_wait):
                found = await self._claim(
                    keys=[self._notification_key(key)],
                    args=[token, max(1, int(claim_ttl))],
                    client=self.client,
                )
        except BaseException as exc:
            # Cancelled, timed out or failed after Redis may have run it: give the claim up
            # (shielded from the cancellation, best effort, within max_wait), or every
            # redelivery would be told "in progress" until it lapses.
            await self._agive_up(key, token)
            if not isinstance(exc, Exception):
                raise
            raise _cannot_say(exc) from exc
        return _claim_state(found)

    async def _agive_up(self, key: str, token: str) -> None:
        with (
            anyio.CancelScope(shield=True),
            anyio.move_on_after(self.max_wait),
            contextlib.suppress(Exception),
        ):
            await self._release(
                keys=[self._notification_key(key)], args=[token], client=self.client
            )

    async def adone_notification(self, key: str, token: str, ttl: float) -> None:
        """:meth:`done_notification` for an async endpoint, within ``max_wait``.

        Raises:
            NotificationLedgerError: Redis could not record it.
            UsageError: this ledger has a synchronous client.
        """
        self._async_only(notifications=True)
        try:
            with anyio.fail_after(self.max_wait):
                await self.client.set(self._notification_key(key), b"done", ex=max(1, int(ttl)))
        except Exception as exc:
            raise NotificationLedgerError(
                f"the call ledger's Redis could not record a handled notification "
                f"({type(exc).__name__})"
            ) from exc

    async def arelease_notification(self, key: str, token: str) -> None:
        """:meth:`release_notification` for an async endpoint, within ``max_wait``.

        Raises:
            NotificationLedgerError: Redis could not (the claim then expires by itself).
            UsageError: this ledger has a synchronous client.
        """
        self._async_only(notifications=True)
        try:
            with anyio.fail_after(self.max_wait):
                await self._release(
                    keys=[self._notification_key(key)], args=[token], client=self.client
                )
        except Exception as exc:
            raise NotificationLedgerError(
                f"the call ledger's Redis could not release a notification ({type(exc).__name__})"
            ) from exc

    def _notification_key(self, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.prefix}:notification:{digest}"

    async def abegin(self, keys: Sequence[LedgerKey]) -> Earlier:
        """:meth:`begin` for the async transport.

        Raises:
            UsageError: this ledger has a synchronous client (the sync transport calls
                ``begin`` instead).
        """
        self._async_only()
        local = self._opened(keys)
        if not self._try():
            return self._missed(keys, local)
        try:
            return await self._arun(self._begin_step(keys, local))
        except Exception as exc:
            return self._missed(keys, self._unreachable(exc, local))

    async def aothers(self, keys: Sequence[LedgerKey]) -> Earlier:
        """:meth:`others` for the async transport.

        Raises:
            UsageError: this ledger has a synchronous client (the sync transport calls
                ``others`` instead).
        """
        self._async_only()
        if not self._try():
            return _down(self._memory.others(keys))
        try:
            return await self._arun(self._others_step(keys))
        except Exception as exc:
            return self._unreachable(exc, self._memory.others(keys))

    async def aend(
        self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, *, last: bool
    ) -> None:
        """:meth:`end` for the async transport.

        Raises:
            UsageError: this ledger has a synchronous client (the sync transport calls
                ``end`` instead).
        """
        self._async_only()
        self._memory.end(keys, executed, last=last)
        if not self._try():
            return
        try:
            await self._arun(self._end_step(keys, executed, last))
        except Exception as exc:
            self._unreachable(exc, None)

    # -- the pieces ---------------------------------------------------------------------------

    def _sync_only(self, *, notifications: bool = False) -> None:
        if self.asynchronous:
            raise UsageError(
                "this RedisCallLedger has a redis.asyncio client: use it with "
                + ("payerr.averify_notification" if notifications else "AsyncPaymentTransport")
                + ", or give a redis.Redis one"
            )

    def _async_only(self, *, notifications: bool = False) -> None:
        if not self.asynchronous:
            raise UsageError(
                "this RedisCallLedger has a synchronous client: use it with "
                + ("payerr.verify_notification" if notifications else "PaymentTransport")
                + ", or give a redis.asyncio one"
            )

    def _sentinel(self, provider: str) -> str:
        return f"{self.prefix}:ledger:{{{provider}}}"

    def _sentinels(self) -> list[str]:
        return [self._sentinel(provider) for provider in sorted(self._providers)]

    def _call_keys(self, keys: Sequence[LedgerKey]) -> list[str]:
        return [
            f"{self.prefix}:call:{{{key[0]}}}:"
            + hashlib.sha256("\0".join(key).encode("utf-8", "surrogatepass")).hexdigest()[:40]
            for key in keys
        ]

    def _keys(self, keys: Sequence[LedgerKey]) -> list[str]:
        return [self._sentinel(keys[0][0]), *self._call_keys(keys)]

    def _ttls(self, keys: Sequence[LedgerKey]) -> list[int]:
        return [max(1, int((self.order_ttl if is_body_id(k) else self.ttl) * 1000)) for k in keys]

    def _window(self, keys: Sequence[LedgerKey]) -> str:
        return repr(self.order_ttl if any(is_body_id(k) for k in keys) else self.ttl)

    def _begin_args(self, keys: Sequence[LedgerKey]) -> list[str | int]:
        return [repr(float(self.clock())), self._window(keys), *self._ttls(keys)]

    def _others_args(self, keys: Sequence[LedgerKey]) -> list[str | int]:
        return [repr(float(self.clock())), self._window(keys)]

    def _end_args(
        self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, last: bool
    ) -> list[str | int]:
        record = "" if executed is None else _dump(executed)
        return [record, "1" if last else "", *self._ttls(keys)]

    def _opened(self, keys: Sequence[LedgerKey]) -> Earlier:
        """A call begins: this worker's own memory notes it, and its provider's window is one
        this worker may have to start again."""
        self._providers.add(keys[0][0])
        return self._memory.begin(keys)

    def _missed(self, keys: Sequence[LedgerKey], earlier: Earlier) -> Earlier:
        """A call goes on without Redis: keep its keys to write back when Redis answers."""
        with self._state_lock:
            for key in keys:
                if len(self._unrecorded) >= UNRECORDED_LIMIT:
                    self._overflowed = True
                    break
                self._unrecorded[key] = None
        return _down(earlier)

    def _pending(self) -> tuple[list[list[LedgerKey]], bool]:
        """The keys still to write back, per provider (one script per cluster slot), and
        whether more were missed than could be kept. Nothing is taken: see _written."""
        with self._state_lock:
            pending, overflowed = list(self._unrecorded), self._overflowed
        by_provider: dict[str, list[LedgerKey]] = {}
        for key in pending:
            by_provider.setdefault(key[0], []).append(key)
        return list(by_provider.values()), overflowed

    def _written(self, keys: list[LedgerKey]) -> None:
        with self._state_lock:
            for key in keys:
                self._unrecorded.pop(key, None)

    def _try(self) -> bool:
        """Whether to ask Redis now: always while it answers; during an outage, one call
        per ``outage_pause`` (the others answer from memory at once)."""
        if not self._down:
            return True
        with self._state_lock:
            now = self.clock()
            if now < self._paused_until:
                return False
            self._paused_until = now + self.outage_pause  # this call tries; the rest wait
            return True

    def _unreachable(self, exc: BaseException, local: Earlier | None) -> Earlier:
        """Redis failed: say so once per outage; judge as the memory beside it would."""
        with self._state_lock:
            first, self._down = not self._down, True
            self._paused_until = self.clock() + self.outage_pause
        if first:
            _log.emit(
                logging.WARNING,
                LEDGER_UNREACHABLE,
                error=type(exc).__name__,
                ledger=repr(self),
                consequence="repeat answers are outcome unknown until it answers again",
            )
        record = None if local is None else local.record
        return Earlier(False, record, WHY_UNREACHABLE)

    def _up(self, restarted: bool) -> bool:
        """The outage is over when nothing is left to write back (calls that went on without
        Redis meanwhile added more: then another round). ``restarted``: the window was started
        again for an overflow seen before this round."""
        with self._state_lock:
            if self._unrecorded:
                return False
            if restarted:
                self._overflowed = False
            elif self._overflowed:
                return False
            was, self._down = self._down, False
        if was:
            _log.emit(logging.INFO, LEDGER_RECOVERED, ledger=repr(self))
        return True

    def __repr__(self) -> str:
        return f"RedisCallLedger(prefix={self.prefix!r}, ttl={self.ttl:g})"


_LEDGERS: weakref.WeakSet[RedisCallLedger] = weakref.WeakSet()


def _cannot_say(exc: BaseException) -> NotificationLedgerError:
    return NotificationLedgerError(
        "the call ledger's Redis could not say whether this notification was handled "
        f"before ({type(exc).__name__}): answer with an error status, the provider redelivers"
    )


def _claim_state(found: object) -> str:
    """The claim script's answer; anything else is "busy" (come back later), never a guess."""
    state = found.decode() if isinstance(found, bytes) else str(found)
    return state if state in ("new", "busy", "done") else "busy"


def _after_fork_in_child() -> None:
    """A forked child gets new locks (another thread may have held one at the fork)."""
    for ledger in list(_LEDGERS):
        ledger._state_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _mine(earlier: Earlier, local: Earlier) -> Earlier:
    """What Redis says, with what this worker's own memory knows: a key this worker sent is
    not a first send, whatever Redis holds."""
    if earlier.first and local.record is not None:
        return Earlier(False, local.record, WHY_SEEN)
    if earlier.record is None and local.record is not None:
        return earlier._replace(record=local.record)
    return earlier


def _down(local: Earlier) -> Earlier:
    """What the memory beside the ledger says, while Redis is left alone."""
    return Earlier(False, local.record, WHY_UNREACHABLE)


def _dump(record: AttemptRecord) -> str:
    return json.dumps(
        {
            "n": record.number,
            "s": record.status,
            "e": record.error,
            "c": record.code[:200],
            "o": str(record.outcome),
            "k": None if record.category is None else str(record.category),
        },
        separators=(",", ":"),
    )


WRITTEN_BACK = AttemptRecord(
    1,
    None,
    "sent while the ledger was unreachable",
    "",
    Outcome.PENDING,
    None,
    executed=True,
    earlier_call=True,
)
"""What a worker wrote back after an outage: a call it sent then, which may have executed."""


def _load(text: str) -> AttemptRecord:
    """A record another worker wrote; anything unreadable is "an attempt that may have
    executed" (it was written because one may have)."""
    if text == "?":
        return WRITTEN_BACK
    try:
        data = json.loads(text)
        return AttemptRecord(
            int(data["n"]),
            None if data["s"] is None else int(data["s"]),
            None if data["e"] is None else str(data["e"])[:100],
            str(data["c"])[:200],
            Outcome(data["o"]),
            None if data["k"] is None else Category(data["k"]),
            executed=True,
            earlier_call=True,
        )
    except (ValueError, TypeError, KeyError):
        return IN_FLIGHT


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _earlier(reply: Any, recovered: bool = False) -> Earlier:
    """An Earlier from a script's reply: trusted, seen, inflight, executed. The step that ended
    an outage vouches for nothing: the window starts again with it."""
    trusted, seen, inflight, executed = reply
    text = _text(executed)
    record = _load(text) if text else (IN_FLIGHT if int(inflight) else None)
    if recovered or not int(trusted):
        return Earlier(False, record, WHY_YOUNG if not int(seen) else WHY_SEEN)
    if int(seen):
        return Earlier(False, record, WHY_SEEN)
    return Earlier(True, record, "")
