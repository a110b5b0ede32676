"""``AsyncClient``: base URL, API key, retries; chat completions here, the other kinds as namespaces."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, overload

import httpx

from .._batch._job import BatchProgress, run_batch_file
from .._batch._limits import Limiter, LocalLimiter
from .._batch._run import DEFAULT_CONCURRENCY, BatchRun
from .._batch._source import RequestSource
from .._batch._summary import BatchSummary
from .._chat._models import ChatCompletion
from .._exceptions import BatchInputError
from .._http._default import TransportName, default_http_client
from .._http._retry import Retries
from .._output._spec import request_fields
from .._output._typevars import ResponseFormatT
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from .._streaming._chat_connection import ChatStreamConnection
from .._streaming._stream import PROBE_HEADER
from .._telemetry._call import Telemetry
from .._version import __version__
from ._batch import BatchSender
from ._completions import Completions
from ._core import ClientCore
from ._messages import MessagesEndpoint
from ._responses import Responses

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .._http._types import HTTPClient

__all__ = ["DEFAULT_BASE_URL", "GATEWAY_DOMAIN", "AsyncClient"]

DEFAULT_BASE_URL = "https://api.r9s.ai/v1"
GATEWAY_DOMAIN = "r9s.ai"
API_KEY_VARIABLE = "R9S_API_KEY"
BASE_URL_VARIABLE = "R9S_BASE_URL"

USER_AGENT = f"r9s-stream/{__version__} (python-httpx/{httpx.__version__})"

# The default stream_options: ask for the usage chunk at the end (read-only, shared).
_INCLUDE_USAGE: Mapping[str, Any] = MappingProxyType({"include_usage": True})


class AsyncClient:
    """A client for one OpenAI-compatible endpoint (the r9s gateway unless told otherwise).

    ``api_key`` and ``base_url`` default to the ``R9S_API_KEY`` and ``R9S_BASE_URL``
    environment variables, then to no key and ``https://api.r9s.ai/v1``. Pass
    ``http_client`` (an ``httpx.AsyncClient`` or ``httpx2.AsyncClient``) to share a connection
    pool: the client then never closes it. Without one, requests go through aiohttp on asyncio
    and httpx's own transport on trio (``transport="httpx"`` forces httpx's own everywhere),
    with up to ``max_connections`` open at once (``None``: no cap). Timeouts
    are seconds (``None``: no limit): ``timeout`` is httpx's, per request (connect, each
    read, write, pool); ``first_token_timeout`` and ``total_timeout`` count from the call,
    retries included; ``idle_timeout`` is the longest gap between two reads of the body.
    Each raises ``StreamTimeoutError``, carrying the completion received so far.
    ``max_event_size`` bounds one server-sent event (``EventTooLargeError`` past it).

    With the ``otel`` extra (``opentelemetry-api``) installed, every call is an OpenTelemetry
    GenAI span with its metrics, sent to the global providers unless ``tracer_provider`` /
    ``meter_provider`` are given. ``capture_message_content`` records prompts and replies on
    the span (default: the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` variable,
    else off); ``gen_ai_provider`` replaces the ``gen_ai.provider.name`` read from the host.

    ```python
    async with rs.AsyncClient() as client:
        async with client.stream(model="m", messages=[{"role": "user", "content": "hi"}]) as stream:
            async for event in stream: ...
    ```
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        http_client: HTTPClient | None = None,
        transport: TransportName = "auto",
        max_connections: int | None = None,
        max_retries: int = 2,
        timeout: float | httpx.Timeout | None = 60.0,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        capture_message_content: bool | None = None,
        gen_ai_provider: str | None = None,
    ) -> None:
        if http_client is not None and (transport != "auto" or max_connections is not None):
            raise ValueError("transport= and max_connections= shape the client made without http_client=")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        for name, value in (
            ("first_token_timeout", first_token_timeout),
            ("idle_timeout", idle_timeout),
            ("total_timeout", total_timeout),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds or None, got {value}")
        # Stripped: a key read from a file often ends in a newline, which no header may hold.
        self._api_key = (api_key or os.environ.get(API_KEY_VARIABLE) or "").strip() or None
        self._base_url = (base_url or os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL).rstrip("/")
        self._retries = Retries(max_retries)
        # The stream headers of aconnect_chat_stream() are here already: it sets none on each request.
        headers = httpx.Headers(
            {
                "User-Agent": USER_AGENT,
                "Accept": "text/event-stream",
                "Cache-Control": "no-store",
                "Content-Type": "application/json",
            }
        )
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if _is_gateway(self._base_url):
            # The r9s gateway then says when it accepted the request (stats.time_to_gateway).
            headers[PROBE_HEADER] = "r9s"
        headers.update(default_headers or {})
        self._owns_http_client = http_client is None
        self._http_client = (
            http_client
            if http_client is not None
            else default_http_client(
                transport=transport, timeout=timeout, max_connections=max_connections, headers=headers
            )
        )
        # A tuple: the one shape of timeout that httpx and httpx2 clients both accept; httpx
        # turns a tuple into a Timeout on every request (≈ 3 µs), its own Timeout it copies.
        shared = (
            (timeout.connect, timeout.read, timeout.write, timeout.pool)
            if isinstance(timeout, httpx.Timeout)
            else timeout
        )
        self._core = ClientCore(
            http_client=self._http_client,
            base_url=self._base_url,
            api_key=self._api_key,
            headers=headers,
            retries=self._retries,
            request_timeout=httpx.Timeout(shared)
            if isinstance(self._http_client, httpx.AsyncClient)
            else shared,
            stream_options={
                "first_token_timeout": first_token_timeout,
                "idle_timeout": idle_timeout,
                "total_timeout": total_timeout,
                "max_event_size": max_event_size,
            },
            telemetry=Telemetry(
                tracer_provider=tracer_provider,
                meter_provider=meter_provider,
                capture_message_content=capture_message_content,
                gen_ai_provider=gen_ai_provider,
            ),
            client_defaults=self._owns_http_client,  # made above with these headers and timeout
        )
        self.completions = Completions(self._core)
        """The legacy Completions endpoint: ``client.completions.stream(model=, prompt=)``, ``complete()``."""
        self.messages = MessagesEndpoint(self._core)
        """Anthropic Messages: ``client.messages.stream(model=, max_tokens=, messages=)``, ``complete()``."""
        self.responses = Responses(self._core)
        """The Responses API: ``client.responses.stream(model=, input=)`` and ``complete()``."""

    @property
    def base_url(self) -> str:
        """The endpoint's base URL, without a trailing slash; requests go to ``/chat/completions``."""
        return self._base_url

    @property
    def max_retries(self) -> int:
        """How many times a request is sent again after a retryable failure."""
        return self._retries.max_retries

    @property
    def is_closed(self) -> bool:
        """True once the underlying httpx client is closed (by us, or by its owner)."""
        return self._http_client.is_closed

    @overload
    def stream(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        response_format: type[ResponseFormatT],
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> ChatStreamConnection[ResponseFormatT]: ...

    @overload
    def stream(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        response_format: Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> ChatStreamConnection[None]: ...

    def stream(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        response_format: type[Any] | Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> ChatStreamConnection[Any]:
        """Start a streamed chat completion: ``async with client.stream(...) as stream``.

        ``response_format`` and each of ``tools`` may be a msgspec Struct type (sent as a
        strict schema, and the answer parsed into it: ``message.parsed``,
        ``function.parsed``) or a plain dict (sent unchanged, not parsed). Every other OpenAI
        request field (``temperature``, ``tool_choice``, ``max_tokens``, …) passes through to
        the body unchanged. ``stream_options`` asks for the usage chunk by default;
        ``stream_options=None`` leaves it out for servers that reject it. Raises
        ``APIStatusError`` for a non-2xx answer once retries are spent.
        """
        if "stream" in fields:
            raise TypeError("client.stream() always streams; do not pass stream=")
        body: dict[str, Any] = {"model": model, "messages": list(messages)}
        format_field, tool_fields, output = request_fields(response_format, tools)
        if format_field is not None:
            body["response_format"] = format_field
        if tool_fields is not None:
            body["tools"] = tool_fields
        body.update(fields)
        body["stream"] = True
        if stream_options is not None:
            body["stream_options"] = dict(stream_options)
        core = self._core
        return ChatStreamConnection(
            core.http_client,
            "POST",
            core.endpoint_url("/chat/completions"),
            output=output,
            **core.request_arguments(body),
        )

    @overload
    async def complete(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        response_format: type[ResponseFormatT],
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> ChatCompletion[ResponseFormatT]: ...

    @overload
    async def complete(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        response_format: Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> ChatCompletion[None]: ...

    async def complete(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        response_format: type[Any] | Mapping[str, Any] | None = None,
        tools: Iterable[type[Any] | Mapping[str, Any]] | None = None,
        stream_options: Mapping[str, Any] | None = _INCLUDE_USAGE,
        **fields: Any,
    ) -> ChatCompletion[Any]:
        """Stream a chat completion to its end and return it, rebuilt, usage included.

        Takes what ``stream()`` takes; ``response_format=Location`` makes it a
        ``ChatCompletion[Location]`` with ``choices[i].message.parsed`` set.
        """
        connection: ChatStreamConnection[Any] = self.stream(
            model=model,
            messages=messages,
            response_format=response_format,
            tools=tools,
            stream_options=stream_options,
            **fields,
        )
        async with connection as stream:
            return await stream.until_done()

    def batch(
        self,
        requests: RequestSource,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        rpm: float | None = None,
        tpm: float | None = None,
        max_retries: int = 2,
        ordered: bool = False,
        limiter: Limiter | None = None,
    ) -> BatchRun:
        """Run many requests, up to ``concurrency`` at once: ``async with client.batch(...) as results``.

        ``requests`` (an iterable or async iterable, read lazily) holds ``BatchRequest``s or
        OpenAI Batch input lines as dicts (``custom_id``, ``body``; ``method``, ``url``
        optional). ``rpm`` / ``tpm`` spread the requests and their estimated tokens evenly;
        ``limiter`` replaces them with any ``Limiter`` (one shared by many processes, say).
        Each request is sent up to ``max_retries`` more times after a retryable failure (the
        client's own ``max_retries`` is not used). Iterate the results as they finish
        (``ordered=True``: in input order); a failure is a ``BatchResult`` with its error.
        """
        if limiter is not None and (rpm is not None or tpm is not None):
            raise ValueError("pass rpm= / tpm= or limiter=, not both")
        if limiter is None and (rpm is not None or tpm is not None):
            limiter = LocalLimiter(rpm=rpm, tpm=tpm)
        return BatchRun(
            BatchSender(self._core),
            requests,
            concurrency=concurrency,
            limiter=limiter,
            max_retries=max_retries,
            ordered=ordered,
        )

    async def batch_file(
        self,
        input_path: str | os.PathLike[str],
        output_path: str | os.PathLike[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        rpm: float | None = None,
        tpm: float | None = None,
        max_retries: int = 2,
        ordered: bool = False,
        limiter: Limiter | None = None,
        progress: BatchProgress | None = None,
        on_invalid: Callable[[BatchInputError], None] | None = None,
    ) -> BatchSummary:
        """Run an OpenAI Batch input file (JSONL) into a results file; run it again to resume.

        Every line is checked first: a bad one raises ``BatchInputError`` (each handed to
        ``on_invalid``) before anything is sent. Lines of ``output_path`` answered with a 2xx
        are kept and not sent again; results are appended as they finish; at the end the
        file holds one line per input ``custom_id`` (``ordered``: in input order). The other
        options are ``batch()``'s; ``progress`` is told how the run goes.
        """
        return await run_batch_file(
            self.batch,
            input_path,
            output_path,
            ordered=ordered,
            progress=progress,
            on_invalid=on_invalid,
            concurrency=concurrency,
            rpm=rpm,
            tpm=tpm,
            max_retries=max_retries,
            limiter=limiter,
        )

    async def aclose(self) -> None:
        """Close the connection pool if this client made it; a caller's client stays open."""
        if self._owns_http_client:
            await self._http_client.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        key = "None" if self._api_key is None else "'[hidden]'"
        return f"AsyncClient(base_url={self.base_url!r}, api_key={key}, max_retries={self.max_retries})"


def _is_gateway(base_url: str) -> bool:
    """Whether ``base_url`` is the r9s gateway's (``r9s.ai`` or a subdomain): only it gets the probe."""
    try:
        host = httpx.URL(base_url).host.lower().rstrip(".")
    except httpx.InvalidURL:
        return False
    return host == GATEWAY_DOMAIN or host.endswith("." + GATEWAY_DOMAIN)
