"""OpenTelemetry for the Responses API: one GenAI `chat` span a stream, with usage and status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _otel import Recorded
from r9s_stream import testing

pytestmark = pytest.mark.anyio

KEY = "sk-otel-responses-4d2c"
PROMPT = "the quick brown fox"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The embedded server, with no token delay."""
    with testing.run_server(token_delay=0.0) as url:
        yield url


async def test_a_response_stream_is_one_chat_span_with_usage(server_url: str) -> None:
    """The span is `chat echo`: the request's model and parameters, the response id, status, usage."""
    otel = Recorded()
    async with rs.AsyncClient(KEY, server_url, **otel.providers) as client:
        response = await client.responses.complete(model="echo", input=PROMPT, temperature=0.5)
    span = otel.span()
    assert span.name == "chat echo"
    assert span.status.status_code.name == "UNSET"
    attributes = dict(span.attributes or {})
    assert response.usage is not None
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.model"] == "echo"
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.response.finish_reasons"] == ("completed",)
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.output_tokens == 4
    otel.shutdown()


async def test_a_failed_response_stream_ends_its_span_with_the_error(server_url: str) -> None:
    """An error event ends the one span with error status and the error's type."""
    otel = Recorded()
    async with rs.AsyncClient(KEY, server_url, max_retries=0, **otel.providers) as client:
        with pytest.raises(rs.StreamAPIError):
            await client.responses.complete(model="fault-error", input=PROMPT)
    span = otel.span()
    assert span.name == "chat fault-error"
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "StreamAPIError"
    otel.shutdown()
