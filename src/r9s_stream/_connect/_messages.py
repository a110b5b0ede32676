"""``aconnect_message_stream``: an Anthropic Messages stream opened on the caller's own HTTP client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from .._streaming._message_connection import MessageStreamConnection
from ._options import telemetry_from

if TYPE_CHECKING:
    import httpx
    import httpx2
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .._http._types import HTTPClient

__all__ = ["aconnect_message_stream"]


def aconnect_message_stream(
    client: HTTPClient,
    method: str,
    url: httpx.URL | httpx2.URL | str,
    *,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    first_token_timeout: float | None = None,
    idle_timeout: float | None = None,
    total_timeout: float | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    capture_message_content: bool | None = None,
    gen_ai_provider: str | None = None,
    **request_arguments: Any,
) -> MessageStreamConnection:
    """Open an Anthropic Messages stream: ``async with aconnect_message_stream(...) as stream``.

    As ``aconnect_chat_stream``, on an ``httpx.AsyncClient`` or an ``httpx2.AsyncClient``:
    ``request_arguments`` (``json=``, ``headers=``, …) go to the client unchanged, so the
    body and Anthropic's headers (``anthropic-version``, ``x-api-key``) are yours to give;
    ``Accept: text/event-stream`` is added unless given. The stream yields
    ``rs.messages`` events and rebuilds an ``rs.messages.Message``.
    """
    telemetry = telemetry_from(tracer_provider, meter_provider, capture_message_content, gen_ai_provider)
    return MessageStreamConnection(
        client,
        method,
        url,
        max_event_size=max_event_size,
        first_token_timeout=first_token_timeout,
        idle_timeout=idle_timeout,
        total_timeout=total_timeout,
        telemetry=telemetry,
        **request_arguments,
    )
