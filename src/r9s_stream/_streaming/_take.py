"""What the chunks of one read do to their stream: counted, folded, first chunk and token timed."""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING, Any

from .._chat._models import ChatCompletionStreamEvent
from .._exceptions import ContentFilterFinishReasonError, LengthFinishReasonError, OutputValidationError

if TYPE_CHECKING:
    from ._chat_stream import ChatCompletionStream

__all__ = ["take_chunks"]

_OUTPUT_ERRORS = (LengthFinishReasonError, ContentFilterFinishReasonError, OutputValidationError)


def take_chunks(stream: ChatCompletionStream[Any], events: list[ChatCompletionStreamEvent]) -> None:
    """Count and fold the chunks of one read; note the first chunk and the first token."""
    stats = stream.stats
    stats.chunks += len(events)
    if stats.first_chunk_at is None:
        stats.first_chunk_at = perf_counter()
    accumulator = stream._accumulator
    if accumulator is not None:
        if stream._output is None:
            if len(events) == 1:  # one event per read, as live servers send: no batch set-up
                accumulator.add(events[0])
            else:
                accumulator.add_many(events)
        else:
            try:
                accumulator.add_many(events)
            except _OUTPUT_ERRORS as error:
                # Raised at the next read: this read's chunks are handed out first.
                if stream._failure is None:
                    stream._failure = error
        if stats.first_token_at is None and accumulator.has_output():
            stats.first_token_at = perf_counter()
    else:
        outputs = 0
        for event in events:
            if event.usage is not None:
                stream._usage = event.usage
            for choice in event.choices:  # _has_output, inlined: a call per chunk costs ~1,000
                delta = choice.delta
                if delta is not None and (
                    delta.content
                    or delta.tool_calls
                    or delta.refusal
                    or delta.reasoning_content
                    or delta.reasoning
                ):
                    outputs += 1
                    break
        if outputs:
            stream._output_chunks += outputs
            if stats.first_token_at is None:
                stats.first_token_at = perf_counter()
