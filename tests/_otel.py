"""OpenTelemetry SDK providers with in-memory exporters, handed to the client (never installed globally)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# The modules that use these helpers are skipped where the SDK (a dev dependency) is absent,
# as in the lowest-versions pass.
pytest.importorskip("opentelemetry.sdk", reason="the OpenTelemetry SDK (a dev dependency) is not installed")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["METRIC_NAMES", "Recorded", "strings_of"]

METRIC_NAMES = {
    "gen_ai.client.operation.duration": "s",
    "gen_ai.client.token.usage": "{token}",
    "gen_ai.client.operation.time_to_first_chunk": "s",
    "gen_ai.client.operation.time_per_output_chunk": "s",
}


@dataclass
class Recorded:
    """A tracer and a meter provider of their own, and what they recorded."""

    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    reader: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)

    def __post_init__(self) -> None:
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def providers(self) -> dict[str, Any]:
        """The client arguments that send everything here."""
        return {"tracer_provider": self.tracer_provider, "meter_provider": self.meter_provider}

    def spans(self) -> tuple[ReadableSpan, ...]:
        """Every span ended so far."""
        return self.exporter.get_finished_spans()

    def span(self) -> ReadableSpan:
        """The one span ended so far (fails if there are more, or none)."""
        spans = self.spans()
        assert len(spans) == 1, [s.name for s in spans]
        assert spans[0].end_time is not None
        return spans[0]

    def metrics(self) -> dict[str, Metric]:
        """Every metric recorded so far, by name."""
        data = self.reader.get_metrics_data()
        found: dict[str, Metric] = {}
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found[metric.name] = metric
        return found

    def points(self, name: str) -> list[HistogramDataPoint]:
        """The data points of one histogram (none if it was never recorded)."""
        metric = self.metrics().get(name)
        if metric is None:
            return []
        assert metric.unit == METRIC_NAMES[name]
        points = list(metric.data.data_points)
        assert all(isinstance(point, HistogramDataPoint) for point in points)
        return points  # type: ignore[return-value]

    def shutdown(self) -> None:
        """Stop both providers."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def strings_of(span: ReadableSpan) -> Iterator[str]:
    """Every text a span carries: name, attributes, events, status."""
    yield span.name
    yield str(span.status.description)
    for value in (span.attributes or {}).values():
        yield str(value)
    for event in span.events:
        yield event.name
        for value in (event.attributes or {}).values():
            yield str(value)
