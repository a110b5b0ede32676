"""``stream.text_deltas()``: one choice's content strings, as they arrive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._chat_stream import ChatCompletionStream

__all__ = ["TextDeltas"]


class TextDeltas:
    """Async iterator of one choice's content strings (empty strings skipped)."""

    def __init__(self, stream: ChatCompletionStream[Any], choice: int) -> None:
        self._stream = stream
        self._choice = choice

    def __aiter__(self) -> TextDeltas:
        return self

    async def __anext__(self) -> str:
        async for event in self._stream:
            for choice in event.choices:
                if choice.index == self._choice and choice.delta is not None and choice.delta.content:
                    return choice.delta.content
        raise StopAsyncIteration
