"""The batch engine: many requests through one client, as many at once as asked, each one to its end.

``BatchRun`` takes requests from an iterable (or async iterable) lazily, in input order, and
runs up to ``concurrency`` of them at once, each behind the ``Limiter``; it hands out one
``BatchResult`` per request as they finish (``ordered=True``: in input order, with a bounded
window). A request is sent again, with backoff and jitter, after a connect error, a
408/409/429/5xx answer or a stream that broke (the new attempt replaces the partial
answer); a request that still fails is a result with its error, never an exception that
ends the run. Only the requests in flight (and, ordered, those waiting for an earlier one)
are held in memory.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._exceptions import (
    APIStatusError,
    IncompleteStreamError,
    R9sStreamError,
    StreamAPIError,
    StreamError,
    StreamTimeoutError,
)
from .._http._checks import request_id_of
from .._http._errors import send_failure
from .._http._retry import MAX_RETRY_AFTER, backoff_delay, parse_retry_after, should_retry_status
from ._limits import Limiter, LocalLimiter, ratelimit_wait
from ._requests import BatchRequest
from ._results import BatchResult, BatchStats
from ._source import RequestSource, RequestTaker

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._streaming._stream import Stream

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_MAX_TOKENS", "BatchRun", "StreamOpener"]

DEFAULT_CONCURRENCY = 256
# The answer's length a token estimate assumes when a request names no max_tokens.
DEFAULT_MAX_TOKENS = 1024

StreamOpener = Callable[[BatchRequest], AbstractAsyncContextManager["Stream[Any, Any]"]]
"""Opens the stream of one request, sent once (the batch decides on retries)."""

_T = TypeVar("_T")
_Done = tuple[int, BatchResult]


class BatchRun:
    """An async context manager that runs a batch; iterate it for the results as they finish.

    ```python
    async with client.batch(requests, concurrency=256, rpm=5000) as results:
        async for result in results:   # rs.BatchResult
            ...
    ```
    Leaving the block early stops the requests still in flight. A request given as a mapping
    (an OpenAI Batch input line) that is not valid ends the iteration with ``BatchInputError``
    once the requests before it are done.
    """

    def __init__(
        self,
        open_stream: StreamOpener,
        requests: RequestSource,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        limiter: Limiter | None = None,
        max_retries: int = 2,
        ordered: bool = False,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self._open = open_stream
        self._concurrency = concurrency
        self._limiter = limiter
        self._max_retries = max_retries
        self._ordered = ordered
        self._default_max_tokens = default_max_tokens
        self._group: TaskGroup | None = None
        self._results: MemoryObjectReceiveStream[_Done] | None = None
        # ordered: how far ahead of the oldest unfinished request the input may be taken
        self._window = anyio.Semaphore(2 * concurrency) if ordered else None
        self._input = RequestTaker(requests, self._window)
        self._waiting: dict[int, BatchResult] = {}
        self._next = 0
        self.in_flight = 0
        """Requests being sent or streamed right now (retries' waits included)."""

    async def __aenter__(self) -> Self:
        limiter = self._limiter
        if limiter is None:
            self._limiter = LocalLimiter()
        results_tx, self._results = anyio.create_memory_object_stream[_Done](self._concurrency)
        group = self._group = anyio.create_task_group()
        await group.__aenter__()
        async with results_tx:
            for _ in range(self._concurrency):
                group.start_soon(self._work, results_tx.clone())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        group = self._group
        if group is None:
            return None
        group.cancel_scope.cancel()  # what is still in flight is not wanted any more
        if self._results is not None:
            self._results.close()
        # The block's own exception goes on as it is, not wrapped in the group's ExceptionGroup.
        await group.__aexit__(None, None, None)
        return None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> BatchResult:
        results = self._results
        if results is None:
            raise RuntimeError("use the batch as `async with ... as results: async for result in results`")
        window = self._window
        if window is None:
            try:
                return (await _receive(results))[1]
            except anyio.EndOfStream:
                self._end()
        while self._next not in self._waiting:
            try:
                index, result = await _receive(results)
            except anyio.EndOfStream:
                self._end()
            self._waiting[index] = result
        result = self._waiting.pop(self._next)
        self._next += 1
        window.release()
        return result

    def _end(self) -> NoReturn:
        if self._input.error is not None:
            raise self._input.error
        raise StopAsyncIteration

    async def _work(self, results_tx: MemoryObjectSendStream[_Done]) -> None:
        """Take requests from the input until it is used up; send each to its end."""
        take = self._input.take
        async with results_tx:
            while (item := await take()) is not None:
                index, request = item
                self.in_flight += 1
                try:
                    result = await self._complete(request)
                finally:
                    self.in_flight -= 1
                await _send(results_tx, (index, result))

    async def _complete(self, request: BatchRequest) -> BatchResult:
        """Send ``request`` until it succeeds, fails for good, or its retries are spent."""
        limiter = self._limiter
        assert limiter is not None
        estimated = request.estimated_tokens(self._default_max_tokens)
        causes: list[str] = []
        while True:
            await limiter.acquire(estimated)
            result, cause, delay = await self._attempt(request, limiter, estimated)
            if cause is None or len(causes) >= self._max_retries:
                result.stats.attempts = len(causes) + 1
                result.retries = tuple(causes)
                return result
            causes.append(cause)
            if delay is None:
                delay = backoff_delay(len(causes) - 1, random.random())
            if delay > 0:
                await anyio.sleep(delay)

    async def _attempt(
        self, request: BatchRequest, limiter: Limiter, estimated: int
    ) -> tuple[BatchResult, str | None, float | None]:
        """One attempt: its result, why it may be retried (``None``: it may not), and the wait first.

        A wait of ``None`` means backoff; a server's pause is handed to the limiter instead
        (every request waits it), so the retry itself waits 0.
        """
        stream: Stream[Any, Any] | None = None
        try:
            async with self._open(request) as stream:
                body = await stream.until_done()  # built once (``stream.snapshot`` builds it anew)
        except APIStatusError as error:
            limiter.settle(estimated, 0)  # refused: it counted nothing
            headers = error.headers
            result = BatchResult(
                custom_id=request.custom_id,
                status_code=error.status_code,
                request_id=error.request_id,
                body=error.body,
                error={"code": _status_error_code(error), "message": error.message},
            )
            if not should_retry_status(error.status_code, headers):
                return result, None, None
            pause = parse_retry_after(headers)
            if pause is None and error.status_code == 429:
                pause = ratelimit_wait(headers)
            if pause is not None:
                limiter.hold(min(pause, MAX_RETRY_AFTER))
                return result, str(error.status_code), 0.0
            return result, str(error.status_code), None
        except StreamError as error:
            result = BatchResult(
                custom_id=request.custom_id,
                status_code=200 if stream is not None else None,
                request_id=error.request_id,
                body=error.partial,
                error={"code": _stream_error_code(error), "message": str(error)},
                stats=_stats_of(stream),
            )
            if not isinstance(error, IncompleteStreamError | StreamAPIError):
                return result, None, None
            return result, "timeout" if isinstance(error, StreamTimeoutError) else "cut", None
        except R9sStreamError as error:  # an answer that is not a stream: sending it again would not help
            return (
                BatchResult(
                    custom_id=request.custom_id,
                    error={"code": type(error).__name__, "message": str(error)},
                    stats=_stats_of(stream),
                ),
                None,
                None,
            )
        except Exception as error:
            failure = send_failure(error)
            if failure is None:
                raise
            code = "timeout" if failure.timeout else "connection_error"
            result = BatchResult(
                custom_id=request.custom_id,
                error={"code": code, "message": f"{type(failure.error).__name__}: {failure.error}"},
            )
            return result, None if failure.permanent else ("timeout" if failure.timeout else "connect"), None
        stats = _stats_of(stream)
        if stats.prompt_tokens is not None or stats.completion_tokens is not None:
            limiter.settle(estimated, (stats.prompt_tokens or 0) + (stats.completion_tokens or 0))
        response = stream.response
        pause = ratelimit_wait(response.headers)
        if pause is not None:
            limiter.hold(min(pause, MAX_RETRY_AFTER))
        result = BatchResult(
            custom_id=request.custom_id,
            status_code=response.status_code,
            request_id=request_id_of(response.headers),
            body=body,
            stats=stats,
        )
        return result, None, None


# The hand-off from the workers to the reader tries without waiting first: anyio's send() and
# receive() always yield to the event loop once, which let the reader take only one result
# per turn of the loop.
async def _receive(stream: MemoryObjectReceiveStream[_T]) -> _T:
    try:
        return stream.receive_nowait()
    except anyio.WouldBlock:
        return await stream.receive()


async def _send(stream: MemoryObjectSendStream[_T], item: _T) -> None:
    try:
        stream.send_nowait(item)
    except anyio.WouldBlock:
        await stream.send(item)


def _status_error_code(error: APIStatusError) -> str:
    return error.code or error.type or f"http_{error.status_code}"


def _stream_error_code(error: StreamError) -> str:
    if isinstance(error, StreamAPIError) and error.code:
        return error.code
    if isinstance(error, StreamTimeoutError):
        return "stream_timeout"
    if isinstance(error, IncompleteStreamError):
        return "stream_incomplete"
    if isinstance(error, StreamAPIError):
        return error.type or "stream_error"
    return "stream_decode_error"


def _stats_of(stream: Stream[Any, Any] | None) -> BatchStats:
    """The figures of a stream that was opened (its clock stopped when it closed)."""
    if stream is None:
        return BatchStats()
    stats = stream.stats
    prompt, completion = _usage_tokens(stream.usage)
    return BatchStats(
        time_to_first_token=stats.time_to_first_token,
        duration=stats.duration,
        tokens_per_second=stats.tokens_per_second,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


def _usage_tokens(usage: object) -> tuple[int | None, int | None]:
    """Prompt and completion tokens of any kind's usage (chat's names, or input/output tokens)."""
    if usage is None:
        return None, None
    prompt = getattr(usage, "prompt_tokens", None)
    if prompt is None:
        prompt = getattr(usage, "input_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if completion is None:
        completion = getattr(usage, "output_tokens", None)
    return prompt, completion
