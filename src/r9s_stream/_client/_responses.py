"""``client.responses``: the Responses API (``POST /responses``) on one ``AsyncClient``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, overload

from .._output._typevars import ResponseFormatT
from .._responses._request import request_fields
from .._streaming._response_connection import ResponseStreamConnection

if TYPE_CHECKING:
    from .._responses._response import Response
    from ._core import ClientCore

__all__ = ["Responses"]


class Responses:
    """``client.responses.stream(...)`` and ``client.responses.complete(...)``."""

    __slots__ = ("_core",)

    def __init__(self, core: ClientCore) -> None:
        self._core = core

    @overload
    def stream(
        self,
        *,
        model: str,
        input: str | Iterable[Mapping[str, Any]],
        text_format: type[ResponseFormatT],
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> ResponseStreamConnection[ResponseFormatT]: ...

    @overload
    def stream(
        self,
        *,
        model: str,
        input: str | Iterable[Mapping[str, Any]],
        text_format: Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> ResponseStreamConnection[None]: ...

    def stream(
        self,
        *,
        model: str,
        input: str | Iterable[Mapping[str, Any]],
        text_format: type[Any] | Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> ResponseStreamConnection[Any]:
        """Start a streamed response: ``async with client.responses.stream(...) as stream``.

        ``text_format`` and each of ``tools`` may be a msgspec Struct type (sent as a strict
        schema in the Responses shape, the answer parsed into it: ``response.output_parsed``,
        each function call's ``parsed``) or a plain dict (sent unchanged, not parsed). Every
        other Responses request field (``instructions``, ``reasoning``, ``max_output_tokens``,
        ``text``, …) passes through unchanged. Raises ``APIStatusError`` for a non-2xx answer
        once retries are spent.
        """
        if "stream" in fields:
            raise TypeError("client.responses.stream() always streams; do not pass stream=")
        body: dict[str, Any] = {"model": model, "input": input if isinstance(input, str) else list(input)}
        format_field, tool_fields, output = request_fields(text_format, tools)
        body.update(fields)
        if format_field is not None:
            text = body.get("text")
            body["text"] = {**(text if isinstance(text, Mapping) else {}), "format": format_field}
        if tool_fields is not None:
            body["tools"] = tool_fields
        body["stream"] = True
        core = self._core
        return ResponseStreamConnection(
            core.http_client,
            "POST",
            core.endpoint_url("/responses"),
            output=output,
            **core.request_arguments(body),
        )

    @overload
    async def complete(
        self,
        *,
        model: str,
        input: str | Iterable[Mapping[str, Any]],
        text_format: type[ResponseFormatT],
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> Response[ResponseFormatT]: ...

    @overload
    async def complete(
        self,
        *,
        model: str,
        input: str | Iterable[Mapping[str, Any]],
        text_format: Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> Response[None]: ...

    async def complete(
        self,
        *,
        model: str,
        input: str | Iterable[Mapping[str, Any]],
        text_format: type[Any] | Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> Response[Any]:
        """Stream a response to its end and return it, rebuilt, usage included."""
        connection: ResponseStreamConnection[Any] = self.stream(
            model=model, input=input, text_format=text_format, tools=tools, **fields
        )
        async with connection as stream:
            return await stream.until_done()
