"""Retry budgets: an outage must not turn into a retry storm (Architecture#the-retry-budget).

Modelled on Finagle's RetryBudget and gRPC's retry throttling: every logical call deposits,
every retry withdraws, and retries may add about ``percent`` of the calls seen in the last
``ttl`` seconds, plus a floor of ``min_retries`` so a quiet service can still retry. Counts live
in time buckets, so memory stays constant whatever the request rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from payerr._core.exceptions import UsageError

__all__ = ["RetryBudget", "reset_shared_budgets", "shared_budget"]

_BUCKETS = 10


class RetryBudget:
    """A sliding-window budget of retries, safe to share between threads and tasks.

    Args:
        percent: retries allowed per logical call in the window (default 0.2: 20%).
        min_retries: retries always allowed per window, however quiet (default 10).
        ttl: the window, in seconds (default 10).
        clock: injectable for tests (default ``time.monotonic``).

    Raises:
        UsageError: ``percent`` outside 0 to 1, ``min_retries`` below 0, or ``ttl`` not above 0.

    Example:
        >>> budget = payerr.RetryBudget(percent=0.1, min_retries=5)
        >>> policy = payerr.RetryPolicy(budget=budget)
    """

    def __init__(
        self,
        *,
        percent: float = 0.2,
        min_retries: int = 10,
        ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= percent <= 1:
            raise UsageError(f"percent must be between 0 and 1, got {percent!r}")
        if min_retries < 0 or ttl <= 0:
            raise UsageError("min_retries must be >= 0 and ttl > 0")
        self.percent = percent
        self.min_retries = min_retries
        self.ttl = ttl
        self._clock = clock
        self._width = ttl / _BUCKETS
        self._calls = [0] * _BUCKETS
        self._retries = [0] * _BUCKETS
        self._current = math.floor(clock() / self._width)
        self._lock = threading.Lock()

    def _advance(self) -> int:
        """Zero the buckets that fell out of the window; return the current bucket's slot."""
        now = math.floor(self._clock() / self._width)
        if now != self._current:
            for step in range(1, min(now - self._current, _BUCKETS) + 1):
                slot = (self._current + step) % _BUCKETS
                self._calls[slot] = 0
                self._retries[slot] = 0
            self._current = now
        return now % _BUCKETS

    def deposit(self) -> None:
        """Count one logical call (its first attempt)."""
        with self._lock:
            self._calls[self._advance()] += 1

    def try_withdraw(self) -> bool:
        """Take one retry from the budget; False when it is spent."""
        with self._lock:
            slot = self._advance()
            if sum(self._retries) >= self.min_retries + self.percent * sum(self._calls):
                return False
            self._retries[slot] += 1
            return True

    @property
    def available(self) -> float:
        """Retries the window allows right now."""
        with self._lock:
            self._advance()
            return max(0.0, self.min_retries + self.percent * sum(self._calls) - sum(self._retries))

    def __repr__(self) -> str:
        return (
            f"RetryBudget(percent={self.percent}, min_retries={self.min_retries}, ttl={self.ttl}, "
            f"available={self.available:.1f})"
        )


_shared: dict[str, RetryBudget] = {}
_shared_lock = threading.Lock()


def shared_budget(provider: str) -> RetryBudget:
    """The process-wide budget for ``provider``, shared by every payerr transport."""
    budget = _shared.get(provider)
    if budget is None:
        with _shared_lock:
            budget = _shared.setdefault(provider, RetryBudget())
    return budget


def reset_shared_budgets() -> None:
    """Forget the process-wide budgets: each provider starts again with a full one.

    For tests (``payerr.testing.reset``): one test that drains a provider's budget must not
    leave the next one without retries.
    """
    with _shared_lock:
        _shared.clear()
