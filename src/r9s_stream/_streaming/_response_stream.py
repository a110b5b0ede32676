"""The Responses stream: the engine with the Responses decoder and fold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic

from .._output._typevars import ResponseFormatT
from .._responses._decoder import ResponsesDecoder
from .._responses._events import ResponseStreamEvent, ResponseTextDeltaEvent
from .._responses._fold import ResponsesFold
from .._responses._response import Response, ResponseUsage
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._stream import Stream

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from .._http._types import HTTPResponse
    from .._output._spec import OutputSpec
    from ._observer import CallObserver

__all__ = ["ResponseStream"]


class ResponseStream(Stream[ResponseStreamEvent, "Response[ResponseFormatT]"], Generic[ResponseFormatT]):
    """Typed events of one streamed Responses API answer, rebuilt into a ``Response`` as they come.

    Use it as ``async with … as stream: async for event in stream``; ``snapshot`` (also
    ``until_done()``'s result) is the ``rs.responses.Response`` so far. The stream ends at
    ``response.completed`` or ``response.incomplete`` (an answer cut short: ``status ==
    "incomplete"``); an ``error`` event or ``response.failed`` raises ``StreamAPIError`` at once,
    and every ``StreamError`` carries the response received so far as ``partial``.

    With an ``output`` spec (``text_format=`` / ``tools=`` given as types) the terminal event
    parses the answer: ``output_parsed`` and each function call's ``parsed``, or
    ``LengthFinishReasonError`` (incomplete at ``max_output_tokens``),
    ``ContentFilterFinishReasonError`` or ``OutputValidationError``, each with the response.
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
        output: OutputSpec[ResponseFormatT] | None = None,
    ) -> None:
        self._output = output
        super().__init__(
            response,
            ResponsesDecoder(max_event_size),
            ResponsesFold(output),
            parses=output is not None,
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            started_at=started_at,
            secret=secret,
            telemetry=telemetry,
        )

    @property
    def usage(self) -> ResponseUsage | None:
        """Token usage from the terminal event's response, or ``None`` before it."""
        usage: ResponseUsage | None = self._fold.usage
        return usage

    async def until_done(self) -> Response[ResponseFormatT]:
        """Read the rest of the stream; return the whole response."""
        async for _ in self:
            pass
        return self.snapshot

    def text_deltas(self) -> AsyncIterator[str]:
        """An async iterator of the ``output_text`` deltas, as they arrive (the other events pass)."""
        return self._track(self._iterate_text())

    async def _iterate_text(self) -> AsyncGenerator[str, None]:
        async for event in self:
            if type(event) is ResponseTextDeltaEvent and event.delta:
                yield event.delta
