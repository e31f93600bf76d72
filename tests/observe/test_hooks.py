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
import subprocess
import sys
import threading
from collections.abc import Iterator
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
