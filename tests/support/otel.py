"""OpenTelemetry SDK in-memory readers installed as the application would, and taken down after.

The API lets a process set its global providers once; OpenTelemetry's own test utilities
(``opentelemetry.test.globals_test``) reset the same globals between tests, as this does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once


def _reset_globals() -> None:
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    metrics_internal._PROXY_METER_PROVIDER = metrics_internal._ProxyMeterProvider()
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    trace._PROXY_TRACER_PROVIDER = trace.ProxyTracerProvider()


@dataclass
class Point:
    attributes: dict[str, Any]
    value: float
    """A counter's sum, or a histogram's sum."""
    count: int
    """1 for a counter point; a histogram's number of recordings."""


@dataclass
class Telemetry:
    reader: InMemoryMetricReader | None
    spans_out: InMemorySpanExporter | None

    def points(self, name: str) -> list[Point]:
        """Every data point recorded so far for the metric ``name``."""
        assert self.reader is not None
        found: list[Point] = []
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for p in metric.data.data_points:
                        attributes = dict(p.attributes or {})
                        if isinstance(p, NumberDataPoint):
                            found.append(Point(attributes, p.value, 1))
                        else:
                            found.append(Point(attributes, p.sum, p.count))
        return found

    def metric(self, name: str) -> Any:
        """The SDK's Metric record for ``name`` (its unit, description), or None."""
        assert self.reader is not None
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        assert scope.scope.name == "payerr"
                        return metric
        return None

    def spans(self) -> list[ReadableSpan]:
        assert self.spans_out is not None
        return list(self.spans_out.get_finished_spans())


@contextmanager
def installed(*, meters: bool = True, traces: bool = True) -> Iterator[Telemetry]:
    """Global providers with in-memory readers for the duration of the block."""
    _reset_globals()
    reader = InMemoryMetricReader() if meters else None
    exporter = InMemorySpanExporter() if traces else None
    if reader is not None:
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    if exporter is not None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
    try:
        yield Telemetry(reader, exporter)
    finally:
        _reset_globals()
