"""The legacy Completions kind on the engine: ``CompletionStream`` and the connection that opens it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._completions._decoder import CompletionDecoder
from .._completions._fold import CompletionFold
from .._completions._models import Completion, CompletionChunk, CompletionUsage
from .._completions._whole import whole_completion_body
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._connection import StreamConnection
from ._stream import Stream

if TYPE_CHECKING:
    from .._http._types import HTTPResponse
    from ._observer import CallObserver

__all__ = ["CompletionStream", "CompletionStreamConnection"]


class CompletionStream(Stream[CompletionChunk, Completion]):
    """The chunks of one streamed legacy completion, rebuilt into a ``Completion`` as they come.

    Use it as ``async with … as stream: async for chunk in stream``: leaving the block (at
    the end, on ``break``, on an error or on cancellation) closes the response. Every error
    raised after the stream started is a ``StreamError`` whose ``partial`` is the
    ``Completion`` rebuilt from what had arrived.
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
            CompletionDecoder(max_event_size=max_event_size),
            CompletionFold(),
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            started_at=started_at,
            secret=secret,
            telemetry=telemetry,
        )

    @property
    def usage(self) -> CompletionUsage | None:
        """Token usage from the stream's usage chunk, or ``None`` if none came (yet)."""
        usage: CompletionUsage | None = self._fold.usage
        return usage

    @property
    def done(self) -> bool:
        """True once ``data: [DONE]`` has been received."""
        return self._decoder.done


class CompletionStreamConnection(StreamConnection[CompletionStream]):
    """Async context manager: sends the request, checks the answer, yields the ``CompletionStream``.

    ``first_token_timeout`` and ``total_timeout`` count from ``__aenter__``, retries included;
    ``secret`` (the API key) is blotted out of every error; ``telemetry`` records the call as
    a GenAI ``text_completion`` span.
    """

    operation = "text_completion"

    def _whole_body(self, body: bytes) -> bytes | None:
        return whole_completion_body(body)  # a whole text_completion: one chunk, then [DONE]

    def _open_stream(
        self, response: HTTPResponse, started_at: float, call: CallObserver | None
    ) -> CompletionStream:
        options = self._options
        return CompletionStream(
            response,
            started_at=started_at,
            max_event_size=options.max_event_size,
            first_token_timeout=options.first_token_timeout,
            idle_timeout=options.idle_timeout,
            total_timeout=options.total_timeout,
            secret=options.secret,
            telemetry=call,
        )
