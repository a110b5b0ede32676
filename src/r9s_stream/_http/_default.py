"""The default HTTP client of ``rs.AsyncClient``: httpx on aiohttp (asyncio) or on its own transport (trio).

``rs.AsyncClient`` without ``http_client=`` sends on an ``httpx.AsyncClient`` whose transport
is picked at its first request, from the running event loop: ``httpx_aiohttp.AiohttpTransport``
(as ``_aiohttp.DirectAiohttpTransport``, whose bodies are read straight from aiohttp)
on asyncio (aiohttp's connector and C parser stay fast with thousands of open connections,
where httpcore 1.0's pool bookkeeping grows with the square of them), httpx's own transport
on trio (aiohttp runs on asyncio only). A client built outside any loop works on either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import urllib.request
from http.cookiejar import CookieJar
from typing import Any, Literal

import httpx

__all__ = [
    "STREAM_HEADERS",
    "TRANSPORTS",
    "DefaultClient",
    "TransportName",
    "default_http_client",
    "environment_proxies",
]

TransportName = Literal["auto", "aiohttp", "httpx"]
TRANSPORTS: tuple[TransportName, ...] = ("auto", "aiohttp", "httpx")

# What a stream request asks for unless the caller says otherwise (see _send.Sender).
STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}

# httpx's and aiohttp's default both close an idle kept-alive connection after 5 s.
_KEEPALIVE_EXPIRY = 5.0


def default_http_client(
    *,
    transport: TransportName = "auto",
    timeout: httpx.Timeout | float | None = 60.0,
    max_connections: int | None = None,
    headers: httpx.Headers | None = None,
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` of an ``rs.AsyncClient`` given none.

    ``max_connections=None`` sets no cap (httpx's default is 100, which would queue the
    101st simultaneous stream); idle connections are kept alive for reuse. TLS is verified
    and the environment's proxies and certificates are honoured, as with a plain client.
    ``headers`` go on every request, merged into httpx's defaults once, here.
    """
    if transport not in TRANSPORTS:
        raise ValueError(
            f"transport must be one of {', '.join(map(repr, TRANSPORTS))}, got {transport!r}"
            " (for a transport object: http_client=httpx.AsyncClient(transport=...))"
        )
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=_KEEPALIVE_EXPIRY,
    )
    if transport == "httpx":
        return DefaultClient(timeout=timeout, limits=limits, headers=headers)
    # httpx reads proxies from the environment only for transports it builds itself: do it
    # for ours, one transport per proxy, as it would (NO_PROXY hosts go direct).
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None if proxy is None else _LoopTransport(transport, limits, httpx.Proxy(proxy))
        for pattern, proxy in environment_proxies().items()
    }
    return DefaultClient(
        timeout=timeout, headers=headers, transport=_LoopTransport(transport, limits), mounts=mounts
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie store, which does not hand a response that sets no cookie to the jar.

    httpx gives every response to ``http.cookiejar`` (two adapter objects and an
    ``email.message.Message`` of its headers: ≈ 14 µs, a tenth of httpx's cost of a request),
    which stores nothing from one without ``Set-Cookie`` or ``Set-Cookie2``, as stream
    responses are. Cookies that are set are stored and sent back as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class DefaultClient(httpx.AsyncClient):
    """The default ``httpx.AsyncClient``: its ``cookies`` are a ``_Cookies``.

    ``has_stream_headers``: its own headers name every one of ``STREAM_HEADERS``, so a request
    that gives no headers of its own asks for a stream already (the sender sets none).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._r9s_cookies = _Cookies(options.get("cookies"))  # what httpx keeps, in our store
        given = options.get("headers")
        self.has_stream_headers = given is not None and all(name in given for name in STREAM_HEADERS)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._r9s_cookies

    @cookies.setter
    def cookies(self, cookies: httpx.Cookies | CookieJar | dict[str, str] | list[tuple[str, str]]) -> None:
        self._r9s_cookies = _Cookies(cookies)


class _LoopTransport(httpx.AsyncBaseTransport):
    """aiohttp's transport on asyncio, httpx's own elsewhere: picked at the first request."""

    def __init__(self, choice: TransportName, limits: httpx.Limits, proxy: httpx.Proxy | None = None) -> None:
        self._choice = choice
        self._limits = limits
        self._proxy = proxy
        self._transport: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transport
        if transport is None:  # no await since the check: concurrent first requests share one
            transport = self._transport = self._open()
        return await transport.handle_async_request(request)

    def _open(self) -> httpx.AsyncBaseTransport:
        if not _on_asyncio():
            if self._choice == "aiohttp":
                raise RuntimeError("transport='aiohttp' runs on asyncio only; use 'auto' or 'httpx' on trio")
            return httpx.AsyncHTTPTransport(limits=self._limits, proxy=self._proxy)
        if self._choice == "httpx":  # pragma: no cover - default_http_client builds no _LoopTransport then
            return httpx.AsyncHTTPTransport(limits=self._limits, proxy=self._proxy)
        from ._aiohttp import DirectAiohttpTransport

        cap = self._limits.max_connections
        # httpx-aiohttp leaves aiohttp's own cap of 100 in place for None; 0 is aiohttp's "none".
        limits = httpx.Limits(
            max_connections=0 if cap is None else cap, keepalive_expiry=self._limits.keepalive_expiry
        )
        return DirectAiohttpTransport(limits=limits, proxy=self._proxy)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


def _on_asyncio() -> bool:
    """Whether this runs on an asyncio event loop (trio runs none)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def environment_proxies() -> dict[str, str | None]:
    """The ``HTTP(S)_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` settings as httpx mount patterns."""
    found = urllib.request.getproxies()
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        url = found.get(scheme)
        if url:
            mounts[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    for host in (part.strip() for part in found.get("no", "").split(",")):
        if host == "*":
            return {}
        if not host:
            continue
        if "://" in host:
            mounts[host] = None
        elif _is_ip(host, ipaddress.IPv4Address) or host.lower() == "localhost":
            mounts[f"all://{host}"] = None
        elif _is_ip(host, ipaddress.IPv6Address):
            mounts[f"all://[{host}]"] = None
        else:
            mounts[f"all://*{host}"] = None
    return mounts


def _is_ip(host: str, kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        kind(host.split("/")[0])
    except ValueError:
        return False
    return True
