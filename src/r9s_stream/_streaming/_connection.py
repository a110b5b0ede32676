"""Opening a stream: one path for ``aconnect_chat_stream`` (``_aconnect.py``) and ``AsyncClient.stream()``.

Send the request, check the answer, hand over the stream; with ``retries`` (what
``AsyncClient`` passes), send it again after a connect error or a 408/409/429/5xx answer.
Every decision to retry is taken on the response headers (or on a transport error raised
before them): once ``__aenter__`` has returned the stream, nothing is ever sent again, so a
chunk the user has seen can never be duplicated by a retry.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic

import anyio
import httpx

from .._chat._decoder import DEFAULT_MAX_EVENT_SIZE
from .._chat._models import ResponseFormatT
from .._exceptions import APIStatusError, R9sStreamError, StreamTimeoutError
from .._http._checks import check_response
from .._http._redact import redact, redact_error
from .._http._retry import backoff_delay, retry_delay, should_retry_status
from .._http._transport import send_failure
from .._telemetry._call import StreamCall, Telemetry, current_span
from ._chat_stream import ChatCompletionStream

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx2

    from .._http._transport import HTTPClient, HTTPResponse
    from .._output._spec import OutputSpec

__all__ = ["ChatStreamConnection", "Retries"]

logger = logging.getLogger("r9s_stream")

# Arguments of httpx.AsyncClient.send(); everything else goes to build_request().
_SEND_ARGUMENTS = ("auth", "follow_redirects")

# Global providers, content capture from the environment: shared by the calls that set nothing.
_DEFAULT_TELEMETRY = Telemetry()

# What a stream request asks for unless the caller says otherwise.
_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Retries:
    """Send again, at most ``max_retries`` times, what failed before the first byte of the stream.

    Connect errors and 408/409/429/5xx answers are retried with backoff (or the server's
    ``Retry-After``), never past the first-token or total deadline; a transport timeout that
    ends the attempts is raised as ``StreamTimeoutError``.
    """

    max_retries: int = 2


class ChatStreamConnection(Generic[ResponseFormatT]):
    """Async context manager: sends the request, checks the answer, yields the stream.

    ``first_token_timeout`` and ``total_timeout`` count from ``__aenter__``, retries
    included. Without ``retries`` it sends once and a transport error raised before the
    response passes through as the HTTP stack raised it. ``secret`` (the API key) is
    blotted out of every error it raises (and of the span). ``telemetry`` records the call
    (default: the global OpenTelemetry providers, if the app uses OpenTelemetry); ``body`` is
    the request body as a mapping for the span, when ``json=`` does not give it. ``output``
    says what to parse the answer into (``AsyncClient`` passes it for ``response_format=``).
    """

    def __init__(
        self,
        client: HTTPClient,
        method: str,
        url: httpx.URL | httpx2.URL | str,
        *,
        accumulate: bool = True,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        retries: Retries | None = None,
        secret: str | None = None,
        telemetry: Telemetry | None = None,
        body: Mapping[str, Any] | None = None,
        output: OutputSpec[ResponseFormatT] | None = None,
        **request_arguments: Any,
    ) -> None:
        self._output = output
        self._telemetry = telemetry or _DEFAULT_TELEMETRY
        # What the span reads the model and parameters from (decoded only if a span is made).
        self._body: object = (
            body if body is not None else request_arguments.get("json", request_arguments.get("content"))
        )
        self._call: StreamCall | None = None
        send_arguments = {k: request_arguments.pop(k) for k in _SEND_ARGUMENTS if k in request_arguments}
        # Kept as they are, not in a partial (two objects fewer for each open stream).
        self._client = client
        self._method = method
        self._request_arguments = request_arguments
        self._send_arguments = send_arguments
        self._url = url
        self._request, send = self._prepare()
        self._send: Callable[[], Awaitable[HTTPResponse]] | None = send
        self._retries = retries
        self._secret = secret
        self._accumulate = accumulate
        self._max_event_size = max_event_size
        self._first_token_timeout = first_token_timeout
        self._idle_timeout = idle_timeout
        self._total_timeout = total_timeout
        self._stream: ChatCompletionStream[ResponseFormatT] | None = None

    @property
    def request(self) -> httpx.Request | httpx2.Request:
        """The request this connection sends (on a retry: the one sent last)."""
        return self._request

    async def __aenter__(self) -> ChatCompletionStream[ResponseFormatT]:
        url = self._url if isinstance(self._url, str | httpx.URL) else str(self._url)
        call = self._call = self._telemetry.start(self._body, url, self._secret)
        try:
            with current_span(call):
                self._stream = await self._open()
        except BaseException as error:
            if isinstance(error, R9sStreamError):
                redact_error(error, self._secret)
            if call is not None:
                call.failed(error)
            raise
        # Nothing is sent again once the stream is open: what only sending needed goes, so
        # that each open stream keeps fewer objects alive for the garbage collector to walk
        # (its passes grow with them all: a tenth of a stream's cost among 10,000 open).
        self._send = None
        self._body = None
        if call is not None:
            call.opened(self._stream)
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.__aexit__(exc_type, exc, traceback)

    async def _open(self) -> ChatCompletionStream[ResponseFormatT]:
        started = perf_counter()
        limits = [t for t in (self._first_token_timeout, self._total_timeout) if t is not None]
        deadline = started + min(limits) if limits else None
        retries_done = 0
        if self._send is None:  # entered again after an opening: a new request
            self._request, self._send = self._prepare()
        while True:
            try:
                response = await self._send_before(self._send, deadline)
            except Exception as error:
                failure = send_failure(error)
                if failure is None:
                    raise
                delay = backoff_delay(retries_done, random.random())
                if failure.permanent or not self._may_retry(retries_done, delay, deadline):
                    if failure.timeout and self._retries is not None:
                        message = f"{type(failure.error).__name__} from {self._url}: {failure.error}"
                        raise StreamTimeoutError(message) from failure.error
                    if failure.error is error:
                        raise
                    # renamed as httpx would name it (see _transport); aiohttp's error is its cause
                    raise failure.error from failure.error.__cause__
                await self._wait(
                    delay, retries_done, f"{type(failure.error).__name__}: {failure.error}", error
                )
                retries_done += 1
                self._request, self._send = self._prepare()  # a transport may have changed the last one
                continue
            stream: ChatCompletionStream[ResponseFormatT] = ChatCompletionStream(
                response,
                output=self._output,
                started_at=started,
                accumulate=self._accumulate,
                max_event_size=self._max_event_size,
                first_token_timeout=self._first_token_timeout,
                idle_timeout=self._idle_timeout,
                total_timeout=self._total_timeout,
                secret=self._secret,
                telemetry=self._call,
            )
            try:
                await check_response(response)
            except APIStatusError as error:
                await stream.aclose()
                if self._retries is None:
                    raise
                delay = retry_delay(retries_done, response.headers, random.random())
                if not (
                    should_retry_status(error.status_code, response.headers)
                    and self._may_retry(retries_done, delay, deadline)
                ):
                    raise
                await self._wait(delay, retries_done, str(error), error)
                retries_done += 1
                self._request, self._send = self._prepare()
                continue
            except BaseException:
                await stream.aclose()
                raise
            return stream

    def _prepare(self) -> tuple[httpx.Request | httpx2.Request, Callable[[], Awaitable[HTTPResponse]]]:
        """A request for one attempt, and the call that sends it."""
        return _prepare(self._client, self._method, self._url, self._request_arguments, self._send_arguments)

    async def _send_before(
        self, send: Callable[[], Awaitable[HTTPResponse]], deadline: float | None
    ) -> HTTPResponse:
        """Send the request and wait for the response headers, no later than ``deadline``."""
        if deadline is None:  # no cancel scope to pay for
            return await send()
        try:
            with anyio.fail_after(max(0.0, deadline - perf_counter())):
                return await send()
        except TimeoutError:
            raise StreamTimeoutError(
                "no response headers within first_token_timeout / total_timeout "
                f"({self._first_token_timeout} / {self._total_timeout}s)"
            ) from None

    def _may_retry(self, retries_done: int, delay: float, deadline: float | None) -> bool:
        """Whether another attempt is allowed: budget left, and the wait ends before the deadline."""
        if self._retries is None or retries_done >= self._retries.max_retries:
            return False
        return deadline is None or perf_counter() + delay < deadline

    async def _wait(self, delay: float, retries_done: int, reason: str, error: BaseException) -> None:
        if self._call is not None:
            self._call.retrying(error, delay)
        logger.info(
            "retrying %s %s in %.2fs (retry %d of %d) after %s",
            self._request.method,
            self._url,
            delay,
            retries_done + 1,
            0 if self._retries is None else self._retries.max_retries,
            redact(reason, self._secret),
        )
        await anyio.sleep(delay)


def _prepare(
    client: HTTPClient,
    method: str,
    url: httpx.URL | httpx2.URL | str,
    request_arguments: dict[str, Any],
    send_arguments: dict[str, Any],
) -> tuple[httpx.Request | httpx2.Request, Callable[[], Awaitable[HTTPResponse]]]:
    """A request built by ``client`` for one attempt, and the call that sends it."""
    request: httpx.Request | httpx2.Request
    send: Callable[[], Awaitable[HTTPResponse]]
    if isinstance(client, httpx.AsyncClient):
        request = client.build_request(
            method, url if isinstance(url, str | httpx.URL) else str(url), **request_arguments
        )
        send = partial(client.send, request, stream=True, **send_arguments)
    else:  # an httpx2 client (httpx2 is imported only by whoever made it): the same API, its own types
        request = client.build_request(
            method, str(url) if isinstance(url, httpx.URL) else url, **request_arguments
        )
        send = partial(client.send, request, stream=True, **send_arguments)
    # Set on the built request, so that they replace the client's defaults (`Accept: */*`)
    # but not the caller's own: ~10 µs a request cheaper than merging them in.
    given = request_arguments.get("headers")
    given_names = () if given is None else given if isinstance(given, httpx.Headers) else httpx.Headers(given)
    for name, value in _STREAM_HEADERS.items():
        if name not in given_names:
            request.headers[name] = value
    return request, send
