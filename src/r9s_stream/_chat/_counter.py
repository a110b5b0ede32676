"""The fold of a chat stream opened with ``accumulate=False``: usage and a count of output, nothing kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from ._models import ChatCompletionStreamEvent, Usage

__all__ = ["ChunkCounter"]


class ChunkCounter:
    """Keeps the last usage and counts the chunks that carried output (for tokens/s); no snapshot."""

    __slots__ = ("_outputs", "usage")

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self._outputs = 0

    def add(self, event: ChatCompletionStreamEvent) -> None:
        """Take one chunk's usage and whether it carried output."""
        if event.usage is not None:
            self.usage = event.usage
        for choice in event.choices:
            delta = choice.delta
            if delta is not None and (
                delta.content
                or delta.tool_calls
                or delta.refusal
                or delta.reasoning_content
                or delta.reasoning
            ):
                self._outputs += 1
                break

    def add_many(self, events: Sequence[ChatCompletionStreamEvent]) -> None:
        """``add`` for each chunk, inlined: a call per chunk costs ~1,000 instructions."""
        outputs = 0
        for event in events:
            if event.usage is not None:
                self.usage = event.usage
            for choice in event.choices:
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
        self._outputs += outputs

    def has_output(self) -> bool:
        """Whether any chunk carried content, refusal, reasoning or a tool call."""
        return self._outputs > 0

    def output_pieces(self) -> int:
        """How many chunks carried output."""
        return self._outputs

    @property
    def output_tokens(self) -> int | None:
        """``completion_tokens`` of the last usage, or ``None``."""
        return None if self.usage is None else self.usage.completion_tokens

    @property
    def snapshot(self) -> NoReturn:
        """Nothing is rebuilt without accumulating."""
        raise RuntimeError("this stream was opened with accumulate=False")
