"""``aconnect_completion_stream``: a legacy Completions stream on the caller's own HTTP client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from .._streaming._completion_stream import CompletionStreamConnection
from ._options import telemetry_from

if TYPE_CHECKING:
    import httpx
    import httpx2
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .._http._types import HTTPClient

__all__ = ["aconnect_completion_stream"]


def aconnect_completion_stream(
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
) -> CompletionStreamConnection:
    """Open a legacy Completions stream: ``async with aconnect_completion_stream(...) as stream``.

    The shape of ``aconnect_chat_stream``, on an ``httpx.AsyncClient`` or an
    ``httpx2.AsyncClient``: ``request_arguments`` (``json=``, ``headers=``, …) go to the
    client; the stream yields ``rs.completions.CompletionChunk`` values and rebuilds an
    ``rs.completions.Completion``. Raises ``APIStatusError`` for a non-2xx answer and
    ``UnexpectedContentTypeError`` for a 2xx one that is neither an event stream nor a whole
    ``text_completion``; after the stream starts, every failure is a ``StreamError`` with the
    partial ``Completion`` as ``partial``. With the ``otel`` extra, each call is a GenAI
    ``text_completion`` span (the options are ``aconnect_chat_stream``'s).
    """
    telemetry = telemetry_from(tracer_provider, meter_provider, capture_message_content, gen_ai_provider)
    return CompletionStreamConnection(
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
