"""Sending a stream request: built by the caller's client, sent, checked, sent again when worth it.

``Sender.open()`` returns a response whose status is 2xx and whose body is an event stream;
with ``Retries`` (what ``AsyncClient`` passes), it sends the request again after a connect
error or a 408/409/429/5xx answer. Every decision to retry is taken on the response headers
(or on a transport error raised before them): once ``open()`` has returned, nothing is ever
sent again, so a chunk the user has seen can never be duplicated by a retry.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from .._exceptions import APIStatusError, StreamTimeoutError
from ._checks import check_response
from ._close import close_response
from ._default import STREAM_HEADERS, DefaultClient
from ._errors import send_failure
from ._redact import redact
from ._retry import Retries, backoff_delay, retry_delay, should_retry_status

if TYPE_CHECKING:
    import httpx2

    from ._types import HTTPClient, HTTPResponse

__all__ = ["Sender"]

logger = logging.getLogger("r9s_stream")

# Arguments of httpx.AsyncClient.send(); everything else goes to build_request().
_SEND_ARGUMENTS = ("auth", "follow_redirects")


OnRetry = Callable[[BaseException, float], None]


class Sender:
    """One stream request on ``client``: ``open()`` sends it (again, after a retryable failure).

    Without ``retries`` it sends once, and a transport error raised before the response
    passes through as the HTTP stack raised it. ``deadline_timeouts`` (the stream's
    first-token and total timeouts) bound the wait for the response headers, retries
    included; ``secret`` is blotted out of what is logged.
    """

    def __init__(
        self,
        client: HTTPClient,
        method: str,
        url: httpx.URL | httpx2.URL | str,
        request_arguments: dict[str, Any],
        *,
        retries: Retries | None = None,
        secret: str | None = None,
        first_token_timeout: float | None = None,
        total_timeout: float | None = None,
    ) -> None:
        self._send_arguments = {
            k: request_arguments.pop(k) for k in _SEND_ARGUMENTS if k in request_arguments
        }
        # Kept as they are, not in a partial (fewer objects for each request in flight).
        self._client = client
        self._method = method
        self._request_arguments = request_arguments
        self._url = url
        self._retries = retries
        self._secret = secret
        self._first_token_timeout = first_token_timeout
        self._total_timeout = total_timeout
        self.request, send = self._prepare()
        self._send: Callable[[], Awaitable[HTTPResponse]] | None = send

    @property
    def url(self) -> httpx.URL | httpx2.URL | str:
        """Where the request goes."""
        return self._url

    async def open(self, on_retry: OnRetry | None = None) -> tuple[HTTPResponse, bytes | None]:
        """Send, check and retry; return the response of the attempt that succeeded.

        With it comes ``None`` for an event stream, or the whole body of a 2xx JSON answer
        (read already; see ``check_response``).

        ``on_retry(error, delay)`` is told of each attempt that failed and is followed by
        another. Raises ``APIStatusError``, ``UnexpectedContentTypeError``, a transport
        error, or ``StreamTimeoutError`` (a deadline or a transport timeout ran out).
        """
        started = perf_counter()
        limits = [t for t in (self._first_token_timeout, self._total_timeout) if t is not None]
        deadline = started + min(limits) if limits else None
        retries_done = 0
        send = self._send
        if send is None:  # opened before: a new request
            self.request, send = self._prepare()
        self._send = None
        while True:
            try:
                response = await self._send_before(send, deadline)
            except Exception as error:
                failure = send_failure(error)
                if failure is None:
                    raise
                delay = backoff_delay(retries_done, random.random())
                if failure.permanent or not self._may_retry(retries_done, delay, deadline):
                    if failure.timeout and self._retries is not None:
                        message = f"{type(failure.error).__name__} from {self._url}: {failure.error}"
                        raise StreamTimeoutError(message) from failure.error
                    if failure.error is error:
                        raise
                    # renamed as httpx would name it (see _errors); aiohttp's error is its cause
                    raise failure.error from failure.error.__cause__
                self._retrying(
                    error, delay, retries_done, f"{type(failure.error).__name__}: {failure.error}", on_retry
                )
                retries_done += 1
                self.request, send = self._prepare()  # a transport may have changed the last one
                await anyio.sleep(delay)
                continue
            try:
                whole = await check_response(response)
            except APIStatusError as error:
                await close_response(response)
                if self._retries is None:
                    raise
                delay = retry_delay(retries_done, response.headers, random.random())
                if not (
                    should_retry_status(error.status_code, response.headers)
                    and self._may_retry(retries_done, delay, deadline)
                ):
                    raise
                self._retrying(error, delay, retries_done, str(error), on_retry)
                retries_done += 1
                self.request, send = self._prepare()
                await anyio.sleep(delay)
                continue
            except BaseException:
                await close_response(response)
                raise
            return response, whole

    def _prepare(self) -> tuple[httpx.Request | httpx2.Request, Callable[[], Awaitable[HTTPResponse]]]:
        """A request built by the client for one attempt, and the call that sends it."""
        client = self._client
        url = self._url
        request: httpx.Request | httpx2.Request
        send: Callable[[], Awaitable[HTTPResponse]]
        if isinstance(client, httpx.AsyncClient):
            request = client.build_request(
                self._method, url if isinstance(url, str | httpx.URL) else str(url), **self._request_arguments
            )
            send = partial(client.send, request, stream=True, **self._send_arguments)
        else:  # an httpx2 client (httpx2 is imported only by whoever made it): the same API, its own types
            request = client.build_request(
                self._method, str(url) if isinstance(url, httpx.URL) else url, **self._request_arguments
            )
            send = partial(client.send, request, stream=True, **self._send_arguments)
        # Set on the built request, so that they replace the client's defaults (`Accept: */*`)
        # but not the caller's own: ~10 µs a request cheaper than merging them in.
        given = self._request_arguments.get("headers")
        if given is None and isinstance(client, DefaultClient) and client.has_stream_headers:
            return request, send  # AsyncClient's own client: they are among its headers
        given_names = (
            () if given is None else given if isinstance(given, httpx.Headers) else httpx.Headers(given)
        )
        for name, value in STREAM_HEADERS.items():
            if name not in given_names:
                request.headers[name] = value
        return request, send

    async def _send_before(
        self, send: Callable[[], Awaitable[HTTPResponse]], deadline: float | None
    ) -> HTTPResponse:
        """Send the request and wait for the response headers, no later than ``deadline``."""
        if deadline is None:  # no cancel scope to pay for
            return await send()
        try:
            with anyio.fail_after(max(0.0, deadline - perf_counter())):
                return await send()
        except TimeoutError:
            raise StreamTimeoutError(
                "no response headers within first_token_timeout / total_timeout "
                f"({self._first_token_timeout} / {self._total_timeout}s)"
            ) from None

    def _may_retry(self, retries_done: int, delay: float, deadline: float | None) -> bool:
        """Whether another attempt is allowed: budget left, and the wait ends before the deadline."""
        if self._retries is None or retries_done >= self._retries.max_retries:
            return False
        return deadline is None or perf_counter() + delay < deadline

    def _retrying(
        self, error: BaseException, delay: float, retries_done: int, reason: str, on_retry: OnRetry | None
    ) -> None:
        """Tell ``on_retry`` and the log that another attempt follows after ``delay`` seconds."""
        if on_retry is not None:
            on_retry(error, delay)
        logger.info(
            "retrying %s %s in %.2fs (retry %d of %d) after %s",
            self.request.method,
            self._url,
            delay,
            retries_done + 1,
            0 if self._retries is None else self._retries.max_retries,
            redact(reason, self._secret),
        )
