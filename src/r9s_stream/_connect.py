"""``aconnect_chat_stream``: open a chat-completion stream on any httpx client and URL."""

from __future__ import annotations

from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._exceptions import StreamTimeoutError
from ._response import check_response
from ._stream import ChatCompletionStream
from ._telemetry import StreamCall, Telemetry, current_span

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["ChatStreamConnection", "aconnect_chat_stream"]

# Arguments of httpx.AsyncClient.send(); everything else goes to build_request().
_SEND_ARGUMENTS = ("auth", "follow_redirects")


# Global providers, content capture from the environment: shared by the calls that set nothing.
_DEFAULT_TELEMETRY = Telemetry()

# What a stream request asks for unless the caller says otherwise.
_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


class ChatStreamConnection:
    """Async context manager: sends the request, checks the answer, yields the stream."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: httpx.URL | str,
        *,
        accumulate: bool = True,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        telemetry: Telemetry | None = None,
        **request_arguments: Any,
    ) -> None:
        self._client = client
        self._telemetry = telemetry or _DEFAULT_TELEMETRY
        # What the span reads the model and parameters from (decoded only if a span is made).
        self._body: object = request_arguments.get("json", request_arguments.get("content"))
        send_arguments = {k: request_arguments.pop(k) for k in _SEND_ARGUMENTS if k in request_arguments}
        given = request_arguments.get("headers")
        self._request = client.build_request(method, url, **request_arguments)
        # Set on the built request, so that they replace the client's defaults (`Accept: */*`)
        # but not the caller's own: ~10 µs a request cheaper than merging them in.
        given_names = () if given is None else httpx.Headers(given)
        for name, value in _STREAM_HEADERS.items():
            if name not in given_names:
                self._request.headers[name] = value
        self._send_arguments = send_arguments
        self._stream_options: dict[str, Any] = {
            "accumulate": accumulate,
            "max_event_size": max_event_size,
            "first_token_timeout": first_token_timeout,
            "idle_timeout": idle_timeout,
            "total_timeout": total_timeout,
        }
        self._stream: ChatCompletionStream | None = None

    @property
    def request(self) -> httpx.Request:
        """The request this connection sends."""
        return self._request

    async def __aenter__(self) -> ChatCompletionStream:
        call = self._telemetry.start(self._body, self._request.url)
        try:
            with current_span(call):
                self._stream = await self._open(call)
        except BaseException as error:
            if call is not None:
                call.failed(error)
            raise
        if call is not None:
            call.opened(self._stream)
        return self._stream

    async def _open(self, call: StreamCall | None) -> ChatCompletionStream:
        started = perf_counter()
        options = self._stream_options
        limits = [t for t in (options["first_token_timeout"], options["total_timeout"]) if t is not None]
        if not limits:  # no cancel scope to pay for
            response = await self._client.send(self._request, stream=True, **self._send_arguments)
        else:
            try:
                with anyio.fail_after(min(limits)):
                    response = await self._client.send(self._request, stream=True, **self._send_arguments)
            except TimeoutError:
                raise StreamTimeoutError(
                    f"no response headers within {min(limits)}s (first_token_timeout / total_timeout)"
                ) from None
        stream = ChatCompletionStream(response, started_at=started, telemetry=call, **self._stream_options)
        try:
            await check_response(response)
        except BaseException:
            await stream.aclose()
            raise
        return stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.__aexit__(exc_type, exc, traceback)


def aconnect_chat_stream(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
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
    **request_arguments: Any,
) -> ChatStreamConnection:
    """Open a chat-completion stream: ``async with aconnect_chat_stream(...) as stream``.

    Like ``httpx_sse.aconnect_sse``: ``request_arguments`` (``json=``, ``headers=``,
    ``params=``, ``timeout=``, ``auth=``, …) go to httpx. ``Accept: text/event-stream`` is
    added unless given. Raises ``APIStatusError`` for a non-2xx answer and
    ``UnexpectedContentTypeError`` for a 2xx one that is not an event stream; transport
    errors before the response pass through unwrapped.

    With the ``otel`` extra installed, each call is an OpenTelemetry span with GenAI metrics
    (see ``AsyncClient``): ``tracer_provider`` / ``meter_provider`` replace the global ones,
    ``capture_message_content`` records the messages, ``gen_ai_provider`` names the provider.
    """
    telemetry = None
    if any(
        option is not None
        for option in (tracer_provider, meter_provider, capture_message_content, gen_ai_provider)
    ):
        telemetry = Telemetry(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            capture_message_content=capture_message_content,
            gen_ai_provider=gen_ai_provider,
        )
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
        **request_arguments,
    )
