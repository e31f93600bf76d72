"""RetryPolicy: how often and how long a transport retries, and the tenacity loops built from it.

:class:`RetryPolicy` holds the knobs (stamina's names, payments defaults); the strategies it
assembles live in ``payerr._retry.pieces``, usable in loops of your own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import tenacity

from payerr._core.exceptions import UsageError
from payerr._observe import hooks as _hooks
from payerr._observe.events import RetryScheduled
from payerr._retry.budget import RetryBudget, shared_budget
from payerr._retry.decide import (
    Attempt,
)
from payerr._retry.pieces import (
    attempt_result,
    retry_if_retryable,
    stop_before_timeout,
    stop_when_budget_spent,
    wait_retry_after,
)

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How a payerr transport retries: keyword-only, with defaults fit for payment APIs.

    Only replay-safe retryable failures are retried (Architecture#retry-safety); these
    settings say how often and how long.

    Args:
        attempts: total tries per logical call, the first included (default 3, as Stripe's
            SDKs: one try and two retries).
        timeout: seconds one logical call may take, waits included (default 30). A wait that
            would pass it gives up at once instead of sleeping.
        wait_initial: first backoff in seconds (default 0.5), doubled by ``wait_exp_base``.
        wait_max: cap on the backoff (default 8).
        wait_jitter: up to this many random seconds added to each backoff (default 0.5).
        wait_exp_base: backoff growth factor (default 2).
        max_retry_after: longest wait payerr accepts, ``Retry-After`` included (default 60);
            a longer one gives up at once with :class:`~payerr.RetryableError` (or
            :class:`~payerr.OutcomeUnknownError` if an attempt may have executed), whose
            ``classification.retry_after`` says when to come back.
        budget: the retry budget (Architecture#the-retry-budget). ``True`` (default): the
            process-wide budget of the transport's provider, shared by every transport; a
            :class:`~payerr.RetryBudget`: that one; ``False``: no budget. A spent budget gives up
            at once, as when attempts run out, and logs ``payerr.retry_budget_exhausted`` (the
            hooks hear a ``RetryBudgetExhausted``).
        sleep: how to wait between attempts (default ``time.sleep``); injectable for tests.
        async_sleep: the same for the async transport (default ``anyio.sleep``): it waits
            through whichever async library is running, asyncio or trio, as stamina does
            (anyio, which httpx already requires, asks sniffio, else assumes asyncio).
        clock: the time the policy reads (default ``time.monotonic``).
        random: the jitter's source (default ``random.random``).

    Raises:
        UsageError: a setting out of range (``attempts=0``, a negative wait, a
            ``wait_exp_base`` below 1, a ``budget`` that is not a bool or a RetryBudget).

    Example:
        >>> policy = payerr.RetryPolicy(attempts=4, timeout=20)
        >>> (policy.attempts, policy.timeout)
        (4, 20)
    """

    attempts: int = 3
    timeout: float = 30.0
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    wait_exp_base: float = 2.0
    max_retry_after: float = 60.0
    budget: RetryBudget | bool = True
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep  # asyncio's or trio's
    clock: Callable[[], float] = time.monotonic
    random: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if not isinstance(self.attempts, int) or self.attempts < 1:
            raise UsageError(f"attempts must be an int >= 1, got {self.attempts!r}")
        for name in ("timeout", "wait_initial", "wait_max", "wait_jitter", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise UsageError(f"{name} must be a number >= 0, got {value!r}")
        if self.wait_exp_base < 1:
            raise UsageError(f"wait_exp_base must be >= 1, got {self.wait_exp_base!r}")
        if not isinstance(self.budget, bool | RetryBudget):
            raise UsageError(f"budget must be True, False or a RetryBudget, got {self.budget!r}")

    def budget_for(self, provider: str) -> RetryBudget | None:
        """The budget a transport for ``provider`` draws retries from (None: unlimited)."""
        if self.budget is True:
            return shared_budget(provider)
        return self.budget or None

    def wait_strategy(self) -> wait_retry_after:
        """The wait piece with this policy's settings."""
        return wait_retry_after(
            initial=self.wait_initial,
            maximum=self.wait_max,
            exp_base=self.wait_exp_base,
            jitter=self.wait_jitter,
            random=self.random,
        )

    def stop_strategy(self, budget: RetryBudget | None = None) -> tenacity.stop.stop_base:
        """Attempts, then giving up before a wait that is too long or passes the timeout, then
        the budget (last, so a retry token is spent only on a retry that will happen)."""
        stop = tenacity.stop_after_attempt(self.attempts) | stop_before_timeout(
            self.timeout, max_retry_after=self.max_retry_after, clock=self.clock
        )
        return stop | stop_when_budget_spent(budget) if budget is not None else stop

    def retrying(self, budget: RetryBudget | None = None) -> tenacity.Retrying:
        """A fresh tenacity loop (tenacity objects hold per-call state: one per call)."""
        return tenacity.Retrying(sleep=self.sleep, **self._loop(budget))

    def async_retrying(self, budget: RetryBudget | None = None) -> tenacity.AsyncRetrying:
        """The async twin of :meth:`retrying` (asyncio or trio: see ``async_sleep``)."""
        return tenacity.AsyncRetrying(sleep=self.async_sleep, **self._loop(budget))

    def _loop(self, budget: RetryBudget | None) -> dict[str, Any]:
        return {
            "retry": retry_if_retryable(),
            "wait": self.wait_strategy(),
            "stop": self.stop_strategy(budget),
            "before_sleep": _retry_scheduled,
            "retry_error_callback": _last_result,
        }


def _retry_scheduled(state: tenacity.RetryCallState) -> None:
    """tenacity's before_sleep: note the wait about to happen on the attempt's record, and
    tell the hooks (``payerr.retry_scheduled`` in the logs, a span event)."""
    result = attempt_result(state)
    if isinstance(result, Attempt):
        entry, follow = None, ()
        if result.call is not None:
            result.call.waited(state.upcoming_sleep)
            entry = result.call.records[-1] if result.call.records else None
            follow = result.call.followers
        c = result.classification
        hooks = _hooks.listeners(RetryScheduled, c)
        if hooks or follow:
            scheduled = RetryScheduled(
                provider=c.provider,
                operation=c.operation,
                number=state.attempt_number,
                wait=state.upcoming_sleep,
                record=entry,
                classification=c,
                request=result.request,
                response=result.response,
                error=result.error,
            )
            _hooks.deliver(hooks, scheduled, follow)


def _last_result(state: tenacity.RetryCallState) -> Any:
    """When the loop stops, hand back the last attempt (or re-raise its exception)."""
    assert state.outcome is not None
    return state.outcome.result()
