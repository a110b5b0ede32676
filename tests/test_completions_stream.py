"""Legacy Completions through the whole stack: recordings at every split, the client, the server's faults.

Recordings are replayed through ``aconnect_completion_stream`` (httpx's mock transport), the
embedded server through ``client.completions`` on every HTTP stack and both event loops.
openai-python's ``completions.create(stream=True)`` on the same bytes is the reference peer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _chat_server import Reply, ScriptedServer
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _stacks import http_client, on_every_stack, rs_client
from r9s_stream import testing
from r9s_stream.completions import Completion, CompletionChunk

pytestmark = pytest.mark.anyio

RECORDING = Path(__file__).parent / "fixtures" / "completions" / "vercel-ai_completions_text.sse"
RECORDED_TEXT = 'The holiday is called "Gratitude Day" and it is a day dedicated to'
URL = "https://completions.test/v1/completions"
PROMPT = "once upon a time there was"
KEY = "sk-completions-3c9e1a"
# The r9s gateway's broken-upstream line (tests/fixtures/gateway/chat_openai_upstream_truncated.body).
BARE_ERROR = (
    b'{"error":{"code":"proxy_error","message":"unexpected EOF (request id: 2026120216414351619984149253)",'
    b'"type":"invalid_request_error"}}'
)

# How the body reaches the client: 1-byte, odd-sized, seeded random, one event per read, whole.
SPLITS = ["1-byte", "odd-7", "random-1", "random-2024", "one-event", "whole"]


def transport(body: bytes, split: str) -> httpx.MockTransport:
    """A mock SSE transport serving ``body`` cut as ``split`` says."""
    if split == "one-event":
        return testing.steps_transport([part + b"\n\n" for part in body.split(b"\n\n") if part])
    size = {"1-byte": 1, "odd-7": 7}.get(split)
    seed = {"random-1": 1, "random-2024": 2024}.get(split)
    return testing.sse_transport(body, piece_size=size, seed=seed)


async def replay(body: bytes, split: str) -> tuple[list[CompletionChunk], Completion, rs.CompletionStream]:
    """Stream ``body`` through aconnect_completion_stream to its end."""
    async with (
        httpx.AsyncClient(transport=transport(body, split)) as http,
        rs.aconnect_completion_stream(http, "POST", URL, json={"stream": True}) as stream,
    ):
        chunks = [chunk async for chunk in stream]
        completion = await stream.until_done()
    return chunks, completion, stream


@pytest.mark.parametrize("split", SPLITS)
async def test_the_recording_rebuilds_the_same_completion_through_the_stack(split: str) -> None:
    """Every split of the real recording gives the same chunks, text, finish reason, usage and stats."""
    chunks, completion, stream = await replay(RECORDING.read_bytes(), split)
    assert stream.done
    assert stream.response.is_closed
    assert len(chunks) == stream.stats.chunks == 17
    assert completion.text == RECORDED_TEXT
    assert completion.choices[0].finish_reason == "length"
    assert completion.id == "cmpl-D8ZFN477TMm6AoQohx2jSTOJMh60M"
    assert (
        stream.usage
        == completion.usage
        == rs.completions.CompletionUsage(prompt_tokens=14, completion_tokens=16, total_tokens=30)
    )
    assert stream.snapshot == completion
    assert stream.stats.time_to_first_token is not None


# asyncio only: on trio, openai-python leaves its own SSE generators for the collector to close.
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("split", ["1-byte", "random-2024", "whole"])
async def test_openai_python_reads_the_same_text_and_usage(split: str) -> None:
    """openai-python's completions stream on the same bytes joins the same text and reports the same usage."""
    openai = pytest.importorskip("openai")  # absent in the lowest-versions pass
    body = RECORDING.read_bytes()
    # openai 3 annotates httpx2's client; it reads an httpx one as well.
    http: Any = httpx.AsyncClient(transport=transport(body, split))
    pieces: list[str] = []
    usage = None
    async with (
        openai.AsyncOpenAI(
            api_key="sk-test", base_url="https://completions.test/v1", http_client=http
        ) as peer,
        await peer.completions.create(model="m", prompt="p", stream=True) as chunks,
    ):
        async for chunk in chunks:
            pieces.extend(choice.text for choice in chunk.choices if choice.index == 0)
            usage = chunk.usage or usage
    _, completion, _ = await replay(body, split)
    assert "".join(pieces) == completion.text
    assert usage is not None
    assert completion.usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
        completion.usage.total_tokens,
    )


@pytest.mark.parametrize("split", ["1-byte", "one-event", "whole"])
async def test_the_gateways_bare_error_line_is_an_api_error_with_the_partial_text(split: str) -> None:
    """Cut by the r9s gateway's bare error line: StreamAPIError, its partial holding the text so far."""
    events = RECORDING.read_bytes().split(b"\n\n")
    body = b"\n\n".join(events[:4]) + b"\n\n" + BARE_ERROR
    received: list[CompletionChunk] = []

    async def read() -> None:
        async with (
            httpx.AsyncClient(transport=transport(body, split)) as http,
            rs.aconnect_completion_stream(http, "POST", URL) as stream,
        ):
            async for chunk in stream:
                received.append(chunk)
        raise AssertionError("the stream ended without an error")

    with pytest.raises(rs.StreamAPIError) as caught:
        await read()
    error = caught.value
    assert len(received) == 4
    assert error.code == "proxy_error"
    assert "unexpected EOF" in str(error)
    assert isinstance(error.partial, Completion)
    assert error.partial.text == "The holiday is called"


async def test_a_whole_text_completion_answer_is_taken_as_its_one_chunk_stream() -> None:
    """A server that ignores `stream: true` and sends one JSON text_completion still gives the answer."""
    whole = {
        "id": "cmpl-w",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [{"text": "All at once.", "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json=whole))
    async with (
        httpx.AsyncClient(transport=answer) as http,
        rs.aconnect_completion_stream(http, "POST", URL) as stream,
    ):
        completion = await stream.until_done()
    assert stream.done
    assert completion.text == "All at once."
    assert completion.usage is not None
    assert completion.usage.total_tokens == 7


async def test_an_event_past_max_event_size_is_too_large_with_the_partial_text() -> None:
    """`max_event_size` bounds each event: past it, EventTooLargeError keeps the text before."""
    events = RECORDING.read_bytes().split(b"\n\n")
    body = b"\n\n".join([*events[:2], b"data: " + b"x" * 5000, *events[2:]])
    async with httpx.AsyncClient(transport=transport(body, "odd-7")) as http:
        with pytest.raises(rs.EventTooLargeError) as caught:
            async with rs.aconnect_completion_stream(http, "POST", URL, max_event_size=1000) as stream:
                await stream.until_done()
    assert isinstance(caught.value.partial, Completion)
    assert caught.value.partial.text == "The holiday"


@on_every_stack
@pytest.mark.parametrize("ending", ["bare-error", "cut"])
async def test_a_broken_recording_over_a_socket_keeps_the_text_on_every_stack(
    server: ScriptedServer, stack: str, ending: str
) -> None:
    """Over real TCP: the gateway's error line or a cut body raise typed errors that keep the text."""
    events = [event + b"\n\n" for event in RECORDING.read_bytes().split(b"\n\n")[:4]]
    server.script.append(Reply(pieces=[*events, BARE_ERROR] if ending == "bare-error" else events))
    async with rs_client(stack, KEY, server.url, max_retries=0) as client:
        with pytest.raises(
            rs.StreamAPIError if ending == "bare-error" else rs.IncompleteStreamError
        ) as caught:
            await client.completions.complete(model="m", prompt=PROMPT)
    assert isinstance(caught.value.partial, Completion)
    assert caught.value.partial.text == "The holiday is called"
    assert caught.value.partial.id == "cmpl-D8ZFN477TMm6AoQohx2jSTOJMh60M"
    assert server.received[0].path == "/v1/completions"


# --- the client, against the embedded server -------------------------------------------------


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """One embedded server for the stateless models; its stalls last 2 s."""
    with testing.run_server(token_delay=0.0, stall_seconds=2.0) as url:
        yield url


@on_every_stack
async def test_client_streams_the_prompt_back_with_usage(server_url: str, stack: str) -> None:
    """`client.completions.stream` yields text chunks; `until_done` gives the Completion with usage."""
    async with rs_client(stack, KEY, server_url) as client:
        async with client.completions.stream(model="echo", prompt=PROMPT) as stream:
            texts = [c.choices[0].text async for c in stream if c.choices]
            completion = await stream.until_done()
        assert "".join(texts) == completion.text == PROMPT
        assert completion.object == "text_completion"
        assert completion.choices[0].finish_reason == "stop"
        assert stream.usage is not None
        assert stream.usage.completion_tokens == len(PROMPT.split())
        assert stream.done
        assert stream.response.is_closed
        whole = await client.completions.complete(model="echo", prompt=PROMPT, n=2)
    assert [(c.index, c.text) for c in whole.choices] == [(0, PROMPT), (1, PROMPT)]


@on_every_stack
async def test_the_request_is_a_streaming_completions_request(server_url: str, stack: str) -> None:
    """Seen by `inspect-request`: POST /v1/completions with prompt, stream, usage asked, extra fields kept."""
    async with rs_client(stack, KEY, server_url) as client:
        completion = await client.completions.complete(model="inspect-request", prompt=PROMPT, max_tokens=9)
        plain = await client.completions.complete(model="inspect-request", prompt="x", stream_options=None)
    seen = msgspec.json.decode(completion.text)
    assert (seen["method"], seen["path"]) == ("POST", "/v1/completions")
    assert seen["body"] == {
        "model": "inspect-request",
        "prompt": PROMPT,
        "max_tokens": 9,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert seen["headers"]["authorization"] == f"Bearer {KEY}"
    assert "stream_options" not in msgspec.json.decode(plain.text)["body"]


def test_passing_stream_is_refused() -> None:
    """`client.completions.stream()` always streams: `stream=` is a TypeError, not a silent override."""
    client = rs.AsyncClient("k", "http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="stream="):
        client.completions.stream(model="m", prompt="p", stream=False)


@on_every_stack
@pytest.mark.parametrize(
    ("model", "error", "text"),
    [
        ("fault-truncate", rs.IncompleteStreamError, "once upon a"),
        ("fault-error", rs.StreamAPIError, "once upon a"),
        ("fault-malformed", rs.StreamDecodeError, "once upon a"),
        ("fault-disconnect", rs.IncompleteStreamError, "once upon a"),
    ],
)
async def test_faults_are_typed_errors_with_the_partial_completion(
    server_url: str, stack: str, model: str, error: type[rs.StreamError], text: str
) -> None:
    """Each broken stream raises its own StreamError; `partial` is the Completion of the text before."""
    async with rs_client(stack, KEY, server_url, max_retries=0) as client:
        with pytest.raises(error) as caught:
            async with client.completions.stream(model=model, prompt=PROMPT) as stream:
                await stream.until_done()
    partial = caught.value.partial
    assert isinstance(partial, Completion)
    assert partial.text.startswith(text)
    assert PROMPT.startswith(partial.text)
    assert stream.response.is_closed


@on_every_stack
@pytest.mark.parametrize(
    ("option", "model", "text"),
    [
        ("idle_timeout", "fault-stall", "once upon a"),
        ("total_timeout", "fault-stall", "once upon a"),
        ("first_token_timeout", "fault-stall-start", ""),
    ],
)
async def test_each_timeout_is_a_stream_timeout_with_the_partial_completion(
    server_url: str, stack: str, option: str, model: str, text: str
) -> None:
    """A server that stops sending trips each of the three timeouts: StreamTimeoutError keeps the text."""
    async with rs_client(stack, KEY, server_url, max_retries=0, **{option: 0.3}) as client:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            await client.completions.complete(model=model, prompt=PROMPT)
    assert isinstance(caught.value.partial, Completion)
    assert caught.value.partial.text == text


@on_every_stack
async def test_429_is_retried_then_the_completion_streams(stack: str) -> None:
    """A 429 before the first byte is retried as for chat; a 400 is an APIStatusError at once."""
    with testing.run_server(token_delay=0.0, retry_after=0.01) as url:
        async with rs_client(stack, KEY, url) as client:
            completion = await client.completions.complete(model="status-429-x1", prompt=PROMPT)
            assert completion.text == PROMPT
            with pytest.raises(rs.APIStatusError) as caught:
                await client.completions.complete(model="status-400", prompt=PROMPT)
    assert caught.value.status_code == 400


@on_every_stack
async def test_aconnect_on_a_callers_client_reaches_the_server(server_url: str, stack: str) -> None:
    """`aconnect_completion_stream` on the caller's own httpx or httpx2 client streams the same answer."""
    body = {"model": "echo", "prompt": PROMPT, "stream": True}
    async with http_client(stack) as http:
        async with rs.aconnect_completion_stream(
            http, "POST", f"{server_url}/completions", json=body
        ) as stream:
            completion = await stream.until_done()
        assert completion.text == PROMPT
        assert stream.usage is None, "no stream_options asked: no usage chunk"


# asyncio only: on trio, openai-python leaves its own SSE generators for the collector to close.
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_embedded_server_answers_openai_python(server_url: str) -> None:
    """openai-python's own completions calls, streamed and not, get the echo from the embedded server."""
    openai = pytest.importorskip("openai")  # absent in the lowest-versions pass
    async with openai.AsyncOpenAI(api_key=KEY, base_url=server_url) as peer:
        whole = await peer.completions.create(model="echo", prompt=PROMPT)
        async with await peer.completions.create(
            model="echo", prompt=PROMPT, stream=True, stream_options={"include_usage": True}
        ) as chunks:
            streamed = [chunk async for chunk in chunks]
    assert whole.object == "text_completion"
    assert whole.choices[0].text == PROMPT
    assert whole.usage is not None
    assert "".join(c.choices[0].text for c in streamed if c.choices) == PROMPT
    assert streamed[-1].usage is not None
    assert streamed[-1].usage.completion_tokens == len(PROMPT.split())


async def test_a_body_without_a_prompt_is_a_400(server_url: str) -> None:
    """The embedded server refuses a completions body without `prompt`, as OpenAI does, with its reason."""
    async with httpx.AsyncClient() as http:
        with pytest.raises(rs.APIStatusError) as caught:
            await rs.aconnect_completion_stream(
                http, "POST", f"{server_url}/completions", json={"model": "echo"}
            ).__aenter__()
    assert caught.value.status_code == 400
    assert "prompt" in str(caught.value)
