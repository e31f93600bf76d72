"""The call ledger: what the transports record about a request's keys, and ask before judging.

A provider that already has a request or an order answers a resend with a repeat ("duplicate",
"order number used", HTTP 409). That answer is a failure only when payerr *knows* the request
was never sent before this call: otherwise an earlier attempt, in this process or on another
worker, may have executed it, and "failed, use a new order number" charges twice
(Architecture, "Truth rules"). The ledger is where the transports learn it:

- ``begin`` before a call's first attempt: note the call under each of its keys (the caller's
  idempotency key, the request ids and order numbers in its body) and say what other calls
  under those keys did;
- ``others`` when a repeat answer or a failure needs judging: what other calls, begun before
  this one or since, did;
- ``end`` when the call returned or raised: whether it may have executed.

:class:`MemoryCallLedger` is the default, one per process and shared by every transport in it;
it cannot see other processes, so it never vouches for a first send. :class:`RedisCallLedger`
(``payerr._retry.ledger_redis``) is shared by a fleet and can.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import islice
from typing import NamedTuple, Protocol, runtime_checkable

from payerr._core.attempts import AttemptRecord
from payerr._core.exceptions import UsageError
from payerr._core.taxonomy import Outcome
from payerr._mappings.unknown import WHY_PER_PROCESS

__all__ = [
    "DEFAULT_LEDGER_KEYS",
    "DEFAULT_LEDGER_TTL",
    "DEFAULT_ORDER_TTL",
    "IN_FLIGHT",
    "CallLedger",
    "Earlier",
    "LedgerKey",
    "MemoryCallLedger",
    "NotificationMemory",
    "default_ledger",
    "is_body_id",
]

DEFAULT_LEDGER_TTL = 24 * 3600.0
"""Seconds a key is remembered after its last use: no shorter than the providers' idempotency
windows (a resend after the window is a new request to them, too)."""

DEFAULT_LEDGER_KEYS = 20_000
"""Keys a :class:`MemoryCallLedger` holds before it forgets the oldest finished one."""

LedgerKey = tuple[str, str, str]
"""``(provider, kind, value)``: ``kind`` is ``"key"`` for an idempotency key header, the body
field of a request id (``paymentRequestId``), or ``"order:"`` and the body field of an order
number. Provider-wide: a provider keeps keys and order numbers per account, not per path."""

DEFAULT_ORDER_TTL = 30 * 24 * 3600.0
"""Seconds a request id or order number is remembered: providers keep those unique far longer
than an idempotency key (an order number, for good), so a job run again days later must still
meet its first run."""

IN_FLIGHT = AttemptRecord(
    1, None, "in flight", "", Outcome.PENDING, None, executed=True, earlier_call=True
)
"""What another call under the same key may be doing while it has not ended."""


def is_body_id(key: LedgerKey) -> bool:
    """A request id or order number from the body (not an idempotency key header)."""
    return key[1] != "key"


class Earlier(NamedTuple):
    """What a ledger knows of the other calls under a call's keys."""

    first: bool
    """No other call sent any of the keys, and the ledger would know: a first send."""
    record: AttemptRecord | None
    """The first attempt of another call that may have executed (``IN_FLIGHT`` while another
    call has not ended), or None."""
    why: str
    """Why it is not known to be a first send ("" when it is)."""


@runtime_checkable
class CallLedger(Protocol):
    """Where the transports record calls by their keys. Both transports take ``ledger=``.

    A ledger never raises for its own trouble (a store that cannot be reached): it answers as
    one that knows nothing would, ``Earlier(first=False, ...)``, so a repeat answer is outcome
    unknown, never "failed".

    Example:
        ``payerr.PaymentTransport("paykka", ledger=payerr.RedisCallLedger.from_url(url))``; a
        ledger of your own implements ``begin``, ``others`` and ``end`` (and their async forms).
    """

    def begin(self, keys: Sequence[LedgerKey]) -> Earlier:
        """Note a call under ``keys`` before its first attempt; what other calls did."""
        ...

    def others(self, keys: Sequence[LedgerKey]) -> Earlier:
        """After ``begin``: what other calls under ``keys`` did, begun before this one or since."""
        ...

    def end(self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, *, last: bool) -> None:
        """The call returned or raised; ``executed`` is its first attempt that may have
        executed. ``last`` is false for a redirect hop that may be followed by another."""
        ...

    async def abegin(self, keys: Sequence[LedgerKey]) -> Earlier:
        """:meth:`begin` for the async transport."""
        ...

    async def aothers(self, keys: Sequence[LedgerKey]) -> Earlier:
        """:meth:`others` for the async transport."""
        ...

    async def aend(
        self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, *, last: bool
    ) -> None:
        """:meth:`end` for the async transport."""
        ...


class _Entry:
    """One key: calls begun under it, calls not ended, the first attempt that may have
    executed, and when it was last used. Made by the call that begins first under it."""

    __slots__ = ("executed", "inflight", "opens", "touched")

    def __init__(self, now: float) -> None:
        self.opens = 1
        self.inflight = 1
        self.executed: AttemptRecord | None = None
        self.touched = now


class NotificationMemory:
    """Verified notifications by key: claimed by one delivery while it is handled, then done.
    Bounded (the oldest forgotten first), thread-safe."""

    DONE = "done"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def claim(self, key: str, token: str, now: float, claim_ttl: float) -> str:
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[1] > now and found[0] != token:
                self.entries.move_to_end(key)
                return "done" if found[0] == self.DONE else "busy"
            self.entries[key] = (token, now + claim_ttl)
            self.entries.move_to_end(key)
            self._trim(now)
            return "new"

    def _trim(self, now: float) -> None:
        """Within the limit, forgetting the oldest done or lapsed entries first: a claim
        being handled is dropped only when nothing else can go (a redelivery would then be
        handled twice, where the limit is too small for the traffic)."""
        over = len(self.entries) - self.limit
        if over <= 0:
            return
        for key in list(islice(self.entries, over + 256)):  # the oldest: never a copy of all
            state, until = self.entries[key]
            if state == self.DONE or until <= now:
                del self.entries[key]
                over -= 1
                if over == 0:
                    return
        while over > 0:
            self.entries.popitem(last=False)
            over -= 1

    def done(self, key: str, now: float, ttl: float) -> None:
        with self.lock:
            self.entries[key] = (self.DONE, now + ttl)
            self.entries.move_to_end(key)
            self._trim(now)

    def release(self, key: str, token: str) -> None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] == token:
                del self.entries[key]


class MemoryCallLedger:
    """The calls of this process, by key: bounded, thread-safe, shared by its transports.

    It cannot see other processes or the time before this one started, so it never says a
    request is sent for the first time: with it, a repeat answer is always outcome unknown
    (:class:`~payerr.OutcomeUnknownError`). What it adds is the history: a resend under a key
    an earlier call of this process may have executed is judged with that call's attempts.

    A key is forgotten ``ttl`` seconds after its last use, or when ``max_keys`` are held (the
    least recently used finished one first). A call in flight is never forgotten, so the
    ledger can exceed ``max_keys`` by the number of calls in flight.

    Args:
        max_keys: keys held before the oldest finished one is forgotten.
        ttl: seconds a key is remembered after its last use.
        clock: a monotonic clock in seconds (tests inject one).

    Raises:
        UsageError: ``max_keys`` is not a positive whole number, or ``ttl`` is not a positive
            number of seconds.

    Example:
        >>> ledger = payerr.MemoryCallLedger(max_keys=1000)
        >>> transport = payerr.PaymentTransport("paykka", ledger=ledger)
    """

    def __init__(
        self,
        *,
        max_keys: int = DEFAULT_LEDGER_KEYS,
        ttl: float = DEFAULT_LEDGER_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise UsageError(f"max_keys must be a positive whole number, not {max_keys!r}")
        self.max_keys = max_keys
        self.ttl = positive_ttl(ttl)
        self.clock = clock
        self._entries: OrderedDict[LedgerKey, _Entry] = OrderedDict()
        self._notes = NotificationMemory(max_keys)
        self._lock = threading.Lock()
        _LEDGERS.add(self)

    def __len__(self) -> int:
        """Keys held now."""
        return len(self._entries)

    def clear(self) -> None:
        """Forget every key (for tests: a new process's state)."""
        with self._lock:
            self._entries.clear()
        self._notes.clear()

    def claim_notification(self, key: str, token: str, claim_ttl: float, ttl: float) -> str:
        """Claim a verified notification for handling: ``"new"`` (claimed by ``token``),
        ``"busy"`` (claimed by another delivery, not done) or ``"done"`` (handled before).
        See :func:`payerr.verify_notification`."""
        return self._notes.claim(key, token, self.clock(), claim_ttl)

    def done_notification(self, key: str, token: str, ttl: float) -> None:
        """The claimed notification was handled: later deliveries are duplicates."""
        self._notes.done(key, self.clock(), ttl)

    def release_notification(self, key: str, token: str) -> None:
        """Handling failed: drop ``token``'s claim (never another delivery's)."""
        self._notes.release(key, token)

    async def aclaim_notification(self, key: str, token: str, claim_ttl: float, ttl: float) -> str:
        """:meth:`claim_notification`, for :func:`payerr.averify_notification`."""
        return self.claim_notification(key, token, claim_ttl, ttl)

    async def adone_notification(self, key: str, token: str, ttl: float) -> None:
        """:meth:`done_notification`, for an async endpoint."""
        self.done_notification(key, token, ttl)

    async def arelease_notification(self, key: str, token: str) -> None:
        """:meth:`release_notification`, for an async endpoint."""
        self.release_notification(key, token)

    def begin(self, keys: Sequence[LedgerKey]) -> Earlier:
        now = self.clock()
        record: AttemptRecord | None = None
        with self._lock:
            entries = self._entries
            for key in keys:
                entry = entries.get(key)
                if entry is None:
                    entries[key] = _Entry(now)  # a new key is the newest
                elif entry.inflight == 0 and now - entry.touched > self.ttl:
                    entries[key] = _Entry(now)
                    entries.move_to_end(key)  # an expired key's slot was the oldest
                else:
                    entries.move_to_end(key)  # a resent key is the newest
                    record = record or _earlier_call(entry.executed)
                    record = record or (IN_FLIGHT if entry.inflight else None)
                    entry.opens += 1
                    entry.inflight += 1
                    entry.touched = now
            if len(entries) > self.max_keys:
                self._forget(len(entries) - self.max_keys)
        return _NOTHING_KNOWN if record is None else Earlier(False, record, WHY_PER_PROCESS)

    def others(self, keys: Sequence[LedgerKey]) -> Earlier:
        record: AttemptRecord | None = None
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    # This call is one of the entry's opens and, in flight, of its inflight.
                    record = record or _earlier_call(entry.executed)
                    record = record or (IN_FLIGHT if entry.inflight > 1 else None)
        return _NOTHING_KNOWN if record is None else Earlier(False, record, WHY_PER_PROCESS)

    def end(self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, *, last: bool) -> None:
        # A key's last use is when a call began under it (calls are short beside the ttl).
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is None:
                    continue
                if last and entry.inflight > 0:
                    entry.inflight -= 1
                if executed is not None and entry.executed is None:
                    entry.executed = executed  # marked earlier_call when another call reads it

    async def abegin(self, keys: Sequence[LedgerKey]) -> Earlier:
        return self.begin(keys)

    async def aothers(self, keys: Sequence[LedgerKey]) -> Earlier:
        return self.others(keys)

    async def aend(
        self, keys: Sequence[LedgerKey], executed: AttemptRecord | None, *, last: bool
    ) -> None:
        self.end(keys, executed, last=last)

    def _forget(self, excess: int) -> None:
        """Forget ``excess`` least recently used finished keys. A key in flight met on the way
        moves to the newest end, so each is passed over at most once per call here: the cost
        is bounded by the calls in flight, not by the keys held."""
        entries = self._entries
        passed = 0
        while excess > 0 and passed < len(entries):
            key, entry = next(iter(entries.items()))
            if entry.inflight:
                entries.move_to_end(key)
                passed += 1
                continue
            del entries[key]
            excess -= 1

    def __repr__(self) -> str:
        return f"MemoryCallLedger(max_keys={self.max_keys}, ttl={self.ttl:g})"


_NOTHING_KNOWN = Earlier(False, None, WHY_PER_PROCESS)

_LEDGERS: weakref.WeakSet[MemoryCallLedger] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A prefork server (gunicorn, Celery) forks while another thread may hold a ledger's
    lock: the child gets new locks. The parent's calls stay noted (they may have executed)."""
    for ledger in list(_LEDGERS):
        ledger._lock = threading.Lock()
        ledger._notes.lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _earlier_call(record: AttemptRecord | None) -> AttemptRecord | None:
    """``record`` as another call sees it: an attempt of an earlier call."""
    if record is None:
        return None
    number, status, error, code, outcome, category, executed, wait, _ = record
    # Positional: a named tuple's _replace takes three times as long.
    return AttemptRecord(number, status, error, code, outcome, category, executed, wait, True)


def positive_ttl(ttl: object, name: str = "ttl") -> float:
    """``ttl`` checked: a finite number of seconds above zero."""
    if (
        isinstance(ttl, bool)
        or not isinstance(ttl, int | float)
        or not math.isfinite(ttl)
        or ttl <= 0
    ):
        raise UsageError(f"{name} must be a positive number of seconds, not {ttl!r}")
    return float(ttl)


_default: MemoryCallLedger | None = None
_default_lock = threading.Lock()


def default_ledger() -> MemoryCallLedger:
    """The process's :class:`MemoryCallLedger`, shared by every transport built without
    ``ledger=``."""
    global _default  # noqa: PLW0603 -- one per process, made on first use
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = MemoryCallLedger()
    return _default
