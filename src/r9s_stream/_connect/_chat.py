"""``aconnect_chat_stream``: a stream opened on the caller's own HTTP client, as ``aconnect_sse``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import httpx

from .._output._typevars import ResponseFormatT
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from .._streaming._chat_connection import ChatStreamConnection
from ._options import telemetry_from

if TYPE_CHECKING:
    import httpx2
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .._http._types import HTTPClient
    from .._output._spec import OutputSpec

__all__ = ["aconnect_chat_stream"]


@overload
def aconnect_chat_stream(
    client: HTTPClient,
    method: str,
    url: httpx.URL | httpx2.URL | str,
    *,
    accumulate: bool = True,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    first_token_timeout: float | None = None,
    idle_timeout: float | None = None,
    total_timeout: float | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    capture_message_content: bool | None = None,
    gen_ai_provider: str | None = None,
    output: None = None,
    **request_arguments: Any,
) -> ChatStreamConnection[None]: ...


@overload
def aconnect_chat_stream(
    client: HTTPClient,
    method: str,
    url: httpx.URL | httpx2.URL | str,
    *,
    accumulate: bool = True,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    first_token_timeout: float | None = None,
    idle_timeout: float | None = None,
    total_timeout: float | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    capture_message_content: bool | None = None,
    gen_ai_provider: str | None = None,
    output: OutputSpec[ResponseFormatT],
    **request_arguments: Any,
) -> ChatStreamConnection[ResponseFormatT]: ...


def aconnect_chat_stream(
    client: HTTPClient,
    method: str,
    url: httpx.URL | httpx2.URL | str,
    *,
    accumulate: bool = True,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    first_token_timeout: float | None = None,
    idle_timeout: float | None = None,
    total_timeout: float | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    capture_message_content: bool | None = None,
    gen_ai_provider: str | None = None,
    output: OutputSpec[Any] | None = None,
    **request_arguments: Any,
) -> ChatStreamConnection[Any]:
    """Open a chat-completion stream: ``async with aconnect_chat_stream(...) as stream``.

    Like ``httpx_sse.aconnect_sse``, on an ``httpx.AsyncClient`` or an
    ``httpx2.AsyncClient``: ``request_arguments`` (``json=``, ``headers=``, ``params=``,
    ``timeout=``, ``auth=``, …) go to the client. ``Accept: text/event-stream`` is added
    unless given. Raises ``APIStatusError`` for a non-2xx answer and
    ``UnexpectedContentTypeError`` for a 2xx one that is not an event stream; transport
    errors before the response pass through unwrapped, and after it become
    ``IncompleteStreamError`` (``StreamTimeoutError`` for a read timeout).

    With the ``otel`` extra installed, each call is an OpenTelemetry span with GenAI metrics
    (see ``AsyncClient``): ``tracer_provider`` / ``meter_provider`` replace the global ones,
    ``capture_message_content`` records the messages, ``gen_ai_provider`` names the provider.

    ``output`` (an ``rs.OutputSpec``) parses the answer as ``client.stream(response_format=…)``
    does: ``message.parsed``, each tool call's ``function.parsed``, the parse errors and the
    ``parsed`` of the events; the body is yours to build (``rs.response_format(T)``,
    ``rs.tool(T)``), so nothing is added to it.
    """
    telemetry = telemetry_from(tracer_provider, meter_provider, capture_message_content, gen_ai_provider)
    return ChatStreamConnection(
        client,
        method,
        url,
        accumulate=accumulate,
        max_event_size=max_event_size,
        first_token_timeout=first_token_timeout,
        idle_timeout=idle_timeout,
        total_timeout=total_timeout,
        telemetry=telemetry,
        output=output,
        **request_arguments,
    )
