"""What every ``aconnect_*_stream`` shares: the telemetry its options ask for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._telemetry._call import Telemetry

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["telemetry_from"]

# Global providers, content capture from the environment: shared by the calls that set nothing.
_DEFAULT_TELEMETRY = Telemetry()


def telemetry_from(
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
    capture_message_content: bool | None,
    gen_ai_provider: str | None,
) -> Telemetry:
    """The telemetry of one call: the shared default unless an option says otherwise."""
    options = (tracer_provider, meter_provider, capture_message_content, gen_ai_provider)
    if all(option is None for option in options):
        return _DEFAULT_TELEMETRY
    return Telemetry(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_message_content=capture_message_content,
        gen_ai_provider=gen_ai_provider,
    )
