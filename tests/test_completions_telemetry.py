"""OpenTelemetry for legacy Completions: one GenAI `text_completion` span a stream, usage, finish reasons."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _otel import Recorded
from r9s_stream import testing

pytestmark = pytest.mark.anyio

KEY = "sk-otel-completions-91ab"
PROMPT = "the quick brown fox"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The embedded server, with no token delay."""
    with testing.run_server(token_delay=0.0) as url:
        yield url


async def test_a_completion_stream_is_one_text_completion_span_with_usage(server_url: str) -> None:
    """The span is `text_completion echo`: the request's parameters, response id, finish reason, usage."""
    otel = Recorded()
    async with rs.AsyncClient(KEY, server_url, **otel.providers) as client:
        completion = await client.completions.complete(
            model="echo", prompt=PROMPT, max_tokens=20, temperature=0.5
        )
    span = otel.span()
    assert span.name == "text_completion echo"
    assert span.status.status_code.name == "UNSET"
    attributes = dict(span.attributes or {})
    assert completion.usage is not None
    assert attributes["gen_ai.operation.name"] == "text_completion"
    assert attributes["gen_ai.request.model"] == "echo"
    assert attributes["gen_ai.request.max_tokens"] == 20
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.response.id"] == completion.id
    assert attributes["gen_ai.response.model"] == "echo"
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens == 4
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert (duration.attributes or {})["gen_ai.operation.name"] == "text_completion"
    usage = {
        (p.attributes or {})["gen_ai.token.type"]: p.sum for p in otel.points("gen_ai.client.token.usage")
    }
    assert usage == {"input": completion.usage.prompt_tokens, "output": 4}
    otel.shutdown()


async def test_a_failed_completion_stream_ends_its_span_with_the_error(server_url: str) -> None:
    """A mid-stream error event ends the one span with error status and the error's type."""
    otel = Recorded()
    async with rs.AsyncClient(KEY, server_url, max_retries=0, **otel.providers) as client:
        with pytest.raises(rs.StreamAPIError):
            await client.completions.complete(model="fault-error", prompt=PROMPT)
    span = otel.span()
    assert span.name == "text_completion fault-error"
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "StreamAPIError"
    otel.shutdown()


async def test_content_capture_records_the_prompt_and_the_text(server_url: str) -> None:
    """With content capture on, the span holds the prompt as the user's text and each choice's text."""
    otel = Recorded()
    async with rs.AsyncClient(KEY, server_url, capture_message_content=True, **otel.providers) as client:
        await client.completions.complete(model="echo", prompt=PROMPT, n=2)
    attributes = otel.span().attributes or {}
    assert msgspec.json.decode(str(attributes["gen_ai.input.messages"])) == [
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]}
    ]
    output = msgspec.json.decode(str(attributes["gen_ai.output.messages"]))
    assert [message["parts"] for message in output] == [[{"type": "text", "content": PROMPT}]] * 2
    assert [message["finish_reason"] for message in output] == ["stop", "stop"]
    otel.shutdown()
