"""``stream.events()`` and ``stream.tool_calls()``: a stream's chunks, named as ``rs.StreamEvent`` values.

The read loop mirrors ``ChatCompletionStream._iterate``: the common read (body open, no time
limit, nothing pending, first token seen, nothing to parse) is made here directly, and
everything else goes through the stream's careful ``_next_events()``, so events cost what
naming them costs, not another coroutine layer per read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from .._chat._events import StreamEvent, ToolCallDone

if TYPE_CHECKING:
    from ._chat_stream import ChatCompletionStream

__all__ = ["iterate_events", "iterate_tool_calls"]


async def iterate_events(stream: ChatCompletionStream[Any]) -> AsyncGenerator[StreamEvent, None]:
    """Every event of ``stream``, then the ``...Done`` events ``data: [DONE]`` completes."""
    accumulator = stream._accumulator
    if accumulator is None:
        raise RuntimeError("this stream was opened with accumulate=False: it has no events")
    fold = accumulator.enable_events()  # raises once chunks were read without it
    decoder = stream._decoder
    feed = decoder.feed
    stats = stream.stats
    # With an output spec, a batch can raise a parse error that must wait for the next read:
    # take_chunks() holds it back, so parsing streams always take the careful path.
    fold_chunks = fold.add_many if stream.output is None else None
    while True:
        reader = stream._reader
        if (
            fold_chunks is None
            or reader is None
            or stream._timed
            or stream._failure is not None
            or decoder.done
            or stream._closed
            or stats.first_token_at is None
        ):
            # The fold hands this read's events to a sink: take_chunks() may raise after folding.
            fold.sink = []
            more = await stream._next_events()
            events, fold.sink = fold.sink, None
            for event in events:
                yield event
            if more is None:
                break
            continue
        try:
            data = await reader.__anext__()
        except StopAsyncIteration:
            chunks = stream._body_ended()
        except Exception as exc:
            await stream._read_failed(exc)
        else:
            chunks = feed(data)
        if decoder.error is not None:
            stream._failure = decoder.error
        if chunks:
            stats.chunks += len(chunks)
            for event in fold_chunks(chunks):
                yield event
    if stream.done:
        for event in fold.finish():
            yield event


async def iterate_tool_calls(
    stream: ChatCompletionStream[Any], choice: int
) -> AsyncGenerator[ToolCallDone, None]:
    """The ``ToolCallDone`` events of one choice (the other events are passed over)."""
    async for event in stream.events():
        if type(event) is ToolCallDone and event.choice == choice:
            yield event
