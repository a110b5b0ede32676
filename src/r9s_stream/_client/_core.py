"""What every endpoint of one ``AsyncClient`` shares: the HTTP client, base URL, key, headers, limits."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from .._http._retry import Retries
from .._telemetry._call import Telemetry

if TYPE_CHECKING:
    from .._http._types import HTTPClient

__all__ = ["ClientCore"]

# One encoder for every request body.
_encoder = msgspec.json.Encoder()


class ClientCore:
    """The parts of a client that every request of every kind is sent with.

    Made once by ``AsyncClient``; each endpoint (chat, ``client.responses``, …) builds its
    requests from it. ``endpoint_url(path)`` parses each endpoint's URL once for an httpx client
    (httpx parses a str on every request, ≈ 11 µs), at its first request, so that a bad URL fails
    where it always did.

    ``headers`` are what every request carries. With ``client_defaults`` the HTTP client was
    made with ``headers`` and ``request_timeout`` as its own defaults (``AsyncClient``'s own
    client): requests then pass neither, as httpx would merge the same headers into its
    defaults again on every request (a copy, then a lookup and a removal per header).
    """

    __slots__ = (
        "_sent_with",
        "_urls",
        "api_key",
        "base_url",
        "headers",
        "http_client",
        "request_timeout",
        "retries",
        "stream_options",
        "telemetry",
    )

    def __init__(
        self,
        *,
        http_client: HTTPClient,
        base_url: str,
        api_key: str | None,
        headers: httpx.Headers,
        retries: Retries,
        request_timeout: httpx.Timeout | tuple[float | None, ...] | float | None,
        stream_options: Mapping[str, Any],
        telemetry: Telemetry,
        client_defaults: bool = False,
    ) -> None:
        self.http_client = http_client
        self.base_url = base_url
        self.api_key = api_key
        self.headers = headers
        self.retries = retries
        self.request_timeout = request_timeout
        self.stream_options = dict(stream_options)
        self.telemetry = telemetry
        self._urls: dict[str, httpx.URL | str] = {}
        # What every request's arguments share, made once: a request adds its body.
        self._sent_with: dict[str, Any] = {
            "headers": None if client_defaults else headers,
            "timeout": httpx.USE_CLIENT_DEFAULT if client_defaults else request_timeout,
            "retries": retries,
            "secret": api_key,
            "telemetry": telemetry,
            **self.stream_options,
        }

    def endpoint_url(self, path: str) -> httpx.URL | str:
        """``base_url + path`` (``path`` such as ``/chat/completions``), parsed once."""
        url = self._urls.get(path)
        if url is None:
            url = f"{self.base_url}{path}"
            if isinstance(self.http_client, httpx.AsyncClient):
                with contextlib.suppress(httpx.InvalidURL):  # then raised by the request, as before
                    url = httpx.URL(url)
            self._urls[path] = url
        return url

    def request_arguments(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What a stream request of ``body`` is sent with, and what the connection needs of the client.

        A new dict each time: the caller may add to it (``headers``, say).
        """
        return {**self._sent_with, "content": _encoder.encode(body), "body": body}
