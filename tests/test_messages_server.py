"""client.messages against the embedded server's POST /v1/messages, on every stack and both loops."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _stacks import http_client, on_every_stack, rs_client
from r9s_stream import messages, testing

PROMPT = "the quick brown fox"
MESSAGES = [{"role": "user", "content": PROMPT}]

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def shared_url() -> Iterator[str]:
    """One embedded server for the stateless models; stalls end after 2 s at most."""
    with testing.run_server(stall_seconds=2.0, token_delay=0.0) as url:
        yield url


@on_every_stack
async def test_echo_streams_anthropics_events_and_rebuilds_the_message(shared_url: str, stack: str) -> None:
    """The echo model streams the prompt back as one text block, with usage and end_turn."""
    async with (
        rs_client(stack, "sk-local", shared_url) as client,
        client.messages.stream(model="echo", max_tokens=100, messages=MESSAGES) as stream,
    ):
        types = [event.type async for event in stream]
    message = stream.snapshot
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert "ping" not in types
    assert message.text == PROMPT
    assert message.stop_reason == "end_turn"
    assert stream.usage is not None
    assert stream.usage.output_tokens == 4
    assert stream.done


@on_every_stack
async def test_reasoning_and_tool_call_models_give_thinking_and_tool_use(shared_url: str, stack: str) -> None:
    """reasoning streams a signed thinking block before the text; tool-call a tool_use with its input."""
    tools = [{"name": "lookup", "input_schema": {"type": "object"}}]
    async with rs_client(stack, "sk-local", shared_url) as client:
        thought = await client.messages.complete(model="reasoning", max_tokens=100, messages=MESSAGES)
        call = await client.messages.complete(
            model="tool-call", max_tokens=100, messages=MESSAGES, tools=tools
        )
    thinking, text = thought.content
    assert isinstance(thinking, messages.ThinkingBlock)
    assert thinking.thinking == "The user said 4 words; I will repeat them back."
    assert thinking.signature
    assert text == messages.TextBlock(text=PROMPT)
    (tool,) = call.content
    assert isinstance(tool, messages.ToolUseBlock)
    assert (tool.name, tool.input) == ("lookup", {"query": PROMPT})
    assert call.stop_reason == "tool_use"


@on_every_stack
async def test_max_tokens_cuts_the_text_with_its_stop_reason(shared_url: str, stack: str) -> None:
    """Past max_tokens the text stops and stop_reason says max_tokens."""
    async with rs_client(stack, None, shared_url) as client:
        message = await client.messages.complete(model="echo", max_tokens=2, messages=MESSAGES)
    assert (message.text, message.stop_reason) == ("the quick", "max_tokens")


@on_every_stack
async def test_error_event_raises_api_error_with_partial(shared_url: str, stack: str) -> None:
    """fault-error's overloaded_error event raises StreamAPIError carrying the text that came."""
    async with rs_client(stack, None, shared_url) as client:
        with pytest.raises(rs.StreamAPIError) as caught:
            await client.messages.complete(model="fault-error", max_tokens=100, messages=MESSAGES)
    assert caught.value.type == "overloaded_error"
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_r9s_")
    assert caught.value.partial.text == "the quick brown"


@on_every_stack
async def test_cut_and_disconnect_are_incomplete_with_partial(shared_url: str, stack: str) -> None:
    """A body that ends early and a connection cut both raise IncompleteStreamError with the text so far."""
    async with rs_client(stack, None, shared_url) as client:
        for model in ("fault-truncate", "fault-disconnect"):
            with pytest.raises(rs.IncompleteStreamError) as caught:
                await client.messages.complete(model=model, max_tokens=100, messages=MESSAGES)
            assert isinstance(caught.value.partial, messages.Message), model
            assert PROMPT.startswith(caught.value.partial.text), model


@on_every_stack
async def test_stall_raises_timeout_and_malformed_a_decode_error(shared_url: str, stack: str) -> None:
    """A stalled stream past idle_timeout and a payload that is not JSON give their typed errors."""
    async with rs_client(stack, None, shared_url, idle_timeout=0.3) as client:
        with pytest.raises(rs.StreamTimeoutError) as stalled:
            await client.messages.complete(model="fault-stall", max_tokens=100, messages=MESSAGES)
        with pytest.raises(rs.StreamDecodeError) as malformed:
            await client.messages.complete(model="fault-malformed", max_tokens=100, messages=MESSAGES)
    assert stalled.value.partial.text == "the quick brown"
    assert isinstance(malformed.value.partial, messages.Message)


@on_every_stack
async def test_status_model_is_an_api_status_error_with_anthropics_body(shared_url: str, stack: str) -> None:
    """status-400 answers with Anthropic's error body, read into APIStatusError."""
    async with rs_client(stack, None, shared_url, max_retries=0) as client:
        with pytest.raises(rs.APIStatusError) as caught:
            await client.messages.complete(model="status-400", max_tokens=100, messages=MESSAGES)
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"


@on_every_stack
async def test_aconnect_on_a_callers_client(shared_url: str, stack: str) -> None:
    """aconnect_message_stream on the caller's own client streams the server's message."""
    body = {"model": "echo", "max_tokens": 10, "messages": MESSAGES, "stream": True}
    async with (
        http_client(stack) as http,
        rs.aconnect_message_stream(http, "POST", f"{shared_url}/messages", json=body) as stream,
    ):
        message = await stream.until_done()
    assert message.text == PROMPT


async def test_non_streaming_answer_is_one_message_json(shared_url: str) -> None:
    """Without stream: true the server answers with the whole message as JSON."""
    body = {"model": "tool-call", "max_tokens": 10, "messages": MESSAGES}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{shared_url}/messages", json=body)
    answer = msgspec.json.decode(response.content)
    assert answer["type"] == "message"
    assert answer["content"][0]["input"] == {"query": PROMPT}


async def test_wrong_key_is_refused_with_anthropics_401() -> None:
    """With a key required, a request with another x-api-key gets a 401 authentication_error."""
    with testing.run_server(api_key="sk-right") as url:
        async with rs.AsyncClient("sk-wrong", url, max_retries=0) as client:
            with pytest.raises(rs.APIStatusError) as caught:
                await client.messages.complete(model="echo", max_tokens=5, messages=MESSAGES)
            assert caught.value.status_code == 401
        async with rs.AsyncClient("sk-right", url) as client:
            message = await client.messages.complete(model="echo", max_tokens=5, messages=MESSAGES)
    assert message.text == PROMPT
