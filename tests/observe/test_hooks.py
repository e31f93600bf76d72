"""Hooks (payerr.instrumentation): the events a call emits, in order and with their fields,
through the sync and the async transport; turning payerr's own hooks off and on; hooks that
fail; what a hook returns for a call's start; the public face.

The answers are the providers' own (tests/support/answers.py): PayKKa's envelope and its transaction
error 5004 "Insufficient funds" (seeds/003), and plain HTTP statuses (RFC 9110: a 503 refuses
before running). Time is fake (tests/support/clock.py): a wait moves the clock by exactly the wait.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

import payerr
import payerr.instrumentation
from payerr import AttemptRecord, Category, Operation, Outcome, RetryBudget
from payerr.instrumentation import (
    DEFAULT_HOOKS,
    AttemptEnded,
    CallEnded,
    CallStarted,
    Event,
    RetryBudgetExhausted,
    RetryScheduled,
    UnknownCode,
    get_hooks,
    logging_hook,
    opentelemetry_hook,
    set_hooks,
)
from tests.support.answers import ok, paykka_failure
from tests.support.clients import policy
from tests.support.clock import FakeTime
from tests.support.otel import installed
from tests.support.scripted import Scripted

URL = "https://api.paykka.example/api/v1/payments"
KEY = {"Idempotency-Key": "order-7"}
SUCCESS = ok()
DECLINED = paykka_failure("5004", "Insufficient funds")  # seeds/003: a user-action decline
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


class Recorder:
    """A hook that keeps every event it hears."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    @property
    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recorder set as the only hook (payerr's own set again afterwards by reset())."""
    hook = Recorder()
    set_hooks([hook])
    yield hook
    set_hooks(None)


def send(
    handler: Any,
    clock: FakeTime,
    *,
    mode: str,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> httpx.Response | Exception:
    """One POST through the sync or the async transport: the response or the raised error."""
    if mode == "sync":
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy(clock, **options)
        )
        with httpx.Client(transport=transport) as http:
            try:
                return http.post(URL, json={"amount": 100}, headers=headers)
            except payerr.PaymentError as error:
                return error

    async def run() -> httpx.Response | Exception:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy(clock, **options)
        )
        async with httpx.AsyncClient(transport=transport) as http:
            try:
                return await http.post(URL, json={"amount": 100}, headers=headers)
            except payerr.PaymentError as error:
                return error

    return asyncio.run(run())


def started(event: Event) -> CallStarted:
    assert isinstance(event, CallStarted)
    assert (event.provider, event.operation, event.method) == ("paykka", Operation.PAY, "POST")
    assert str(event.request.url) == URL
    return event


def attempt(event: Event, number: int) -> AttemptEnded:
    assert isinstance(event, AttemptEnded)
    assert (event.provider, event.operation, event.number) == ("paykka", Operation.PAY, number)
    assert event.record.number == number
    return event


# -- what a call emits -----------------------------------------------------------------------


@MODES
def test_a_first_try_success(mode: str, recorder: Recorder) -> None:
    response = send(Scripted(SUCCESS), FakeTime(), mode=mode)
    assert isinstance(response, httpx.Response)
    assert recorder.names == ["CallStarted", "AttemptEnded", "CallEnded"]
    start, tried, end = (
        started(recorder.events[0]),
        attempt(recorder.events[1], 1),
        recorder.events[2],
    )
    assert isinstance(end, CallEnded)
    c = payerr.classification_of(response)
    assert c is not None
    assert c.outcome is Outcome.SUCCESS
    # The hooks see the very Classification the response carries.
    assert tried.classification is c
    assert end.classification is c
    assert tried.record == AttemptRecord(1, 200, None, c.code, Outcome.SUCCESS, None, True)
    assert (tried.response, tried.error) == (response, None)
    assert start.request is tried.request is end.request is response.request
    assert (end.error, end.response, end.duration) == (None, response, 0.0)
    assert end.records == (tried.record,)


@MODES
def test_a_503_then_a_success(mode: str, recorder: Recorder) -> None:
    response = send(Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode=mode, headers=KEY)
    assert isinstance(response, httpx.Response)
    assert recorder.names == [
        "CallStarted", "AttemptEnded", "RetryScheduled", "AttemptEnded", "CallEnded",
    ]  # fmt: skip
    started(recorder.events[0])
    first, retry, second, end = attempt(recorder.events[1], 1), *recorder.events[2:]
    assert first.record.status == 503
    assert first.classification is not None
    assert first.classification.category is Category.RETRYABLE
    assert first.response is not None
    assert first.response.status_code == 503
    assert isinstance(retry, RetryScheduled)
    assert (retry.provider, retry.operation, retry.number, retry.wait) == (
        "paykka", Operation.PAY, 1, 0.5,
    )  # fmt: skip
    assert retry.classification is first.classification
    assert retry.record == first.record._replace(wait=0.5)
    assert (retry.request, retry.response, retry.error) == (first.request, first.response, None)
    second = attempt(second, 2)
    assert second.record.status == 200
    assert second.classification is payerr.classification_of(response)
    assert isinstance(end, CallEnded)
    assert (end.error, end.duration) == (None, 0.5)
    assert end.records == (retry.record, second.record)
    assert end.classification is second.classification


@MODES
def test_a_decline_that_raises(mode: str, recorder: Recorder) -> None:
    error = send(Scripted(DECLINED), FakeTime(), mode=mode)
    assert isinstance(error, payerr.UserActionError)
    assert recorder.names == ["CallStarted", "AttemptEnded", "CallEnded"]
    tried, end = attempt(recorder.events[1], 1), recorder.events[2]
    assert tried.classification is not None
    assert (tried.classification.code, tried.classification.category) == (
        "5004",
        Category.USER_ACTION,
    )
    assert isinstance(end, CallEnded)
    assert end.error is error
    assert end.classification is error.classification
    assert end.records == error.history == (tried.record,)
    assert end.response is error.response


@MODES
def test_a_timeout_then_a_success(mode: str, recorder: Recorder) -> None:
    answers = Scripted(httpx.ReadTimeout("stalled"), SUCCESS)
    response = send(answers, FakeTime(), mode=mode, headers=KEY)  # keyed: the resend is safe
    assert isinstance(response, httpx.Response)
    assert recorder.names == [
        "CallStarted", "AttemptEnded", "RetryScheduled", "AttemptEnded", "CallEnded",
    ]  # fmt: skip
    first, retry, second, end = attempt(recorder.events[1], 1), *recorder.events[2:]
    assert isinstance(first.error, httpx.ReadTimeout)
    assert first.response is None
    assert (first.record.status, first.record.error, first.record.executed) == (
        None,
        "ReadTimeout",
        True,  # it may have reached the provider
    )
    assert isinstance(retry, RetryScheduled)
    assert retry.error is first.error
    assert (retry.number, retry.wait) == (1, 0.5)
    attempt(second, 2)
    assert isinstance(end, CallEnded)
    assert [r.error or r.status for r in end.records] == ["ReadTimeout", 200]


def test_a_spent_budget(recorder: Recorder) -> None:
    budget = RetryBudget(percent=0.0, min_retries=0)
    error = send(Scripted(httpx.Response(429)), FakeTime(), mode="sync", headers=KEY, budget=budget)
    assert isinstance(error, payerr.RetryableError)
    assert recorder.names == ["CallStarted", "AttemptEnded", "RetryBudgetExhausted", "CallEnded"]
    spent = recorder.events[2]
    assert isinstance(spent, RetryBudgetExhausted)
    assert (spent.provider, spent.number, spent.record) == ("paykka", 1, error.history[0])


def test_a_cancelled_call_ends_with_its_interruption(recorder: Recorder) -> None:
    async def main() -> None:
        stall = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            await stall.wait()
            return SUCCESS

        transport = payerr.AsyncPaymentTransport("paykka", transport=httpx.MockTransport(handler))
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(http.post(URL, json={}, headers=KEY), 0.01)

    asyncio.run(main())
    assert recorder.names == ["CallStarted", "AttemptEnded", "CallEnded"]
    _, tried, end = recorder.events
    assert isinstance(tried, AttemptEnded)
    assert tried.classification is None  # interrupted before payerr could read anything
    assert isinstance(tried.error, asyncio.CancelledError)
    assert (tried.record.error, tried.record.executed) == ("CancelledError", True)
    assert isinstance(end, CallEnded)
    assert end.classification is None
    assert end.error is tried.error


def test_an_unknown_code_is_an_event_wherever_it_is_classified(recorder: Recorder) -> None:
    unknown = httpx.Response(
        200, json={"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "9x-new"}}
    )
    send(Scripted(unknown), FakeTime(), mode="sync")
    assert recorder.names == ["CallStarted", "UnknownCode", "AttemptEnded", "CallEnded"]
    event = recorder.events[1]
    assert isinstance(event, UnknownCode)
    assert (event.provider, event.operation, event.code, event.raw_code, event.status_field) == (
        "paykka", Operation.PAY, "9X-NEW", "9x-new", None,
    )  # fmt: skip
    assert event.classification.known is False
    recorder.events.clear()
    payerr.classify_http("paykka", 200, unknown.content)  # pure: tells nobody
    assert recorder.events == []
    payerr.classify_response("paykka", unknown)
    assert recorder.names == ["UnknownCode"]


def test_events_are_frozen_slotted_values(recorder: Recorder) -> None:
    send(Scripted(SUCCESS), FakeTime(), mode="sync")
    for event in recorder.events:
        assert not hasattr(event, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.provider = "antom"  # type: ignore[misc]
        assert isinstance(event, Event)


# -- payerr's own hooks, off and on ----------------------------------------------------------


def _logs_and_metrics() -> tuple[list[str], list[str], list[str]]:
    """A retried success, a decline and an unknown code: the payerr log events, the payerr
    metric names and the span names they leave."""
    unknown = httpx.Response(
        200, json={"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "9x-new"}}
    )
    with installed() as otel, capture_logs() as logs:
        send(Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode="sync", headers=KEY)
        send(Scripted(DECLINED), FakeTime(), mode="async")
        send(Scripted(unknown), FakeTime(), mode="sync")
        assert otel.reader is not None
        data = otel.reader.get_metrics_data()
        metrics = sorted(
            m.name
            for r in (data.resource_metrics if data is not None else ())
            for s in r.scope_metrics
            for m in s.metrics
        )
        spans = [s.name for s in otel.spans()]
    return [e["event"] for e in logs if e["event"].startswith("payerr.")], metrics, spans


def test_no_hooks_no_logs_metrics_or_spans_and_none_brings_them_back() -> None:
    assert get_hooks() == DEFAULT_HOOKS == (logging_hook, opentelemetry_hook)
    set_hooks([])
    assert get_hooks() == ()
    assert _logs_and_metrics() == ([], [], [])
    set_hooks(None)
    logs, metrics, spans = _logs_and_metrics()
    assert logs == [
        "payerr.retry_scheduled",
        "payerr.request_succeeded",
        "payerr.request_failed",
        "payerr.unknown_code",
        "payerr.request_failed",
    ]
    assert metrics == [
        "payerr.classification.unknown",
        "payerr.client.attempts",
        "payerr.client.call.duration",
        "payerr.client.call.retries",
        "payerr.client.retry.delay",
    ]
    assert spans == ["payerr pay"] * 3


def test_each_of_payerrs_hooks_alone() -> None:
    set_hooks([logging_hook])
    logs, metrics, spans = _logs_and_metrics()
    assert (len(logs), metrics, spans) == (5, [], [])
    set_hooks([opentelemetry_hook])
    logs, metrics, spans = _logs_and_metrics()
    assert (logs, len(metrics), len(spans)) == ([], 5, 3)


def test_a_users_hook_beside_payerrs_own(recorder: Recorder) -> None:
    set_hooks([*DEFAULT_HOOKS, recorder])
    with capture_logs() as logs:
        send(Scripted(DECLINED), FakeTime(), mode="sync")
    assert [e["event"] for e in logs] == ["payerr.request_failed"]
    assert recorder.names == ["CallStarted", "AttemptEnded", "CallEnded"]


def test_testing_reset_sets_payerrs_own_hooks_again(recorder: Recorder) -> None:
    assert get_hooks() == (recorder,)
    payerr.testing.reset()
    assert get_hooks() == DEFAULT_HOOKS


# -- hooks that fail -------------------------------------------------------------------------


def _broken(event: Event) -> None:
    raise RuntimeError("dashboard on fire")


@MODES
def test_a_hook_that_raises_never_breaks_a_payment(mode: str, recorder: Recorder) -> None:
    set_hooks([_broken, *DEFAULT_HOOKS, recorder])
    with capture_logs() as logs:
        response = send(Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode=mode, headers=KEY)
        error = send(Scripted(DECLINED), FakeTime(), mode=mode)
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200
    assert isinstance(error, payerr.UserActionError)  # the call's own error, not the hook's
    failed = [e for e in logs if e["event"] == "payerr.hook_failed"]
    assert len(failed) == 1  # once per hook, until the hooks are set again
    assert failed[0]["hook"] == f"{__name__}._broken"
    assert failed[0]["error"] == "RuntimeError"
    assert failed[0]["log_level"] == "error"
    assert [e["event"] for e in logs if e is not failed[0]] == [
        "payerr.retry_scheduled",
        "payerr.request_succeeded",
        "payerr.request_failed",
    ]  # the hooks after the broken one heard everything
    assert recorder.names.count("CallEnded") == 2


class _BadScope:
    def __init__(self, where: str) -> None:
        self.where = where

    def __call__(self, event: Event) -> _BadScope | None:
        return self if isinstance(event, CallStarted) else None

    def __enter__(self) -> None:
        if self.where == "enter":
            raise RuntimeError("enter")

    def __exit__(self, *exc_info: object) -> bool:
        if self.where == "exit":
            raise RuntimeError("exit")
        return True  # tries to swallow the call's error: ignored


class _BadWants:
    def wants(self, kind: type[Any], c: object) -> bool:
        raise RuntimeError("wants")

    def __call__(self, event: Event) -> None:
        raise AssertionError("never called: its wants failed")


@pytest.mark.parametrize("hook", [_BadScope("enter"), _BadScope("exit"), _BadWants()])
def test_a_failing_context_manager_or_wants_is_reported_and_passed_over(hook: Any) -> None:
    set_hooks([hook])
    with capture_logs() as logs:
        error = send(Scripted(DECLINED), FakeTime(), mode="sync")
    assert isinstance(error, payerr.UserActionError)  # raised, whatever __exit__ returned
    assert [e["event"] for e in logs] == ["payerr.hook_failed"]


# -- what a hook returns for a call's start --------------------------------------------------

_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("current", default=None)


class _PerCall:
    """A hook whose object per call is entered around the call and hears its later events."""

    def __init__(self) -> None:
        self.calls: list[_PerCall.Call] = []

    class Call:
        def __init__(self, name: str) -> None:
            self.name = name
            self.heard: list[str] = []
            self.token: contextvars.Token[str | None] | None = None

        def __enter__(self) -> None:
            self.token = _CURRENT.set(self.name)

        def __exit__(self, *exc_info: object) -> None:
            assert self.token is not None
            _CURRENT.reset(self.token)

        def __call__(self, event: Event) -> None:
            self.heard.append(f"{type(event).__name__} in {_CURRENT.get()}")

    def __call__(self, event: Event) -> _PerCall.Call | None:
        if isinstance(event, CallStarted):
            call = _PerCall.Call(f"call {len(self.calls) + 1}")
            self.calls.append(call)
            return call
        return None


@MODES
def test_what_a_hook_returns_for_a_call_follows_the_call(mode: str) -> None:
    hook = _PerCall()
    set_hooks([hook])
    seen_inside: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_inside.append(_CURRENT.get())  # the inner transport runs inside the context
        return [httpx.Response(503), ok()][len(seen_inside) - 1]

    send(handler, FakeTime(), mode=mode, headers=KEY)
    send(Scripted(DECLINED), FakeTime(), mode=mode)
    first, second = hook.calls
    assert seen_inside == ["call 1", "call 1"]
    assert first.heard == [
        "AttemptEnded in call 1",
        "RetryScheduled in call 1",
        "AttemptEnded in call 1",
        "CallEnded in call 1",
    ]
    assert second.heard == ["AttemptEnded in call 2", "CallEnded in call 2"]
    assert _CURRENT.get() is None  # exited


def test_a_followed_redirect_is_one_call_its_context_entered_around_each_hop() -> None:
    """A 303 after a POST points at its result: the GET that follows continues the call (one
    CallStarted, one CallEnded), and what the hook returned is entered again around it."""
    hook = _PerCall()
    recorder = Recorder()
    set_hooks([hook, recorder])
    seen_inside: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_inside.append(_CURRENT.get())
        if request.method == "POST":
            return httpx.Response(303, headers={"Location": "/api/v1/payments/7"})
        return ok()

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy(FakeTime())
    )
    with httpx.Client(transport=transport, follow_redirects=True) as http:
        response = http.post(URL, json={"amount": 100})
    assert response.status_code == 200
    assert seen_inside == ["call 1", "call 1"]
    assert recorder.names == ["CallStarted", "AttemptEnded", "AttemptEnded", "CallEnded"]
    assert [e.number for e in recorder.events if isinstance(e, AttemptEnded)] == [1, 2]
    assert hook.calls[0].heard == [
        "AttemptEnded in call 1",
        "AttemptEnded in call 1",
        "CallEnded in call 1",
    ]


def test_the_span_is_current_in_every_hop_of_a_followed_redirect() -> None:
    from opentelemetry import trace

    with installed() as otel:
        tracer = trace.get_tracer("inner-http")

        def handler(request: httpx.Request) -> httpx.Response:
            with tracer.start_as_current_span(request.method, kind=trace.SpanKind.CLIENT):
                if request.method == "POST":
                    return httpx.Response(303, headers={"Location": "/api/v1/payments/7"})
                return ok()

        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy(FakeTime())
        )
        with httpx.Client(transport=transport, follow_redirects=True) as http:
            http.post(URL, json={"amount": 100})
        post, get, call = otel.spans()
        assert (post.name, get.name, call.name) == ("POST", "GET", "payerr pay")
        assert call.context is not None
        for inner in (post, get):
            assert inner.parent is not None
            assert inner.parent.span_id == call.context.span_id
        assert call.attributes is not None
        assert call.attributes["payment.attempts"] == 2


def test_a_hooks_kinds_and_wants_choose_its_events() -> None:
    class Failures:
        kinds = (CallEnded,)

        def __init__(self) -> None:
            self.asked: list[str] = []
            self.heard: list[CallEnded] = []

        def wants(self, kind: type[Any], c: payerr.Classification | None) -> bool:
            self.asked.append(kind.__name__)
            return c is not None and c.is_failure

        def __call__(self, event: Event) -> None:
            assert isinstance(event, CallEnded)
            self.heard.append(event)

    hook = Failures()
    set_hooks([hook])
    send(Scripted(SUCCESS), FakeTime(), mode="sync")
    error = send(Scripted(DECLINED), FakeTime(), mode="sync")
    assert set(hook.asked) == {"CallEnded"}
    assert [e.error for e in hook.heard] == [error]


def test_set_hooks_refuses_what_is_not_a_hook() -> None:
    with pytest.raises(payerr.UsageError, match="not callable"):
        set_hooks([logging_hook, "print"])  # type: ignore[list-item]

    class Odd:
        kinds = ("CallEnded",)

        def __call__(self, event: Event) -> None: ...

    class Kindless:
        kinds = 3

        def __call__(self, event: Event) -> None: ...

    class Wanting:
        wants = True

        def __call__(self, event: Event) -> None: ...

    with pytest.raises(payerr.UsageError, match="event classes"):
        set_hooks([Odd()])
    with pytest.raises(payerr.UsageError, match="event classes"):
        set_hooks([Kindless()])
    with pytest.raises(payerr.UsageError, match="wants is a method"):
        set_hooks([Wanting()])
    assert get_hooks() == DEFAULT_HOOKS  # nothing changed


def test_hooks_are_process_wide_and_swapped_safely_while_calls_run() -> None:
    recorder = Recorder()
    set_hooks([recorder])
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            for _ in range(20):
                send(Scripted(SUCCESS), FakeTime(), mode="sync")
        except BaseException as exc:  # pragma: no cover -- the failure reported below
            errors.append(exc)

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(50):
        set_hooks([recorder, *DEFAULT_HOOKS])
        set_hooks([recorder])
    for t in threads:
        t.join()
    assert errors == []
    ends = [e for e in recorder.events if isinstance(e, CallEnded)]
    assert len(ends) == 80  # every call of every thread, heard by the process-wide hook


# -- the public face -------------------------------------------------------------------------


def test_the_public_names() -> None:
    face = payerr.instrumentation
    assert sorted(face.__all__) == sorted(
        [
            "DEFAULT_HOOKS", "AttemptEnded", "CallEnded", "CallStarted", "Event", "Hook",
            "LoggingHook", "OpenTelemetryHook", "RetryBudgetExhausted", "RetryScheduled",
            "UnknownCode", "get_hooks", "logging_hook", "opentelemetry_hook", "set_hooks",
        ]
    )  # fmt: skip
    for name in face.__all__:
        value = getattr(face, name)
        if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
            assert value.__module__ == "payerr.instrumentation", name
    assert repr(logging_hook) == "payerr.instrumentation.logging_hook"


def test_every_public_object_has_an_example_that_runs() -> None:
    import doctest

    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    face = payerr.instrumentation
    for name in face.__all__:
        value = getattr(face, name)
        if name in ("DEFAULT_HOOKS", "Event"):
            continue  # data: documented on the page
        assert "Example:" in (value.__doc__ or ""), name
        for test in finder.find(value, name, globs={"payerr": payerr, "httpx": httpx}):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert get_hooks() == DEFAULT_HOOKS  # the examples set the defaults back


def test_import_payerr_does_not_load_the_instrumentation_face() -> None:
    code = (
        "import sys, payerr\n"
        "assert 'payerr.instrumentation' not in sys.modules\n"
        "assert payerr.instrumentation.get_hooks() == payerr.instrumentation.DEFAULT_HOOKS\n"
        "assert 'payerr.instrumentation' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- a hook that edits the live request: never a second charge --------------------------------


class _Provider:
    """A provider that charges once per idempotency key (a request without one is a new
    charge), whose gateway lost the first answer (a bare 503 after the charge ran: RFC 9110
    15.6.4, a gateway's 503 can follow a provider that executed). Records what each request
    carried when it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None, bytes]] = []
        self.charges: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("Idempotency-Key") or None
        self.sent.append((request.method, str(request.url), key, request.read()))
        if key is None or key not in self.charges:
            self.charges.append(key)
        return httpx.Response(503) if len(self.sent) == 1 else ok()


def _blank_key(request: httpx.Request) -> None:
    request.headers["Idempotency-Key"] = "[REDACTED]"  # "scrubbed before it goes to a queue"


def _drop_key(request: httpx.Request) -> None:
    del request.headers["Idempotency-Key"]


def _to_get(request: httpx.Request) -> None:
    request.method = "GET"


def _other_url(request: httpx.Request) -> None:
    request.url = request.url.copy_with(path="/api/v1/payments/elsewhere")


def _scrub_order(request: httpx.Request) -> None:
    request._content = request.content.replace(b"ORD-7", b"[REDACTED]")  # httpx's body


def _scrub_auth(request: httpx.Request) -> None:
    request.headers["Authorization"] = "[REDACTED]"  # not what the provider dedupes on


class _Editor:
    """A hook that edits the request of one kind of event, when that event's attempt was a
    503 (a scrubber, a header-rewriting tracer)."""

    def __init__(self, kind: type[Any], edit: Any) -> None:
        self.kind, self.edit = kind, edit
        self.ended: list[CallEnded] = []

    def __call__(self, event: Event) -> None:
        if (
            isinstance(event, AttemptEnded | RetryScheduled)
            and isinstance(event, self.kind)
            and event.response is not None
            and event.response.status_code == 503
        ):
            self.edit(event.request)
        if isinstance(event, CallEnded):
            self.ended.append(event)


def _pay_through(
    provider: _Provider, mode: str, **options: Any
) -> httpx.Response | payerr.PaymentError:
    """One keyed payment carrying an order number (an order field of the ledger's)."""
    kwargs: dict[str, Any] = {"order_fields": ("merchant_order_no",), **options}
    body = {"amount": 100, "merchant_order_no": "ORD-7"}
    headers = {"Idempotency-Key": "order-7", "Authorization": "Bearer sk_test_abc"}
    if mode == "sync":
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(provider), policy=policy(FakeTime()), **kwargs
        )
        with httpx.Client(transport=transport) as http:
            try:
                return http.post(URL, json=body, headers=headers)
            except payerr.PaymentError as error:
                return error

    async def run() -> httpx.Response | payerr.PaymentError:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(provider), policy=policy(FakeTime()), **kwargs
        )
        async with httpx.AsyncClient(transport=transport) as http:
            try:
                return await http.post(URL, json=body, headers=headers)
            except payerr.PaymentError as error:
                return error

    return asyncio.run(run())


@MODES
@pytest.mark.parametrize("kind", [AttemptEnded, RetryScheduled])
@pytest.mark.parametrize("edit", [_blank_key, _drop_key, _to_get, _other_url, _scrub_order])
def test_a_request_whose_identity_a_hook_changed_is_never_resent(
    mode: str, kind: type[Any], edit: Any
) -> None:
    from payerr._mappings.unknown import CHANGED_ACTION

    provider, editor = _Provider(), _Editor(kind, edit)
    set_hooks([*DEFAULT_HOOKS, editor])
    error = _pay_through(provider, mode)
    assert len(provider.sent) == 1  # the edited request never went out
    assert provider.charges == ["order-7"]  # one charge
    assert isinstance(error, payerr.OutcomeUnknownError)
    assert error.safe_to_resend is False
    c = error.classification
    assert (c.outcome, c.category, c.advice) == (Outcome.PENDING, None, payerr.Advice.INQUIRE)
    assert c.action == CHANGED_ACTION
    assert "identity changed" in c.message
    assert error.attempts == 1  # the refused resend is no attempt
    assert error.response is not None
    assert error.response.status_code == 503
    (end,) = editor.ended
    assert end.error is error
    assert end.records == error.history


@MODES
def test_a_hook_editing_what_is_not_the_requests_identity_does_not_stop_the_retry(
    mode: str,
) -> None:
    provider, editor = _Provider(), _Editor(AttemptEnded, _scrub_auth)
    set_hooks([*DEFAULT_HOOKS, editor])
    response = _pay_through(provider, mode)
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200
    assert [key for _, _, key, _ in provider.sent] == ["order-7", "order-7"]
    assert provider.charges == ["order-7"]


def test_a_key_a_hook_adds_at_the_calls_start_is_the_one_it_is_judged_by() -> None:
    """Before the first send the request is the caller's to shape (a tracer adding a header, a
    hook adding a key): what was sent is what a resend is held to."""

    def add_key(event: Event) -> None:
        if isinstance(event, CallStarted):
            event.request.headers["Idempotency-Key"] = "order-8"

    provider = _Provider()
    set_hooks([add_key])
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(provider), policy=policy(FakeTime())
    )
    with httpx.Client(transport=transport) as http:
        response = http.post(URL, json={"amount": 100})
    assert response.status_code == 200
    assert [key for _, _, key, _ in provider.sent] == ["order-8", "order-8"]


# -- what a hook returns is probed inside the catch-all ----------------------------------------


class _Unbound:
    """A lazy proxy whose target is not bound: every attribute lookup raises (werkzeug's
    LocalProxy outside a request context)."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("working outside of request context")


@MODES
def test_an_object_returned_for_call_started_whose_attributes_raise_never_breaks_a_payment(
    mode: str,
) -> None:
    answers = Scripted(SUCCESS)
    set_hooks([*DEFAULT_HOOKS, lambda e: _Unbound() if isinstance(e, CallStarted) else None])
    with capture_logs() as logs:
        response = send(answers, FakeTime(), mode=mode, headers=KEY)
        send(Scripted(SUCCESS), FakeTime(), mode=mode, headers=KEY)
    assert isinstance(response, httpx.Response)
    assert payerr.classification_of(response).outcome is Outcome.SUCCESS  # type: ignore[union-attr]
    assert len(answers.requests) == 1
    failed = [e for e in logs if e["event"] == "payerr.hook_failed"]
    assert [e["error"] for e in failed] == ["RuntimeError"]  # once, the payments unharmed


# -- payerr.hook_failed: a redacted traceback, never the exception ------------------------------

_PAN = "4111111111111111"
_SECRET = "sk_live_TOPSECRET"


def _leaky_failure() -> None:
    """A call whose transport error quotes an Authorization header (h11's words), through a
    hook that fails while payerr handles it, naming the request's URL (a card number in its
    query string): the hook's exception chains the transport error."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value b' Bearer {_SECRET}'")

    def describe(event: Event) -> None:
        if isinstance(event, AttemptEnded):
            raise ValueError(f"cannot count {event.request.url}")

    set_hooks([describe])
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(refuse), policy=policy(FakeTime())
    )
    with httpx.Client(transport=transport) as http, pytest.raises(payerr.MerchantConfigError):
        http.post(f"{URL}?card={_PAN}", json={}, headers={"Authorization": f" Bearer {_SECRET}"})


def _assert_redacted_traceback(text: str) -> None:
    assert _PAN not in text
    assert _SECRET not in text
    assert "411111******1111" in text  # the hook's own message, masked
    assert "[REDACTED]" in text  # the header value the transport error quoted
    assert "ValueError: cannot count" in text
    assert "httpx.LocalProtocolError" in text  # the chain is kept, cleaned


def test_hook_failed_carries_a_redacted_traceback_through_structlog() -> None:
    with capture_logs() as logs:
        _leaky_failure()
    (failed,) = [e for e in logs if e["event"] == "payerr.hook_failed"]
    assert "exc_info" not in failed
    assert failed["error"] == "ValueError"
    _assert_redacted_traceback(failed["exception"])
    assert _PAN not in repr(failed)
    assert _SECRET not in repr(failed)


def test_hook_failed_carries_a_redacted_traceback_through_stdlib_logging() -> None:
    import logging

    import structlog

    structlog.reset_defaults()  # not configured: payerr logs through the stdlib
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.ERROR)
    logger = logging.getLogger("payerr")
    logger.addHandler(handler)
    try:
        _leaky_failure()
    finally:
        logger.removeHandler(handler)
    (record,) = [r for r in records if "payerr.hook_failed" in r.getMessage()]
    assert record.exc_info is None  # never the exception itself
    text = logging.Formatter().format(record)  # what a handler prints, traceback included
    _assert_redacted_traceback(text)
    assert _PAN not in repr(record.__dict__)
    assert _SECRET not in repr(record.__dict__)


# -- events pickle without the live objects ----------------------------------------------------


def test_events_pickle_without_the_live_request_response_or_error_text() -> None:
    import pickle

    recorder = Recorder()
    set_hooks([recorder])
    card = {"card": {"number": _PAN, "cvv": "737"}}
    secret = {"Authorization": f"Bearer {_SECRET}", **KEY}
    answers = Scripted(
        httpx.ReadTimeout(f"Illegal header value b' Bearer {_SECRET}' after {_PAN}"), DECLINED
    )
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(answers), policy=policy(FakeTime())
    )
    with httpx.Client(transport=transport) as http, pytest.raises(payerr.UserActionError):
        http.post(f"{URL}?pan={_PAN}", json=card, headers=secret)
    assert recorder.names == [
        "CallStarted", "AttemptEnded", "RetryScheduled", "AttemptEnded", "CallEnded",
    ]  # fmt: skip
    for event in recorder.events:
        assert not isinstance(event, UnknownCode)
        blob = pickle.dumps(event)
        for leak in (_PAN.encode(), _SECRET.encode(), b"737"):
            assert leak not in blob, (type(event).__name__, leak)
        back = pickle.loads(blob)
        assert type(back) is type(event)
        assert back.request is None
        assert getattr(back, "response", None) is None
        for field in dataclasses.fields(event):
            if field.name not in ("request", "response", "error"):
                assert getattr(back, field.name) == getattr(event, field.name), field.name
    timed_out = pickle.loads(pickle.dumps(recorder.events[1]))
    assert isinstance(timed_out.error, httpx.ReadTimeout)
    assert str(timed_out.error) == "Illegal header value b' [REDACTED]' after 411111******1111"
    with pytest.raises(RuntimeError):  # as httpx's own, when no request was set
        timed_out.error.request  # noqa: B018
    live = recorder.events[-1]
    assert isinstance(live, CallEnded)
    end = pickle.loads(pickle.dumps(live))
    assert isinstance(end.error, payerr.UserActionError)  # payerr's own: as it pickles
    assert (end.error.request, end.error.response) == (None, None)
    assert live.request is not None  # the live event keeps them


# -- set_hooks reads a hook once, and refuses async ones --------------------------------------


def test_a_hooks_kinds_are_read_once_a_generator_included() -> None:
    heard: list[str] = []

    class Counter:
        kinds = (kind for kind in (CallEnded, RetryScheduled))  # one-shot

        def __call__(self, event: Event) -> None:
            heard.append(type(event).__name__)

    set_hooks([Counter()])
    send(Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode="sync", headers=KEY)
    send(Scripted(SUCCESS), FakeTime(), mode="sync", headers=KEY)
    assert heard == ["RetryScheduled", "CallEnded", "CallEnded"]


def test_kinds_that_cannot_be_read_are_refused() -> None:
    def broken_kinds() -> Iterator[type[Any]]:
        yield CallEnded
        raise RuntimeError("config reload")

    class Raising:
        kinds = broken_kinds()

        def __call__(self, event: Event) -> None: ...

    class Unhashable:
        kinds = ([CallEnded],)

        def __call__(self, event: Event) -> None: ...

    class Property:
        @property
        def kinds(self) -> tuple[type[Any], ...]:
            raise RuntimeError("not ready")

        def __call__(self, event: Event) -> None: ...

    for hook in (Raising(), Unhashable()):
        with pytest.raises(payerr.UsageError, match="event classes"):
            set_hooks([hook])
    with pytest.raises(payerr.UsageError, match="could not be read"):
        set_hooks([Property()])
    with pytest.raises(payerr.UsageError, match="list of hooks"):
        set_hooks(3)  # type: ignore[arg-type]
    assert get_hooks() == DEFAULT_HOOKS


def test_async_hooks_are_refused() -> None:
    async def count(event: Event) -> None: ...

    async def stream(event: Event) -> Any:
        yield event

    class AsyncCall:
        async def __call__(self, event: Event) -> None: ...

    class AsyncWants:
        async def wants(self, kind: type[Any], c: object) -> bool:
            return True

        def __call__(self, event: Event) -> None: ...

    for hook in (count, stream, AsyncCall(), functools.partial(count)):
        with pytest.raises(payerr.UsageError, match="called synchronously"):
            set_hooks([*DEFAULT_HOOKS, hook])  # type: ignore[list-item]
    with pytest.raises(payerr.UsageError, match="called synchronously"):
        set_hooks([AsyncWants()])
    assert get_hooks() == DEFAULT_HOOKS


# -- a hook that calls payerr never hears itself -----------------------------------------------


def test_a_hook_that_classifies_the_unknown_code_it_heard_hears_it_once() -> None:
    unknown = httpx.Response(
        200, json={"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "77x"}}
    )
    depth = [0]
    recorder = Recorder()

    def advise(event: Event) -> None:
        if isinstance(event, UnknownCode):
            depth[0] += 1
            assert event.raw_code is not None
            payerr.classify(event.provider, event.raw_code)  # emits nothing from in here

    set_hooks([*DEFAULT_HOOKS, advise, recorder])
    with capture_logs() as logs:
        error = send(Scripted(unknown), FakeTime(), mode="sync")
    assert isinstance(error, payerr.PaymentError)
    assert depth == [1]
    assert recorder.names == ["CallStarted", "UnknownCode", "AttemptEnded", "CallEnded"]
    assert [e["event"] for e in logs] == ["payerr.unknown_code", "payerr.request_failed"]
    payerr.classify("paykka", "77y")  # outside a hook: heard again
    assert depth == [2]


def test_a_report_that_could_not_be_written_is_tried_again_and_written_once() -> None:
    import structlog

    written: list[MutableMapping[str, Any]] = []
    down = [RuntimeError("log pipeline down")]
    recorder = Recorder()

    def pipeline(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> Any:
        if down:
            raise down.pop()
        payerr.classify("paykka", "9x-new")  # a processor calling payerr: heard by nobody
        written.append(event_dict)
        raise structlog.DropEvent

    structlog.configure(processors=[pipeline], logger_factory=structlog.ReturnLoggerFactory())
    set_hooks([_broken, recorder])
    send(Scripted(DECLINED), FakeTime(), mode="sync")  # three failures: start, attempt, end
    send(Scripted(DECLINED), FakeTime(), mode="sync")
    assert [(e["event"], e["hook"]) for e in written] == [
        ("payerr.hook_failed", f"{__name__}._broken")
    ]
    assert "UnknownCode" not in recorder.names


# -- forked workers ----------------------------------------------------------------------------

_FORK = """
import io, logging, os, signal, sys
import httpx, payerr
from payerr._core.log_limit import _LIMITERS
from payerr._observe import hooks
from payerr.instrumentation import DEFAULT_HOOKS, set_hooks

lines = io.StringIO()
logging.getLogger("payerr").addHandler(logging.StreamHandler(lines))
logging.getLogger("payerr").setLevel(logging.WARNING)

def broken(event):
    raise RuntimeError("dashboard on fire")

def pay():
    answer = {{"ret_code": "000000", "data": {{"status": "SUCCESS"}}}}
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer)))
    with httpx.Client(transport=transport) as http:
        http.post("https://api.paykka.example/api/v1/payments", json={{}})

set_hooks([*DEFAULT_HOOKS, broken])
pay()
assert lines.getvalue().count("payerr.hook_failed") == 1, lines.getvalue()
{before}
pid = os.fork()
if pid == 0:
    signal.alarm(20)  # a child stuck on a lock its parent held dies of SIGALRM
    lines.seek(0)
    lines.truncate()
    {child}
    os._exit(0)
{after}
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""
_FORKS = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


def _fork(before: str, child: str, after: str) -> None:
    code = _FORK.format(before=before, child=child, after=after)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])


@_FORKS
def test_a_child_forked_while_the_locks_were_held_sets_hooks_and_reports() -> None:
    """Another thread of the parent (a config reload setting hooks, a hook failing, an unknown
    code logged) holds the locks at the fork: the child gets new ones."""
    _fork(
        before=(
            "hooks._SHARED.lock.acquire()\n"
            "held = [limiter._lock for limiter in _LIMITERS]\n"
            "for lock in held: lock.acquire()"
        ),
        child=(
            "set_hooks([*DEFAULT_HOOKS, broken])\n"
            "    pay()\n"
            "    payerr.classify('paykka', 'BRAND_NEW_CODE')\n"
            "    assert lines.getvalue().count('payerr.hook_failed') == 1\n"
            "    assert lines.getvalue().count('payerr.unknown_code') == 1"
        ),
        after="hooks._SHARED.lock.release()\nfor lock in held: lock.release()",
    )


@_FORKS
def test_each_forked_worker_reports_a_failing_hook_once() -> None:
    """The parent reported the hook; a forked worker's logs are its own: it reports it once."""
    _fork(
        before="",
        child=(
            "pay()\n"
            "    pay()\n"
            "    assert lines.getvalue().count('payerr.hook_failed') == 1, lines.getvalue()"
        ),
        after="",
    )


# -- the documented per-call context across a redirect ------------------------------------------


def test_the_documented_structlog_binding_holds_across_a_followed_redirect() -> None:
    """The CallStarted docstring's example, as written there, across a 303 the client
    follows: the order id is bound in both hops, nothing is reported, nothing left bound."""
    import doctest

    import structlog

    (test,) = doctest.DocTestFinder().find(
        CallStarted, "CallStarted", globs={"payerr": payerr, "httpx": httpx}
    )
    runner = doctest.DocTestRunner()
    runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0
    bind_order = test.globs["bind_order"]
    set_hooks([*DEFAULT_HOOKS, bind_order])
    seen: list[tuple[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, structlog.contextvars.get_contextvars().get("order")))
        if request.method == "POST":
            return httpx.Response(303, headers={"Location": "/api/v1/payments/7"})
        return ok()

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy(FakeTime())
    )
    with capture_logs() as logs, httpx.Client(transport=transport, follow_redirects=True) as http:
        http.post(URL, json={"amount": 100}, headers=KEY)
    assert seen == [("POST", "order-7"), ("GET", "order-7")]
    assert [e["event"] for e in logs if e["event"] == "payerr.hook_failed"] == []
    assert "order" not in structlog.contextvars.get_contextvars()


# -- the numbers and the last answer ------------------------------------------------------------


def test_a_call_cancelled_while_waiting_to_retry_ends_with_the_answer_it_would_retry(
    recorder: Recorder,
) -> None:
    async def cancelled(seconds: float) -> None:
        raise asyncio.CancelledError  # the cancellation arrives during the wait

    async def main() -> None:
        transport = payerr.AsyncPaymentTransport(
            "paykka",
            transport=httpx.MockTransport(Scripted(httpx.Response(503), SUCCESS)),
            policy=dataclasses.replace(policy(FakeTime()), async_sleep=cancelled),
        )
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(asyncio.CancelledError):
                await http.post(URL, json={}, headers=KEY)

    asyncio.run(main())
    assert recorder.names == ["CallStarted", "AttemptEnded", "RetryScheduled", "CallEnded"]
    tried, end = recorder.events[1], recorder.events[-1]
    assert isinstance(tried, AttemptEnded)
    assert isinstance(end, CallEnded)
    assert isinstance(end.error, asyncio.CancelledError)
    assert end.response is tried.response
    assert end.response is not None
    assert end.response.status_code == 503


def test_retry_scheduled_counts_within_the_hop_attempt_ended_across_the_call(
    recorder: Recorder,
) -> None:
    answers = iter([httpx.Response(303, headers={"Location": "/api/v1/payments/7"})])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return next(answers)
        return httpx.Response(503) if recorder.names.count("AttemptEnded") == 1 else ok()

    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy(FakeTime())
    )
    with httpx.Client(transport=transport, follow_redirects=True) as http:
        http.post(URL, json={"amount": 100}, headers=KEY)
    assert [(type(e).__name__, getattr(e, "number", None)) for e in recorder.events] == [
        ("CallStarted", None),
        ("AttemptEnded", 1),
        ("AttemptEnded", 2),
        ("RetryScheduled", 1),  # the GET hop's first request, as payment.attempt logs it
        ("AttemptEnded", 3),
        ("CallEnded", None),
    ]
