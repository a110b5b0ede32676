"""Opening a stream for ``AsyncClient``: send, retry before the first byte, hand over the stream.

Every decision to retry is taken on the response headers (or on a transport error raised
before them): once ``__aenter__`` has returned the stream, nothing is ever sent again, so a
chunk the user has seen can never be duplicated by a retry.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter
from types import TracebackType
from typing import Any, Generic

import anyio
import httpx

from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._exceptions import APIStatusError, R9sStreamError, StreamTimeoutError
from ._models import ResponseFormatT
from ._parse import OutputSpec
from ._redact import redact, redact_error
from ._response import check_response
from ._retry import backoff_delay, retry_delay, should_retry_status
from ._stream import ChatCompletionStream
from ._telemetry import StreamCall, Telemetry, current_span

__all__ = ["ClientStreamConnection", "StreamLimits", "redact"]

logger = logging.getLogger("r9s_stream")

# Transport errors that are our own fault (a bad URL scheme, an invalid header): the next
# attempt would fail in exactly the same way.
_PERMANENT_TRANSPORT_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True)
class StreamLimits:
    """The retry budget and the time limits of one streamed request (seconds, ``None``: none)."""

    max_retries: int = 2
    timeout: httpx.Timeout | float | None = 60.0
    first_token_timeout: float | None = None
    idle_timeout: float | None = None
    total_timeout: float | None = None
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE


class ClientStreamConnection(Generic[ResponseFormatT]):
    """Async context manager returned by ``AsyncClient.stream()``: yields the open stream.

    Retries connect errors and 408/409/429/5xx answers with backoff (or the server's
    ``Retry-After``), at most ``max_retries`` times and never past the first-token or total
    deadline. ``first_token_timeout`` and ``total_timeout`` count from the call, retries
    included.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        headers: httpx.Headers,
        content: bytes,
        limits: StreamLimits,
        secret: str | None,
        telemetry: Telemetry | None = None,
        body: Mapping[str, Any] | None = None,
        output: OutputSpec[ResponseFormatT] | None = None,
    ) -> None:
        self._output = output
        self._client = client
        self._url = url
        self._headers = headers
        self._content = content
        self._limits = limits
        self._secret = secret
        self._stream: ChatCompletionStream[ResponseFormatT] | None = None
        self._telemetry = telemetry
        self._body = body  # for the span's attributes
        self._call: StreamCall | None = None

    async def __aenter__(self) -> ChatCompletionStream[ResponseFormatT]:
        call = self._call = (
            None if self._telemetry is None else self._telemetry.start(self._body, self._url, self._secret)
        )
        try:
            with current_span(call):
                self._stream = await self._open()
        except BaseException as error:
            if isinstance(error, R9sStreamError):
                redact_error(error, self._secret)
            if call is not None:
                call.failed(error)
            raise
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
        limits = self._limits
        started = perf_counter()
        deadline = _earliest(started, limits.first_token_timeout, limits.total_timeout)
        retries_done = 0
        while True:
            try:
                response = await self._send(deadline)
            except httpx.TransportError as error:
                delay = backoff_delay(retries_done, random.random())
                if isinstance(error, _PERMANENT_TRANSPORT_ERRORS) or not self._may_retry(
                    retries_done, delay, deadline
                ):
                    if isinstance(error, httpx.TimeoutException):
                        message = f"{type(error).__name__} from {self._url}: {error}"
                        raise StreamTimeoutError(message) from error
                    raise
                await self._wait(delay, retries_done, f"{type(error).__name__}: {error}", error)
                retries_done += 1
                continue
            stream: ChatCompletionStream[ResponseFormatT] = ChatCompletionStream(
                response,
                output=self._output,
                started_at=started,
                first_token_timeout=limits.first_token_timeout,
                idle_timeout=limits.idle_timeout,
                total_timeout=limits.total_timeout,
                max_event_size=limits.max_event_size,
                secret=self._secret,
                telemetry=self._call,
            )
            try:
                await check_response(response)
            except APIStatusError as error:
                await stream.aclose()
                delay = retry_delay(retries_done, response.headers, random.random())
                if not (
                    should_retry_status(error.status_code, response.headers)
                    and self._may_retry(retries_done, delay, deadline)
                ):
                    raise
                await self._wait(delay, retries_done, str(error), error)
                retries_done += 1
                continue
            except BaseException:
                await stream.aclose()
                raise
            return stream

    async def _send(self, deadline: float | None) -> httpx.Response:
        """Send one attempt and wait for the response headers, no later than ``deadline``."""
        request = self._client.build_request(
            "POST", self._url, headers=self._headers, content=self._content, timeout=self._limits.timeout
        )
        if deadline is None:
            return await self._client.send(request, stream=True)
        remaining = deadline - perf_counter()
        try:
            with anyio.fail_after(max(0.0, remaining)):
                return await self._client.send(request, stream=True)
        except TimeoutError:
            raise StreamTimeoutError(
                "no response headers within first_token_timeout / total_timeout "
                f"({self._limits.first_token_timeout} / {self._limits.total_timeout}s)"
            ) from None

    def _may_retry(self, retries_done: int, delay: float, deadline: float | None) -> bool:
        """Whether another attempt is allowed: budget left, and the wait ends before the deadline."""
        if retries_done >= self._limits.max_retries:
            return False
        return deadline is None or perf_counter() + delay < deadline

    async def _wait(self, delay: float, retries_done: int, reason: str, error: BaseException) -> None:
        if self._call is not None:
            self._call.retrying(error, delay)
        logger.info(
            "retrying POST %s in %.2fs (retry %d of %d) after %s",
            self._url,
            delay,
            retries_done + 1,
            self._limits.max_retries,
            redact(reason, self._secret),
        )
        await anyio.sleep(delay)


def _earliest(started: float, *limits: float | None) -> float | None:
    """The first deadline among ``limits`` seconds after ``started``; ``None`` if none is set."""
    given = [limit for limit in limits if limit is not None]
    return started + min(given) if given else None
