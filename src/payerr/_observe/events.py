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
returns does): the ``request`` is the very object payerr sends again on a retry, so a hook
treats it (and the ``response``) as read-only, reads what it needs and keeps none of the
secrets in them. payerr will not resend a request whose identity a hook changed (its
idempotency key, request id or order number, method or URL): the call ends in
``OutcomeUnknownError`` instead. Pickled (a queue, a process pool), an event leaves its
``request`` and ``response`` behind (None after the trip), and its ``error`` travels as an
exception of the same class with its text cleaned, without the request it held, as
:class:`payerr.PaymentError` does.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from payerr._core.exceptions import PayerrError
from payerr._core.text import clean_cut
from payerr._observe.redaction import redact_text

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
      events run inside it (a span made current, ids bound for the call's log lines). When the
      client follows a redirect the same object is entered again around the next hop, so it
      must be re-enterable: a class like the one below, never a ``@contextmanager`` generator
      (``structlog.contextvars.bound_contextvars`` is one: it fails on the second hop).
    - a callable is called with each of the call's later events (:class:`AttemptEnded`,
      :class:`RetryScheduled`, :class:`RetryBudgetExhausted`, :class:`CallEnded`), after the
      hooks are.

    One object may be both (payerr's OpenTelemetry hook returns one).

    Attributes:
        provider: the transport's provider id (``"antom"``).
        operation: the operation the request is read for (:class:`payerr.Operation`).
        method: the HTTP method, upper case.
        request: the live request, as it will be sent (an idempotency key payerr added is in
            its headers; URL with its query string, headers and body unredacted). Read-only:
            payerr sends this very object again on a retry. None after unpickling.

    Example:
        A hook binding the call's order id for structlog around every hop of the call (a
        class, entered again for each hop; a ``@contextmanager`` would fail on a redirect):

        >>> import structlog
        >>> from payerr.instrumentation import CallStarted
        >>> class BindOrder:
        ...     def __init__(self, order):
        ...         self.order, self.tokens = order, []
        ...     def __enter__(self):
        ...         self.tokens.append(structlog.contextvars.bind_contextvars(order=self.order))
        ...     def __exit__(self, *exc_info):
        ...         structlog.contextvars.reset_contextvars(**self.tokens.pop())
        >>> def bind_order(event):
        ...     if isinstance(event, CallStarted):
        ...         return BindOrder(event.request.headers.get("Idempotency-Key"))
        >>> request = httpx.Request("POST", "https://api.paykka.test/v1/payments",
        ...                         headers={"Idempotency-Key": "order-7"})
        >>> scope = bind_order(CallStarted(provider="paykka", operation=payerr.Operation.PAY,
        ...                                method="POST", request=request))
        >>> for hop in ("POST", "GET"):  # a followed redirect: the same object, each hop
        ...     with scope:
        ...         print(hop, structlog.contextvars.get_contextvars()["order"])
        POST order-7
        GET order-7
        >>> "order" in structlog.contextvars.get_contextvars()
        False
    """

    provider: str
    operation: Operation
    method: str
    request: httpx.Request

    def __reduce__(self) -> tuple[Any, ...]:
        return _portable(self)


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
        request: the live request sent (unredacted). Read-only: payerr sends this very
            object again on a retry. None after unpickling.
        response: the live answer (its body read; unredacted), or None when sending failed.
            Read-only. None after unpickling.
        error: the exception the attempt ended in (an ``httpx.TransportError``, or the
            interruption), or None when it was answered. Live: it holds the request, and its
            text may quote a header value; pickled, it travels with its text cleaned and no
            request.

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

    def __reduce__(self) -> tuple[Any, ...]:
        return _portable(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryScheduled:
    """A retry is scheduled: payerr is about to wait ``wait`` seconds, then send the same
    request again. (Logged as ``payerr.retry_scheduled``.)

    Attributes:
        provider: the transport's provider id.
        operation: the operation the request is read for.
        number: the attempt that is retried, as the retry loop counts them and as
            ``payerr.retry_scheduled`` logs it (``payment.attempt``): 1 for the first request
            of the current hop. It starts again at 1 after a followed redirect, where
            :attr:`AttemptEnded.number` goes on counting the call's requests.
        wait: the seconds about to be waited.
        record: the retried attempt's record, its ``wait`` set (None outside a transport).
        classification: what payerr made of the retried attempt.
        request: the live request to be sent again (unredacted). Read-only: a hook that
            changes its identity (idempotency key, request id, order number, method, URL)
            ends the call in ``OutcomeUnknownError`` instead of the resend. None after
            unpickling.
        response: the retried attempt's live answer, or None when sending failed. None after
            unpickling.
        error: the exception the retried attempt ended in, or None when it was answered
            (live, as :attr:`AttemptEnded.error`).

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

    def __reduce__(self) -> tuple[Any, ...]:
        return _portable(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryBudgetExhausted:
    """A retry was wanted and the provider's retry budget refused it: the call ends on this
    attempt. (Logged as ``payerr.retry_budget_exhausted``.)

    Attributes:
        provider: the transport's provider id.
        operation: the operation the request is read for.
        number: the attempt that was not retried, as the retry loop counts them (as
            :attr:`RetryScheduled.number`).
        record: its record (None outside a transport).
        classification: what payerr made of it.
        request: the live request that was not sent again (read-only; None after
            unpickling).
        response: its live answer, or None when sending failed (None after unpickling).
        error: the exception it ended in, or None when it was answered (live, as
            :attr:`AttemptEnded.error`).

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

    def __reduce__(self) -> tuple[Any, ...]:
        return _portable(self)


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
            interruption), or None when it returned. A PaymentError's text is cleaned, but its
            ``request``, ``response`` and ``__cause__`` are the live objects (it pickles
            without them).
        records: every attempt of the call, in order (their waits set).
        duration: seconds from the call's start, waits included, on the policy's clock.
        request: the last request sent (live, unredacted; None after unpickling).
        response: the last attempt's answer, or None when it had none (live; None after
            unpickling). A call cancelled while waiting to retry ends with the answer it was
            about to retry.

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

    def __reduce__(self) -> tuple[Any, ...]:
        return _portable(self)


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

    Called synchronously, in the thread or task making the call (an ``async def`` hook is
    refused by ``set_hooks``): it must be quick, and it treats the event's live ``request`` and
    ``response`` as read-only. payerr calls made inside a hook (``payerr.classify`` of an
    unknown code, say) emit no events: a hook never hears itself.

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


# -- pickling: the live httpx objects stay behind -----------------------------------------------


def _portable(event: object) -> tuple[Any, ...]:
    """How an event pickles: its fields, without the live ``request`` and ``response`` (None
    after the trip), and with an ``error`` that is not payerr's own replaced by a stand-in of
    its class (text cleaned, no request), as :class:`payerr.PaymentError` pickles."""
    state = {f.name: getattr(event, f.name) for f in fields(event)}  # type: ignore[arg-type]
    for name in ("request", "response"):
        if name in state:
            state[name] = None
    error = state.get("error")
    if error is not None and not isinstance(error, PayerrError):
        state["error"] = _ErrorText(type(error), _cleaned(error))
    return _rebuild, (type(event), state)


def _rebuild(kind: type[Any], state: dict[str, Any]) -> Any:
    """Unpickle an event."""
    return kind(**state)


def _cleaned(error: BaseException) -> str:
    """The exception's text as payerr logs a transport error's: card numbers and secrets
    masked, control characters dropped, at most 300 characters."""
    try:
        text = str(error)
    except Exception:  # a __str__ that raises
        return ""
    return clean_cut(text, 300, scrub=redact_text)


class _ErrorText:
    """An exception as it pickles inside an event: its class and its cleaned text."""

    __slots__ = ("kind", "text")

    def __init__(self, kind: type[BaseException], text: str) -> None:
        self.kind, self.text = kind, text

    def __reduce__(self) -> tuple[Any, ...]:
        return _stand_in, (self.kind, self.text)


def _stand_in(kind: type[BaseException], text: str) -> BaseException:
    """An exception of ``kind`` carrying ``text``, built without its ``__init__`` (whose
    arguments did not travel); an httpx error's ``request`` is unset, as httpx's own are."""
    try:
        error = kind.__new__(kind)
        error.args = (text,) if text else ()
        if hasattr(kind, "request"):  # httpx.HTTPError: its request property reads _request
            error._request = None  # type: ignore[attr-defined]
    except Exception:  # a class that cannot be built so
        return Exception(f"{kind.__name__}: {text}" if text else kind.__name__)
    return error
