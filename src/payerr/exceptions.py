"""payerr's exceptions, in their own module so every other module can import them.

A failed payment raises one of six :class:`PaymentError` subclasses, one per category plus one for
an outcome nobody knows. Configuration problems refine ``ValueError`` (attrs' habit), so code that
already catches ``ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from payerr.taxonomy import Classification

__all__ = [
    "FinalError",
    "MappingError",
    "MerchantConfigError",
    "OutcomeUnknownError",
    "PaymentError",
    "RetryableError",
    "RiskError",
    "UnknownProviderError",
    "UserActionError",
]


class PaymentError(Exception):
    """A payment call that did not succeed, carrying its unified ``classification``.

    Attributes:
        classification: what payerr made of the last answer (or transport failure).
        response: the provider's last response, already read (None for transport failures).
        request: the request that was sent.
        attempts: how many times it was sent.
    """

    classification: Classification
    response: httpx.Response | None
    request: httpx.Request | None
    attempts: int

    def __init__(
        self,
        classification: Classification,
        message: str | None = None,
        *,
        response: httpx.Response | None = None,
        request: httpx.Request | None = None,
        attempts: int = 1,
    ) -> None:
        self.classification = classification
        self.response = response
        self.request = request
        self.attempts = attempts
        super().__init__(message or _describe(classification, attempts))


def _describe(c: Classification, attempts: int) -> str:
    label = c.category if c.category is not None else c.outcome
    code = c.code or "no code"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return f"{c.provider} {code}: {label}{tries}: {c.message}"


class RetryableError(PaymentError):
    """Transient trouble that outlasted the retry policy. Resending the *same* request is safe.

    Raised only when a resend cannot charge twice (nothing was sent, or the request is
    replay-safe); otherwise payerr raises :class:`OutcomeUnknownError`.
    """


class UserActionError(PaymentError):
    """The payer must act: show ``classification.user_message``."""


class MerchantConfigError(PaymentError):
    """The merchant's account, credentials or request are wrong: alert engineers, not shoppers."""


class RiskError(PaymentError):
    """Refused by risk controls. Never tell the shopper why; ``user_message`` is neutral."""


class FinalError(PaymentError):
    """Settled or impossible (closed, duplicate, already paid): record it, do not retry."""


class OutcomeUnknownError(PaymentError):
    """The request may have executed and no answer says whether it did.

    Do not resend blindly: inquire the payment's status first (``classification.outcome`` is
    ``pending``). Raised for a read timeout, a dropped connection or a 5xx after a request that
    is not replay-safe.
    """


class UnknownProviderError(ValueError):
    """Raised for a provider id payerr has no mapping for; names the providers it knows."""

    def __init__(self, provider: object, known: Sequence[str]) -> None:
        self.provider = provider
        self.known = tuple(known)
        super().__init__(
            f"unknown provider {provider!r}; known providers: {', '.join(self.known) or '(none)'}"
        )


class MappingError(ValueError):
    """A mapping file that cannot be used: bad TOML, a missing or mistyped field, a duplicate code.

    ``errors`` lists every problem found, each naming the file, the code and the field; the
    exception's text is the first of them plus a count of the rest.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0] if self.errors else "invalid mapping"
        more = len(self.errors) - 1
        plural = "s" if more > 1 else ""
        super().__init__(first + (f" (and {more} more problem{plural})" if more else ""))
