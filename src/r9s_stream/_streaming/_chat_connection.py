"""``ChatStreamConnection``: the connection whose stream is a ``ChatCompletionStream``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic

from .._chat._whole import whole_completion_body
from .._output._typevars import ResponseFormatT
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._chat_stream import ChatCompletionStream
from ._connection import StreamConnection

if TYPE_CHECKING:
    import httpx
    import httpx2

    from .._http._retry import Retries
    from .._http._types import HTTPClient, HTTPResponse
    from .._output._spec import OutputSpec
    from ._observer import CallObserver, Observer

__all__ = ["ChatStreamConnection"]


class ChatStreamConnection(
    StreamConnection["ChatCompletionStream[ResponseFormatT]"], Generic[ResponseFormatT]
):
    """Async context manager: sends the request, checks the answer, yields the ``ChatCompletionStream``.

    ``first_token_timeout`` and ``total_timeout`` count from ``__aenter__``, retries
    included. Without ``retries`` it sends once and a transport error raised before the
    response passes through as the HTTP stack raised it. ``secret`` (the API key) is
    blotted out of every error it raises (and of the span). ``telemetry`` records the call;
    ``body`` is the request body as a mapping for the span, when ``json=`` does not give it.
    ``output`` says what to parse the answer into (``AsyncClient`` passes it for
    ``response_format=``).
    """

    def __init__(
        self,
        client: HTTPClient,
        method: str,
        url: httpx.URL | httpx2.URL | str,
        *,
        accumulate: bool = True,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        retries: Retries | None = None,
        secret: str | None = None,
        telemetry: Observer | None = None,
        body: Mapping[str, Any] | None = None,
        output: OutputSpec[ResponseFormatT] | None = None,
        **request_arguments: Any,
    ) -> None:
        super().__init__(
            client,
            method,
            url,
            max_event_size=max_event_size,
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            retries=retries,
            secret=secret,
            telemetry=telemetry,
            body=body,
            **request_arguments,
        )
        self._accumulate = accumulate
        self._output = output

    def _whole_body(self, body: bytes) -> bytes | None:
        return whole_completion_body(body)  # a whole chat.completion: one chunk, then [DONE]

    def _open_stream(
        self, response: HTTPResponse, started_at: float, call: CallObserver | None
    ) -> ChatCompletionStream[ResponseFormatT]:
        options = self._options
        return ChatCompletionStream(
            response,
            output=self._output,
            started_at=started_at,
            accumulate=self._accumulate,
            max_event_size=options.max_event_size,
            first_token_timeout=options.first_token_timeout,
            idle_timeout=options.idle_timeout,
            total_timeout=options.total_timeout,
            secret=options.secret,
            telemetry=call,
        )
