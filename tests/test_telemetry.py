"""OpenTelemetry: one GenAI client span per stream, ended once on every exit, and the four histograms.

Each test hands the client its own SDK providers with in-memory exporters (tests/_otel.py),
so nothing is installed globally. The embedded server (``testing.run_server``) and llmock
supply real streams and every fault over loopback. On asyncio and trio.
"""

from __future__ import annotations

import gc
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _otel import METRIC_NAMES, Recorded, strings_of
from _reliability import IGNORE_HTTPCORE_BODY_GENERATOR, running_llmock
from r9s_stream import testing

pytestmark = [pytest.mark.anyio, IGNORE_HTTPCORE_BODY_GENERATOR]

KEY = "sk-otel-test-7f3a9c21d4"
PROMPT = "the quick brown fox"
MESSAGES = [{"role": "user", "content": PROMPT}]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The embedded server, asking for KEY; its stalls last 2 s."""
    with testing.run_server(stall_seconds=2.0, api_key=KEY) as url:
        yield url


@pytest.fixture
def otel(caplog: pytest.LogCaptureFixture) -> Iterator[Recorded]:
    """Providers of the test's own; afterwards, no span was ended twice (the SDK warns if so)."""
    recorded = Recorded()
    caplog.set_level(logging.WARNING, logger="opentelemetry")
    yield recorded
    recorded.shutdown()
    assert not [r for r in caplog.records if "ended span" in r.getMessage()]


def _client(otel: Recorded, url: str, **options: Any) -> rs.AsyncClient:
    return rs.AsyncClient(KEY, url, **otel.providers, **options)


def _assert_base_attributes(span_attributes: object, model: str, url: str) -> None:
    attributes = dict(span_attributes)  # type: ignore[call-overload]
    port = httpx.URL(url).port
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == model
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == port


def _assert_error(otel: Recorded, error_type: str) -> None:
    """One span, ended with error status and ``error.type``; the duration metric says so too."""
    span = otel.span()
    assert span.status.status_code.name == "ERROR"
    assert span.attributes is not None
    assert span.attributes["error.type"] == error_type
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.attributes is not None
    assert duration.attributes["error.type"] == error_type
    assert KEY not in "".join(strings_of(span))


async def test_a_stream_is_one_client_span_with_the_request_the_response_and_the_usage(
    otel: Recorded, server_url: str
) -> None:
    """A whole stream: span `chat echo`, its request parameters, response id/model/finish reasons, usage."""
    async with _client(otel, server_url) as client:
        completion = await client.complete(
            model="echo", messages=MESSAGES, temperature=0.5, top_p=0.9, max_tokens=50, seed=7, stop=["\n\n"]
        )
    span = otel.span()
    assert span.name == "chat echo"
    assert span.kind.name == "CLIENT"
    assert span.status.status_code.name == "UNSET"
    _assert_base_attributes(span.attributes, "echo", server_url)
    attributes = dict(span.attributes or {})
    assert completion.usage is not None
    assert {k: attributes[k] for k in attributes if k.startswith(("gen_ai.request.", "gen_ai.usage."))} == {
        "gen_ai.request.model": "echo",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("\n\n",),
        "gen_ai.usage.input_tokens": completion.usage.prompt_tokens,
        "gen_ai.usage.output_tokens": completion.usage.completion_tokens,
    }
    assert attributes["gen_ai.response.id"] == completion.id
    assert attributes["gen_ai.response.model"] == completion.model
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "error.type" not in attributes
    assert "gen_ai.input.messages" not in attributes  # content capture is off by default
    assert "gen_ai.output.messages" not in attributes


async def test_a_stream_records_the_four_histograms_with_the_conventions_names_units_and_values(
    otel: Recorded, server_url: str
) -> None:
    """Duration, input and output tokens, time to first chunk and per output chunk: one sample each."""
    async with _client(otel, server_url) as client, client.stream(model="echo", messages=MESSAGES) as stream:
        await stream.until_done()
    usage, stats = stream.usage, stream.stats
    assert usage is not None
    assert stats.duration is not None
    assert stats.first_chunk_at is not None
    assert {name: m.unit for name, m in otel.metrics().items()} == METRIC_NAMES
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert duration.sum == pytest.approx(stats.duration)
    assert dict(duration.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "echo",
        "gen_ai.response.model": "echo",
        "server.address": "127.0.0.1",
        "server.port": httpx.URL(server_url).port,
    }
    tokens = {
        (point.attributes or {})["gen_ai.token.type"]: point.sum
        for point in otel.points("gen_ai.client.token.usage")
    }
    assert tokens == {"input": usage.prompt_tokens, "output": usage.completion_tokens}
    (first,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert first.sum == pytest.approx(stats.first_chunk_at - stats.started_at)
    assert otel.span().attributes["gen_ai.response.time_to_first_chunk"] == first.sum  # type: ignore[index]
    (per_chunk,) = otel.points("gen_ai.client.operation.time_per_output_chunk")
    assert per_chunk.count == 1
    assert 0 < per_chunk.sum <= stats.duration


async def test_a_stream_without_usage_has_no_token_attributes_and_no_token_metric(
    otel: Recorded, server_url: str
) -> None:
    """With ``stream_options=None`` the server sends no usage: nothing is made up."""
    async with _client(otel, server_url) as client:
        completion = await client.complete(model="echo", messages=MESSAGES, stream_options=None)
    assert completion.usage is None
    attributes = otel.span().attributes or {}
    assert not [name for name in attributes if name.startswith("gen_ai.usage.")]
    assert otel.points("gen_ai.client.token.usage") == []
    assert len(otel.points("gen_ai.client.operation.duration")) == 1


async def test_break_after_three_chunks_ends_the_one_span_without_an_error(
    otel: Recorded, server_url: str
) -> None:
    """Leaving early is the caller's choice: the span ends at the close, status unset, no error.type."""
    async with _client(otel, server_url) as client:
        async with client.stream(model="long", messages=MESSAGES) as stream:
            seen = 0
            async for _ in stream:
                seen += 1
                if seen == 3:
                    break
        assert otel.span().attributes["r9s.stream.outcome"] == "closed_early"  # type: ignore[index]
    span = otel.span()
    assert span.status.status_code.name == "UNSET"
    assert "error.type" not in (span.attributes or {})
    assert "gen_ai.response.finish_reasons" not in (span.attributes or {})
    assert len(otel.points("gen_ai.client.operation.duration")) == 1
    assert (
        otel.points("gen_ai.client.operation.time_per_output_chunk") == []
    )  # the caller's pace, not the server's


@pytest.mark.parametrize("model", ["fault-stall", "fault-slow-headers"])
async def test_a_cancelled_stream_ends_its_span_once_as_cancelled(
    otel: Recorded, server_url: str, model: str
) -> None:
    """Cancelled mid-stream or before the headers: one span, error.type ``cancelled``."""
    async with _client(otel, server_url) as client:
        with anyio.move_on_after(0.3) as scope:
            async with client.stream(model=model, messages=MESSAGES) as stream:
                await stream.until_done()
    assert scope.cancelled_caught
    _assert_error(otel, "cancelled")
    assert otel.span().attributes["r9s.stream.outcome"] == "cancelled"  # type: ignore[index]


# model → the error it raises (idle_timeout=0.3, first_token_timeout=0.5, no retries)
EMBEDDED_FAULTS = {
    "fault-truncate": rs.IncompleteStreamError,
    "fault-malformed": rs.StreamDecodeError,
    "fault-error": rs.StreamAPIError,
    "fault-stall": rs.StreamTimeoutError,
    "fault-stall-start": rs.StreamTimeoutError,
    "fault-slow-headers": rs.StreamTimeoutError,
    "fault-disconnect": rs.IncompleteStreamError,
    "fault-empty": rs.IncompleteStreamError,
    "fault-content-type": rs.UnexpectedContentTypeError,
}


@pytest.mark.parametrize("model", list(EMBEDDED_FAULTS))
async def test_each_embedded_server_fault_ends_one_span_with_its_error_type(
    otel: Recorded, server_url: str, model: str
) -> None:
    """Every fault, before or after the first chunk: status error, error.type the exception's class."""
    error_class = EMBEDDED_FAULTS[model]
    async with _client(otel, server_url, max_retries=0, idle_timeout=0.3, first_token_timeout=0.5) as client:
        with anyio.fail_after(10), pytest.raises(error_class) as caught:
            await client.complete(model=model, messages=MESSAGES)
    assert type(caught.value) is error_class
    _assert_error(otel, error_class.__name__)
    _assert_base_attributes(otel.span().attributes, model, server_url)


async def test_a_retried_503_is_one_span_with_an_event_per_failed_attempt(otel: Recorded) -> None:
    """``status-503-x1`` fails once: the span covers both attempts, says so, and ends without error."""
    with testing.run_server(api_key=KEY, retry_after=0.01) as url:
        async with _client(otel, url) as client:
            completion = await client.complete(model="status-503-x1", messages=MESSAGES)
    assert completion.choices[0].message.content == PROMPT
    span = otel.span()
    assert span.status.status_code.name == "UNSET"
    assert (span.attributes or {})["http.request.resend_count"] == 1
    (event,) = span.events
    assert event.name == "r9s.retry"
    assert dict(event.attributes or {}) == {
        "r9s.retry.attempt": 1,
        "r9s.retry.delay": pytest.approx(0.01),
        "http.response.status_code": 503,
        "error.type": "503",
    }
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert "error.type" not in (duration.attributes or {})


async def test_a_401_ends_the_span_with_the_status_as_error_type(otel: Recorded, server_url: str) -> None:
    """A wrong key: ``error.type`` 401, status error, no chunk metrics, and neither key on the span."""
    wrong_key = "sk-wrong-otel-0b1c2d3e4f"
    async with rs.AsyncClient(wrong_key, server_url, **otel.providers) as client:
        with pytest.raises(rs.APIStatusError) as caught:
            await client.complete(model="echo", messages=MESSAGES)
    assert caught.value.status_code == 401
    _assert_error(otel, "401")
    assert wrong_key not in "".join(strings_of(otel.span()))
    assert otel.points("gen_ai.client.operation.time_to_first_chunk") == []
    assert otel.points("gen_ai.client.token.usage") == []


# --- llmock's faults, through aconnect_chat_stream ------------------------------------------

LLMOCK_FAULTS = {
    "truncate": rs.IncompleteStreamError,
    "malformed": rs.StreamDecodeError,
    "disconnect": rs.IncompleteStreamError,
    "stall": rs.StreamTimeoutError,
}


@pytest.fixture(scope="module")
def llmock() -> Iterator[str]:
    """One llmock, its faults scripted per request: its chat URL."""
    with running_llmock("--response-style", "static") as url:
        yield f"{url}/v1/chat/completions"


async def test_aconnect_chat_stream_makes_the_same_span_from_the_json_body(
    otel: Recorded, llmock: str
) -> None:
    """A clean llmock stream through ``aconnect_chat_stream``: model and parameters read from ``json=``."""
    body = {"model": "m", "messages": MESSAGES, "stream": True, "temperature": 0.25}
    async with (
        httpx.AsyncClient() as http,
        rs.aconnect_chat_stream(http, "POST", llmock, json=body, **otel.providers) as stream,
    ):
        await stream.until_done()
    span = otel.span()
    assert span.name == "chat m"
    _assert_base_attributes(span.attributes, "m", llmock)
    assert (span.attributes or {})["gen_ai.request.temperature"] == 0.25
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("stop",)


@pytest.mark.parametrize("fault", list(LLMOCK_FAULTS))
async def test_each_llmock_fault_ends_one_span_with_its_error_type(
    otel: Recorded, llmock: str, fault: str
) -> None:
    """truncate, malformed, disconnect, stall: one span each, status error, error.type the class."""
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    error_class = LLMOCK_FAULTS[fault]
    behaviour = {"type": "stream_fault", "kind": fault, "after_chunks": 2, "stall_seconds": 5, "times": 1}
    async with httpx.AsyncClient() as http:
        scripted = await http.post(
            llmock.replace("/v1/chat/completions", "/_llmock/scenario"), json={"behaviors": [behaviour]}
        )
        scripted.raise_for_status()
        with anyio.fail_after(10), pytest.raises(error_class):
            async with rs.aconnect_chat_stream(
                http,
                "POST",
                llmock,
                json=body,
                idle_timeout=0.3,
                **otel.providers,
            ) as stream:
                await stream.until_done()
    _assert_error(otel, error_class.__name__)


async def test_reading_semantic_events_ends_the_span_the_same_way(otel: Recorded, server_url: str) -> None:
    """``stream.tool_calls()`` to the end: one span, the tool-call finish reason, no error."""
    async with (
        _client(otel, server_url) as client,
        client.stream(model="tool-call", messages=MESSAGES) as stream,
    ):
        calls = [call async for call in stream.tool_calls()]
    assert len(calls) == 1
    span = otel.span()
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert (span.attributes or {})["r9s.stream.outcome"] == "done"


async def test_a_recorded_stream_is_freed_at_once_not_by_the_cycle_collector(
    otel: Recorded, server_url: str
) -> None:
    """With telemetry on, a closed stream (and the response it holds) goes as soon as nothing
    else holds it: its span's record keeps no reference back to it, so no cycle per stream is
    left for the garbage collector to find."""
    async with _client(otel, server_url) as client:
        await client.complete(model="echo", messages=MESSAGES)
        gc.collect()
        gc.disable()
        try:
            async with client.stream(model="echo", messages=MESSAGES) as stream:
                await stream.until_done()
            closed = weakref.ref(stream)
            del stream
            assert closed() is None
        finally:
            gc.enable()
    assert len(otel.spans()) == 2
