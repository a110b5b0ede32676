"""``ResponseStreamConnection``: the connection whose stream is a ``ResponseStream``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic

from .._output._typevars import ResponseFormatT
from .._responses._whole import whole_response_body
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._connection import StreamConnection
from ._response_stream import ResponseStream

if TYPE_CHECKING:
    import httpx
    import httpx2

    from .._http._retry import Retries
    from .._http._types import HTTPClient, HTTPResponse
    from .._output._spec import OutputSpec
    from ._observer import CallObserver, Observer

__all__ = ["ResponseStreamConnection"]


class ResponseStreamConnection(StreamConnection["ResponseStream[ResponseFormatT]"], Generic[ResponseFormatT]):
    """Async context manager: sends the request, checks the answer, yields the ``ResponseStream``.

    Takes what ``ChatStreamConnection`` takes; ``output`` says what to parse the answer into
    (``client.responses.stream()`` passes it for ``text_format=`` / ``tools=``). A whole
    ``response`` JSON object in place of the stream is taken as its one terminal event.
    """

    def __init__(
        self,
        client: HTTPClient,
        method: str,
        url: httpx.URL | httpx2.URL | str,
        *,
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
        self._output = output

    def _whole_body(self, body: bytes) -> bytes | None:
        return whole_response_body(body)

    def _open_stream(
        self, response: HTTPResponse, started_at: float, call: CallObserver | None
    ) -> ResponseStream[ResponseFormatT]:
        options = self._options
        return ResponseStream(
            response,
            output=self._output,
            started_at=started_at,
            max_event_size=options.max_event_size,
            first_token_timeout=options.first_token_timeout,
            idle_timeout=options.idle_timeout,
            total_timeout=options.total_timeout,
            secret=options.secret,
            telemetry=call,
        )
