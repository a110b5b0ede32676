"""Telemetry of a Messages stream: one GenAI span, operation chat, with its stop reason and usage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import r9s_stream as rs
from _otel import Recorded

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "messages"


@pytest.fixture
def otel() -> Iterator[Recorded]:
    """Providers of this test's own, shut down after it."""
    recorded = Recorded()
    yield recorded
    recorded.shutdown()


def _client(otel: Recorded, name: str) -> tuple[httpx.AsyncClient, rs.AsyncClient]:
    body = (FIXTURES / name).read_bytes()
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        )
    )
    return http, rs.AsyncClient("sk-otel", "https://gw.test/v1", http_client=http, **otel.providers)


async def test_a_message_stream_is_one_chat_span_with_stop_reason_and_usage(otel: Recorded) -> None:
    """The span is `chat MODEL`, with the message's id, model, stop reason and the merged usage."""
    http, client = _client(otel, "vercel-ai_messages_text-ping.sse")
    async with http, client:
        message = await client.messages.complete(model="claude-x", max_tokens=64, messages=[])
    span = otel.span()
    assert span.name == "chat claude-x"
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.max_tokens"] == 64
    assert attributes["gen_ai.response.id"] == message.id
    assert attributes["gen_ai.response.model"] == "claude-sonnet-4-5-20250929"
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (12, 30)
    (tokens, *_) = otel.points("gen_ai.client.token.usage")
    assert tokens.sum in (12, 30)


async def test_an_error_event_ends_the_span_with_its_error(otel: Recorded) -> None:
    """An overloaded_error event ends the one span with error status and StreamAPIError's type."""
    http, client = _client(otel, "SYNTHETIC_messages_midstream-overloaded-error.sse")
    async with http, client:
        with pytest.raises(rs.StreamAPIError):
            await client.messages.complete(model="claude-x", max_tokens=64, messages=[])
    span = otel.span()
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "StreamAPIError"
