"""OpenTelemetry GenAI spans and metrics, one span per stream (``opentelemetry`` imported lazily).

Follows the OpenTelemetry GenAI semantic conventions for client inference: a CLIENT span
``chat {gen_ai.request.model}`` from the call to the close of the stream, and the four client
histograms. Everything is recorded when the stream opens, retries and closes: nothing here
runs per chunk or per read. Without the ``otel`` extra, ``start`` returns ``None`` and the
stream carries no telemetry at all.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter
from types import ModuleType
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import msgspec

from .._exceptions import APIStatusError, R9sStreamError
from .._http._redact import redact
from .._version import __version__
from ._content import input_messages, output_messages
from ._instruments import Instruments, opentelemetry
from ._request import provider_for_host, request_attributes, server_of
from ._summary import Summary, summarize

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, TracerProvider

    from .._streaming._observer import ClosedStream

__all__ = ["CAPTURE_CONTENT_VARIABLE", "StreamCall", "Telemetry", "error_type"]

logger = logging.getLogger("r9s_stream")

CAPTURE_CONTENT_VARIABLE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
# The values of the variable that switch capture on (opentelemetry-instrumentation-openai-v2's
# legacy "true" and its span / event modes: content only ever goes on the span here).
_CAPTURE_ON = frozenset({"true", "1", "yes", "span_only", "span_and_event", "event_only"})

_MAX_STATUS_DESCRIPTION = 300


class Telemetry:
    """What a client reports to: explicit or global providers, content capture, provider name."""

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        capture_message_content: bool | None = None,
        gen_ai_provider: str | None = None,
    ) -> None:
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._capture = capture_message_content
        self._gen_ai_provider = gen_ai_provider
        # get_tracer / get_meter build new objects on every call: kept per provider.
        self._tracer_for: tuple[object, Any] | None = None
        self._instruments_for: tuple[object, Instruments] | None = None
        # URL → server.address, server.port, gen_ai.provider.name: a client calls one URL.
        self._servers: dict[str, tuple[str, int, str]] = {}

    def start(
        self, body: object, url: httpx.URL | str, secret: str | None = None, operation: str = "chat"
    ) -> StreamCall | None:
        """Open the span of one call (``None`` without the ``otel`` extra).

        ``body`` is the request body: a mapping, or its JSON bytes; ``operation`` the GenAI
        operation name (``chat``, ``text_completion``).
        """
        if self._tracer_provider is None and self._meter_provider is None and not _in_use():
            return None  # nobody imported opentelemetry, so nobody set a global provider either
        otel = opentelemetry()
        if otel is None:
            return None
        trace, metrics = otel
        tracer_provider = self._tracer_provider or trace.get_tracer_provider()
        if self._tracer_for is None or self._tracer_for[0] is not tracer_provider:
            self._tracer_for = (tracer_provider, tracer_provider.get_tracer("r9s_stream", __version__))
        meter_provider = self._meter_provider or metrics.get_meter_provider()
        if self._instruments_for is None or self._instruments_for[0] is not meter_provider:
            self._instruments_for = (meter_provider, Instruments(meter_provider))
        body = _as_mapping(body)
        address, port, provider = self._server(url)
        model = body.get("model")
        base: dict[str, Any] = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
        }
        if isinstance(model, str) and model:
            base["gen_ai.request.model"] = model
        if address:
            base["server.address"] = address
            base["server.port"] = port
        span = self._tracer_for[1].start_span(
            f"{operation} {model}" if "gen_ai.request.model" in base else operation,
            kind=trace.SpanKind.CLIENT,
            attributes={**base, **request_attributes(body)},
        )
        capture = self._capture_content()
        if capture and span.is_recording():
            span.set_attribute("gen_ai.input.messages", redact(input_messages(body), secret))
        return StreamCall(span, self._instruments_for[1], base, trace, capture=capture, secret=secret)

    def _server(self, url: httpx.URL | str) -> tuple[str, int, str]:
        key = str(url)
        server = self._servers.get(key)
        if server is None:
            if len(self._servers) > 64:  # aconnect_chat_stream's default may see many URLs
                self._servers.clear()
            address, port = server_of(httpx.URL(url))
            server = self._servers[key] = (address, port, self._gen_ai_provider or provider_for_host(address))
        return server

    def _capture_content(self) -> bool:
        if self._capture is not None:
            return self._capture
        return os.environ.get(CAPTURE_CONTENT_VARIABLE, "").strip().lower() in _CAPTURE_ON


class StreamCall:
    """One call's span and metrics: opened by the connection, ended once when the stream closes."""

    def __init__(
        self,
        span: Span,
        instruments: Instruments,
        metric_attributes: dict[str, Any],
        trace: ModuleType,
        *,
        capture: bool,
        secret: str | None,
    ) -> None:
        self._span = span
        self._instruments = instruments
        self._attributes = metric_attributes
        self._trace = trace
        self._capture = capture
        self._secret = secret
        self._started_at = perf_counter()
        self._stream: object = None
        self._retries = 0
        self._ended = False

    def current(self) -> AbstractContextManager[object]:
        """Make the span current while the request is sent (HTTP-level spans become its children)."""
        if not self._span.is_recording():
            return nullcontext()
        use_span: AbstractContextManager[object] = self._trace.use_span(
            self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )
        return use_span

    def retrying(self, error: BaseException, delay: float) -> None:
        """One attempt failed and another follows after ``delay`` seconds: an event on the span."""
        self._retries += 1
        event: dict[str, Any] = {"r9s.retry.attempt": self._retries, "r9s.retry.delay": delay}
        if isinstance(error, APIStatusError):
            event["http.response.status_code"] = error.status_code
        event["error.type"] = error_type(error)
        self._span.add_event("r9s.retry", event)
        self._span.set_attribute("http.request.resend_count", self._retries)

    def opened(self, stream: object) -> None:
        """The stream is handed to the user: its close ends the span."""
        self._stream = stream

    def failed(self, error: BaseException) -> None:
        """The call failed before a stream was handed over (status, connection, timeout, cancel)."""
        if self._ended:
            return
        self._end(error, perf_counter() - self._started_at, "error")

    def stream_closed(self, stream: ClosedStream, snapshot: object, error: BaseException | None) -> None:
        """The stream closed (end, early close, error or cancellation): end the span, record."""
        if self._ended or stream is not self._stream:
            return  # a failed attempt's stream, closed by the retry loop
        try:
            self._stream_closed(stream, snapshot, error)
        except Exception:  # telemetry must never break the stream it describes
            logger.exception("r9s_stream: recording the stream's telemetry failed")
            if not self._ended:
                self._ended = True
                self._span.end()
        finally:
            # The stream holds this call: holding the stream back would make a reference cycle
            # per stream, left (with the response it keeps) for the garbage collector.
            self._stream = None

    def _stream_closed(self, stream: ClosedStream, snapshot: object, error: BaseException | None) -> None:
        stats = stream.stats
        finished = stats.finished_at if stats.finished_at is not None else perf_counter()
        outcome = "done" if error is None and stream.done else "closed_early" if error is None else "error"
        attributes = self._attributes
        summary = summarize(snapshot, stream.usage)
        span = self._span
        if summary.response_model:
            attributes["gen_ai.response.model"] = summary.response_model
        if span.is_recording():
            self._set_response(summary, snapshot, error)
        if summary.input_tokens is not None:
            span.set_attribute("gen_ai.usage.input_tokens", summary.input_tokens)
            self._instruments.token_usage.record(
                summary.input_tokens, {**attributes, "gen_ai.token.type": "input"}
            )
        if summary.output_tokens is not None:
            span.set_attribute("gen_ai.usage.output_tokens", summary.output_tokens)
            self._instruments.token_usage.record(
                summary.output_tokens, {**attributes, "gen_ai.token.type": "output"}
            )
        if summary.cached_input_tokens is not None:
            span.set_attribute("gen_ai.usage.cache_read.input_tokens", summary.cached_input_tokens)
        if stats.first_chunk_at is not None:
            first = stats.first_chunk_at - stats.started_at
            span.set_attribute("gen_ai.response.time_to_first_chunk", first)
            self._instruments.time_to_first_chunk.record(first, attributes)
            # Once per stream, the mean gap: a histogram sample per chunk would cost more than
            # the chunk. Not after an early close, whose end is the caller's, not the server's.
            if stats.chunks > 1 and outcome != "closed_early":
                gap = (finished - stats.first_chunk_at) / (stats.chunks - 1)
                self._instruments.time_per_output_chunk.record(gap, attributes)
        span.set_attribute("r9s.stream.chunks", stats.chunks)
        if stats.time_to_gateway is not None:
            span.set_attribute("r9s.stream.time_to_gateway", stats.time_to_gateway)
        self._end(error, finished - stats.started_at, outcome)

    def _set_response(self, summary: Summary, snapshot: object, error: BaseException | None) -> None:
        span = self._span
        if summary.response_id:
            span.set_attribute("gen_ai.response.id", summary.response_id)
        if summary.response_model:
            span.set_attribute("gen_ai.response.model", summary.response_model)
        if summary.finish_reasons:
            span.set_attribute("gen_ai.response.finish_reasons", summary.finish_reasons)
        if self._attributes["gen_ai.provider.name"] in ("openai", "azure.ai.openai"):
            if summary.system_fingerprint:
                span.set_attribute("openai.response.system_fingerprint", summary.system_fingerprint)
            if summary.service_tier:
                span.set_attribute("openai.response.service_tier", summary.service_tier)
        if self._capture and snapshot is not None:
            span.set_attribute(
                "gen_ai.output.messages",
                redact(output_messages(snapshot, failed=error is not None), self._secret),
            )

    def _end(self, error: BaseException | None, duration: float, outcome: str) -> None:
        self._ended = True
        span = self._span
        attributes = self._attributes
        if error is not None:
            kind = error_type(error)
            if kind == "cancelled":
                outcome = "cancelled"
            span.set_attribute("error.type", kind)
            description = redact(f"{type(error).__name__}: {error}", self._secret)[:_MAX_STATUS_DESCRIPTION]
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, description))
            attributes = {**attributes, "error.type": kind}
        span.set_attribute("r9s.stream.outcome", outcome)
        self._instruments.duration.record(duration, attributes)
        span.end()


def error_type(error: BaseException) -> str:
    """``error.type`` for an exception: the HTTP status, ``cancelled``, or the exception's class."""
    if isinstance(error, APIStatusError):
        return str(error.status_code)
    if _is_cancellation(error):
        return "cancelled"
    cls = type(error)
    if isinstance(error, R9sStreamError) or cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


def _in_use() -> bool:
    """Whether the process has imported OpenTelemetry's API (setting a global provider does).

    Until then every global provider is the API's no-op default: r9s_stream does not import
    the package (tens of milliseconds) only to find that out.
    """
    return "opentelemetry.trace" in sys.modules or "opentelemetry.metrics" in sys.modules


def _as_mapping(body: object) -> Mapping[str, Any]:
    if isinstance(body, (bytes, str)):
        try:
            body = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return {}
    return body if isinstance(body, Mapping) else {}


def _is_cancellation(error: BaseException) -> bool:
    try:
        return isinstance(error, anyio.get_cancelled_exc_class())
    except Exception:  # no async library running: not a cancellation of ours
        return False
