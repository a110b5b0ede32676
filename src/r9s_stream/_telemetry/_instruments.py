"""The four GenAI client histograms, and the one place ``opentelemetry`` is imported (lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from .._version import __version__

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, Meter, MeterProvider

__all__ = ["Instruments", "opentelemetry"]

# The conventions' advice for the histograms' buckets.
_SECONDS_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
_TOKEN_BUCKETS = tuple(4**i for i in range(14))  # 1, 4, 16, … 67108864

_unavailable = False  # opentelemetry-api is not installed: no more import attempts


def opentelemetry() -> tuple[ModuleType, ModuleType] | None:
    """``(opentelemetry.trace, opentelemetry.metrics)``, or ``None`` without the ``otel`` extra."""
    global _unavailable
    if _unavailable:
        return None
    try:
        from opentelemetry import metrics, trace
    except ImportError:
        _unavailable = True  # a failed import scans sys.path: once is enough
        return None
    return trace, metrics


class Instruments:
    """The four GenAI client histograms of one meter."""

    def __init__(self, provider: MeterProvider) -> None:
        meter = provider.get_meter("r9s_stream", __version__)
        self.duration = _histogram(
            meter, "gen_ai.client.operation.duration", "s", "GenAI operation duration.", _SECONDS_BUCKETS
        )
        self.token_usage = _histogram(
            meter,
            "gen_ai.client.token.usage",
            "{token}",
            "Number of input and output tokens used.",
            _TOKEN_BUCKETS,
        )
        self.time_to_first_chunk = _histogram(
            meter,
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "Time from the request to the first chunk of the response stream.",
            _SECONDS_BUCKETS,
        )
        self.time_per_output_chunk = _histogram(
            meter,
            "gen_ai.client.operation.time_per_output_chunk",
            "s",
            "Time between consecutive chunks after the first one (one sample a stream: its mean).",
            _SECONDS_BUCKETS,
        )


def _histogram(meter: Meter, name: str, unit: str, description: str, buckets: Sequence[float]) -> Histogram:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=buckets
        )
    except TypeError:  # opentelemetry-api before 1.23 takes no bucket advice: the SDK's defaults
        return meter.create_histogram(name, unit=unit, description=description)
