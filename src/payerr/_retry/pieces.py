"""The tenacity strategies payerr's transports retry with, for loops of your own.

Ordinary tenacity pieces that defer to ``payerr._retry.decide``, so they compose with tenacity's own
(``|``, ``&``, ``+``)::

    @tenacity.retry(
        retry=payerr.retry_if_retryable("antom"),
        wait=payerr.wait_retry_after(),
        stop=tenacity.stop_after_attempt(3) | payerr.stop_before_timeout(20),
        reraise=True,
    )
    def pay() -> httpx.Response: ...
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import tenacity

from payerr._core.exceptions import PaymentError
from payerr._core.http import parse_retry_after
from payerr._core.taxonomy import Classification
from payerr._mappings.classify import EXTENSION_KEY, classification_of, classify_response
from payerr._mappings.registry import Registry, default_registry
from payerr._mappings.unknown import RESEND_ACTION, outcome_unknown
from payerr._observe import hooks as _hooks
from payerr._observe.events import RetryBudgetExhausted
from payerr._retry.budget import RetryBudget
from payerr._retry.decide import (
    Action,
    Attempt,
    Call,
    after_execution,
    backoff,
    gives_up,
    judge,
    record,
)
from payerr._retry.safety import (
    DEFAULT_KEY_HEADERS,
    Sent,
    classify_transport_error,
    is_replay_safe,
    replay_safe_at,
)

__all__ = [
    "attempt_result",
    "retry_if_retryable",
    "stop_before_timeout",
    "stop_when_budget_spent",
    "wait_retry_after",
]


class retry_if_retryable(tenacity.retry_base):  # noqa: N801 -- tenacity's naming convention
    """Retry exactly what payerr deems retryable *and* safe to resend.

    Understands every outcome a payment loop produces: payerr's own attempts, a raised
    :class:`~payerr.PaymentError` (retried exactly when its ``safe_to_resend`` is true: every
    :class:`~payerr.RetryableError`, and an :class:`~payerr.OutcomeUnknownError` that ran out of
    retries under the caller's own key), an ``httpx.TransportError`` (retried when nothing
    was sent or the request is replay-safe), and an ``httpx.Response`` (classified with
    ``provider`` unless a payerr transport already did). The decisions are the transports' own
    (Architecture#truth-rules, Architecture#retry-safety), with the call's history: a "duplicate"
    answer to a
    resend after an attempt that may have executed is outcome unknown, and the response
    carries that Classification (:func:`~payerr.classification_of`,
    :func:`~payerr.classify_response`).

    Args:
        provider: needed to classify plain responses and to know the provider's idempotent
            request-id fields.
        idempotency_headers: request headers that carry an idempotency key.

    Raises:
        UnknownProviderError: raised when the loop asks about a plain response, or a transport
            error after the request may have been sent, and ``provider`` has no mapping (the
            constructor does not check it).
        MappingError: one of the provider's mapping files is broken (read then too).
        UsageError: the request's ``payerr.operation`` extension names no operation.

    Example:
        ``tenacity.retry(retry=payerr.retry_if_retryable("paykka"),
        stop=tenacity.stop_after_attempt(3))`` around a function that posts with its own key.
    """

    def __init__(
        self,
        provider: str | None = None,
        *,
        idempotency_headers: Iterable[str] = DEFAULT_KEY_HEADERS,
        registry: Registry | None = None,
    ) -> None:
        self.provider = provider
        self.idempotency_headers = tuple(idempotency_headers)
        self.registry = registry

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        facts = _facts(retry_state, self)
        return facts is not None and facts.action is Action.RETRY

    def assess(self, retry_state: tenacity.RetryCallState) -> _Facts | None:
        """The facts of the attempt that just ended: the action payerr decides (retry, return
        or raise) and its Classification; None when the attempt is nothing payerr judges.

        Raises:
            UnknownProviderError: a plain response, or a transport error after the request may
                have been sent, is judged with a ``provider`` that has no mapping.
            MappingError: one of the provider's mapping files is broken.
            UsageError: the request's ``payerr.operation`` extension names no operation.
        """
        outcome = retry_state.outcome
        if outcome is None:
            return None
        if outcome.failed:
            exc = outcome.exception()
            if isinstance(exc, PaymentError):
                action = Action.RETRY if exc.safe_to_resend else Action.RAISE
                return _Facts(action, exc.classification)
            if isinstance(exc, httpx.TransportError):
                failure, sent = classify_transport_error(self.provider or "", exc)
                return self._judge(
                    retry_state,
                    c=failure,
                    sent=sent,
                    request=_request_of(exc),
                    response=None,
                    error=exc,
                )
            return None
        result = outcome.result()
        if isinstance(result, Attempt):
            return _Facts(result.verdict.action, result.classification)
        if not isinstance(result, httpx.Response):
            return None
        c = classification_of(result)
        if c is not None:
            decision = _decision_of(result)
            return _Facts(decision, c)
        if self.provider is None:
            return None
        c = classify_response(self.provider, result, registry=self.registry)  # logs, too
        facts = self._judge(
            retry_state,
            c=c,
            sent=Sent.ANSWERED,
            request=_request_of(result),
            response=result,
            error=None,
        )
        result.extensions[EXTENSION_KEY] = facts.classification
        result.extensions[_DECISION_KEY] = facts.action
        return facts

    def _judge(
        self,
        retry_state: tenacity.RetryCallState,
        *,
        c: Classification,
        sent: Sent,
        request: httpx.Request | None,
        response: httpx.Response | None,
        error: Exception | None,
    ) -> _Facts:
        """The transports' verdict on a plain attempt, with this loop call's history."""
        call = _calls.get(retry_state)
        if call is None:
            call = _calls[retry_state] = Call()
        decision = judge(
            c,
            sent=sent,
            replay_safe=lambda: self._safe(request),
            status=None if response is None else response.status_code,
            executed_before=call.executed,
        )
        status = None if response is None else response.status_code
        call.add(record(retry_state.attempt_number, decision, status, error))
        c = decision.classification
        if decision.action is Action.RETRY and call.executed is not None and c.is_failure:
            # Retried, but if the loop stops here the answer it leaves is not "failed": an
            # attempt may have executed (Architecture#failed-means-not-done).
            c = outcome_unknown(c, RESEND_ACTION)
        return _Facts(decision.action, after_execution(c, call))

    def _safe(self, request: httpx.Request | None) -> bool:
        if request is None:
            return False
        if self.provider is None:
            return is_replay_safe(request, idempotency_headers=self.idempotency_headers)
        table = (self.registry or default_registry()).table(self.provider)
        return replay_safe_at(request, table, tuple(self.idempotency_headers))


@dataclass(frozen=True, slots=True)
class _Facts:
    """What one attempt of a tenacity loop comes to: the action and its classification."""

    action: Action
    classification: Classification


_DECISION_KEY = "payerr.action"
"""``response.extensions`` key for the action ``retry_if_retryable`` decided on a response."""

# Per loop call (tenacity's RetryCallState): the facts of its latest attempt, shared by the
# retry and wait pieces so both read one decision, and the call's history.
_latest: weakref.WeakKeyDictionary[tenacity.RetryCallState, tuple[int, _Facts | None]] = (
    weakref.WeakKeyDictionary()
)
_calls: weakref.WeakKeyDictionary[tenacity.RetryCallState, Call] = weakref.WeakKeyDictionary()


def _facts(
    retry_state: tenacity.RetryCallState, judge: retry_if_retryable | None = None
) -> _Facts | None:
    """The one place a tenacity loop's attempt is judged: computed once per attempt, by the
    retry piece (which knows the provider), and read again by the wait piece."""
    cached = _latest.get(retry_state)
    if cached is not None and cached[0] == retry_state.attempt_number:
        return cached[1]
    facts = (judge or retry_if_retryable()).assess(retry_state)
    _latest[retry_state] = (retry_state.attempt_number, facts)
    return facts


def _decision_of(response: httpx.Response) -> Action:
    """The action already decided for a classified response (a transport's, or ours)."""
    action = response.extensions.get(_DECISION_KEY)
    if isinstance(action, Action):
        return action
    c = classification_of(response)
    # A transport returned it: a returned answer is never retried by the transport either.
    return Action.RETURN if c is not None and not c.is_failure else Action.RAISE


class wait_retry_after(tenacity.wait.wait_base):  # noqa: N801 -- tenacity's naming convention
    """Wait what the provider asked (``Retry-After``, a mapping hint), else jittered backoff.

    The hint is honoured as given; pair with :class:`stop_before_timeout` to give up when it
    is too long rather than sleep through it. It reads the same facts as
    :class:`retry_if_retryable` (the classification of the attempt that just ended).

    Args:
        initial: the first backoff in seconds, when the provider asked for no wait.
        maximum: the backoff's cap.
        exp_base: what each backoff is multiplied by.
        jitter: up to this much random time is added to each backoff.
        random: the jitter's source (injectable for tests).

    Example:
        ``tenacity.retry(wait=payerr.wait_retry_after(initial=0.5, maximum=8))``
    """

    def __init__(
        self,
        *,
        initial: float = 0.5,
        maximum: float = 8.0,
        exp_base: float = 2.0,
        jitter: float = 0.5,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.exp_base = exp_base
        self.jitter = jitter
        self.random = random

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        facts = _facts(retry_state)
        hint = None if facts is None else facts.classification.retry_after
        if hint is None and facts is None:
            hint = _retry_after_header(retry_state)
        if hint is not None:
            return hint
        return backoff(
            retry_state.attempt_number,
            initial=self.initial,
            maximum=self.maximum,
            exp_base=self.exp_base,
            jitter=self.jitter,
            draw=self.random(),
        )


class stop_before_timeout(tenacity.stop.stop_base):  # noqa: N801 -- tenacity's naming convention
    """Stop instead of waiting when the wait exceeds ``max_retry_after`` or passes ``timeout``.

    Needs the wait computed first, as tenacity does (``retry_state.upcoming_sleep``).

    Args:
        timeout: seconds the whole call may take, waits included.
        max_retry_after: longest single wait accepted.
        clock: the clock payerr's attempts were stamped with; without it, elapsed time is
            tenacity's, counting injected sleeps as elapsed.

    Example:
        ``tenacity.retry(stop=payerr.stop_before_timeout(20), wait=payerr.wait_retry_after())``
    """

    def __init__(
        self,
        timeout: float,
        *,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_retry_after = max_retry_after
        self.clock = clock

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        result = attempt_result(retry_state)
        if isinstance(result, Attempt) and self.clock is not None:
            elapsed = self.clock() - result.started
        else:
            elapsed = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return gives_up(
            elapsed=elapsed,
            wait=retry_state.upcoming_sleep,
            timeout=self.timeout,
            max_retry_after=self.max_retry_after,
        )


class stop_when_budget_spent(tenacity.stop.stop_base):  # noqa: N801 -- tenacity's naming
    """Stop when the retry budget has no token left; otherwise take one.

    Place it last in a ``|`` chain: tenacity asks stop pieces only when a retry is wanted, and
    ``|`` stops asking at the first piece that says stop, so a token is spent only on a retry
    that will really happen.

    Args:
        budget: the :class:`RetryBudget` whose tokens the retries spend.

    Example:
        ``stop=tenacity.stop_after_attempt(3) | payerr.stop_when_budget_spent(budget)`` in
        ``tenacity.retry``.
    """

    def __init__(self, budget: RetryBudget) -> None:
        self.budget = budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if self.budget.try_withdraw():
            return False
        result = attempt_result(retry_state)
        if isinstance(result, Attempt):  # a transport's: its hooks hear it
            c, call = result.classification, result.call
            follow = () if call is None else call.followers
            hooks = _hooks.listeners(RetryBudgetExhausted, c)
            if hooks or follow:
                exhausted = RetryBudgetExhausted(
                    provider=c.provider,
                    operation=c.operation,
                    number=retry_state.attempt_number,
                    record=call.records[-1] if call is not None and call.records else None,
                    classification=c,
                    request=result.request,
                    response=result.response,
                    error=result.error,
                )
                _hooks.deliver(hooks, exhausted, follow)
        return True


def attempt_result(retry_state: tenacity.RetryCallState) -> Any:
    """The last attempt's result, or None when there is none or it raised."""
    outcome = retry_state.outcome
    return outcome.result() if outcome is not None and not outcome.failed else None


def _retry_after_header(retry_state: tenacity.RetryCallState) -> float | None:
    """Retry-After on a plain response nobody could classify (no provider was named)."""
    result = attempt_result(retry_state)
    if isinstance(result, httpx.Response):
        return parse_retry_after(result.headers.get("retry-after"))
    return None


def _request_of(obj: httpx.Response | httpx.TransportError) -> httpx.Request | None:
    try:
        return obj.request
    except RuntimeError:  # httpx raises when no request was attached
        return None
