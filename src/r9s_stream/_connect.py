"""``aconnect_chat_stream``: open a chat-completion stream on any httpx client and URL."""

from __future__ import annotations

from time import perf_counter
from types import TracebackType
from typing import Any

import anyio
import httpx

from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._exceptions import StreamTimeoutError
from ._response import check_response
from ._stream import ChatCompletionStream

__all__ = ["ChatStreamConnection", "aconnect_chat_stream"]

# Arguments of httpx.AsyncClient.send(); everything else goes to build_request().
_SEND_ARGUMENTS = ("auth", "follow_redirects")


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
        **request_arguments: Any,
    ) -> None:
        self._client = client
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
        stream = ChatCompletionStream(response, started_at=started, **self._stream_options)
        try:
            await check_response(response)
        except BaseException:
            await stream.aclose()
            raise
        self._stream = stream
        return stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.aclose()


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
    **request_arguments: Any,
) -> ChatStreamConnection:
    """Open a chat-completion stream: ``async with aconnect_chat_stream(...) as stream``.

    Like ``httpx_sse.aconnect_sse``: ``request_arguments`` (``json=``, ``headers=``,
    ``params=``, ``timeout=``, ``auth=``, …) go to httpx. ``Accept: text/event-stream`` is
    added unless given. Raises ``APIStatusError`` for a non-2xx answer and
    ``UnexpectedContentTypeError`` for a 2xx one that is not an event stream; transport
    errors before the response pass through unwrapped.
    """
    return ChatStreamConnection(
        client,
        method,
        url,
        accumulate=accumulate,
        max_event_size=max_event_size,
        first_token_timeout=first_token_timeout,
        idle_timeout=idle_timeout,
        total_timeout=total_timeout,
        **request_arguments,
    )
