"""The reference peer: anthropic's own ``messages.stream()`` on the same recordings.

Where anthropic's helper works, our message has the same text, thinking, tool inputs and
usage; where it fails, ours is right and the docstrings say how theirs fails. On asyncio only:
anthropic's helper leaves its response generator unclosed when it fails, which trio reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import r9s_stream as rs
from r9s_stream import messages, testing

anthropic = pytest.importorskip("anthropic")
httpx2 = pytest.importorskip("httpx2")


pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio"])]

FIXTURES = Path(__file__).parent / "fixtures" / "messages"
PEER_WORKS = [
    "anthropic-sdk-python_messages_max-tokens-partial-tool-json.sse",
    "open-next-router_messages_stream_max-tokens.sse",
    "pydantic-ai_messages_text-short.sse",
    "pydantic-ai_messages_thinking-signature.sse",
    "vercel-ai_messages_text-ping.sse",
    "vercel-ai_messages_tool-use.sse",
]
_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


async def theirs(body: bytes) -> Any:
    """The final message of anthropic's ``messages.stream()`` over ``body`` (it needs an httpx2 client)."""

    def handle(request: Any) -> Any:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handle)) as http:
        client = anthropic.AsyncAnthropic(
            api_key="k", base_url="https://peer.test", http_client=http, max_retries=0
        )
        prompt = [{"role": "user", "content": "hi"}]
        async with client.messages.stream(model="m", max_tokens=8, messages=prompt) as stream:
            return await stream.get_final_message()


async def ours(body: bytes, split: dict[str, int]) -> messages.Message:
    """Our message over ``body``, read in the pieces ``split`` asks for."""
    transport = testing.sse_transport(body, piece_size=split.get("piece_size"), seed=split.get("seed"))
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_message_stream(http, "POST", "https://ours.test/v1/messages", json={}) as stream,
    ):
        return await stream.until_done()


def blocks_of(message: Any) -> list[tuple[str, Any]]:
    """What a user reads of each block, from either library's message."""
    found: list[tuple[str, Any]] = []
    for block in message.content:
        if block.type == "text":
            found.append(("text", block.text))
        elif block.type == "thinking":
            found.append(("thinking", (block.thinking, block.signature)))
        elif block.type in ("tool_use", "server_tool_use"):
            found.append((block.type, (block.id, block.name, block.input)))
        else:
            found.append((block.type, None))
    return found


@pytest.mark.parametrize("split", [{"piece_size": 1}, {"piece_size": 7}, {"seed": 5}, {}])
@pytest.mark.parametrize("name", PEER_WORKS)
async def test_message_equals_anthropics_where_theirs_works(name: str, split: dict[str, int]) -> None:
    """Text, thinking and signature, tool inputs (partial too), stop reason and usage equal anthropic's."""
    body = (FIXTURES / name).read_bytes()
    peer = await theirs(body)
    message = await ours(body, split)
    assert blocks_of(message) == blocks_of(peer)
    assert (message.id, message.model, message.stop_reason) == (peer.id, peer.model, peer.stop_reason)
    assert message.usage is not None
    for field in _USAGE_FIELDS:
        assert getattr(message.usage, field) == getattr(peer.usage, field), field


async def test_error_event_keeps_the_partial_where_anthropics_error_does_not() -> None:
    """Anthropic raises an APIStatusError (status 200) without the text; ours carries it in .partial."""
    body = (FIXTURES / "SYNTHETIC_messages_midstream-overloaded-error.sse").read_bytes()
    with pytest.raises(anthropic.APIStatusError) as peer:
        await theirs(body)
    assert not hasattr(peer.value, "partial")
    with pytest.raises(rs.StreamAPIError) as caught:
        await ours(body, {})
    assert caught.value.type == "overloaded_error"
    assert caught.value.partial.text == "Hello! I"


async def test_gateway_data_only_form_rebuilds_where_anthropic_fails() -> None:
    """Without message_start anthropic's accumulator fails (an assertion); ours rebuilds the text."""
    body = (FIXTURES / "messages_openai_upstream_ok.body").read_bytes()
    with pytest.raises(AssertionError):
        await theirs(body)
    message = await ours(body, {"piece_size": 3})
    assert blocks_of(message) == [("text", "Hello world")]
    assert message.stop_reason == "end_turn"


async def test_stream_without_usage_rebuilds_where_anthropic_fails() -> None:
    """A message_start without usage (the gateway's mock upstream) breaks anthropic's
    accumulator (AttributeError on the None usage); ours rebuilds the tool call with no usage."""
    body = (FIXTURES / "open-next-router_messages_stream_tool-use.sse").read_bytes()
    with pytest.raises(AttributeError):
        await theirs(body)
    message = await ours(body, {"seed": 3})
    assert blocks_of(message) == [("tool_use", ("toolu_01mock", "get_weather", {"city": "SF"}))]
    assert message.usage is None
