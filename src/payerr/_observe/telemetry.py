"""OpenTelemetry metrics and spans, when ``opentelemetry-api`` is installed (``payerr[otel]``).

payerr records on the meter and tracer named ``payerr`` from whatever providers the
application installed, and never installs one. Without the package nothing is imported; with
it but no provider configured (the API's proxies), every hook returns at once, so payerr
performs as it does without it. The metric names, units and attributes are a contract (issue
13; the docs' Metrics and traces page lists which question each answers):

- ``payerr.client.call.duration`` (histogram, s): one point per logical call, waits included;
  ``payment.provider``, ``payment.operation``, ``payment.outcome``, ``payment.category``
  (failed only), ``payment.reason`` (one of :class:`payerr.Reason`, when an answer was
  classified), ``error.type`` (the exception's class name when the call raised).
- ``payerr.client.attempts`` (counter): every request sent; ``payment.provider``,
  ``payment.operation``, and ``http.response.status_code`` or ``error.type``.
- ``payerr.client.call.retries`` (histogram): retries per logical call that retried (as gRPC's
  A96 ``grpc.client.call.retries``: a call without retries reports no 0).
- ``payerr.client.retry.delay`` (histogram, s): total time such a call waited to retry.
- ``payerr.retry_budget.exhausted`` (counter): retries the budget refused; ``payment.provider``.
- ``payerr.classification.unknown`` (counter): codes no mapping knows; ``payment.provider``,
  ``payment.operation`` (never the code itself: attribute values stay bounded).

Every attribute value comes from a bounded set (provider ids, operations, outcomes, categories,
reasons, HTTP status codes, exception class names); provider text, bodies and secrets never
become one.
A recording failure inside a badly behaved SDK is swallowed: telemetry never breaks a payment.

All of it is recorded by :data:`opentelemetry_hook`, one of the hooks of payerr's events
(``payerr._observe.events``): a call's span and labels live in what it returns for the call's
``CallStarted``, which hears the call's later events and, entered around the call, makes the
span current.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import TYPE_CHECKING, Any

from payerr._core.taxonomy import Classification, Outcome
from payerr._observe.events import (
    AttemptEnded,
    CallEnded,
    CallStarted,
    RetryBudgetExhausted,
    RetryScheduled,
    UnknownCode,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from payerr._core.attempts import AttemptRecord
    from payerr._observe.events import Event

__all__ = [
    "CallTrace",
    "OpenTelemetryHook",
    "attempt",
    "budget_exhausted",
    "end",
    "opentelemetry_hook",
    "start",
    "unknown_code",
    "waiting",
]

METER = "payerr"

# Seconds, as the HTTP semantic conventions advise for http.client.request.duration, with room
# for the waits of a retried call.
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60)
_RETRIES = (1, 2, 3, 4, 5, 10)
_DELAYS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _Instruments:
    """The instruments and tracer bound to one pair of providers."""

    __slots__ = (
        "attempts",
        "budget",
        "delay",
        "duration",
        "retries",
        "span_kind",
        "status_error",
        "tracer",
        "unknown",
    )

    def __init__(self, meter_provider: Any, tracer_provider: Any, version: str) -> None:
        from opentelemetry import trace  # noqa: PLC0415 -- imported only where used

        self.duration = self.attempts = self.retries = self.delay = None
        self.budget = self.unknown = None
        if meter_provider is not None:
            meter = meter_provider.get_meter(METER, version)
            self.duration = _histogram(
                meter,
                "payerr.client.call.duration",
                "s",
                "Duration of a logical payment call, retries and waits included.",
                _SECONDS,
            )
            self.attempts = meter.create_counter(
                "payerr.client.attempts",
                "{attempt}",
                "Requests sent to a provider, resends included.",
            )
            self.retries = _histogram(
                meter,
                "payerr.client.call.retries",
                "{retry}",
                "Retries of a logical payment call that retried.",
                _RETRIES,
            )
            self.delay = _histogram(
                meter,
                "payerr.client.retry.delay",
                "s",
                "Total time a logical payment call waited to retry.",
                _DELAYS,
            )
            self.budget = meter.create_counter(
                "payerr.retry_budget.exhausted",
                "{retry}",
                "Retries refused because the provider's retry budget was spent.",
            )
            self.unknown = meter.create_counter(
                "payerr.classification.unknown",
                "{code}",
                "Provider codes no payerr mapping knows.",
            )
        self.tracer = (
            None if tracer_provider is None else tracer_provider.get_tracer(METER, version)
        )
        self.span_kind = trace.SpanKind.INTERNAL
        self.status_error = trace.StatusCode.ERROR


def _histogram(
    meter: Any, name: str, unit: str, description: str, buckets: tuple[float, ...]
) -> Any:
    try:
        return meter.create_histogram(
            name, unit, description, explicit_bucket_boundaries_advisory=list(buckets)
        )
    except TypeError:  # an API or SDK without bucket advice
        return meter.create_histogram(name, unit, description)


class _State:
    """The providers last seen and the instruments bound to them (rebuilt when they change)."""

    def __init__(self) -> None:
        from opentelemetry import metrics, trace  # noqa: PLC0415 -- imported only where used
        from opentelemetry.metrics import _internal  # noqa: PLC0415

        self.metrics = metrics
        self.trace = trace
        self.seen: tuple[Any, Any] | None = None
        self.bound: _Instruments | None = None
        self.version: str | None = None
        """payerr's version, the instrumentation scope's: read once a provider is installed."""
        # The public getters read the environment on every call (~5 us for both), too much
        # for every payment; the globals they return are read directly where the API has them
        # (it has since 1.0), after one public call has loaded any provider named by
        # OTEL_PYTHON_METER_PROVIDER / OTEL_PYTHON_TRACER_PROVIDER.
        metrics.get_meter_provider()
        trace.get_tracer_provider()
        self.globals: tuple[Any, Any] | None = None
        if hasattr(_internal, "_METER_PROVIDER") and hasattr(trace, "_TRACER_PROVIDER"):
            self.globals = (_internal, trace)

    def providers(self) -> tuple[Any, Any]:
        """The installed meter and tracer providers (None, or the API's stand-ins, if none)."""
        if self.globals is not None:
            return self.globals[0]._METER_PROVIDER, self.globals[1]._TRACER_PROVIDER
        return self.metrics.get_meter_provider(), self.trace.get_tracer_provider()

    def active(self) -> _Instruments | None:
        meter_provider, tracer_provider = self.providers()
        seen = self.seen
        if seen is not None and seen[0] is meter_provider and seen[1] is tracer_provider:
            return self.bound
        self.seen = (meter_provider, tracer_provider)
        # The API's own stand-ins until an application installs a provider: nothing records.
        if type(meter_provider).__name__ in ("_ProxyMeterProvider", "NoOpMeterProvider"):
            meter_provider = None
        if isinstance(
            tracer_provider, self.trace.ProxyTracerProvider | self.trace.NoOpTracerProvider
        ):
            tracer_provider = None
        if meter_provider is None and tracer_provider is None:
            self.bound = None
        else:
            if self.version is None:
                self.version = _payerr_version()
            self.bound = _Instruments(meter_provider, tracer_provider, self.version)
        return self.bound


def _payerr_version() -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415 -- paid once, with a provider

        return version("payerr")
    except Exception:  # pragma: no cover -- an uninstalled tree
        return ""


class _Lookup:
    """Whether OpenTelemetry can record, found out without importing it for nothing.

    An application that installed a provider has imported ``opentelemetry.metrics`` or
    ``opentelemetry.trace`` (``set_meter_provider`` lives there; so does auto-instrumentation's
    setup). Until one of them is in ``sys.modules`` no provider can be installed, so payerr
    imports nothing (importing the API costs tens of milliseconds, which would land on a
    worker's first payment and block its event loop) and records nothing.
    """

    def __init__(self) -> None:
        self.state: _State | None = None
        self.unavailable = False

    def active(self) -> _Instruments | None:
        state = self.state
        if state is None:
            if self.unavailable:
                return None
            modules = sys.modules
            if "opentelemetry.metrics" not in modules and "opentelemetry.trace" not in modules:
                return None
            try:
                state = self.state = _State()
            except ImportError:  # pragma: no cover -- a half-installed opentelemetry
                self.unavailable = True
                return None
        try:
            return state.active()
        except Exception:  # a provider that fails to build instruments: no telemetry
            return None


_LOOKUP = _Lookup()
_active = _LOOKUP.active
"""The instruments to record on, or None: no opentelemetry-api, or no provider installed."""


class CallTrace:
    """One logical call's telemetry: its instruments, its span, its labels."""

    __slots__ = ("first", "labels", "on", "span")

    def __init__(self, on: _Instruments, labels: dict[str, str], span: Any) -> None:
        self.on = on
        self.labels = labels
        self.span = span
        self.first: tuple[int, dict[str, Any]] | None = None
        """The first attempt's event, added to the span only once a second attempt follows
        (a call of one attempt says all of it in the span's own attributes: an SDK event
        costs as much as classifying the answer)."""

    def flush_first(self) -> None:
        if self.first is not None and self.span is not None:
            when, event = self.first
            self.first = None
            with contextlib.suppress(Exception):
                self.span.add_event("payerr.attempt", event, timestamp=when)


def start(provider: str, operation: str, method: str) -> CallTrace | None:
    """A logical call begins: its span, when a tracer provider is installed."""
    modules = sys.modules
    if (
        _LOOKUP.state is None
        and "opentelemetry.metrics" not in modules
        and "opentelemetry.trace" not in modules
    ):
        return None  # no OpenTelemetry imported: nothing to look up (every call asks)
    on = _active()
    if on is None:
        return None
    labels = {"payment.provider": provider, "payment.operation": operation}
    span = None
    if on.tracer is not None:
        try:
            span = on.tracer.start_span(
                f"payerr {operation}",
                kind=on.span_kind,
                attributes={**labels, "http.request.method": method},
            )
        except Exception:
            span = None
    return CallTrace(on, labels, span)


class _Follow:
    """One call's telemetry, hearing the call's later events (what :class:`OpenTelemetryHook`
    returns for a ``CallStarted`` when no span is recorded: metrics only)."""

    __slots__ = ("trace",)

    def __init__(self, trace: CallTrace) -> None:
        self.trace = trace

    def __call__(self, event: Event, /) -> None:
        t = self.trace
        if isinstance(event, AttemptEnded):
            attempt(t, event.number, event.record.status, event.record.error)
        elif isinstance(event, RetryScheduled):
            waiting(t, event.number, event.wait)
        elif isinstance(event, CallEnded):
            error = None if event.error is None else type(event.error).__name__
            end(t, event.records, event.classification, error, event.duration)
        # RetryBudgetExhausted: counted by the hook itself (per provider, not per call)


class _Traced(_Follow):
    """The same, and the call's span as the current span while its attempts run (so an
    instrumented inner transport's HTTP spans nest under it): OpenTelemetry's ``use_span``
    without its exception handling (payerr sets the span's status itself) and at a third of
    its cost. Entered again around each redirect hop."""

    __slots__ = ("_token",)

    def __init__(self, trace: CallTrace) -> None:
        super().__init__(trace)
        self._token: Any = None

    def __enter__(self) -> None:
        from opentelemetry import context, trace  # noqa: PLC0415 -- loaded when a span exists

        self._token = context.attach(trace.set_span_in_context(self.trace.span))

    def __exit__(self, *exc_info: object) -> None:
        from opentelemetry import context  # noqa: PLC0415

        token, self._token = self._token, None
        if token is not None:
            context.detach(token)


def attempt(t: CallTrace | None, number: int, status: int | None, error: str | None) -> None:
    """One request sent (``number`` 1 for the first of the call)."""
    if t is None:
        return
    outcome: dict[str, Any] = (
        {"http.response.status_code": status} if status is not None else {"error.type": error}
    )
    if t.on.attempts is not None:
        with contextlib.suppress(Exception):
            t.on.attempts.add(1, {**t.labels, **outcome})
    if t.span is not None:
        event: dict[str, Any] = {"payment.attempt": number, **outcome}
        if number == 1:
            t.first = (time.time_ns(), event)
            return
        t.flush_first()
        event["http.request.resend_count"] = number - 1
        with contextlib.suppress(Exception):
            t.span.add_event("payerr.attempt", event)


def waiting(t: CallTrace | None, number: int, seconds: float) -> None:
    """A retry is scheduled after attempt ``number``: the wait, as a span event."""
    if t is None or t.span is None:
        return
    t.flush_first()
    with contextlib.suppress(Exception):
        t.span.add_event(
            "payerr.retry_scheduled", {"payment.attempt": number, "payment.wait": float(seconds)}
        )


def end(
    t: CallTrace | None,
    records: Sequence[AttemptRecord],
    c: Classification | None,
    error: str | None,
    duration: float,
) -> None:
    """The logical call is over: its duration, retries and waits; its span ends."""
    if t is None:
        return
    outcome = Outcome.PENDING if c is None else c.outcome
    labels: dict[str, str] = {**t.labels, "payment.outcome": str(outcome)}
    if c is not None:
        if c.category is not None:
            labels["payment.category"] = str(c.category)
        labels["payment.reason"] = str(c.reason)  # one of payerr.Reason: a bounded set
    if error is not None:
        labels["error.type"] = error
    on = t.on
    if on.duration is not None and on.retries is not None and on.delay is not None:
        waits = [r.wait for r in records if r.wait is not None]
        with contextlib.suppress(Exception):
            on.duration.record(max(0.0, duration), labels)
        if waits:
            with contextlib.suppress(Exception):
                on.retries.record(len(waits), t.labels)
            with contextlib.suppress(Exception):
                on.delay.record(sum(waits), t.labels)
    if t.span is not None:
        _end_span(t.span, on, records, c, labels=labels, error=error)


def _end_span(
    span: Any,
    on: _Instruments,
    records: Sequence[AttemptRecord],
    c: Classification | None,
    *,
    labels: dict[str, str],
    error: str | None,
) -> None:
    attributes: dict[str, Any] = {
        key: value
        for key, value in labels.items()
        if key not in ("payment.provider", "payment.operation")
    }
    attributes["payment.attempts"] = len(records)
    if c is not None:
        attributes["payment.code"] = c.code
        if c.http_status is not None:
            attributes["http.response.status_code"] = c.http_status
    with contextlib.suppress(Exception):  # a span processor that fails: the span still ends
        span.set_attributes(attributes)
        if error is not None:
            span.set_status(on.status_error, error)
    with contextlib.suppress(Exception):
        span.end()


def budget_exhausted(provider: str) -> None:
    """A retry was wanted and the provider's retry budget refused it."""
    on = _active()
    if on is None or on.budget is None:
        return
    with contextlib.suppress(Exception):
        on.budget.add(1, {"payment.provider": provider})


def unknown_code(provider: str, operation: str) -> None:
    """No mapping knew the code an answer carried."""
    on = _active()
    if on is None or on.unknown is None:
        return
    with contextlib.suppress(Exception):
        on.unknown.add(1, {"payment.provider": provider, "payment.operation": operation})


class OpenTelemetryHook:
    """The hook that records payerr's OpenTelemetry metrics and spans (the Metrics and
    traces page lists them), on the providers the application installed. Set by default; it
    costs nothing while no provider is installed.

    For a call's ``CallStarted`` it returns the call's telemetry, which hears the call's
    later events and, when spans are recorded, makes the call's span current around its
    attempts (so an instrumented inner transport's spans nest under it).

    Example:
        >>> from payerr.instrumentation import opentelemetry_hook, set_hooks
        >>> set_hooks([opentelemetry_hook])  # metrics and spans, but no logs
        >>> set_hooks(None)
    """

    __slots__ = ()

    kinds = (CallStarted, RetryBudgetExhausted, UnknownCode)
    """The events it hears itself; a call's later events go to what it returned for the
    call's start."""

    def wants(self, kind: type[Any], c: Classification | None) -> bool:
        """Whether anything may be recorded: a provider is installed (without OpenTelemetry
        imported, none can be: nothing is looked up)."""
        if _LOOKUP.state is None:
            modules = sys.modules
            if "opentelemetry.metrics" not in modules and "opentelemetry.trace" not in modules:
                return False
        return _active() is not None

    def __call__(self, event: Event, /) -> _Follow | None:
        if isinstance(event, CallStarted):
            t = start(event.provider, event.operation.value, event.method)
            if t is None:
                return None
            return _Follow(t) if t.span is None else _Traced(t)
        if isinstance(event, UnknownCode):
            unknown_code(event.provider, event.operation.value)
        elif isinstance(event, RetryBudgetExhausted):
            budget_exhausted(event.provider)
        return None

    def __repr__(self) -> str:
        return "payerr.instrumentation.opentelemetry_hook"


opentelemetry_hook = OpenTelemetryHook()
"""payerr's OpenTelemetry metrics and spans, as a hook (:class:`OpenTelemetryHook`)."""
