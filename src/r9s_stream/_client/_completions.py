"""``client.completions``: the legacy Completions endpoint (``POST /completions``) of one client."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._streaming._completion_stream import CompletionStreamConnection

if TYPE_CHECKING:
    from .._completions._models import Completion
    from ._core import ClientCore

__all__ = ["Completions"]

# Ask for the usage chunk at the end, as chat does (read-only, shared).
_INCLUDE_USAGE: Mapping[str, Any] = MappingProxyType({"include_usage": True})


class Completions:
    """``client.completions.stream(model=, prompt=)`` and ``complete()``: text in, text out."""

    __slots__ = ("_core",)

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    def stream(
        self,
        *,
        model: str,
        prompt: str | list[str] | list[int] | list[list[int]],
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> CompletionStreamConnection:
        """Start a streamed completion: ``async with client.completions.stream(...) as stream``.

        Every other request field (``max_tokens``, ``temperature``, ``n``, ``logprobs``,
        ``echo``, ``suffix`` …) passes through unchanged. ``stream_options`` asks for the usage
        chunk by default; ``stream_options=None`` leaves it out for servers that reject it.
        Raises ``APIStatusError`` for a non-2xx answer once retries are spent.
        """
        if "stream" in fields:
            raise TypeError("client.completions.stream() always streams; do not pass stream=")
        body: dict[str, Any] = {"model": model, "prompt": prompt, **fields, "stream": True}
        if stream_options is not None:
            body["stream_options"] = dict(stream_options)
        core = self._core
        return CompletionStreamConnection(
            core.http_client, "POST", core.endpoint_url("/completions"), **core.request_arguments(body)
        )

    async def complete(
        self,
        *,
        model: str,
        prompt: str | list[str] | list[int] | list[list[int]],
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> Completion:
        """Stream a completion to its end and return it, rebuilt, usage included."""
        async with self.stream(model=model, prompt=prompt, stream_options=stream_options, **fields) as stream:
            return await stream.until_done()
