"""The retry decision, as pure functions: classification + request facts + attempt -> what next.

Shared by the sync and async transports and by the tenacity pieces in ``payerr._retry.policy``; no
I/O, no clock, no randomness of its own (callers pass elapsed time and a jitter draw).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from payerr._core.attempts import AttemptRecord
from payerr._core.exceptions import (
    FinalError,
    MerchantConfigError,
    OutcomeUnknownError,
    PaymentError,
    RetryableError,
    RiskError,
    UserActionError,
)
from payerr._core.reasons import Advice
from payerr._core.taxonomy import Category, Classification, Outcome
from payerr._mappings.classify import HTTP_STATUS
from payerr._mappings.unknown import (
    EARLIER_ACTION,
    GARBLED_ACTION,
    REDIRECT_ACTION,
    RESEND_ACTION,
    WHY_NO_ID,
    WHY_STANDALONE,
    outcome_unknown,
    repeat_unknown,
    resend_settles,
)
from payerr._retry.safety import Sent

__all__ = [
    "Action",
    "Attempt",
    "AttemptRecord",
    "Call",
    "Verdict",
    "after_execution",
    "backoff",
    "error_class",
    "gives_up",
    "is_bare",
    "judge",
    "may_have_executed",
    "outcome_unknown",
    "record",
    "repeat_unknown",
]


class Action(StrEnum):
    RETURN = "return"
    """Hand the response to the caller (success, pending, info)."""
    RETRY = "retry"
    """Send the same request again after a wait."""
    RAISE = "raise"
    """Raise the PaymentError for the classification."""


@dataclass(slots=True)
class Verdict:
    action: Action
    classification: Classification
    """The classification to act on (an unsafe retryable failure becomes outcome unknown)."""
    executed: bool = False
    """Whether the attempt may have executed the request at the provider."""


def is_bare(c: Classification) -> bool:
    """Nothing in the body decided: the HTTP status alone did (an empty or unreadable body)."""
    return c.source == HTTP_STATUS and c.raw_code is None


_GARBLED_IF_BARE = frozenset({200, 201, 202, 203, 206, 207, 208, 226})
"""2xx statuses that promise a result: bare, the answer was garbled (204 and 205 carry none)."""


_NOT_HANDLED = frozenset({307, 308, 429})
"""Bare answers that say the request was not handled: a rate limiter's 429 (RFC 6585
section 4), and a 307/308 asking to send the same request elsewhere (RFC 9110 15.4.8-9). A 303
(and a 301/302 after a POST) points at the result of a request that was handled."""


def may_have_executed(c: Classification, sent: Sent, status: int | None) -> bool:
    """Whether an attempt may have executed at the provider (Architecture#truth-rules,
    Architecture#retry-safety).

    Nothing sent: no. No answer after sending: maybe. Answered: a bare 429 is a refusal (RFC
    6585 section 4: the rate limiter answers before anything runs) and a 307/308 a request to
    send it elsewhere; a non-retryable failure says it did not happen (a decline, a 4xx
    rejection), and a repeat answer ("duplicate", 409) says the provider already had it, not
    that this attempt ran it. Anything else may have executed: success,
    pending, a garbled answer, any bare 5xx (a gateway's 502/504, or a mesh's 503 "upstream
    reset before headers", can follow a provider that ran the request).
    """
    if sent is Sent.NO:
        return False
    if sent is Sent.MAYBE:
        return True
    if status in _NOT_HANDLED and is_bare(c):
        return False
    return not (c.outcome is Outcome.FAILED and not c.retryable)


def judge(
    c: Classification,
    *,
    sent: Sent,
    replay_safe: Callable[[], bool],
    status: int | None = None,
    executed_before: AttemptRecord | None = None,
    first_send: bool = False,
    unsure: str = WHY_STANDALONE,
) -> Verdict:
    """Return, retry or raise, by Architecture#truth-rules, Architecture#retry-safety. Attempt
    counts and time are not
    considered (the policy's stop pieces are).

    Args:
        sent: whether the request may have reached the provider.
        replay_safe: called only when it matters (it may parse the request body).
        status: the HTTP status when the provider answered.
        executed_before: the first earlier attempt of this call (or of an earlier call with
            the same key) that may have executed, if any.
        first_send: payerr *knows* that no attempt of this request (its key, request id or
            order number) was sent before this call, anywhere: a fleet-wide call ledger said
            so. Only then is a repeat answer ("duplicate", "order number used", 409) a failure.
        unsure: why payerr cannot tell it was the first send (ends the unknown's message).
    """
    executed = may_have_executed(c, sent, status)
    if c.outcome is Outcome.FAILED and c.repeat and (executed_before is not None or not first_send):
        # "Duplicate" / "order used" / 409: the provider has it, maybe from an earlier attempt
        # (this call's, or another worker's). Failed would be a lie that invites a second
        # charge (Architecture#failed-means-not-done), unless payerr knows this is the first send.
        return Verdict(Action.RAISE, repeat_unknown(c, executed_before, unsure), executed)
    if resend_settles(c):
        # resultStatus U, the result unknown: the same request id, resent, settles it (as a
        # retryable failure is resent); a request that cannot be resent safely is outcome
        # unknown, inquire.
        action = Action.RETRY if replay_safe() else Action.RAISE
        return Verdict(action, c if action is Action.RETRY else outcome_unknown(c), executed)
    if c.outcome is not Outcome.FAILED:
        if sent is Sent.ANSWERED and status in _GARBLED_IF_BARE and is_bare(c):
            # A 2xx nobody can read: resending a replay-safe request gets a readable answer.
            action = Action.RETRY if replay_safe() else Action.RAISE
            return Verdict(action, outcome_unknown(c, GARBLED_ACTION), executed)
        return Verdict(Action.RETURN, c, executed)  # success, info, pending: never resubmitted
    if not c.retryable:
        return Verdict(Action.RAISE, c, executed)  # risk, final, user-action, merchant-config
    if not executed or replay_safe():
        # Nothing was sent, or the provider refused it outright (a bare 429), or a resend
        # cannot execute twice.
        return Verdict(Action.RETRY, c, executed)
    return Verdict(Action.RAISE, outcome_unknown(c), executed)


def record(
    number: int, verdict: Verdict, status: int | None, error: Exception | None
) -> AttemptRecord:
    """The history entry for one attempt."""
    c = verdict.classification
    error_name = None if error is None else type(error).__name__
    # Positional: a named tuple built from keywords takes twice as long, on every request.
    return AttemptRecord(
        number, status, error_name, c.code, c.outcome, c.category, verdict.executed
    )


def backoff(
    attempt: int, *, initial: float, maximum: float, exp_base: float, jitter: float, draw: float
) -> float:
    """Jittered exponential backoff after ``attempt`` tries (1-based): capped, plus up to jitter.

    ``draw`` is a random number in [0, 1) from the caller.
    """
    exponent = min(max(attempt - 1, 0), 64)  # no OverflowError on absurd attempt numbers
    return min(maximum, initial * exp_base**exponent) + jitter * draw


def gives_up(*, elapsed: float, wait: float, timeout: float, max_retry_after: float) -> bool:
    """Whether to stop now rather than wait: the wait is too long or would pass the timeout.

    Giving up at once beats sleeping past the caller's budget (urllib3 #1338 slept for an hour).
    """
    return wait > max_retry_after or elapsed + wait > timeout


@dataclass(slots=True)
class Attempt:
    """What one try produced, with its verdict; tenacity sees these as results.

    A plain record (not frozen: built on every request, and frozen dataclasses build slowly).
    """

    verdict: Verdict
    request: httpx.Request
    response: httpx.Response | None
    error: Exception | None
    started: float
    """When the logical call started, on the policy's clock."""
    call: Call | None = None
    """The call's history, which the retry loop adds its waits to."""

    @property
    def classification(self) -> Classification:
        return self.verdict.classification


class Call:
    """One logical call's history: its attempts, and the first that may have executed.

    The shells append; the decisions read. ``executed`` may come from an earlier call with the
    same idempotency key or request id (a caller's own retry loop resending it). A call spans
    its redirect hops: ``hop`` counts them, and the hop that may have executed is kept.
    """

    __slots__ = (
        "begun",
        "done",
        "earlier",
        "ended",
        "executed",
        "executed_hop",
        "first_send",
        "followers",
        "generated_key",
        "hop",
        "hops",
        "keys",
        "records",
        "redirected",
        "scopes",
        "started",
        "unsure",
    )

    def __init__(
        self, *, generated_key: str | None = None, executed: AttemptRecord | None = None
    ) -> None:
        self.records: list[AttemptRecord] = []
        self.executed = executed
        self.generated_key = generated_key
        """The idempotency key payerr added (the caller does not know it), if any."""
        self.hop = 0
        self.hops: tuple[int, ...] = ()
        """``id()`` of each request the call has sent (httpx builds a new request for each
        redirect hop; one of these sent again is a new call, not a hop)."""
        self.redirected = False
        """The call's latest hop handed back a redirect, which the client may follow."""
        self.executed_hop: int | None = None
        self.done = False
        """Set when the call has returned or raised (until then it may be executing)."""
        self.started = 0.0
        """When the call's first attempt started, on the policy's clock."""
        self.begun = 0.0
        """The same moment on ``time.monotonic()``: sockets and cancel scopes keep real time
        (a policy's clock may be a test's)."""
        self.scopes: tuple[Any, ...] = ()
        """What the hooks returned for the call's ``CallStarted`` to enter around each hop
        (``payerr._observe.hooks.Follower``: OpenTelemetry's makes the call's span current)."""
        self.followers: tuple[Any, ...] = ()
        """What the hooks returned for it to hear the call's later events (OpenTelemetry's
        holds the call's span and labels)."""
        self.keys: tuple[Any, ...] = ()
        """What the call ledger knows this call by (``payerr._retry.ledger.LedgerKey``): the
        caller's idempotency key and the request ids or order numbers in its body."""
        self.earlier: AttemptRecord | None = None
        """What the call ledger said another call under the same keys may have executed (or
        ``IN_FLIGHT`` while one has not ended)."""
        self.first_send = False
        """The call ledger knows no other call sent any of ``keys`` (see ``judge``)."""
        self.unsure = WHY_NO_ID
        """Why payerr cannot tell this is the first send, when it cannot."""
        self.ended = False
        """The call ledger has heard that the call ended."""

    def add(self, entry: AttemptRecord) -> AttemptRecord:
        self.records.append(entry)
        if entry.executed and self.executed is None:
            self.executed = entry
            self.executed_hop = self.hop
        return entry

    def waited(self, seconds: float) -> None:
        """Note the wait before the next try on the last record."""
        if self.records:
            self.records[-1] = self.records[-1]._replace(wait=seconds)


def conclusion(attempt: Attempt, call: Call) -> tuple[type[PaymentError], Classification, bool]:
    """The error to raise for the attempt a call ended on (its verdict was not RETURN), its
    classification, and whether resending the same request is safe.

    A retry still wanted when the policy stopped is :class:`RetryableError` only while no
    attempt may have executed: "failed" means the provider did not do it
    (Architecture#failed-means-not-done). Otherwise it is :class:`OutcomeUnknownError`, safe to
    resend only under the
    caller's own key or request id: a key payerr generated is one the caller's fresh request
    will not carry (Architecture#safe-to-resend-holds). Once an attempt may have executed, a later
    failure that does not
    settle the payment (an auth or gateway rejection of the resend, a result fetch after a
    303 that failed) is outcome unknown, not safe to resend.
    """
    c = attempt.classification
    later_hop = call.executed_hop is not None and call.executed_hop < call.hop
    if attempt.verdict.action is Action.RETRY and not later_hop:
        safe = call.generated_key is None or call.executed is None
        if c.outcome is not Outcome.FAILED:
            # A resultStatus U the policy stopped resending: like any call that gave up, the
            # next step is to inquire (a resend is safe only where ``safe`` says so).
            return OutcomeUnknownError, dataclasses.replace(c, advice=Advice.INQUIRE), safe
        if call.executed is not None:
            return OutcomeUnknownError, outcome_unknown(c, RESEND_ACTION), safe
        return RetryableError, c, safe
    settled = after_execution(c, call, REDIRECT_ACTION if later_hop else EARLIER_ACTION)
    return error_class(settled), settled, False


def after_execution(c: Classification, call: Call, action: str = EARLIER_ACTION) -> Classification:
    """What a failed answer means once an attempt of the call (or of an earlier call under the
    same key) may have executed: the answer only if it settles the payment, else unknown."""
    if call.executed is None or c.outcome is not Outcome.FAILED or _settles(c):
        return c
    return outcome_unknown(c, action)


_SETTLING = frozenset({Category.USER_ACTION, Category.RISK, Category.FINAL})


def _settles(c: Classification) -> bool:
    """A known provider result about the payment itself: a decline, a risk refusal, a final
    state. (A merchant-config code or an HTTP status at a result URL is about that fetch.)"""
    return c.known and not c.repeat and c.category in _SETTLING


_ERRORS: dict[Category | None, type[PaymentError]] = {
    Category.RETRYABLE: RetryableError,
    Category.USER_ACTION: UserActionError,
    Category.MERCHANT_CONFIG: MerchantConfigError,
    Category.RISK: RiskError,
    Category.FINAL: FinalError,
    None: OutcomeUnknownError,
}


def error_class(c: Classification) -> type[PaymentError]:
    """The exception type for a classification payerr raises on."""
    return _ERRORS[c.category]
