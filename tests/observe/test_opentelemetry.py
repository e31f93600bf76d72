"""OpenTelemetry metrics and spans through the real transports (issue 13).

Read with the OTel SDK's InMemoryMetricReader and in-memory span exporter. The provider
answers are the providers' own: PayKKa's envelope and codes from its transaction error-code
table (seeds/003: 5004 "Insufficient funds"), Antom's ``result`` object (seeds/001), and
plain HTTP statuses (RFC 9110: 503 is a transient refusal to serve).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import httpx
import pytest
from opentelemetry import trace

import payerr
from payerr import OutcomeUnknownError, RetryBudget, UserActionError
from tests.support.answers import ok, paykka_failure
from tests.support.clients import policy
from tests.support.clock import FakeTime
from tests.support.otel import installed
from tests.support.scripted import Scripted

URL = "https://api.paykka.example/api/v1/payments?token=sk_live_query_secret"
SUCCESS = ok()
# PayKKa answers a declined transaction with ret_code 000000 and the transaction's errorCode in
# data (seeds/003: 5004 "Insufficient funds").
DECLINED = paykka_failure("5004", "Insufficient")
SECRET_HEADERS = {"Idempotency-Key": "order-1", "Authorization": "Bearer sk_live_header_secret"}
CARD = "4111111111111111"


def send(handler: Any, clock: FakeTime, *, mode: str, **options: Any) -> httpx.Response | Exception:
    """One POST through the sync or the async transport; the response or the raised error."""
    if mode == "sync":
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy(clock, **options)
        )
        with httpx.Client(transport=transport) as http:
            try:
                return http.post(URL, json={"card": CARD}, headers=SECRET_HEADERS)
            except payerr.PaymentError as error:
                return error

    async def run() -> httpx.Response | Exception:
        transport = payerr.AsyncPaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy(clock, **options)
        )
        async with httpx.AsyncClient(transport=transport) as http:
            try:
                return await http.post(URL, json={"card": CARD}, headers=SECRET_HEADERS)
            except payerr.PaymentError as error:
                return error

    return asyncio.run(run())


MODES = pytest.mark.parametrize("mode", ["sync", "async"])
PAY = {"payment.provider": "paykka", "payment.operation": "pay"}


@MODES
def test_a_retried_call_records_its_attempts_retries_waits_and_duration(mode: str) -> None:
    clock = FakeTime()
    with installed() as otel:
        result = send(Scripted(httpx.Response(503), SUCCESS), clock, mode=mode)
        assert isinstance(result, httpx.Response)
        attempts = {
            p.attributes["http.response.status_code"]: p.value
            for p in otel.points("payerr.client.attempts")
        }
        assert attempts == {503: 1, 200: 1}
        (duration,) = otel.points("payerr.client.call.duration")
        assert duration.attributes == {
            **PAY,
            "payment.outcome": "success",
            "payment.reason": "succeeded",  # one of payerr.Reason: a bounded label
        }
        assert duration.value == pytest.approx(0.5)  # the one wait: initial backoff, no jitter
        (retries,) = otel.points("payerr.client.call.retries")
        assert (retries.attributes, retries.value, retries.count) == (PAY, 1, 1)
        (delay,) = otel.points("payerr.client.retry.delay")
        assert delay.value == pytest.approx(0.5)
        assert otel.metric("payerr.client.call.duration").unit == "s"
        assert otel.metric("payerr.client.retry.delay").unit == "s"

        (span,) = otel.spans()
        assert span.name == "payerr pay"
        assert span.kind is trace.SpanKind.INTERNAL
        assert span.attributes is not None
        assert span.attributes["payment.outcome"] == "success"
        assert span.attributes["payment.attempts"] == 2
        events = [(e.name, dict(e.attributes or {})) for e in span.events]
        assert events == [
            ("payerr.attempt", {"payment.attempt": 1, "http.response.status_code": 503}),
            ("payerr.retry_scheduled", {"payment.attempt": 1, "payment.wait": 0.5}),
            (
                "payerr.attempt",
                {
                    "payment.attempt": 2,
                    "http.response.status_code": 200,
                    "http.request.resend_count": 1,  # from the first resend on
                },
            ),
        ]


@MODES
def test_a_decline_is_one_failed_call_with_its_category_and_error_type(mode: str) -> None:
    with installed() as otel:
        result = send(Scripted(DECLINED), FakeTime(), mode=mode)
        assert isinstance(result, UserActionError)
        (duration,) = otel.points("payerr.client.call.duration")
        assert duration.attributes == {
            **PAY,
            "payment.outcome": "failed",
            "payment.category": "user-action",
            "error.type": "UserActionError",
            "payment.reason": "insufficient_funds",
        }
        assert otel.points("payerr.client.call.retries") == []  # no 0 for a call that did not retry
        assert otel.points("payerr.client.retry.delay") == []
        (span,) = otel.spans()
        assert span.status.status_code is trace.StatusCode.ERROR
        assert span.attributes is not None
        assert span.attributes["payment.code"] == "5004"
        assert span.attributes["error.type"] == "UserActionError"
        assert span.attributes["http.response.status_code"] == 200
        assert list(span.events) == []  # one attempt: the span's own attributes say it all


@MODES
def test_a_timeout_is_an_attempt_with_its_error_type(mode: str) -> None:
    with installed() as otel:
        result = send(Scripted(httpx.ReadTimeout("stalled"), SUCCESS), FakeTime(), mode=mode)
        assert isinstance(result, httpx.Response)  # keyed: the resend is safe
        points = otel.points("payerr.client.attempts")
        assert sorted(map(str, (p.attributes for p in points))) == sorted(
            map(
                str,
                [
                    {**PAY, "error.type": "ReadTimeout"},
                    {**PAY, "http.response.status_code": 200},
                ],
            )
        )


def test_an_outcome_unknown_call_is_pending_with_its_error_type() -> None:
    answers = Scripted(httpx.ReadTimeout("stalled"))
    with installed() as otel:
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(answers), policy=policy(FakeTime())
        )
        with httpx.Client(transport=transport) as http, pytest.raises(OutcomeUnknownError):
            http.post(URL, json={})  # no key: the timeout cannot be resent
        (duration,) = otel.points("payerr.client.call.duration")
        assert duration.attributes == {
            **PAY,
            "payment.outcome": "pending",
            "error.type": "OutcomeUnknownError",
            "payment.reason": "network_error",  # a read timeout: the network, outcome unknown
        }


def test_a_spent_budget_is_counted_per_provider() -> None:
    budget = RetryBudget(percent=0.0, min_retries=0)
    with installed() as otel:
        result = send(
            Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode="sync", budget=budget
        )
        assert isinstance(result, payerr.PaymentError)
        (point,) = otel.points("payerr.retry_budget.exhausted")
        assert (point.attributes, point.value) == ({"payment.provider": "paykka"}, 1)


def test_an_unknown_code_is_counted_without_the_code() -> None:
    unknown = httpx.Response(
        200, json={"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "9X-NEW"}}
    )
    with installed() as otel:
        send(Scripted(unknown), FakeTime(), mode="sync")
        payerr.classify_http("antom", 200, b'{"result": {"resultCode": "BRAND_NEW_CODE"}}')
        points = {
            tuple(sorted(p.attributes.items())): p.value
            for p in otel.points("payerr.classification.unknown")
        }
        assert points == {
            (("payment.operation", "pay"), ("payment.provider", "paykka")): 1,
        }  # classify_http is pure (logs nothing); the transports and classify_response count
        response = httpx.Response(
            200,
            json={"result": {"resultCode": "BRAND_NEW_CODE", "resultStatus": "U"}},
            request=httpx.Request("POST", "https://open-na.alipay.com/ams/api/v1/payments/pay"),
        )
        payerr.classify_response("antom", response)
        values = [p.attributes for p in otel.points("payerr.classification.unknown")]
        assert {"payment.provider": "antom", "payment.operation": "pay"} in values
        assert all("9X-NEW" not in str(v) and "BRAND_NEW" not in str(v) for v in values)


def test_bodies_secrets_and_card_numbers_never_become_attributes() -> None:
    with installed() as otel:
        send(Scripted(httpx.Response(503), DECLINED), FakeTime(), mode="sync")
        seen = [
            str(p.attributes)
            for name in (
                "payerr.client.attempts",
                "payerr.client.call.duration",
            )
            for p in otel.points(name)
        ]
        for span in otel.spans():
            seen.append(str(span.attributes))
            seen.extend(str(e.attributes) for e in span.events)
            seen.append(str(span.status.description))
        text = " ".join(seen)
        for secret in ("sk_live", CARD, "Insufficient", "order-1", "token"):
            assert secret not in text


def test_an_instrumented_inner_transport_nests_its_spans_under_the_call() -> None:
    with installed() as otel:
        tracer = trace.get_tracer("inner-http")

        def handler(request: httpx.Request) -> httpx.Response:
            with tracer.start_as_current_span("POST", kind=trace.SpanKind.CLIENT):
                return SUCCESS

        send(handler, FakeTime(), mode="sync")
        inner, call = otel.spans()
        assert call.name == "payerr pay"
        assert inner.parent is not None
        assert call.context is not None
        assert inner.parent.span_id == call.context.span_id


def test_a_cancelled_call_ends_its_span_and_records_its_duration() -> None:
    async def main() -> None:
        stall = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            await stall.wait()
            return SUCCESS

        transport = payerr.AsyncPaymentTransport("paykka", transport=httpx.MockTransport(handler))
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(http.post(URL, json={}, headers=SECRET_HEADERS), 0.01)

    with installed() as otel:
        asyncio.run(main())
        (duration,) = otel.points("payerr.client.call.duration")
        assert duration.attributes == {
            **PAY,
            "payment.outcome": "pending",
            "error.type": "CancelledError",
        }
        (span,) = otel.spans()
        assert span.status.status_code is trace.StatusCode.ERROR


def test_metrics_alone_or_traces_alone() -> None:
    with installed(traces=False) as otel:
        send(Scripted(SUCCESS), FakeTime(), mode="sync")
        assert len(otel.points("payerr.client.call.duration")) == 1
    with installed(meters=False) as otel:
        send(Scripted(SUCCESS), FakeTime(), mode="sync")
        assert [s.name for s in otel.spans()] == ["payerr pay"]


def test_a_broken_sdk_never_breaks_a_payment(monkeypatch: pytest.MonkeyPatch) -> None:
    with installed() as otel:
        send(Scripted(SUCCESS), FakeTime(), mode="sync")  # instruments bound to the providers

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("exporter on fire")

        from opentelemetry.sdk.metrics._internal.instrument import (
            _Counter,
            _Histogram,
        )

        monkeypatch.setattr(_Counter, "add", broken)
        monkeypatch.setattr(_Histogram, "record", broken)
        result = send(Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode="sync")
        assert isinstance(result, httpx.Response)
        assert result.status_code == 200
        assert len(otel.spans()) == 2


def test_without_a_provider_nothing_is_recorded_and_nothing_breaks() -> None:
    from payerr._observe import telemetry as _telemetry

    with installed(meters=False, traces=False):
        assert _telemetry._active() is None
        result = send(Scripted(httpx.Response(503), SUCCESS), FakeTime(), mode="async")
        assert isinstance(result, httpx.Response)


def test_import_payerr_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, payerr\n"
        "assert 'opentelemetry' not in sys.modules, 'imported at import'\n"
        "import httpx\n"
        "payerr.classify_http('antom', 200, b'{}')\n"
        "assert 'opentelemetry' not in sys.modules, 'imported by classification'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_without_opentelemetry_installed_payments_go_through() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'opentelemetry' or name.startswith('opentelemetry.'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import httpx, payerr\n"
        "ok = httpx.Response(200, json={'ret_code': '000000', 'data': {'status': 'SUCCESS'}})\n"
        "t = payerr.PaymentTransport('paykka', transport=httpx.MockTransport(lambda r: ok))\n"
        "r = httpx.Client(transport=t).post('https://x/api/v1/payments', json={})\n"
        "assert payerr.classification_of(r).outcome == 'success'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_without_a_provider_the_first_payment_imports_no_opentelemetry() -> None:
    """With opentelemetry-api installed but never imported by the application, no provider
    can be installed: payerr imports nothing (tens of milliseconds on a first payment)."""
    code = (
        "import sys, httpx, payerr\n"
        "ok = httpx.Response(200, json={'ret_code': '000000', 'data': {'status': 'SUCCESS'}})\n"
        "t = payerr.PaymentTransport('paykka', transport=httpx.MockTransport(lambda r: ok))\n"
        "httpx.Client(transport=t).post('https://x/api/v1/payments', json={})\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_provider_installed_after_the_first_payment_starts_recording() -> None:
    code = (
        "import httpx, payerr\n"
        "ok = httpx.Response(200, json={'ret_code': '000000', 'data': {'status': 'SUCCESS'}})\n"
        "t = payerr.PaymentTransport('paykka', transport=httpx.MockTransport(lambda r: ok))\n"
        "http = httpx.Client(transport=t)\n"
        "http.post('https://x/api/v1/payments', json={})\n"
        "from opentelemetry import metrics\n"
        "from opentelemetry.sdk.metrics import MeterProvider\n"
        "from opentelemetry.sdk.metrics.export import InMemoryMetricReader\n"
        "reader = InMemoryMetricReader()\n"
        "metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))\n"
        "http.post('https://x/api/v1/payments', json={})\n"
        "names = [m.name for r in reader.get_metrics_data().resource_metrics\n"
        "         for s in r.scope_metrics for m in s.metrics]\n"
        "assert 'payerr.client.attempts' in names, names\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
