"""Opening a stream: one path for every ``aconnect_*_stream`` and every ``client.*.stream()``.

The connection sends the request (``_http.Sender``: retries, checks), then hands the
response to the kind's stream. ``first_token_timeout`` and ``total_timeout`` count from
``__aenter__``, retries included. ``secret`` (the API key) is blotted out of every error it
raises; ``telemetry`` watches the call from the request to the close of the stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from .._exceptions import R9sStreamError, UnexpectedContentTypeError
from .._http._redact import redact_error
from .._http._send import Sender
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE

if TYPE_CHECKING:
    import httpx2

    from .._http._retry import Retries
    from .._http._types import HTTPClient, HTTPResponse
    from ._observer import CallObserver, Observer
    from ._stream import Stream

__all__ = ["StreamConnection", "StreamOptions"]

StreamT = TypeVar("StreamT", bound="Stream[Any, Any]")


class StreamOptions:
    """What every stream of every kind takes: the time limits, the key, the event bound."""

    __slots__ = ("first_token_timeout", "idle_timeout", "max_event_size", "secret", "total_timeout")

    def __init__(
        self,
        *,
        max_event_size: int,
        first_token_timeout: float | None,
        idle_timeout: float | None,
        total_timeout: float | None,
        secret: str | None,
    ) -> None:
        self.max_event_size = max_event_size
        self.first_token_timeout = first_token_timeout
        self.idle_timeout = idle_timeout
        self.total_timeout = total_timeout
        self.secret = secret


class StreamConnection(Generic[StreamT]):
    """Async context manager: sends the request, checks the answer, yields the stream.

    A kind's connection says how to make its stream from the response (``_open_stream``) and,
    if it can, how to take a whole JSON answer as its stream (``_whole_body``); everything
    else — the options every stream takes, retries, the deadline for the headers, redaction,
    telemetry — is here. ``first_token_timeout`` and ``total_timeout`` count from
    ``__aenter__``, retries included. Without ``retries`` it sends once, and a transport
    error raised before the response passes through as the HTTP stack raised it. ``secret``
    (the API key) is blotted out of every error it raises (and of the span); ``telemetry``
    records the call; ``body`` is the request body as a mapping for the span, when
    ``json=`` does not give it. ``request_arguments`` go to the HTTP client's request.
    """

    operation = "chat"  # the GenAI operation name the call is reported under

    def __init__(
        self,
        client: HTTPClient,
        method: str,
        url: httpx.URL | httpx2.URL | str,
        *,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        retries: Retries | None = None,
        secret: str | None = None,
        telemetry: Observer | None = None,
        body: Mapping[str, Any] | None = None,
        **request_arguments: Any,
    ) -> None:
        self._options = StreamOptions(
            max_event_size=max_event_size,
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            secret=secret,
        )
        self._telemetry = telemetry
        # What the span reads the model and parameters from (decoded only if a span is made).
        self._body: object = (
            body if body is not None else request_arguments.get("json", request_arguments.get("content"))
        )
        self._sender = Sender(
            client,
            method,
            url,
            request_arguments,
            retries=retries,
            secret=secret,
            first_token_timeout=first_token_timeout,
            total_timeout=total_timeout,
        )
        self._stream: StreamT | None = None

    @property
    def request(self) -> httpx.Request | httpx2.Request:
        """The request this connection sends (on a retry: the one sent last)."""
        return self._sender.request

    def _open_stream(self, response: HTTPResponse, started_at: float, call: CallObserver | None) -> StreamT:
        """The kind's stream over a checked response."""
        raise NotImplementedError

    def _whole_body(self, body: bytes) -> bytes | None:
        """The event-stream body a whole JSON answer would have streamed as (``None``: not one).

        A kind that can take a whole answer in place of its stream says so here; by default
        none can, and such an answer is an ``UnexpectedContentTypeError``.
        """
        return None

    def _as_stream(self, response: HTTPResponse, body: bytes) -> HTTPResponse:
        """``response`` (a 2xx JSON answer, read already) with the stream it stands for as its body."""
        events = self._whole_body(body)
        if events is None:
            content_type = response.headers.get("content-type", "")
            raise UnexpectedContentTypeError(content_type, body[:200].decode("utf-8", "replace"))
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        # The same status, headers and request; the body is the events, already decoded.
        rebuild: Any = type(response)  # httpx.Response or httpx2.Response: each takes its own request
        rebuilt: HTTPResponse = rebuild(
            response.status_code, headers=headers, content=events, request=response.request
        )
        return rebuilt

    async def __aenter__(self) -> StreamT:
        started = perf_counter()
        sender = self._sender
        url = sender.url
        secret = self._options.secret
        call = (
            None
            if self._telemetry is None
            else self._telemetry.start(
                self._body, url if isinstance(url, str | httpx.URL) else str(url), secret, self.operation
            )
        )
        try:
            with nullcontext() if call is None else call.current():
                response, whole = await sender.open(None if call is None else call.retrying)
            if whole is not None:
                response = self._as_stream(response, whole)
            stream = self._stream = self._open_stream(response, started, call)
        except BaseException as error:
            if isinstance(error, R9sStreamError):
                redact_error(error, secret)
            if call is not None:
                call.failed(error)
            raise
        # Nothing is sent again once the stream is open: what only sending needed goes, so
        # that each open stream keeps fewer objects alive for the garbage collector to walk
        # (its passes grow with them all: a tenth of a stream's cost among 10,000 open).
        self._body = None
        if call is not None:
            call.opened(stream)
        return stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.__aexit__(exc_type, exc, traceback)
