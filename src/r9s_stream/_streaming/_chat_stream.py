"""The chat stream: the engine with chat's decoder and accumulator, its events and text deltas."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Generic

from .._chat._accumulator import ChatCompletionAccumulator
from .._chat._counter import ChunkCounter
from .._chat._decoder import ChunkDecoder
from .._chat._events import StreamEvent, ToolCallDone
from .._chat._models import ChatCompletion, ChatCompletionStreamEvent, Usage
from .._exceptions import OutputError, StreamError
from .._output._typevars import ResponseFormatT
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._stream import Stream
from ._text_deltas import TextDeltas

if TYPE_CHECKING:
    from types import AsyncGeneratorType

    from .._http._types import HTTPResponse
    from .._output._spec import OutputSpec
    from ._observer import CallObserver

__all__ = ["ChatCompletionStream"]


class ChatCompletionStream(
    Stream[ChatCompletionStreamEvent, "ChatCompletion[ResponseFormatT]"], Generic[ResponseFormatT]
):
    """Typed chunks of one streamed chat completion, rebuilt into a message as they come.

    Use it as ``async with … as stream: async for event in stream``: leaving the block (at
    the end, on ``break``, on an error or on cancellation) closes the response. Every error
    raised after the stream started is a ``StreamError`` whose ``completion`` (and
    ``partial``, the same object) holds what had arrived.

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
        telemetry: CallObserver | None = None,
        output: OutputSpec[ResponseFormatT] | None = None,
    ) -> None:
        if output is not None and not accumulate:
            raise ValueError("parsing the output needs the completion: do not pass accumulate=False")
        self._output = output
        self._accumulator: ChatCompletionAccumulator[ResponseFormatT] | None = (
            ChatCompletionAccumulator(output) if accumulate else None
        )
        super().__init__(
            response,
            ChunkDecoder(max_event_size=max_event_size),
            self._accumulator if self._accumulator is not None else ChunkCounter(),
            accumulate=accumulate,
            parses=output is not None,
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            started_at=started_at,
            secret=secret,
            telemetry=telemetry,
        )
        self._events_iterator: AsyncGeneratorType[StreamEvent, None] | None = None

    # --- what the user reads -------------------------------------------------------------

    @property
    def output(self) -> OutputSpec[ResponseFormatT] | None:
        """What this stream parses (``None``: nothing), from ``response_format=`` and ``tools=``."""
        return self._output

    @property
    def completion(self) -> ChatCompletion[ResponseFormatT]:
        """The ``ChatCompletion`` rebuilt from every chunk received so far."""
        return self.snapshot

    @property
    def usage(self) -> Usage | None:
        """Token usage from the stream's last usage chunk, or ``None`` if none came."""
        usage: Usage | None = self._fold.usage
        return usage

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
            iterator = self._events_iterator = self._track(self._iterate_events())
        return iterator

    def tool_calls(self, choice: int = 0) -> AsyncIterator[ToolCallDone]:
        """An async iterator of one choice's tool calls, each as soon as it is complete.

        They come from ``events()`` (the other events are passed over), so tools can run while
        the model is still streaming.
        """
        return self._track(self._iterate_tool_calls(choice))

    async def until_done(self) -> ChatCompletion[ResponseFormatT]:
        """Read the rest of the stream; return the whole completion."""
        async for _ in self:
            pass
        return self.completion

    # --- events --------------------------------------------------------------------------

    async def _iterate_events(self) -> AsyncGenerator[StreamEvent, None]:
        """Every event of the stream, then the ``...Done`` events ``data: [DONE]`` completes.

        The read loop mirrors ``Stream._iterate``: the common read (body open, no time limit,
        nothing pending, first token seen, nothing to parse) is made here directly, and
        everything else goes through the careful ``_next_events()``, so events cost what
        naming them costs, not another coroutine layer per read.
        """
        accumulator = self._accumulator
        if accumulator is None:
            raise RuntimeError("this stream was opened with accumulate=False: it has no events")
        fold = accumulator.enable_events()  # raises once chunks were read without it
        decoder = self._decoder
        feed = decoder.feed
        stats = self.stats
        # With an output spec, a batch can raise a parse error that must wait for the next read:
        # _take() holds it back, so parsing streams always take the careful path.
        fold_chunks = fold.add_many if self._output is None else None
        while True:
            reader = self._reader
            if (
                fold_chunks is None
                or reader is None
                or self._careful
                or self._failure is not None
                or decoder.done
                or self._closed
                or stats.first_token_at is None
            ):
                # The fold hands this read's events to a sink: _take() may raise after folding.
                fold.sink = []
                more = await self._next_events()
                events, fold.sink = fold.sink, None
                for event in events:
                    yield event
                if more is None:
                    break
                continue
            try:
                data = await reader.__anext__()
            except StopAsyncIteration:
                chunks = self._body_ended()
            except Exception as exc:
                await self._read_failed(exc)
            else:
                chunks = feed(data)
            if decoder.error is not None:
                self._failure = decoder.error
            if chunks:
                stats.chunks += len(chunks)
                for event in fold_chunks(chunks):
                    yield event
        if self.done:
            for event in fold.finish():
                yield event

    async def _iterate_tool_calls(self, choice: int) -> AsyncGenerator[ToolCallDone, None]:
        """The ``ToolCallDone`` events of one choice (the other events are passed over)."""
        async for event in self.events():
            if type(event) is ToolCallDone and event.choice == choice:
                yield event

    # --- closing -------------------------------------------------------------------------

    def _attach(self, error: StreamError | OutputError) -> None:
        super()._attach(error)
        if isinstance(error, StreamError) and error.completion is None:
            error.completion = error.partial  # a chat stream's name for it, the same object
