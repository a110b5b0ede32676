"""How a batch sends each request through the client: once, with the client's headers, key and timeouts.

The batch decides on retries itself (a 429's pause holds every request, a broken stream is
sent again), so the client's own retries are left out here.
"""

from __future__ import annotations

from typing import Any

from .._batch._requests import BatchRequest
from .._streaming._chat_connection import ChatStreamConnection
from .._streaming._completion_stream import CompletionStreamConnection
from .._streaming._connection import StreamConnection
from .._streaming._response_connection import ResponseStreamConnection
from ._core import ClientCore

__all__ = ["BatchSender"]

# Where each kind's requests go, and which connection streams them.
_ENDPOINTS: dict[str, tuple[str, type[StreamConnection[Any]]]] = {
    "chat": ("/chat/completions", ChatStreamConnection),
    "completions": ("/completions", CompletionStreamConnection),
    "responses": ("/responses", ResponseStreamConnection),
}


class BatchSender:
    """Opens the stream of one batch request on ``core``'s client (the batch's ``StreamOpener``)."""

    __slots__ = ("_core",)

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    def __call__(self, request: BatchRequest) -> StreamConnection[Any]:
        endpoint = _ENDPOINTS.get(request.kind)
        if endpoint is None:
            raise ValueError(f"this client cannot send {request.kind!r} requests in a batch")
        path, connection = endpoint
        core = self._core
        body: dict[str, Any] = dict(request.body)
        body["stream"] = True
        if request.kind != "responses":  # the Responses API sends its usage unasked
            # The usage chunk corrects the rate limiter's token estimate and fills the stats.
            options = body.get("stream_options")
            body["stream_options"] = (
                {**options, "include_usage": True} if isinstance(options, dict) else {"include_usage": True}
            )
        arguments = core.request_arguments(body)
        arguments["retries"] = None
        return connection(core.http_client, "POST", core.endpoint_url(path), **arguments)
