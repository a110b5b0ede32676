"""The HTTP stack: the default httpx client, and the one place where HTTP libraries' errors are read.

``rs.AsyncClient`` without ``http_client=`` sends on an ``httpx.AsyncClient`` whose transport
is picked at its first request, from the running event loop: ``httpx_aiohttp.AiohttpTransport``
(as ``_aiohttp.DirectAiohttpTransport``, whose bodies are read straight from aiohttp)
on asyncio (aiohttp's connector and C parser stay fast with thousands of open connections,
where httpcore 1.0's pool bookkeeping grows with the square of them), httpx's own transport
on trio (aiohttp runs on asyncio only). A client built outside any loop works on either.

Callers may bring an ``httpx.AsyncClient`` or an ``httpx2.AsyncClient``. httpx2 is never
imported here unless the caller already did (no client of it can exist otherwise), nor is
aiohttp. What each stack raises means the same thing to us::

    before the response headers (the opening path retries or gives up; errors pass unwrapped)
      refused, unreachable, TLS failure     ConnectError                 retried
      closed before answering               RemoteProtocolError          retried
      connect / pool / write timeout        ConnectTimeout, …            retried, then StreamTimeoutError
      bad scheme or request                 UnsupportedProtocol,         never retried
                                            LocalProtocolError
    after the stream started
      a read timeout                        StreamTimeoutError           } the stack's error as
      any other transport or decoding error IncompleteStreamError        } __cause__

httpx-aiohttp 0.2 reports every ``aiohttp.ClientConnectionError`` as ``httpx.ConnectTimeout``:
a refused connection, and a connection the server drops mid-stream, too. Its errors are
read again here from aiohttp's, which it keeps as ``__cause__``, so that neither becomes a
timeout; aiohttp errors it lets through unmapped are given their httpx name as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import sys
import urllib.request
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any, Literal

import httpx

from .._exceptions import IncompleteStreamError, StreamError, StreamTimeoutError

if TYPE_CHECKING:
    from typing import TypeAlias

    import httpx2

    # For annotations only (httpx2 may not be installed): the clients and responses we take.
    HTTPClient: TypeAlias = httpx.AsyncClient | httpx2.AsyncClient
    HTTPResponse: TypeAlias = httpx.Response | httpx2.Response

__all__ = [
    "TRANSPORTS",
    "TransportName",
    "default_http_client",
    "is_transport_error",
    "send_failure",
    "stream_failure",
]

TransportName = Literal["auto", "aiohttp", "httpx"]
TRANSPORTS: tuple[TransportName, ...] = ("auto", "aiohttp", "httpx")

# httpx's and aiohttp's default both close an idle kept-alive connection after 5 s.
_KEEPALIVE_EXPIRY = 5.0


# --- the default client ------------------------------------------------------------------


def default_http_client(
    *,
    transport: TransportName = "auto",
    timeout: httpx.Timeout | float | None = 60.0,
    max_connections: int | None = None,
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` of an ``rs.AsyncClient`` given none.

    ``max_connections=None`` sets no cap (httpx's default is 100, which would queue the
    101st simultaneous stream); idle connections are kept alive for reuse. TLS is verified
    and the environment's proxies and certificates are honoured, as with a plain client.
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
        return _Client(timeout=timeout, limits=limits)
    # httpx reads proxies from the environment only for transports it builds itself: do it
    # for ours, one transport per proxy, as it would (NO_PROXY hosts go direct).
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None if proxy is None else _LoopTransport(transport, limits, httpx.Proxy(proxy))
        for pattern, proxy in environment_proxies().items()
    }
    return _Client(timeout=timeout, transport=_LoopTransport(transport, limits), mounts=mounts)


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


class _Client(httpx.AsyncClient):
    """The default ``httpx.AsyncClient``: its ``cookies`` are a ``_Cookies``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._r9s_cookies = _Cookies(options.get("cookies"))  # what httpx keeps, in our store

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


# --- errors ------------------------------------------------------------------------------


def _classes(*names: str) -> tuple[type[Exception], ...]:
    """httpx's exception classes of these names, and httpx2's once something imported it."""
    found: tuple[type[Exception], ...] = tuple(getattr(httpx, name) for name in names)
    if "httpx2" in sys.modules:  # else no httpx2 client exists, nor any error of one
        import httpx2

        found += tuple(getattr(httpx2, name) for name in names)
    return found


def _as_httpx(error: BaseException) -> BaseException:
    """``error`` under the name httpx would give it (aiohttp's, raw or misnamed by httpx-aiohttp)."""
    if "aiohttp" not in sys.modules:
        return error
    import aiohttp

    if isinstance(error, aiohttp.ClientError):  # raw: httpx-aiohttp left it unmapped
        cause: BaseException | None = error
    elif isinstance(error, httpx.ConnectTimeout):  # httpx-aiohttp's name for any connection error
        cause = error.__cause__
        if not isinstance(cause, aiohttp.ClientError) or isinstance(cause, aiohttp.ServerTimeoutError):
            return error  # a true timeout, or not from aiohttp at all
    else:
        return error  # named right already (ReadError for a cut body, ProxyError, ReadTimeout, …)
    mapped: httpx.TransportError
    if isinstance(cause, aiohttp.ServerTimeoutError):
        mapped = httpx.ReadTimeout(str(cause) or type(cause).__name__)
    elif isinstance(cause, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        mapped = httpx.ProxyError(str(cause))
    elif isinstance(cause, aiohttp.ClientConnectorError):
        mapped = httpx.ConnectError(str(cause))
    elif isinstance(cause, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        mapped = httpx.RemoteProtocolError(str(cause) or type(cause).__name__)
    elif isinstance(cause, aiohttp.InvalidURL):
        mapped = httpx.UnsupportedProtocol(str(cause))
    else:  # a reset connection, a payload cut short, …
        mapped = httpx.ReadError(str(cause) or type(cause).__name__)
    mapped.__cause__ = cause
    if isinstance(error, httpx.RequestError):
        # httpx attaches the request only to errors raised while sending
        with contextlib.suppress(RuntimeError):
            mapped.request = error.request
    return mapped


def is_transport_error(error: BaseException) -> bool:
    """Whether an HTTP stack raised ``error`` about the connection or the body's encoding."""
    error = _as_httpx(error)
    return isinstance(error, _classes("TransportError", "DecodingError"))


class SendFailure:
    """What an error raised before the response headers means for the opening path."""

    __slots__ = ("error", "permanent", "timeout")

    def __init__(self, error: BaseException, *, permanent: bool, timeout: bool) -> None:
        self.error = error  # what to raise when giving up: the stack's error, named as httpx would
        self.permanent = permanent  # our own request is at fault: the next attempt fails the same way
        self.timeout = timeout


def send_failure(error: BaseException) -> SendFailure | None:
    """How to treat ``error`` raised while sending; ``None`` when it is no transport error."""
    error = _as_httpx(error)
    if not isinstance(error, _classes("TransportError")):
        return None
    return SendFailure(
        error,
        permanent=isinstance(error, _classes("UnsupportedProtocol", "LocalProtocolError")),
        timeout=isinstance(error, _classes("TimeoutException")),
    )


def stream_failure(error: BaseException) -> tuple[StreamError, BaseException] | None:
    """The stream's error for ``error`` raised reading the body, and its cause; ``None``: not ours to map."""
    error = _as_httpx(error)
    if isinstance(error, _classes("TimeoutException")):
        return StreamTimeoutError(f"the server stopped sending: {error!r}"), error
    if isinstance(error, _classes("TransportError", "DecodingError")):
        return IncompleteStreamError(f"the connection broke mid-stream: {error!r}"), error
    return None
