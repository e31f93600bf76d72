"""The retry decision, as pure functions: classification + request facts + attempt -> what next.

Shared by the sync and async transports and by the tenacity pieces in ``payerr.policy``; no
I/O, no clock, no randomness of its own (callers pass elapsed time and a jitter draw).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import httpx

from payerr.exceptions import (
    FinalError,
    MerchantConfigError,
    OutcomeUnknownError,
    PaymentError,
    RetryableError,
    RiskError,
    UserActionError,
)
from payerr.safety import Sent
from payerr.taxonomy import DEFAULT_USER_MESSAGES, Category, Classification, Outcome

__all__ = [
    "Action",
    "Attempt",
    "Verdict",
    "backoff",
    "error_class",
    "gives_up",
    "outcome_unknown",
    "verdict",
]

INQUIRE_ACTION = (
    "Outcome unknown: the request may have reached the provider. Do not resend it blindly; "
    "inquire the payment status first (or resend with an idempotency key)."
)


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


def verdict(
    c: Classification,
    *,
    sent: Sent,
    replay_safe: Callable[[], bool],
    status: int | None = None,
) -> Verdict:
    """Return, retry or raise, by DESIGN.md section 3. Attempt counts and time are not considered.

    Args:
        sent: whether the request may have reached the provider.
        replay_safe: called only when it matters (it may parse the request body).
        status: the HTTP status when the provider answered.
    """
    if c.outcome is not Outcome.FAILED:
        return Verdict(Action.RETURN, c)  # success, info, and pending: never resubmitted
    if not c.retryable:
        return Verdict(Action.RAISE, c)  # risk, final, user-action, merchant-config
    if sent is Sent.NO or status == 429 or replay_safe():
        # Nothing was sent, or the provider refused it outright (429), or a resend cannot
        # execute twice.
        return Verdict(Action.RETRY, c)
    return Verdict(Action.RAISE, outcome_unknown(c))


def outcome_unknown(c: Classification) -> Classification:
    """The same answer, marked outcome unknown: pending, not retryable, inquire first."""
    return dataclasses.replace(
        c,
        outcome=Outcome.PENDING,
        category=None,
        retryable=False,
        action=INQUIRE_ACTION,
        user_message=DEFAULT_USER_MESSAGES[Outcome.PENDING],
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

    @property
    def classification(self) -> Classification:
        return self.verdict.classification


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
