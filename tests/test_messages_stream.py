"""Messages streams through the whole stack: aconnect_message_stream and client.messages, faults included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream import messages, testing
from r9s_stream.testing import Disconnect, Pause

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "messages"
URL = "https://messages.test/v1/messages"
GOOD = [
    "anthropic-sdk-python_messages_max-tokens-partial-tool-json.sse",
    "messages_openai_upstream_ok.body",
    "open-next-router_messages_stream_max-tokens.sse",
    "open-next-router_messages_stream_tool-use.sse",
    "pydantic-ai_messages_text-short.sse",
    "pydantic-ai_messages_thinking-signature.sse",
    "vercel-ai_messages_text-ping.sse",
    "vercel-ai_messages_tool-use.sse",
]
SPLITS = ["1-byte", "odd", "random", "one-event", "whole"]


def transport(body: bytes, split: str, **options: Any) -> httpx.MockTransport:
    """``body`` served in the pieces ``split`` names (one-event: one read per event)."""
    if split == "one-event":
        frames = [frame + b"\n\n" for frame in body.split(b"\n\n") if frame.strip()]
        return testing.steps_transport(frames, **options)
    if split == "random":
        return testing.steps_transport([body], seed=17, **options)
    sizes = {"1-byte": 1, "odd": 7, "whole": None}
    return testing.steps_transport([body], piece_size=sizes[split], **options)


def expected(body: bytes) -> messages.Message:
    """The message the pure decoder and fold rebuild from the whole body at once."""
    decoder, fold = messages.MessageDecoder(), messages.MessageFold()
    fold.add_many(decoder.feed(body) + decoder.finish())
    return fold.snapshot


async def replay(body: bytes, split: str) -> tuple[list[messages.MessageStreamEvent], messages.MessageStream]:
    """Every event of ``body`` through aconnect_message_stream, and the stream."""
    async with (
        httpx.AsyncClient(transport=transport(body, split)) as http,
        rs.aconnect_message_stream(http, "POST", URL, json={"stream": True}) as stream,
    ):
        events = [event async for event in stream]
    return events, stream


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", GOOD)
async def test_every_recording_streams_to_the_same_message_at_every_split(name: str, split: str) -> None:
    """A recording streamed in any pieces ends done with the same message, usage and stats."""
    body = (FIXTURES / name).read_bytes()
    events, stream = await replay(body, split)
    message = await stream.until_done()
    assert stream.done
    assert message == expected(body)
    assert stream.snapshot == message
    assert stream.usage == message.usage
    assert not any(isinstance(event, messages.PingEvent) for event in events)
    assert stream.stats.chunks == len(events)
    assert stream.stats.time_to_first_token is not None
    assert stream.response.is_closed


async def test_event_type_is_readable_and_match_works() -> None:
    """Each event's .type is the wire's string, and match on the classes picks out the text."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    events, _ = await replay(body, "whole")
    assert [event.type for event in events[:3]] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    texts = []
    for event in events:
        match event:
            case messages.ContentBlockDeltaEvent(delta=messages.TextDelta(text=text)):
                texts.append(text)
    assert "".join(texts).startswith("Hello! I'm doing well")


async def test_text_deltas_yield_the_text_as_it_arrives() -> None:
    """stream.text_deltas() gives only the text strings, which join to the message's text."""
    body = (FIXTURES / "pydantic-ai_messages_thinking-signature.sse").read_bytes()
    async with (
        httpx.AsyncClient(transport=transport(body, "odd")) as http,
        rs.aconnect_message_stream(http, "POST", URL, json={}) as stream,
    ):
        text = "".join([piece async for piece in stream.text_deltas()])
    assert text == expected(body).text != ""


async def test_error_event_raises_api_error_with_the_partial_message() -> None:
    """An overloaded_error event mid-stream raises StreamAPIError with the text that had arrived."""
    body = (FIXTURES / "SYNTHETIC_messages_midstream-overloaded-error.sse").read_bytes()
    with pytest.raises(rs.StreamAPIError) as caught:
        await replay(body, "1-byte")
    error = caught.value
    assert (error.type, error.message) == ("overloaded_error", "Overloaded")
    assert error.request_id == "req_SYNTHETIC000000000000000"
    assert isinstance(error.partial, messages.Message)
    assert error.partial.text == "Hello! I"


@pytest.mark.parametrize("split", SPLITS)
async def test_cut_stream_is_incomplete_with_the_partial_message(split: str) -> None:
    """A body that ends before message_stop raises IncompleteStreamError keeping the text so far."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    cut = body[: body.index(b"event: content_block_stop")]
    with pytest.raises(rs.IncompleteStreamError, match="without message_stop") as caught:
        await replay(cut, split)
    assert caught.value.partial.text.startswith("Hello! I'm doing well")


async def test_gateway_form_cut_before_its_stop_reason_is_incomplete() -> None:
    """The gateway's data-only form that ends before any stop_reason is an IncompleteStreamError."""
    body = (FIXTURES / "messages_openai_upstream_ok.body").read_bytes()
    cut = body[: body.index(b'data: {"delta":{"stop_reason"')]
    with pytest.raises(rs.IncompleteStreamError) as caught:
        await replay(cut, "whole")
    assert caught.value.partial.text == "Hello world"


async def test_disconnect_is_incomplete_with_the_partial_message() -> None:
    """A connection cut mid-stream raises IncompleteStreamError with the transport's error as cause."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    head = body[: body.index(b"event: content_block_stop")]
    steps: list[testing.Step] = [head, Disconnect(after=0)]
    async with httpx.AsyncClient(transport=testing.steps_transport(steps)) as http:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            async with rs.aconnect_message_stream(http, "POST", URL, json={}) as stream:
                await stream.until_done()
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert caught.value.partial.text.endswith("help you with?")


async def test_stall_raises_timeout_with_the_partial_message() -> None:
    """A server that stops sending past idle_timeout raises StreamTimeoutError keeping the text."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    head = body[: body.index(b"event: content_block_stop")]
    steps: list[testing.Step] = [head, Pause(30.0), b'event: message_stop\ndata: {"type":"message_stop"}\n\n']
    async with httpx.AsyncClient(transport=testing.steps_transport(steps)) as http:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            async with rs.aconnect_message_stream(http, "POST", URL, json={}, idle_timeout=0.05) as stream:
                await stream.until_done()
    assert caught.value.partial.text.startswith("Hello!")


async def test_bad_json_raises_decode_error_with_the_partial_message() -> None:
    """A payload that is not JSON raises StreamDecodeError after the events before it."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    head = body[: body.index(b"event: content_block_stop")]
    with pytest.raises(rs.StreamDecodeError) as caught:
        await replay(head + b"event: content_block_delta\ndata: {oops\n\n", "odd")
    assert caught.value.partial.text.endswith("help you with?")


async def test_too_large_event_raises_with_the_partial_message() -> None:
    """One event past max_event_size raises EventTooLargeError; what came before is kept."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    big = b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"' + b"x" * 5000
    async with httpx.AsyncClient(transport=transport(body[:600] + b"\n\n" + big, "odd")) as http:
        with pytest.raises(rs.EventTooLargeError) as caught:
            async with rs.aconnect_message_stream(http, "POST", URL, json={}, max_event_size=1024) as stream:
                await stream.until_done()
    assert isinstance(caught.value.partial, messages.Message)


async def test_whole_json_message_is_taken_as_its_stream() -> None:
    """A server that answers with one whole message JSON (stream ignored) gives that message."""
    body = (FIXTURES / "open-next-router_messages_nonstream_ok.json").read_bytes()
    headers = {"content-type": "application/json"}
    async with (
        httpx.AsyncClient(transport=testing.steps_transport([body], headers=headers)) as http,
        rs.aconnect_message_stream(http, "POST", URL, json={}) as stream,
    ):
        message = await stream.until_done()
    assert message.id == "msg_01mocknonstream"
    assert message.content == [messages.TextBlock(text="Hi")]
    assert message.stop_reason == "end_turn"
    assert message.usage == messages.Usage(input_tokens=12, output_tokens=4)


async def test_gateway_429_is_an_api_status_error() -> None:
    """The gateway's 429 for /v1/messages (an empty event-stream body) raises APIStatusError 429."""
    head = (FIXTURES / "messages_openai_upstream_429.headers").read_text().splitlines()
    status = int(head[0].split()[1])
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line and "Transfer" not in line)
    body = (FIXTURES / "messages_openai_upstream_429.body").read_bytes()
    mock = testing.steps_transport([body], status_code=status, headers=headers)
    async with httpx.AsyncClient(transport=mock) as http:
        with pytest.raises(rs.APIStatusError) as caught:
            async with rs.aconnect_message_stream(http, "POST", URL, json={}):
                pass
    assert caught.value.status_code == 429
    assert caught.value.request_id == "2026120216414606869170460405"


async def test_client_sends_anthropic_headers_body_and_path() -> None:
    """client.messages.stream posts to /messages with anthropic-version, x-api-key and the Bearer key."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http,
        rs.AsyncClient("sk-test", "https://gw.test/v1", http_client=http) as client,
    ):
        prompt = [{"role": "user", "content": "hi"}]
        async with client.messages.stream(
            model="claude-x", max_tokens=64, messages=prompt, system="be brief"
        ) as s:
            message = await s.until_done()
        again = await client.messages.complete(model="claude-x", max_tokens=64, messages=prompt)
    assert message == again == expected(body)
    request = seen[0]
    assert str(request.url) == "https://gw.test/v1/messages"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["x-api-key"] == "sk-test"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert msgspec.json.decode(request.content) == {
        "model": "claude-x",
        "max_tokens": 64,
        "messages": prompt,
        "system": "be brief",
        "stream": True,
    }


async def test_client_default_headers_win_over_anthropic_ones() -> None:
    """A default_headers anthropic-version is sent as given, not replaced."""
    body = (FIXTURES / "pydantic-ai_messages_text-short.sse").read_bytes()
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http,
        rs.AsyncClient(
            None, "https://gw.test/v1", http_client=http, default_headers={"anthropic-version": "2099-01-01"}
        ) as client,
    ):
        await client.messages.complete(model="m", max_tokens=8, messages=[])
    assert seen[0].headers["anthropic-version"] == "2099-01-01"
    assert "x-api-key" not in seen[0].headers


async def test_client_refuses_stream_argument() -> None:
    """Passing stream= to client.messages.stream is a TypeError: it always streams."""
    async with rs.AsyncClient("k", "https://gw.test/v1") as client:
        with pytest.raises(TypeError):
            client.messages.stream(model="m", max_tokens=1, messages=[], stream=False)
