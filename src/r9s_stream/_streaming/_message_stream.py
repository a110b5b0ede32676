"""The Messages stream: the engine with the Messages decoder and fold, and its text deltas."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING

from .._messages._decoder import MessageDecoder
from .._messages._events import ContentBlockDeltaEvent, MessageStreamEvent
from .._messages._fold import MessageFold
from .._messages._models import Message, TextDelta, Usage
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._stream import Stream

if TYPE_CHECKING:
    from .._http._types import HTTPResponse
    from ._observer import CallObserver

__all__ = ["MessageStream"]


class MessageStream(Stream[MessageStreamEvent, Message]):
    """Typed events of one streamed Anthropic message, rebuilt into ``snapshot`` as they come.

    Use it as ``async with … as stream: async for event in stream`` (``ping`` events are not
    handed out); ``await stream.until_done()`` returns the whole ``Message``. Leaving the
    block closes the response. Every error raised after the stream started is a
    ``StreamError`` whose ``partial`` is the message rebuilt so far; an ``error`` event
    (``overloaded_error`` …) is a ``StreamAPIError`` with the error's ``type``.
    """

    def __init__(
        self,
        response: HTTPResponse,
        *,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        started_at: float | None = None,
        secret: str | None = None,
        telemetry: CallObserver | None = None,
    ) -> None:
        super().__init__(
            response,
            MessageDecoder(max_event_size),
            MessageFold(),
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            started_at=started_at,
            secret=secret,
            telemetry=telemetry,
        )

    @property
    def usage(self) -> Usage | None:
        """Token usage: ``message_start``'s, updated by each ``message_delta``; ``None`` if none came."""
        usage: Usage | None = self._fold.usage
        return usage

    def text_deltas(self) -> AsyncIterator[str]:
        """An async iterator of the text the model writes (``text_delta`` strings), as it arrives."""
        return self._track(self._iterate_text())

    async def _iterate_text(self) -> AsyncGenerator[str, None]:
        async for event in self:
            if type(event) is ContentBlockDeltaEvent:
                delta = event.delta
                if type(delta) is TextDelta and delta.text:
                    yield delta.text
