"""PaymentTransport's overhead with the OpenTelemetry SDK recording, against bare httpx.

Three clients talk to the same loopback server (benchmarks/_server.py) in rotating rounds:
bare ``httpx.Client``; payerr with no OpenTelemetry provider installed (the API's proxies:
payerr must cost what it costs without the package); and payerr with the SDK installed as a
production service would: a MeterProvider aggregating every payerr metric, and a
TracerProvider sampling every call, whose BatchSpanProcessor hands each call's span to an
exporter (one that drops them, so the export itself is not measured); the same sampling one
call in ten (a common production setting); and metrics alone. It also measures what the SDK
itself charges for the same measurements and span with no payerr code, so that payerr's own
share can be told from the SDK's.

Targets (issue 13): with the SDK <= 1.15x bare httpx; without a provider <= 1.10x.
Run: pip install -e '.[test]' && python benchmarks/bench_otel.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence

import httpx
from _server import server
from opentelemetry import metrics, trace
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.util._once import Once

import payerr

ROUNDS = 15
REQUESTS = 600
PAYLOAD = {"amount": 1000, "currency": "EUR", "merchant_order_no": "ORD-20261122-0001"}
HEADERS = {"Idempotency-Key": "bench-key"}


class _Dropped(SpanExporter):
    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


def _no_providers() -> None:
    """Back to a process where the application installed nothing (OpenTelemetry's own test
    utilities reset the same globals)."""
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    metrics_internal._PROXY_METER_PROVIDER = metrics_internal._ProxyMeterProvider()
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    trace._PROXY_TRACER_PROVIDER = trace.ProxyTracerProvider()


def _sdk_floor(
    meter_provider: MeterProvider, tracer_provider: TracerProvider
) -> tuple[float, float]:
    """Microseconds the SDK itself charges for what payerr records on a successful call: one
    counter add and one histogram record with three attributes each; and one span with three
    attributes, an event and six more attributes at its end. Measured on instruments of the
    SDK's own (a meter named otherwise), with no payerr code involved."""
    meter = meter_provider.get_meter("bench-floor")
    counter = meter.create_counter("floor.attempts")
    histogram = meter.create_histogram("floor.duration", "s")
    tracer = tracer_provider.get_tracer("bench-floor")
    labels = {"payment.provider": "paykka", "payment.operation": "pay"}
    n = 5000
    start = time.perf_counter()
    for _ in range(n):
        counter.add(1, {**labels, "http.response.status_code": 200})
        histogram.record(0.001, {**labels, "payment.outcome": "success"})
    metrics_us = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for _ in range(n):
        span = tracer.start_span("floor pay", attributes={**labels, "http.request.method": "POST"})
        span.add_event("attempt", {"payment.attempt": 1, "http.response.status_code": 200})
        span.set_attributes(
            {
                "payment.outcome": "success",
                "payment.attempts": 1,
                "payment.code": "0000",
                "payment.retryable": False,
                "payment.known": True,
                "http.response.status_code": 200,
            }
        )
        span.end()
    return metrics_us, (time.perf_counter() - start) / n * 1e6


def main() -> int:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    exporter = _Dropped()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))

    def sdk_metrics() -> None:
        _no_providers()
        metrics.set_meter_provider(meter_provider)

    def sdk() -> None:
        sdk_metrics()
        trace.set_tracer_provider(tracer_provider)

    sampled_provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    sampled_provider.add_span_processor(BatchSpanProcessor(exporter))

    def sdk_sampled() -> None:
        sdk_metrics()
        trace.set_tracer_provider(sampled_provider)

    setups = {
        "bare httpx": _no_providers,
        "payerr, no provider": _no_providers,
        "payerr + SDK metrics": sdk_metrics,
        "payerr + SDK": sdk,
        "payerr + SDK, 10% traced": sdk_sampled,
    }
    with server() as base:
        url = f"{base}/v1/payments"
        clients = {
            name: httpx.Client(transport=payerr.PaymentTransport("paykka"))
            if name != "bare httpx"
            else httpx.Client()
            for name in setups
        }
        for name, client in clients.items():
            setups[name]()
            for _ in range(200):
                assert client.post(url, json=PAYLOAD, headers=HEADERS).status_code == 200
        names = list(clients)
        rounds: list[dict[str, float]] = []
        for index in range(ROUNDS):
            measured: dict[str, float] = {}
            for name in names[index % len(names) :] + names[: index % len(names)]:
                setups[name]()
                start = time.perf_counter()
                for _ in range(REQUESTS):
                    clients[name].post(url, json=PAYLOAD, headers=HEADERS)
                measured[name] = (time.perf_counter() - start) / REQUESTS * 1e6
            rounds.append(measured)
        for client in clients.values():
            client.close()
    tracer_provider.force_flush()
    data = reader.get_metrics_data()
    recorded = sum(
        len(m.data.data_points)
        for r in (data.resource_metrics if data is not None else ())
        for s in r.scope_metrics
        for m in s.metrics
    )
    floor_metrics, floor_span = _sdk_floor(meter_provider, tracer_provider)
    _no_providers()
    for name in names:
        print(f"{name:<24} {statistics.median(r[name] for r in rounds):7.1f} us/request (median)")
    print(f"(the SDK aggregated {recorded} payerr series; {exporter.spans} spans exported)")
    print(
        f"the SDK's own cost, no payerr code: {floor_metrics:.1f} us for a call's two "
        f"measurements, {floor_span:.1f} us for its span"
    )
    bare = statistics.median(r["bare httpx"] for r in rounds)
    plain = statistics.median(r["payerr, no provider"] for r in rounds)
    for name, floor in (
        ("payerr + SDK metrics", floor_metrics),
        ("payerr + SDK", floor_metrics + floor_span),
    ):
        beyond = statistics.median(r[name] for r in rounds) - plain - floor
        print(
            f"{name}: payerr's telemetry code beyond the SDK's own cost: {beyond:+.1f} us/request"
        )
    print(f"(bare httpx {bare:.1f} us/request)")
    ok = True
    for name, target in (
        ("payerr + SDK", 1.15),
        ("payerr + SDK, 10% traced", 1.15),
        ("payerr + SDK metrics", 1.15),
        ("payerr, no provider", 1.10),
    ):
        ratio = statistics.median(r[name] / r["bare httpx"] for r in rounds)
        verdict = "met" if ratio <= target else "MISSED"
        print(f"{name} / bare httpx: {ratio:.3f}x (target <= {target:.2f}x: {verdict})")
        ok &= ratio <= target
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
