"""AsyncClient over real loopback sockets: streaming, the request it sends, keys, lifecycle."""

from __future__ import annotations

import logging

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _chat_server import Reply, ScriptedServer, reply_text
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _stacks import http_client, on_every_stack, rs_client
from r9s_stream import testing

KEY = "sk-test-3f9a2c7e1b"
MESSAGES = [{"role": "user", "content": "hi"}]

pytestmark = pytest.mark.anyio


@on_every_stack
async def test_stream_yields_chunks_text_and_usage(server: ScriptedServer, stack: str) -> None:
    """Iterating the stream gives each chunk as it comes, then the rebuilt message and usage."""
    server.script.append(Reply(pieces=reply_text("Hel", "lo", "!")))
    async with rs_client(stack, KEY, server.url) as client:
        async with client.stream(model="m", messages=MESSAGES) as stream:
            texts = [
                c.delta.content
                async for event in stream
                for c in event.choices
                if c.delta and c.delta.content
            ]
        assert texts == ["Hel", "lo", "!"]
        assert stream.completion.choices[0].message.content == "Hello!"
        assert stream.completion.choices[0].finish_reason == "stop"
        assert stream.usage is not None
        assert (stream.usage.prompt_tokens, stream.usage.completion_tokens) == (3, 3)
        assert stream.stats.chunks == 5


@on_every_stack
async def test_complete_returns_the_whole_completion(server: ScriptedServer, stack: str) -> None:
    """``complete()`` streams to the end and returns the message with its usage."""
    server.script.append(Reply(pieces=reply_text("a", "b")))
    async with rs_client(stack, KEY, server.url) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "ab"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 5


@on_every_stack
async def test_request_body_and_headers(server: ScriptedServer, stack: str) -> None:
    """The POST carries the model, messages, stream flags, extra fields, auth and user agent."""
    server.script.append(Reply(pieces=reply_text("ok")))
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    async with rs_client(stack, KEY, server.url + "/") as client:
        await client.complete(model="glm-5", messages=MESSAGES, temperature=0.2, tools=tools, seed=7)
    [request] = server.received
    assert request.path == "/v1/chat/completions"
    assert request.body == {
        "model": "glm-5",
        "messages": MESSAGES,
        "temperature": 0.2,
        "tools": tools,
        "seed": 7,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith(f"r9s-stream/{rs.__version__}")
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"


@on_every_stack
async def test_stream_options_can_be_replaced_or_left_out(server: ScriptedServer, stack: str) -> None:
    """A caller's ``stream_options`` replaces the default; ``None`` removes it from the body."""
    server.script.extend([Reply(pieces=reply_text("x")), Reply(pieces=reply_text("y"))])
    async with rs_client(stack, KEY, server.url) as client:
        await client.complete(model="m", messages=MESSAGES, stream_options={"include_usage": False})
        await client.complete(model="m", messages=MESSAGES, stream_options=None)
    first, second = (request.body for request in server.received)
    assert first["stream_options"] == {"include_usage": False}
    assert "stream_options" not in second
    assert second["stream"] is True


@on_every_stack
async def test_no_authorization_header_without_a_key(server: ScriptedServer, stack: str) -> None:
    """Without a key (argument or R9S_API_KEY) no Authorization header is sent at all."""
    server.script.append(Reply(pieces=reply_text("x")))
    async with rs_client(stack, base_url=server.url) as client:
        await client.complete(model="m", messages=MESSAGES)
    assert "authorization" not in server.received[0].headers


@on_every_stack
async def test_environment_supplies_key_and_base_url(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, stack: str
) -> None:
    """R9S_API_KEY (its stray newline dropped) and R9S_BASE_URL are used when no argument is given."""
    monkeypatch.setenv("R9S_API_KEY", "sk-from-env\n")
    monkeypatch.setenv("R9S_BASE_URL", server.url + "/")
    server.script.append(Reply(pieces=reply_text("x")))
    async with rs_client(
        stack,
    ) as client:
        assert client.base_url == server.url
        await client.complete(model="m", messages=MESSAGES)
    assert server.received[0].headers["authorization"] == "Bearer sk-from-env"


@on_every_stack
async def test_default_headers_are_added_and_can_override(server: ScriptedServer, stack: str) -> None:
    """``default_headers`` go on every request and win over the client's own headers."""
    server.script.append(Reply(pieces=reply_text("x")))
    headers = {"X-Team": "search", "User-Agent": "my-app/2", "Authorization": "Bearer other"}
    async with rs_client(stack, KEY, server.url, default_headers=headers) as client:
        await client.complete(model="m", messages=MESSAGES)
    sent = server.received[0].headers
    assert (sent["x-team"], sent["user-agent"], sent["authorization"]) == (
        "search",
        "my-app/2",
        "Bearer other",
    )


@on_every_stack
async def test_each_header_is_sent_once(server: ScriptedServer, stack: str) -> None:
    """Every request, the first and the next, names each header once: ours replace the stack's defaults."""
    server.script.extend([Reply(pieces=reply_text("x")), Reply(pieces=reply_text("y"))])
    async with rs_client(stack, KEY, server.url, default_headers={"X-Team": "search"}) as client:
        await client.complete(model="m", messages=MESSAGES)
        await client.complete(model="m", messages=MESSAGES)
    for request in server.received:
        assert len(request.header_names) == len(set(request.header_names)), request.header_names
        assert (request.headers["accept"], request.headers["cache-control"]) == (
            "text/event-stream",
            "no-store",
        )
        assert request.headers["x-team"] == "search"


@on_every_stack
async def test_default_headers_can_replace_the_stream_headers(server: ScriptedServer, stack: str) -> None:
    """``default_headers`` may set ``Accept`` and ``Cache-Control`` too: theirs are sent, not ours."""
    server.script.extend([Reply(pieces=reply_text("x")), Reply(pieces=reply_text("y"))])
    headers = {"Accept": "text/event-stream, application/json", "Cache-Control": "no-cache"}
    async with rs_client(stack, KEY, server.url, default_headers=headers) as client:
        await client.complete(model="m", messages=MESSAGES)
        await client.complete(model="m", messages=MESSAGES)
    for request in server.received:
        sent = request.headers
        assert (sent["accept"], sent["cache-control"]) == (headers["Accept"], headers["Cache-Control"])


def test_default_base_url_is_the_r9s_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured the client talks to https://api.r9s.ai/v1."""
    monkeypatch.delenv("R9S_BASE_URL", raising=False)
    assert rs.AsyncClient().base_url == "https://api.r9s.ai/v1"


def test_passing_stream_is_refused() -> None:
    """``stream=False`` cannot sneak into the body of a streaming call."""
    client = rs.AsyncClient(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="always streams"):
        client.stream(model="m", messages=MESSAGES, stream=False)


@pytest.mark.parametrize(
    "arguments",
    [{"max_retries": -1}, {"idle_timeout": 0}, {"first_token_timeout": -1.0}, {"total_timeout": 0.0}],
)
def test_nonsense_settings_are_rejected(arguments: dict[str, float]) -> None:
    """A negative retry count or a non-positive timeout fails at construction, not later."""
    with pytest.raises(ValueError, match=next(iter(arguments))):
        rs.AsyncClient(**arguments)  # type: ignore[arg-type]


# --- the key never leaks ---------------------------------------------------------------------


def test_repr_hides_the_key() -> None:
    """``repr`` and ``str`` of a client say a key is set but never show it."""
    client = rs.AsyncClient(KEY, "http://127.0.0.1:9/v1")
    for text in (repr(client), str(client)):
        assert KEY not in text
        assert "hidden" in text
    assert "api_key=None" in repr(rs.AsyncClient(base_url="http://127.0.0.1:9/v1"))


@on_every_stack
async def test_a_server_echoing_the_key_does_not_leak_it(server: ScriptedServer, stack: str) -> None:
    """A 401 whose message repeats the key yields an error whose text and body omit it."""
    body = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error"}}
    server.script.append(Reply(401, {"content-type": "application/json"}, [msgspec.json.encode(body)]))
    async with rs_client(stack, KEY, server.url) as client:
        with pytest.raises(rs.APIStatusError) as caught:
            await client.complete(model="m", messages=MESSAGES)
    error = caught.value
    assert error.status_code == 401
    assert "Incorrect API key provided" in error.message
    for text in (str(error), repr(error), error.message, repr(error.body)):
        assert KEY not in text


@on_every_stack
async def test_logs_never_contain_the_key(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture, stack: str
) -> None:
    """Everything logged during retries (ours, httpx's, httpcore's, at DEBUG) omits the key."""
    echo = msgspec.json.encode({"error": {"message": f"busy, {KEY}"}})
    server.script.extend([Reply(503, {"retry-after-ms": "0"}, [echo]), Reply(pieces=reply_text("x"))])
    with caplog.at_level(logging.DEBUG):
        async with rs_client(stack, KEY, server.url) as client:
            await client.complete(model="m", messages=MESSAGES)
    retries = [r for r in caplog.records if r.name == "r9s_stream"]
    assert len(retries) == 1
    assert "503" in retries[0].getMessage()
    assert caplog.records
    for record in caplog.records:
        assert KEY not in record.getMessage()


# --- who closes what -------------------------------------------------------------------------


@on_every_stack
async def test_a_callers_http_client_is_used_and_left_open(server: ScriptedServer, stack: str) -> None:
    """A shared httpx or httpx2 client carries the requests and stays open after the client closes."""
    server.script.append(Reply(pieces=reply_text("x")))
    async with http_client(stack, headers={"X-Pool": "shared"}) as http:
        async with rs.AsyncClient(KEY, server.url, http_client=http) as client:
            await client.complete(model="m", messages=MESSAGES)
        assert not http.is_closed
        assert not client.is_closed
    assert server.received[0].headers["x-pool"] == "shared"


async def test_own_http_client_is_closed(server: ScriptedServer) -> None:
    """The pool the client made itself is closed by ``async with`` and by ``aclose()``."""
    async with rs.AsyncClient(KEY, server.url) as client:
        assert not client.is_closed
    assert client.is_closed
    other = rs.AsyncClient(KEY, server.url)
    await other.aclose()
    assert other.is_closed


@pytest.mark.anyio
async def test_max_event_size_bounds_each_event_of_a_client_stream() -> None:
    """AsyncClient(max_event_size=N) raises EventTooLargeError for an event past N bytes."""
    scenario = testing.ChatScenario(text="x" * 5000, token_size=5000)
    async with (
        httpx.AsyncClient(transport=scenario.transport(piece_size=512)) as http,
        rs.AsyncClient(base_url="https://test.invalid/v1", http_client=http, max_event_size=1024) as client,
    ):
        with pytest.raises(rs.EventTooLargeError):
            await client.complete(model="m", messages=[])
