"""``aconnect_response_stream``: a Responses stream opened on the caller's own HTTP client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from .._output._typevars import ResponseFormatT
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from .._streaming._response_connection import ResponseStreamConnection
from ._options import telemetry_from

if TYPE_CHECKING:
    import httpx
    import httpx2
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .._http._types import HTTPClient
    from .._output._spec import OutputSpec

__all__ = ["aconnect_response_stream"]


@overload
def aconnect_response_stream(
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
    output: None = None,
    **request_arguments: Any,
) -> ResponseStreamConnection[None]: ...


@overload
def aconnect_response_stream(
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
    output: OutputSpec[ResponseFormatT],
    **request_arguments: Any,
) -> ResponseStreamConnection[ResponseFormatT]: ...


def aconnect_response_stream(
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
    output: OutputSpec[Any] | None = None,
    **request_arguments: Any,
) -> ResponseStreamConnection[Any]:
    """Open a Responses API stream: ``async with aconnect_response_stream(...) as stream``.

    The same shape as ``aconnect_chat_stream``, on an ``httpx.AsyncClient`` or an
    ``httpx2.AsyncClient``: ``request_arguments`` (``json=``, ``headers=`` …) go to the client,
    the stream is an ``rs.ResponseStream`` whose ``snapshot`` is an ``rs.responses.Response``.
    ``output`` (an ``rs.OutputSpec``) parses the answer (``output_parsed``, each function
    call's ``parsed``); the body is yours to build, so nothing is added to it.
    """
    telemetry = telemetry_from(tracer_provider, meter_provider, capture_message_content, gen_ai_provider)
    return ResponseStreamConnection(
        client,
        method,
        url,
        max_event_size=max_event_size,
        first_token_timeout=first_token_timeout,
        idle_timeout=idle_timeout,
        total_timeout=total_timeout,
        telemetry=telemetry,
        output=output,
        **request_arguments,
    )
