"""The aiohttp transport of the default client: httpx-aiohttp's, with a body we may read directly.

Through httpx, each network read climbs five async generators (httpx's ``aiter_bytes``,
``aiter_raw`` and bound stream, httpx-aiohttp's stream, aiohttp's ``iter_chunked``), each
with its own frame, ``asend`` object and context managers: about 25 objects kept per open
stream for the garbage collector to walk (its passes grow with the number of open streams),
and ≈ 1,000 instructions a read per layer. The responses of this transport also carry
aiohttp's body reader as a response extension, ``_body.body_reader`` reads it in one call a
read (``RawBody``), and errors are named exactly as httpx-aiohttp's stream names them.

``handle_async_request`` is httpx-aiohttp 0.2's own, line for line, but for that extension
(its response object is not reachable through public names otherwise).
"""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import AiohttpResponseStream, map_aiohttp_exceptions

from ._body import BODY_EXTENSION

__all__ = ["DirectAiohttpTransport"]


class DirectAiohttpTransport(AiohttpTransport):
    """``httpx_aiohttp.AiohttpTransport`` whose responses carry aiohttp's body reader."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()

        timeout = request.extensions.get("timeout", {})
        sni_hostname = request.extensions.get("sni_hostname")

        with map_aiohttp_exceptions():
            data: bytes | httpx.AsyncByteStream | None
            try:
                data = request.content
                if data == b"":
                    data = None
            except httpx.RequestNotRead:
                data = request.stream  # type: ignore[assignment]
                request.headers.pop("transfer-encoding", None)  # handled by aiohttp

            proxy = self.proxy
            response = await self.client.request(
                method=request.method,
                url=str(request.url) if request.url else "https://127.0.0.1:8000/",
                headers=request.headers,
                data=data,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
                server_hostname=sni_hostname,
                proxy=str(proxy.url) if proxy else None,
                proxy_auth=aiohttp.BasicAuth(proxy.auth[0], proxy.auth[1]) if proxy and proxy.auth else None,
                proxy_headers=proxy.headers if proxy else None,
            ).__aenter__()

        extensions: dict[str, object] = {"http_version": b"HTTP/1.1", BODY_EXTENSION: response.content}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()

        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=AiohttpResponseStream(response),
            request=request,
            extensions=extensions,
        )
