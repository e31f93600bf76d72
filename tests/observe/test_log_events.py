"""payerr's log events: names, levels, keys, and how they travel through users' pipelines."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import subprocess
import sys
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

import payerr
from payerr import RedactSensitive, add_payment_context
from tests.support.answers import antom, ok, paykka_failure
from tests.support.clients import KEY, URL, policy
from tests.support.clock import FakeTime
from tests.support.scripted import Scripted

PAYMENT_KEYS = {
    "payment.provider", "payment.code", "payment.outcome", "payment.category",
    "payment.retryable", "payment.known", "payment.attempt",
}  # fmt: skip
PAN = "4111111111111111"


def send(handler: Scripted, provider: str = "paykka", **kwargs: Any) -> list[dict[str, Any]]:
    fake = FakeTime()
    transport = payerr.PaymentTransport(
        provider, transport=httpx.MockTransport(handler), policy=policy(fake)
    )
    with (
        capture_logs() as logs,
        httpx.Client(transport=transport) as c,
        contextlib.suppress(payerr.PaymentError),
    ):
        c.post(kwargs.pop("url", URL), **kwargs)
    return [dict(e) for e in logs if e["event"].startswith("payerr.")]


def test_retries_then_success() -> None:
    events = send(Scripted(httpx.Response(503), httpx.Response(502), ok()), json={}, headers=KEY)
    assert [(e["event"], e["log_level"]) for e in events] == [
        ("payerr.retry_scheduled", "warning"),
        ("payerr.retry_scheduled", "warning"),
        ("payerr.request_succeeded", "debug"),
    ]
    first, second, done = events
    assert first.keys() >= PAYMENT_KEYS
    assert (first["payment.attempt"], first["payment.wait"], first["http.status_code"]) == (
        1,
        0.5,
        503,
    )
    assert (second["payment.attempt"], second["payment.wait"], second["http.status_code"]) == (
        2,
        1.0,
        502,
    )
    assert (first["payment.category"], first["payment.retryable"], first["http.method"]) == (
        "retryable", True, "POST"
    )  # fmt: skip
    assert (done["payment.attempt"], done["payment.outcome"], done["payment.category"]) == (
        3,
        "success",
        None,
    )


@pytest.mark.parametrize(
    ("answers", "level", "error", "category"),
    [
        ([paykka_failure("5004")], "info", "UserActionError", "user-action"),
        ([paykka_failure("4024")], "info", "FinalError", "final"),
        ([paykka_failure("5019")], "warning", "RiskError", "risk"),
        (
            [httpx.Response(401, json={"ret_code": "2000"})],
            "error",
            "MerchantConfigError",
            "merchant-config",
        ),
        ([httpx.ReadTimeout("slow")], "error", "OutcomeUnknownError", None),
        ([httpx.Response(503)], "error", "OutcomeUnknownError", None),
    ],
    ids=["user-action", "final", "risk", "merchant-config", "read-timeout", "5xx-no-key"],
)
def test_failures_log_request_failed_at_a_level_by_category(
    answers: list[Any], level: str, error: str, category: str | None
) -> None:
    events = send(Scripted(*answers), json={})
    assert len(events) == 1
    event = events[0]
    assert (event["event"], event["log_level"], event["error"]) == (
        "payerr.request_failed",
        level,
        error,
    )
    assert event.keys() >= PAYMENT_KEYS
    assert event["payment.category"] == category


@pytest.mark.parametrize(
    ("status", "error"), [(429, "RetryableError"), (503, "OutcomeUnknownError")]
)
def test_exhausted_retries_log_each_retry_then_the_failure(status: int, error: str) -> None:
    """A bare 429 refused; a bare 503 may follow an execution behind a gateway."""
    events = send(Scripted(httpx.Response(status)), json={}, headers=KEY)
    assert [e["event"] for e in events] == ["payerr.retry_scheduled"] * 2 + [
        "payerr.request_failed"
    ]
    assert events[-1]["payment.attempt"] == 3
    assert events[-1]["error"] == error


def test_pending_is_logged_at_info() -> None:
    events = send(Scripted(antom("PAYMENT_IN_PROCESS", "U")), provider="antom", json={})
    assert [(e["event"], e["log_level"]) for e in events] == [("payerr.request_pending", "info")]


def test_transport_failures_carry_no_status_code() -> None:
    events = send(Scripted(httpx.ConnectError("down")), json={})
    assert "http.status_code" not in events[-1]
    assert events[-1]["payment.category"] == "retryable"


def test_url_has_no_query_string_fragment_or_user_info() -> None:
    url = "https://merchant:s3cret@api.example-psp.test:8443/v1/payments?token=abc&card=1#x"
    events = send(Scripted(paykka_failure("5004")), url=url, json={})
    assert events[0]["url"] == "https://api.example-psp.test:8443/v1/payments"


def test_request_bodies_and_arguments_are_never_logged() -> None:
    body = {"card": {"number": PAN, "cvv": "123"}, "amount": 1000}
    events = send(
        Scripted(httpx.Response(503), paykka_failure("5004")),
        json=body,
        headers={**KEY, "Authorization": "Bearer sk_live_secret"},
    )
    rendered = json.dumps(events, default=repr)
    for secret in (PAN, "sk_live_secret", '"cvv"'):
        assert secret not in rendered


def test_async_transport_logs_the_same_events() -> None:
    fake = FakeTime()
    handler = Scripted(httpx.Response(503), ok())

    async def go() -> None:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy(fake)
        )
        async with httpx.AsyncClient(transport=transport) as c:
            await c.post(URL, json={}, headers=KEY)

    with capture_logs() as logs:
        asyncio.run(go())
    sync = send(Scripted(httpx.Response(503), ok()), json={}, headers=KEY)
    strip = [dict(e.items()) for e in logs if e["event"].startswith("payerr.")]
    assert strip == sync


def test_payerr_never_configures_structlog(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a library must not call structlog.configure()")

    monkeypatch.setattr(structlog, "configure", refuse)
    monkeypatch.setattr(structlog, "configure_once", refuse)
    send(Scripted(httpx.Response(503), ok()), json={}, headers=KEY)
    payerr.classify("antom", "SOMETHING_UNMAPPED")


# -- add_payment_context --------------------------------------------------------------------


def failure() -> payerr.PaymentError:
    c = payerr.classify("paykka", "5004")
    request = httpx.Request("POST", "https://api.paykka.com/v1/payments?sign=x")
    return payerr.UserActionError(c, request=request, response=httpx.Response(200), attempts=2)


def test_add_payment_context_from_error_value() -> None:
    event = add_payment_context(None, "error", {"event": "charge failed", "error": failure()})
    assert event["payment.code"] == "5004"
    assert event["payment.category"] == "user-action"
    assert event["payment.attempt"] == 2
    assert event["http.status_code"] == 200
    assert event["url"] == "https://api.paykka.com/v1/payments"


def test_add_payment_context_from_exc_info() -> None:
    try:
        raise failure()
    except payerr.PaymentError as exc:
        from_true = add_payment_context(None, "error", {"event": "x", "exc_info": True})
        from_tuple = add_payment_context(
            None, "error", {"event": "x", "exc_info": (type(exc), exc, None)}
        )
        from_exc = add_payment_context(None, "error", {"event": "x", "exc_info": exc})
    for event in (from_true, from_tuple, from_exc):
        assert event["payment.code"] == "5004"


def test_add_payment_context_from_any_value_and_keeps_existing_keys() -> None:
    c = payerr.classify("antom", "FRAUD_REJECT")
    event = add_payment_context(None, "info", {"event": "x", "result": c, "payment.code": "mine"})
    assert event["payment.category"] == "risk"
    assert event["payment.code"] == "mine"
    assert "payment.attempt" not in event


@pytest.mark.parametrize(
    "event", [{"event": "nothing here", "n": 1}, "not a dict", {"exc_info": True}]
)
def test_add_payment_context_leaves_other_events_alone(event: Any) -> None:
    before = json.dumps(event, default=repr)
    assert json.dumps(add_payment_context(None, "info", event), default=repr) == before


# -- users' pipelines -----------------------------------------------------------------------


def test_native_structlog_pipeline_renders_payerr_events_redacted() -> None:
    out = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            add_payment_context,
            structlog.processors.format_exc_info,
            RedactSensitive(),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
    )
    send_without_capture(Scripted(httpx.Response(503), paykka_failure("5004")))
    try:
        raise failure()
    except payerr.PaymentError as exc:
        structlog.get_logger("app").error("charge failed", card=PAN, error=exc)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "payerr.retry_scheduled", "payerr.request_failed", "charge failed"
    ]  # fmt: skip
    assert lines[-1]["payment.category"] == "user-action"
    assert lines[-1]["card"] == "411111******1111"
    assert PAN not in out.getvalue()


def send_without_capture(handler: Scripted) -> None:
    fake = FakeTime()
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy(fake)
    )
    with httpx.Client(transport=transport) as c, contextlib.suppress(payerr.PaymentError):
        c.post(URL, json={}, headers=KEY)


def test_stdlib_logging_through_processor_formatter() -> None:
    """payerr's events and plain stdlib records share one redacting JSON formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                add_payment_context,
                RedactSensitive(),
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    old_handlers, old_level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG)
    structlog.configure(
        processors=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    try:
        send_without_capture(Scripted(httpx.Response(503), paykka_failure("5019")))
        logging.getLogger("shop").warning("card %s declined", PAN)
    finally:
        root.handlers[:] = old_handlers
        root.setLevel(old_level)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    events = [line["event"] for line in lines]
    assert events[:2] == ["payerr.retry_scheduled", "payerr.request_failed"]
    assert lines[1]["payment.category"] == "risk"
    assert lines[1]["level"] == "warning"
    assert lines[2]["event"] == "card 411111******1111 declined"
    assert PAN not in out.getvalue()


QUIET_SCRIPT = """
import httpx, logging, sys, payerr
{setup}
def answer(request):
    return httpx.Response(200, json={{"result": {{"resultCode": "SUCCESS", "resultStatus": "S"}}}})
transport = payerr.PaymentTransport("antom", transport=httpx.MockTransport(answer))
with httpx.Client(transport=transport) as client:
    for _ in range(50):
        client.post("https://p.example/ams/api/v1/payments/pay", json={{"paymentRequestId": "p"}})
payerr.classify("antom", "BRAND_NEW_CODE")  # an unknown code: payerr.unknown_code, a warning
print("END")
"""


def run_app(setup: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", QUIET_SCRIPT.format(setup=setup)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_an_application_that_configured_nothing_sees_nothing() -> None:
    """structlog not configured, logging not configured: payerr prints nothing anywhere."""
    done = run_app("")
    assert done.stdout == "END\n"
    assert done.stderr == ""


def test_an_application_on_stdlib_logging_gets_warnings_on_its_handlers_only() -> None:
    """logging.basicConfig(level=WARNING): payerr behaves as a stdlib-logging library."""
    done = run_app("logging.basicConfig(level=logging.WARNING, stream=sys.stderr)")
    assert done.stdout == "END\n"
    assert "payerr.unknown_code" in done.stderr
    assert "payment.code=BRAND_NEW_CODE" in done.stderr
    assert "request_succeeded" not in done.stderr  # debug stays below the app's level


def test_stdlib_debug_level_shows_every_request() -> None:
    done = run_app("logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)")
    assert done.stdout == "END\n"
    assert done.stderr.count("payerr.request_succeeded") == 50
