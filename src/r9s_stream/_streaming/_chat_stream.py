"""The stream: an async iterator of chunks that owns its response and closes it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from time import perf_counter
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, cast

import anyio

from .._chat._accumulator import ChatCompletionAccumulator
from .._chat._decoder import DEFAULT_MAX_EVENT_SIZE, ChunkDecoder
from .._chat._events import StreamEvent, ToolCallDone
from .._chat._models import ChatCompletion, ChatCompletionStreamEvent, ResponseFormatT, Usage
from .._exceptions import (
    IncompleteStreamError,
    StreamError,
    StreamTimeoutError,
)
from .._http._body import body_reader
from .._http._redact import redact_error
from .._http._transport import stream_failure
from .._output._spec import OutputError, OutputSpec
from ._body_end import drain, incomplete_message
from ._chat_events import iterate_events, iterate_tool_calls
from ._deadlines import Deadlines
from ._stats import StreamStats
from ._take import take_chunks
from ._text_deltas import TextDeltas

if TYPE_CHECKING:
    from .._http._transport import HTTPResponse
    from .._telemetry._call import StreamCall

__all__ = ["ChatCompletionStream"]

_T = TypeVar("_T")

_NO_EVENTS: list[ChatCompletionStreamEvent] = []


class ChatCompletionStream(Generic[ResponseFormatT]):
    """Typed chunks of one streamed chat completion, rebuilt into a message as they come.

    Use it as ``async with … as stream: async for event in stream``: leaving the block (at
    the end, on ``break``, on an error or on cancellation) closes the response. Every error
    raised after the stream started is a ``StreamError`` whose ``completion`` holds what had
    arrived.

    With an ``output`` spec (``client.stream(response_format=Location)`` makes one), the
    completion's ``parsed`` values are set as each choice finishes; a choice that cannot be
    parsed raises ``LengthFinishReasonError``, ``ContentFilterFinishReasonError`` or
    ``OutputValidationError`` (each with ``completion``) once the chunks of that read have
    been handed out.
    """

    def __init__(
        self,
        response: HTTPResponse,
        *,
        accumulate: bool = True,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        started_at: float | None = None,
        secret: str | None = None,
        telemetry: StreamCall | None = None,
        output: OutputSpec[ResponseFormatT] | None = None,
    ) -> None:
        self.response = response
        self._secret = secret
        self._telemetry = telemetry
        self._exit_error: BaseException | None = None  # what left the `async with` block, if anything
        self.stats = StreamStats(started_at)
        self._decoder = ChunkDecoder(max_event_size=max_event_size)
        if output is not None and not accumulate:
            raise ValueError("parsing the output needs the completion: do not pass accumulate=False")
        self._output = output
        self._accumulator: ChatCompletionAccumulator[ResponseFormatT] | None = (
            ChatCompletionAccumulator(output) if accumulate else None
        )
        self._usage: Usage | None = None
        self._output_chunks = 0  # counted here only without an accumulator (it counts its own)
        self._iterator = self._new_iterator()
        self._reader: AsyncIterator[bytes] | None = None
        self._failure: StreamError | OutputError | None = None
        self._closed = False
        self._timed = not (first_token_timeout is None and idle_timeout is None and total_timeout is None)
        self._deadlines = Deadlines(first_token_timeout, idle_timeout, total_timeout) if self._timed else None
        self._event_iterators: list[AsyncGeneratorType[Any, None]] = []  # closed by aclose()
        self._events_iterator: AsyncGeneratorType[StreamEvent, None] | None = None

    # --- what the user reads -------------------------------------------------------------

    @property
    def output(self) -> OutputSpec[ResponseFormatT] | None:
        """What this stream parses (``None``: nothing), from ``response_format=`` and ``tools=``."""
        return self._output

    @property
    def completion(self) -> ChatCompletion[ResponseFormatT]:
        """The ``ChatCompletion`` rebuilt from every chunk received so far."""
        if self._accumulator is None:
            raise RuntimeError("this stream was opened with accumulate=False")
        return self._accumulator.completion

    @property
    def usage(self) -> Usage | None:
        """Token usage from the stream's last usage chunk, or ``None`` if none came."""
        return self._usage if self._accumulator is None else self._accumulator.usage

    @property
    def done(self) -> bool:
        """True once ``data: [DONE]`` has been received."""
        return self._decoder.done

    def text_deltas(self, choice: int = 0) -> TextDeltas:
        """An async iterator of the content strings of one choice, as they arrive."""
        return TextDeltas(self, choice)

    def events(self) -> AsyncIterator[StreamEvent]:
        """An async iterator of the stream's semantic events (``rs.StreamEvent``), as they come.

        Call it before reading any chunk. The ``...Done`` events of parts still open when
        ``data: [DONE]`` arrives come then; a stream that fails raises its ``StreamError``
        (with the partial completion) and no ``Done`` is invented.
        """
        # One iterator for the stream's life, as for chunks: a second `async for` continues.
        iterator = self._events_iterator
        if iterator is None or iterator.ag_frame is None:
            iterator = self._events_iterator = self._track(iterate_events(self))
        return iterator

    def tool_calls(self, choice: int = 0) -> AsyncIterator[ToolCallDone]:
        """An async iterator of one choice's tool calls, each as soon as it is complete.

        They come from ``events()`` (the other events are passed over), so tools can run while
        the model is still streaming.
        """
        return self._track(iterate_tool_calls(self, choice))

    async def until_done(self) -> ChatCompletion[ResponseFormatT]:
        """Read the rest of the stream; return the whole completion."""
        async for _ in self:
            pass
        return self.completion

    # --- iteration -----------------------------------------------------------------------

    def __aiter__(self) -> AsyncGeneratorType[ChatCompletionStreamEvent, None]:
        # One async generator for the stream's life: resuming a generator costs about half
        # of calling an `async def __anext__`, and a second `async for` (after a `break`)
        # continues where the first stopped. It holds no resource: closing is aclose()'s job.
        iterator = self._iterator
        if iterator.ag_frame is None:
            # It ended: a new one ends at once, or raises the stream's failure again.
            iterator = self._iterator = self._new_iterator()
        return iterator

    def __anext__(self) -> Awaitable[ChatCompletionStreamEvent]:
        return self.__aiter__().__anext__()

    def _new_iterator(self) -> AsyncGeneratorType[ChatCompletionStreamEvent, None]:
        # typeshed's AsyncGenerator lacks ag_frame / ag_running, which the real object has.
        return cast("AsyncGeneratorType[ChatCompletionStreamEvent, None]", self._iterate())

    async def _iterate(self) -> AsyncGenerator[ChatCompletionStreamEvent, None]:
        # The common read (the body open, no timeout set, nothing pending) is made here, not
        # through _next_events() and _read(): two coroutine layers per read cost ~2,600
        # instructions, an eighth of what the hand-rolled limit spends on a one-event read.
        decoder = self._decoder
        feed = decoder.feed
        stats = self.stats
        accumulator = self._accumulator
        add = accumulator.add if accumulator is not None and self._output is None else None
        while True:
            reader = self._reader
            if reader is None or self._timed or self._failure is not None or decoder.done or self._closed:
                events = await self._next_events()
                if events is None:
                    return
            else:
                events = _NO_EVENTS  # not kept alive over the wait
                try:
                    data = await reader.__anext__()
                except StopAsyncIteration:
                    events = self._body_ended()
                except Exception as exc:
                    await self._read_failed(exc)
                else:
                    events = feed(data)
                if decoder.error is not None:
                    self._failure = decoder.error
                if not events:
                    continue
                if add is not None and len(events) == 1 and stats.first_token_at is not None:
                    # One event, after the first token: all take_chunks() would do is count and fold.
                    stats.chunks += 1
                    add(events[0])
                    yield events[0]
                    continue
                take_chunks(self, events)
            for event in events:
                yield event

    def _track(self, iterator: AsyncGenerator[_T, None]) -> AsyncGeneratorType[_T, None]:
        # Left unfinished (a `break`), it is closed by aclose(), not by the garbage collector.
        generator = cast("AsyncGeneratorType[_T, None]", iterator)
        self._event_iterators.append(generator)
        return generator

    async def _next_events(self) -> list[ChatCompletionStreamEvent] | None:
        """The next batch of chunks, or ``None`` at the end; raises a pending failure."""
        decoder = self._decoder
        while True:
            if self._failure is not None:
                await self._fail(self._failure)
            if decoder.done or self._closed:
                if not self._closed and self._reader is not None:
                    await drain(self._reader)
                await self.aclose()
                return None
            data = await self._read()
            events = self._body_ended() if data is None else decoder.feed(data)
            if decoder.error is not None:
                self._failure = decoder.error
            if events:
                take_chunks(self, events)
                return events

    def _body_ended(self) -> list[ChatCompletionStreamEvent]:
        """At the end of the body: a last unterminated event, and the failure if [DONE] never came."""
        decoder = self._decoder
        events = decoder.finish()
        if not decoder.stopped:
            self._failure = IncompleteStreamError(incomplete_message(self.stats))
        return events

    async def _read(self) -> bytes | None:
        """The next bytes of the body, or ``None`` at its end."""
        reader = self._reader
        if reader is None:
            reader = self._reader = body_reader(self.response)
        try:
            if self._deadlines is not None:
                with anyio.fail_after(self._deadlines.delay(self.stats)):
                    data = await reader.__anext__()
            else:
                data = await reader.__anext__()
        except StopAsyncIteration:
            return None
        except Exception as exc:
            await self._read_failed(exc)
        if self.stats.first_byte_at is None:
            self.stats.first_byte_at = perf_counter()
        return data

    async def _read_failed(self, exc: Exception) -> NoReturn:
        """Raise what a failed read means: a timeout or a broken stream, else ``exc`` itself."""
        if isinstance(exc, TimeoutError):  # a limit of ours ran out, or the stack's own read timeout
            deadlines = self._deadlines
            message = (
                f"the server stopped sending: {exc!r}" if deadlines is None else deadlines.message(self.stats)
            )
            await self._fail(StreamTimeoutError(message))
        failure = stream_failure(exc)  # whichever HTTP stack raised it: mapped in _transport
        if failure is not None:
            await self._fail(*failure)
        raise exc

    # --- closing -------------------------------------------------------------------------

    async def _fail(self, error: StreamError | OutputError, cause: BaseException | None = None) -> Any:
        """Close, attach what was received, and raise ``error``."""
        self._failure = error
        await self.aclose()
        if error.completion is None and self._accumulator is not None:
            error.completion = self._accumulator.completion
        redact_error(error, self._secret)  # a server may echo the API key in what it sends
        if cause is not None:
            raise error from cause
        raise error

    async def aclose(self) -> None:
        """Close the response (and its connection, unless fully read). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.stats.finished_at is None:
            accumulator = self._accumulator
            self.stats.finish(
                self.usage, self._output_chunks if accumulator is None else accumulator.output_pieces()
            )
        if self._telemetry is not None:
            self._telemetry.stream_closed(self, self._accumulator, self._failure or self._exit_error)
        # Shielded: closing must finish even when we are here because of a cancellation.
        with anyio.CancelScope(shield=True):
            if not self._iterator.ag_running:  # not when the iterator itself is closing us
                await self._iterator.aclose()
            for iterator in self._event_iterators:
                if not iterator.ag_running:
                    await iterator.aclose()
            reader = self._reader
            if reader is not None:
                aclose = getattr(reader, "aclose", None)
                if aclose is not None:
                    await aclose()
            await self.response.aclose()

    async def __aenter__(self) -> ChatCompletionStream[ResponseFormatT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._exit_error = exc
        await self.aclose()

    def __repr__(self) -> str:
        state = "done" if self.done else "closed" if self._closed else "open"
        return f"<ChatCompletionStream {state} chunks={self.stats.chunks} url={self.response.url}>"
