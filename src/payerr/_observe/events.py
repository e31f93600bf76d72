"""The events payerr's transports and retry loops emit, and the shape of a hook that hears them.

One call through a transport emits, in order: :class:`CallStarted`; an :class:`AttemptEnded`
for each request sent, each retry preceded by a :class:`RetryScheduled` (or, when the retry
budget refuses it, a :class:`RetryBudgetExhausted` and no retry); and one :class:`CallEnded`.
A code no mapping knows emits an :class:`UnknownCode` wherever it is classified (the
transports, ``classify``, ``classify_response``; ``classify_http`` is pure). payerr's logs and
OpenTelemetry metrics and spans are two hooks of these events (``payerr._observe.logs``,
``payerr._observe.telemetry``); ``payerr._observe.hooks`` keeps the hooks and delivers the
events.

Events are frozen and slotted. They carry the live httpx objects (as the response a call
returns does): a hook reads them and keeps what it needs, never the bodies' secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    import httpx

    from payerr._core.attempts import AttemptRecord
    from payerr._core.taxonomy import Classification, Operation

__all__ = [
    "AttemptEnded",
    "CallEnded",
    "CallStarted",
    "Event",
    "Hook",
    "RetryBudgetExhausted",
    "RetryScheduled",
    "UnknownCode",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted:
    """A logical call began: the first request of a ``client.post(...)`` through a transport
    (a redirect the client follows continues the call: no second ``CallStarted``).

    What a hook returns for this event (and only this one) may follow the call, holding its
    state (a span) without a table keyed by call:

    - a context manager is entered before the call's first attempt and exited when the
      call's work is over, after its :class:`CallEnded`: the call's attempts, waits and later
      events run inside it (a span made current, ``structlog.contextvars.bound_contextvars``).
      When the client follows a redirect the same object is entered again around the next
      hop: make it reusable (a class, not a ``@contextmanager`` generator) if yours do.
    - a callable is called with each of the call's later events (:class:`AttemptEnded`,
      :class:`RetryScheduled`, :class:`RetryBudgetExhausted`, :class:`CallEnded`), after the
      hooks are.

    One object may be both (payerr's OpenTelemetry hook returns one).

    Attributes:
        provider: the transport's provider id (``"antom"``).
        operation: the operation the request is read for (:class:`payerr.Operation`).
        method: the HTTP method, upper case.
        request: the request, as sent (an idempotency key payerr added is in its headers).

    Example:
        >>> from payerr.instrumentation import CallStarted
        >>> request = httpx.Request("POST", "https://api.paykka.test/v1/payments")
        >>> CallStarted(provider="paykka", operation=payerr.Operation.PAY, method="POST",
        ...             request=request).method
        'POST'
    """

    provider: str
    operation: Operation
    method: str
    request: httpx.Request


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptEnded:
    """One request of a call was sent and came back (or failed): before payerr decides
    whether to retry.

    Attributes:
        provider: the transport's provider id.
        operation: the operation the request is read for.
        number: 1 for the call's first request, counted across its redirect hops.
        record: the attempt as errors carry it (:class:`payerr.AttemptRecord`: status or
            exception name, code, outcome, whether it may have executed).
        classification: what payerr made of the attempt (the Classification the response's
            ``payerr.classification`` extension carries, until a call that raises puts the
            error's there); None when the attempt was interrupted (cancelled,
            ``KeyboardInterrupt``) before payerr could read it.
        request: the request sent.
        response: the answer (its body read), or None when sending failed.
        error: the exception the attempt ended in (an ``httpx.TransportError``, or the
            interruption), or None when it was answered.

    Example:
        ``case AttemptEnded(record=record) if record.error: ...`` in a hook's ``match``.
    """

    provider: str
    operation: Operation
    number: int
    record: AttemptRecord
    classification: Classification | None
    request: httpx.Request
    response: httpx.Response | None
    error: BaseException | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryScheduled:
    """A retry is scheduled: payerr is about to wait ``wait`` seconds, then send the same
    request again. (Logged as ``payerr.retry_scheduled``.)

    Attributes:
        provider: the transport's provider id.
        operation: the operation the request is read for.
        number: the attempt that is retried, as the retry loop counts them (1 for the first
            request of this hop).
        wait: the seconds about to be waited.
        record: the retried attempt's record, its ``wait`` set (None outside a transport).
        classification: what payerr made of the retried attempt.
        request: the request to be sent again.
        response: the retried attempt's answer, or None when sending failed.
        error: the exception the retried attempt ended in, or None when it was answered.

    Example:
        ``if isinstance(event, RetryScheduled): retries.labels(event.provider).inc()``
    """

    provider: str
    operation: Operation
    number: int
    wait: float
    record: AttemptRecord | None
    classification: Classification
    request: httpx.Request
    response: httpx.Response | None
    error: Exception | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryBudgetExhausted:
    """A retry was wanted and the provider's retry budget refused it: the call ends on this
    attempt. (Logged as ``payerr.retry_budget_exhausted``.)

    Attributes:
        provider: the transport's provider id.
        operation: the operation the request is read for.
        number: the attempt that was not retried, as the retry loop counts them.
        record: its record (None outside a transport).
        classification: what payerr made of it.
        request: the request that was not sent again.
        response: its answer, or None when sending failed.
        error: the exception it ended in, or None when it was answered.

    Example:
        ``case RetryBudgetExhausted(provider=provider): page(f"{provider} retry storm")``
    """

    provider: str
    operation: Operation
    number: int
    record: AttemptRecord | None
    classification: Classification
    request: httpx.Request
    response: httpx.Response | None
    error: Exception | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """A logical call is over: it returned a response or raised.

    Not emitted for a redirect handed back to the client (the call goes on if the client
    follows it).

    Attributes:
        provider: the transport's provider id.
        operation: the operation the request is read for.
        classification: the call's verdict: the returned response's Classification, or the
            raised :class:`payerr.PaymentError`'s; None when the call was interrupted
            (cancelled, ``KeyboardInterrupt``, a ``UsageError``) before any verdict.
        error: the exception the call raised (a :class:`payerr.PaymentError`, or the
            interruption), or None when it returned.
        records: every attempt of the call, in order (their waits set).
        duration: seconds from the call's start, waits included, on the policy's clock.
        request: the last request sent.
        response: the last answer, or None.

    Example:
        ``case CallEnded(error=None, duration=seconds): latency.observe(seconds)``
    """

    provider: str
    operation: Operation
    classification: Classification | None
    error: BaseException | None
    records: tuple[AttemptRecord, ...]
    duration: float
    request: httpx.Request
    response: httpx.Response | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownCode:
    """An answer carried a code (or a status value) no mapping knows; emitted every time
    (the log line is limited to one a minute per code, the metric counts each).

    Attributes:
        provider: the provider id.
        operation: the operation the answer was read for.
        code: the unknown code, normalised (the status value, when ``status_field`` is set).
        raw_code: the code as the provider wrote it (cleaned of control characters).
        status_field: the status field whose value no list knows (``"paymentStatus"`` for
            ``paymentStatus=PARTIAL``), or None when the code itself is unknown.
        classification: what payerr made of the answer all the same.

    Example:
        ``case UnknownCode(provider=p, code=code): alert_mapping_gap(p, code)``
    """

    provider: str
    operation: Operation
    code: str
    raw_code: str | None
    status_field: str | None
    classification: Classification


Event: TypeAlias = (
    CallStarted | AttemptEnded | RetryScheduled | RetryBudgetExhausted | CallEnded | UnknownCode
)
"""Every event a hook may be called with (a union: ``isinstance(x, Event)`` works too)."""


class Hook(Protocol):
    """A callable that hears payerr's events: ``hook(event)``, for every event, in order.

    Its return value is ignored, but for a :class:`CallStarted`: a context manager returned
    then is entered around the call, a callable hears the call's later events (see
    :class:`CallStarted`). A hook (or what it returned) that raises never
    breaks a payment: the exception is swallowed, and reported once per hook (until the hooks
    are set again) as the log event ``payerr.hook_failed``.

    Two optional attributes let payerr skip building events nobody records (payerr's own
    hooks have both: a first-try success with logging below DEBUG and no OpenTelemetry
    provider builds no event at all):

    - ``kinds``: the event classes the hook hears; it is never called with another.
    - ``wants(kind, classification) -> bool``: asked before an event is built (``kind`` is
      its class, ``classification`` the one it will carry, or None); False leaves the hook
      out of that event.

    Example:
        >>> from payerr.instrumentation import CallEnded
        >>> def count_declines(event):
        ...     if isinstance(event, CallEnded) and event.error is not None:
        ...         print("declined:", type(event.error).__name__)
        >>> payerr.instrumentation.set_hooks([*payerr.instrumentation.DEFAULT_HOOKS,
        ...                                   count_declines])
        >>> payerr.instrumentation.set_hooks(None)  # the defaults again
    """

    def __call__(
        self, event: Event, /
    ) -> AbstractContextManager[Any] | Callable[[Event], object] | None: ...
