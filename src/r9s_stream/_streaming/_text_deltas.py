"""``stream.text_deltas()``: one choice's content strings, as they arrive."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from .._chat._models import ChatCompletionStreamEvent

__all__ = ["TextDeltas"]


class TextDeltas:
    """Async iterator of one choice's content strings (empty strings skipped)."""

    def __init__(self, chunks: AsyncIterable[ChatCompletionStreamEvent], choice: int) -> None:
        self._chunks = chunks
        self._choice = choice
        self._iterator: AsyncIterator[ChatCompletionStreamEvent] | None = None

    def __aiter__(self) -> TextDeltas:
        return self

    async def __anext__(self) -> str:
        iterator = self._iterator
        if iterator is None:
            iterator = self._iterator = aiter(self._chunks)
        async for event in iterator:
            for choice in event.choices:
                if choice.index == self._choice and choice.delta is not None and choice.delta.content:
                    return choice.delta.content
        raise StopAsyncIteration
