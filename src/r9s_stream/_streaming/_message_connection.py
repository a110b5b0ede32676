"""``MessageStreamConnection``: the connection whose stream is a ``MessageStream``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._messages._whole import whole_message_body
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._connection import StreamConnection, StreamOptions
from ._message_stream import MessageStream

if TYPE_CHECKING:
    import httpx
    import httpx2

    from .._http._retry import Retries
    from .._http._types import HTTPClient, HTTPResponse
    from ._observer import CallObserver, Observer

__all__ = ["MessageStreamConnection"]


class MessageStreamConnection(StreamConnection[MessageStream]):
    """Async context manager: sends the request, checks the answer, yields the ``MessageStream``.

    Takes what ``ChatStreamConnection`` takes (but no ``output``). A whole ``message`` JSON
    object in place of the stream (a server that ignored ``stream: true``) is taken as the
    stream it stands for.
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
        **request_arguments: Any,
    ) -> None:
        options = StreamOptions(
            max_event_size=max_event_size,
            first_token_timeout=first_token_timeout,
            idle_timeout=idle_timeout,
            total_timeout=total_timeout,
            secret=secret,
        )
        super().__init__(
            client,
            method,
            url,
            options=options,
            retries=retries,
            telemetry=telemetry,
            body=body,
            request_arguments=request_arguments,
        )

    def _whole_body(self, body: bytes) -> bytes | None:
        return whole_message_body(body)

    def _open_stream(
        self, response: HTTPResponse, started_at: float, call: CallObserver | None
    ) -> MessageStream:
        options = self._options
        return MessageStream(
            response,
            started_at=started_at,
            max_event_size=options.max_event_size,
            first_token_timeout=options.first_token_timeout,
            idle_timeout=options.idle_timeout,
            total_timeout=options.total_timeout,
            secret=options.secret,
            telemetry=call,
        )
