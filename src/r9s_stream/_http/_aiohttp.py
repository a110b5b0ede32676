"""The aiohttp transport of the default client: httpx-aiohttp's, with a body we may read directly.

Through httpx, each network read climbs five async generators (httpx's ``aiter_bytes``,
``aiter_raw`` and bound stream, httpx-aiohttp's stream, aiohttp's ``iter_chunked``), each
with its own frame, ``asend`` object and context managers: about 25 objects kept per open
stream for the garbage collector to walk (its passes grow with the number of open streams),
and ≈ 1,000 instructions a read per layer. The responses of this transport also carry
aiohttp's body reader as a response extension, ``_body.body_reader`` reads it in one call a
read (``RawBody``), and errors are named exactly as httpx-aiohttp's stream names them.

httpx-aiohttp does the request as it always does; only public names are used to reach the
body reader: the session is ours (``client=``, with aiohttp's public ``response_class``), its
responses note themselves in a context variable as they start, and the transport, awaiting
that request in the same task, reads the note back and resets it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from ._body import BODY_EXTENSION

__all__ = ["DirectAiohttpTransport"]

# The aiohttp response that started last in this task (set by _NotedResponse.start()).
_started: ContextVar[aiohttp.ClientResponse | None] = ContextVar("r9s_stream_aiohttp_response", default=None)


class _NotedResponse(aiohttp.ClientResponse):
    """aiohttp's response, which notes itself in ``_started`` once its headers are in."""

    async def start(self, connection: Any) -> aiohttp.ClientResponse:
        started = await super().start(connection)
        # No task lies between the transport's await and this one: the note is seen there.
        _started.set(self)
        return started


class DirectAiohttpTransport(AiohttpTransport):
    """``httpx_aiohttp.AiohttpTransport`` whose responses carry aiohttp's body reader."""

    def __init__(self, *, limits: httpx.Limits, proxy: httpx.Proxy | None = None) -> None:
        super().__init__(limits=limits, proxy=proxy, client=self._new_session)

    def _new_session(self) -> aiohttp.ClientSession:
        # What httpx-aiohttp's own session would be (its connection cap, keep-alive and TLS
        # context), made with the response class that notes itself.
        limits = self.limits
        connector = aiohttp.TCPConnector(
            limit=100 if limits.max_connections is None else limits.max_connections,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(connector=connector, response_class=_NotedResponse)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = _started.set(None)
        try:
            response = await super().handle_async_request(request)
            started = _started.get()
        finally:
            _started.reset(token)  # the context keeps no response alive past this request
        if started is not None:
            response.extensions[BODY_EXTENSION] = started.content
        return response
