"""The one place where HTTP libraries' errors are read: httpx's, httpx2's and aiohttp's.

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

import contextlib
import sys

import httpx

from .._exceptions import IncompleteStreamError, StreamError, StreamTimeoutError

__all__ = ["SendFailure", "is_transport_error", "send_failure", "stream_failure"]


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
