"""``client.messages``: Anthropic Messages (``POST /messages``) on one ``AsyncClient``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from .._streaming._message_connection import MessageStreamConnection

if TYPE_CHECKING:
    from .._messages._models import Message
    from ._core import ClientCore

__all__ = ["ANTHROPIC_VERSION", "MessagesEndpoint"]

# The API version every Anthropic-compatible endpoint expects in `anthropic-version`.
ANTHROPIC_VERSION = "2023-06-01"


class MessagesEndpoint:
    """``client.messages.stream(...)`` and ``client.messages.complete(...)``.

    Requests carry Anthropic's headers beside the client's own: ``anthropic-version`` and,
    with a key, ``x-api-key`` (Anthropic's API reads that one; the r9s gateway and most
    proxies read ``Authorization: Bearer``, which stays). Headers given in
    ``default_headers`` win.
    """

    __slots__ = ("_core", "_headers")

    def __init__(self, core: ClientCore) -> None:
        self._core = core
        self._headers: httpx.Headers | None = None  # made at the first request

    def _request_headers(self) -> httpx.Headers:
        headers = self._headers
        if headers is None:
            core = self._core
            headers = httpx.Headers(core.headers)
            headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
            if core.api_key is not None:
                headers.setdefault("x-api-key", core.api_key)
            self._headers = headers
        return headers

    def stream(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Iterable[Mapping[str, Any]],
        **fields: Any,
    ) -> MessageStreamConnection:
        """Start a streamed message: ``async with client.messages.stream(...) as stream``.

        Every other Messages request field (``system``, ``tools``, ``thinking``,
        ``temperature``, ``stop_sequences``, …) passes through to the body unchanged. Raises
        ``APIStatusError`` for a non-2xx answer once retries are spent.
        """
        if "stream" in fields:
            raise TypeError("client.messages.stream() always streams; do not pass stream=")
        body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": list(messages)}
        body.update(fields)
        body["stream"] = True
        core = self._core
        arguments = core.request_arguments(body)
        arguments["headers"] = self._request_headers()
        return MessageStreamConnection(core.http_client, "POST", core.endpoint_url("/messages"), **arguments)

    async def complete(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Iterable[Mapping[str, Any]],
        **fields: Any,
    ) -> Message:
        """Stream a message to its end and return it, rebuilt, usage included."""
        async with self.stream(model=model, max_tokens=max_tokens, messages=messages, **fields) as stream:
            return await stream.until_done()
