"""``MessageStreamConnection``: the connection whose stream is a ``MessageStream``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._messages._whole import whole_message_body
from ._connection import StreamConnection
from ._message_stream import MessageStream

if TYPE_CHECKING:
    from .._http._types import HTTPResponse
    from ._observer import CallObserver

__all__ = ["MessageStreamConnection"]


class MessageStreamConnection(StreamConnection[MessageStream]):
    """Async context manager: sends the request, checks the answer, yields the ``MessageStream``.

    Takes what ``ChatStreamConnection`` takes (but no ``output``). A whole ``message`` JSON
    object in place of the stream (a server that ignored ``stream: true``) is taken as the
    stream it stands for.
    """

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
