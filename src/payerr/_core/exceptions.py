"""payerr's exceptions, in their own module so every other module can import them.

Every exception class payerr defines derives from :class:`PayerrError`. A failed payment raises
one of six :class:`PaymentError` subclasses, one per category plus one for an outcome nobody
knows. Configuration problems (:class:`MappingError`, :class:`UnknownProviderError`) refine
``ValueError`` too (attrs' habit), so code that already catches ``ValueError`` keeps working;
a bad argument to a constructor (``RetryPolicy(attempts=0)``) is a plain ``ValueError``.

Every payerr exception pickles (Celery results, process pools, queues): its text, its
classification, attempt history and request facts travel; the live httpx objects do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from payerr._core.cards import safe_url

if TYPE_CHECKING:
    import httpx

    from payerr._core.attempts import AttemptRecord
    from payerr._core.taxonomy import Classification

__all__ = [
    "FinalError",
    "MappingError",
    "MerchantConfigError",
    "NotificationInProgressError",
    "NotificationLedgerError",
    "OutcomeUnknownError",
    "PayerrError",
    "PaymentError",
    "ReattemptStoreError",
    "RetryableError",
    "RiskError",
    "UnknownProviderError",
    "UserActionError",
]


class PayerrError(Exception):
    """The root of payerr's exceptions: ``except payerr.PayerrError`` catches every
    :class:`PaymentError`, :class:`MappingError` and :class:`UnknownProviderError`.

    Its subclasses pickle with their own attributes (not by calling ``__init__`` again), so an
    error raised in a worker process or a Celery task arrives whole in the parent.

    Example:
        ``except payerr.PayerrError as exc: log.exception("payerr", error=exc)``.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args), self._portable_state()

    def _portable_state(self) -> dict[str, Any]:
        """The attributes to pickle: the instance's own, minus what cannot travel."""
        return dict(vars(self))


def _restore(cls: type[PayerrError], args: tuple[Any, ...]) -> PayerrError:
    """Unpickle a payerr exception without calling its ``__init__`` (pickle sets its state)."""
    error = cls.__new__(cls, *args)
    error.args = args
    return error


class PaymentError(PayerrError):
    """A payment call that did not succeed, carrying its unified ``classification``.

    Attributes:
        classification: what payerr made of the last answer (or transport failure).
        response: the provider's last response, already read (None for transport failures).
            Not pickled: None after unpickling (use ``status_code``).
        request: the request that was sent. Not pickled: None after unpickling (use
            ``request_method`` and ``request_url``).
        request_method: the request's HTTP method (``"POST"``), or None when no request is
            known. Survives pickling.
        request_url: the request's URL without query string, fragment or user info (they may
            carry secrets), or None when no request is known. Survives pickling.
        status_code: the HTTP status of the last response, or the classification's
            ``http_status`` when there was no response (None for transport failures).
            Survives pickling.
        attempts: how many times it was sent.
        history: every attempt of the call, in order: status or exception, code, outcome and
            the wait after it (urllib3's ``RequestHistory``).
        executed: the first attempt that may have executed the request at the provider (of
            this call, or of an earlier call with the same key), or None.
        idempotency_key: the key payerr generated for this call (``auto_idempotency_key``),
            which the caller's code does not otherwise know: inquire with it, or resend the
            same request under it. None when payerr added none.
        safe_to_resend: whether sending the *same* request again (same key, same request id)
            cannot execute it twice and may get a readable answer: what ``retry_if_retryable``
            retries. True for every :class:`RetryableError`; for an
            :class:`OutcomeUnknownError` only when the call ran out of retries under the
            caller's own key or request id.

    Example:
        >>> error = payerr.PaymentError(payerr.classify("antom", "RISK_REJECT"))
        >>> (error.classification.category, error.safe_to_resend)
        (<Category.RISK: 'risk'>, False)
    """

    classification: Classification
    response: httpx.Response | None
    request: httpx.Request | None
    request_method: str | None
    request_url: str | None
    status_code: int | None
    attempts: int
    history: tuple[AttemptRecord, ...]
    executed: AttemptRecord | None
    idempotency_key: str | None
    safe_to_resend: bool

    def __init__(
        self,
        classification: Classification,
        message: str | None = None,
        *,
        response: httpx.Response | None = None,
        request: httpx.Request | None = None,
        attempts: int = 1,
        history: Sequence[AttemptRecord] = (),
        executed: AttemptRecord | None = None,
        idempotency_key: str | None = None,
        safe_to_resend: bool | None = None,
    ) -> None:
        self.classification = classification
        self.response = response
        self.request = request
        if request is None and response is not None:
            request = _request_of(response)
        self.request_method = request.method if request is not None else None
        self.request_url = safe_url(request.url) if request is not None else None
        self.status_code = (
            response.status_code if response is not None else classification.http_status
        )
        self.attempts = attempts
        self.history = tuple(history)
        self.executed = executed
        self.idempotency_key = idempotency_key
        self.safe_to_resend = isinstance(self, RetryableError) or bool(safe_to_resend)
        super().__init__(message or _describe(classification, attempts, executed))

    def _portable_state(self) -> dict[str, Any]:
        state = super()._portable_state()
        state["response"] = None
        state["request"] = None
        if "history" in state:
            state["history"] = tuple(_portable_record(r) for r in state["history"])
        if state.get("executed") is not None:
            state["executed"] = _portable_record(state["executed"])
        return state


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built by hand has no request
        return None


def _portable_record(record: AttemptRecord) -> AttemptRecord:
    """The record with an exception in ``error`` replaced by its class name, as payerr records it.

    payerr itself stores the name; a record built by hand may hold the exception, which may not
    pickle (httpx's carry their request).
    """
    if isinstance(record.error, BaseException):
        return record._replace(error=type(record.error).__name__)
    return record


def _describe(c: Classification, attempts: int, executed: AttemptRecord | None) -> str:
    label = c.category if c.category is not None else c.outcome
    code = c.code or "no code"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    text = f"{c.provider} {code}: {label}{tries}: {c.message}"
    if executed is not None and c.outcome != "failed" and "may have executed" not in text:
        text += f" ({executed.describe()} may have executed)"
    return text


class RetryableError(PaymentError):
    """Transient trouble that outlasted the retry policy; the provider did not execute it.

    Raised only when no attempt may have executed (nothing was sent, the provider refused with
    a bare 429, or answered a transient error that says it did not run), so resending is safe;
    otherwise payerr raises :class:`OutcomeUnknownError`.

    Args:
        classification: the answer's :class:`Classification` (the other arguments are
            :class:`PaymentError`'s; the transports fill them).

    Example:
        ``except payerr.RetryableError as exc: later(exc.classification.retry_after)``.
    """


class UserActionError(PaymentError):
    """The payer must act: show ``classification.user_message``.

    Args:
        classification: the answer's :class:`Classification` (the other arguments are
            :class:`PaymentError`'s; the transports fill them).

    Example:
        ``except payerr.UserActionError as exc: show_shopper(exc.classification.user_message)``.
    """


class MerchantConfigError(PaymentError):
    """The merchant's account, credentials or request are wrong: alert engineers, not shoppers.

    Args:
        classification: the answer's :class:`Classification` (the other arguments are
            :class:`PaymentError`'s; the transports fill them).

    Example:
        ``except payerr.MerchantConfigError as exc: page_on_call(exc.classification)``.
    """


class RiskError(PaymentError):
    """Refused by risk controls. Never tell the shopper why; ``user_message`` is neutral.

    Args:
        classification: the answer's :class:`Classification` (the other arguments are
            :class:`PaymentError`'s; the transports fill them).

    Example:
        ``except payerr.RiskError as exc: show_shopper(exc.classification.user_message)``
        (neutral: never the reason).
    """


class FinalError(PaymentError):
    """Settled or impossible (closed, duplicate, already paid): record it, do not retry.

    Args:
        classification: the answer's :class:`Classification` (the other arguments are
            :class:`PaymentError`'s; the transports fill them).

    Example:
        ``except payerr.FinalError: mark_order_failed()``.
    """


class OutcomeUnknownError(PaymentError):
    """The request may have executed and no answer says whether it did.

    Do not resend blindly: inquire the payment's status first (``classification.outcome`` is
    ``pending``). Raised for a read timeout, a dropped connection or a 5xx after a request that
    is not replay-safe; for an answer nobody can read; for a "duplicate" / "order used" / 409
    answer to a resend after an attempt that may have executed (``executed`` names it); and
    when retries under a key payerr generated ran out after an attempt that may have executed
    (``idempotency_key`` is that key).

    Args:
        classification: the answer's :class:`Classification` (the other arguments are
            :class:`PaymentError`'s; the transports fill them).

    Example:
        ``except payerr.OutcomeUnknownError as exc: inquire_later(order, exc.safe_to_resend)``.
    """


class UsageError(PayerrError, ValueError, TypeError):
    """payerr was handed something it cannot use: an unknown operation, a policy setting out
    of range, a body of the wrong type. A ``ValueError`` (and a ``TypeError``), as Python's
    conventions ask, and a :class:`PayerrError` like everything payerr raises.

    Example:
        >>> try:
        ...     payerr.RetryPolicy(attempts=0)
        ... except payerr.UsageError as exc:
        ...     print("bad setting")
        bad setting
    """


class ReattemptStoreError(PayerrError):
    """A :class:`~payerr.networks.ReattemptLimiter`'s store failed (Redis down, hung past the
    client's timeout, read-only, out of memory): nothing was decided from it, and no reattempt
    is allowed by the call that raised.

    ``operation`` is the limiter method that failed (``"allowed"``, ``"reserve"``,
    ``"record"``, ``"forget"``, ``"flush"``). For ``record``, ``kept`` says whether this
    process keeps the answer and writes it before its next use of the store (in order, with
    the answers kept before it); recording it again (same card, same ``attempt_id`` and
    ``reservation``) is safe either way and counts it once. ``unwritten`` is how many answers
    this process keeps. The store's own exception is ``__cause__``.

    Args:
        message: what failed and what is safe to do.
        operation: the limiter method that failed.
        kept: whether this process keeps the answer to write later (``record``).
        unwritten: how many answers this process keeps.

    Example:
        ``except payerr.networks.ReattemptStoreError as exc: retry_job_later()`` around
        ``limiter.record(...)``: recording again with the same ``attempt_id`` counts once.
    """

    def __init__(self, message: str, operation: str, *, kept: bool = False, unwritten: int = 0):
        super().__init__(message)
        self.operation = operation
        self.kept = kept
        self.unwritten = unwritten


class NotificationLedgerError(PayerrError):
    """The shared ledger could not say whether a notification was handled before (or could
    not record that it was).

    payerr does not guess either way ("new" could ship an order twice, "seen" would drop
    it): answer the notification with an error status, and the provider redelivers later.
    The Redis error is its ``__cause__``.

    Example:
        ``except payerr.NotificationLedgerError: return Response(status_code=503)``
    """


class NotificationInProgressError(PayerrError):
    """Another delivery of the same notification is being handled right now (it has not
    called ``done()`` or ``forget()`` yet): answer this one with an error status (503), and
    the provider redelivers later, when the first has settled.

    Acknowledging it instead would lose the event if the first delivery's handling failed.

    Example:
        ``except payerr.NotificationInProgressError: return Response(status_code=503)``
    """


class UnknownProviderError(PayerrError, ValueError):
    """Raised for a provider id payerr has no mapping for; names the providers it knows.

    Args:
        provider: the provider id asked for.
        known: the provider ids payerr has mappings for.

    Example:
        >>> try:
        ...     payerr.classify("stripe", "x")
        ... except payerr.UnknownProviderError as exc:
        ...     print(exc.provider)
        stripe
    """

    def __init__(self, provider: object, known: Sequence[str]) -> None:
        self.provider = provider
        self.known = tuple(known)
        super().__init__(
            f"unknown provider {provider!r}; known providers: {', '.join(self.known) or '(none)'}"
        )


class MappingError(PayerrError, ValueError):
    """A mapping file that cannot be used: bad TOML, a missing or mistyped field, a duplicate code.

    ``errors`` lists every problem found, each naming the file, the code and the field; the
    exception's text is the first of them plus a count of the rest.

    Args:
        errors: every problem found, each naming the file, the code and the field.

    Example:
        ``except payerr.MappingError as exc: print("\\n".join(exc.errors))`` after
        ``payerr.load_mappings(path)``.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0] if self.errors else "invalid mapping"
        more = len(self.errors) - 1
        plural = "s" if more > 1 else ""
        super().__init__(first + (f" (and {more} more problem{plural})" if more else ""))


# Pickles name the public module, whichever names a process has touched (a Celery worker
# pickles what it raises without ever naming payerr.OutcomeUnknownError): the private
# module's path changes when the code moves, the public one does not.
for _public in (
    FinalError, MappingError, MerchantConfigError, NotificationInProgressError,
    NotificationLedgerError, OutcomeUnknownError, PayerrError, PaymentError, RetryableError,
    RiskError, UnknownProviderError, UsageError, UserActionError,
):  # fmt: skip
    _public.__module__ = "payerr"
ReattemptStoreError.__module__ = "payerr.networks"
_restore.__module__ = "payerr"
_restore.__qualname__ = _restore.__name__ = "_restore_error"
_restore_error = _restore
