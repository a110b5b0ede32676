"""AsyncClient retries over real loopback sockets: which failures, how long it waits, when it stops."""

from __future__ import annotations

import itertools
import logging
from time import perf_counter

import anyio
import httpx
import msgspec
import pytest

import r9s_stream as rs
from _chat_server import RefusedFirst, Reply, ScriptedServer, reply_text, unused_port
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _stacks import error_class, on_every_stack, rs_client

MESSAGES = [{"role": "user", "content": "hi"}]
JSON = {"content-type": "application/json"}

pytestmark = pytest.mark.anyio


def gaps(server: ScriptedServer) -> list[float]:
    """Seconds between consecutive requests the server received."""
    times = [request.at for request in server.received]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def error_body(message: str) -> list[bytes]:
    return [msgspec.json.encode({"error": {"message": message, "type": "server_error", "code": "busy"}})]


@on_every_stack
async def test_429_waits_as_long_as_retry_after_says(server: ScriptedServer, stack: str) -> None:
    """A 429 with ``Retry-After: 0.6`` waits 0.6 s (longer than the first backoff) before retrying."""
    server.script.append(Reply(429, {"retry-after": "0.6", **JSON}, error_body("slow down")))
    server.script.append(Reply(pieces=reply_text("ok")))
    async with rs_client(stack, base_url=server.url) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "ok"
    [gap] = gaps(server)
    assert 0.6 <= gap < 1.5


@on_every_stack
async def test_retry_after_ms_is_honoured(server: ScriptedServer, stack: str) -> None:
    """``retry-after-ms: 20`` wins over ``Retry-After: 5`` and over the client's own backoff."""
    server.script.append(Reply(429, {"retry-after-ms": "20", "retry-after": "5"}, []))
    server.script.append(Reply(pieces=reply_text("ok")))
    async with rs_client(stack, base_url=server.url) as client:
        await client.complete(model="m", messages=MESSAGES)
    [gap] = gaps(server)
    assert 0.02 <= gap < 0.3  # the first backoff would be 0.375 s at least


@on_every_stack
async def test_503_is_retried_with_backoff(server: ScriptedServer, stack: str) -> None:
    """A 503 without Retry-After is retried after the jittered first backoff (0.375–0.5 s)."""
    server.script.extend([Reply(503, JSON, error_body("overloaded")), Reply(pieces=reply_text("ok"))])
    async with rs_client(stack, base_url=server.url) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "ok"
    [gap] = gaps(server)
    assert 0.375 <= gap < 1.5


@on_every_stack
async def test_529_with_an_empty_reason_phrase_is_retried(server: ScriptedServer, stack: str) -> None:
    """LiteLLM's 529 "overloaded" (no reason phrase on the wire) is retried like any 5xx."""
    server.script.extend([Reply(529, {"retry-after-ms": "0"}, []), Reply(pieces=reply_text("ok"))])
    async with rs_client(stack, base_url=server.url) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "ok"
    assert len(server.received) == 2


async def test_refused_connection_is_retried(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A connection refused on the first try is retried, logged, and the reply still arrives."""
    server.script.append(Reply(pieces=reply_text("ok")))
    async with httpx.AsyncClient(transport=RefusedFirst(1)) as http:
        with caplog.at_level(logging.INFO, logger="r9s_stream"):
            completion = await rs.AsyncClient(base_url=server.url, http_client=http).complete(
                model="m", messages=MESSAGES
            )
    assert completion.choices[0].message.content == "ok"
    assert len(server.received) == 1
    [record] = [r for r in caplog.records if r.name == "r9s_stream"]
    assert "ConnectError" in record.getMessage()
    assert "retry 1 of 2" in record.getMessage()


async def test_refused_every_time_passes_the_connect_error_through(server: ScriptedServer) -> None:
    """When every attempt is refused the httpx ConnectError reaches the caller unwrapped."""
    async with httpx.AsyncClient(transport=RefusedFirst(5)) as http:
        client = rs.AsyncClient(base_url=server.url, http_client=http, max_retries=1)
        with pytest.raises(httpx.ConnectError):
            await client.complete(model="m", messages=MESSAGES)
    assert server.received == []


@on_every_stack
async def test_a_refused_connection_is_retried_then_raised_as_a_connect_error(
    stack: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused every time: retried, then the stack's ConnectError, never a timeout (aiohttp's included)."""
    with caplog.at_level(logging.INFO, logger="r9s_stream"):
        async with rs_client(stack, base_url=f"http://127.0.0.1:{unused_port()}/v1", max_retries=1) as client:
            with pytest.raises(error_class(stack, "ConnectError")) as caught:
                await client.complete(model="m", messages=MESSAGES)
    assert not isinstance(caught.value, error_class(stack, "TimeoutException"))
    [record] = [r for r in caplog.records if r.name == "r9s_stream"]
    assert "ConnectError" in record.getMessage()


@on_every_stack
async def test_exhausted_retries_raise_the_status_error(server: ScriptedServer, stack: str) -> None:
    """After 1 + max_retries failed attempts the last 503 is raised with message and request id."""
    failing = Reply(503, {"retry-after-ms": "1", "x-request-id": "req-42", **JSON}, error_body("overloaded"))
    server.script.extend([failing, failing, failing, Reply(pieces=reply_text("too late"))])
    async with rs_client(stack, base_url=server.url) as client:
        with pytest.raises(rs.APIStatusError) as caught:
            await client.complete(model="m", messages=MESSAGES)
    error = caught.value
    assert (error.status_code, error.message, error.request_id) == (503, "overloaded", "req-42")
    assert (error.type, error.code) == ("server_error", "busy")
    assert len(server.received) == 3


@on_every_stack
async def test_max_retries_zero_sends_once(server: ScriptedServer, stack: str) -> None:
    """``max_retries=0`` turns retries off: the first 429 is the caller's."""
    server.script.extend([Reply(429, {"retry-after-ms": "0"}, []), Reply(pieces=reply_text("ok"))])
    async with rs_client(stack, base_url=server.url, max_retries=0) as client:
        with pytest.raises(rs.APIStatusError, match="429"):
            await client.complete(model="m", messages=MESSAGES)
    assert len(server.received) == 1


@on_every_stack
async def test_client_errors_are_not_retried(server: ScriptedServer, stack: str) -> None:
    """A 400 (bad request) fails at once: sending it again would fail the same way."""
    server.script.extend([Reply(400, JSON, error_body("unknown model")), Reply(pieces=reply_text("ok"))])
    async with rs_client(stack, base_url=server.url) as client:
        with pytest.raises(rs.APIStatusError, match="unknown model"):
            await client.complete(model="m", messages=MESSAGES)
    assert len(server.received) == 1


@on_every_stack
async def test_no_retry_once_a_chunk_was_delivered(server: ScriptedServer, stack: str) -> None:
    """A connection cut after the first chunk ends the stream with what came; nothing is resent."""
    server.script.append(Reply(pieces=reply_text("Hel", "lo"), break_after=1))
    server.script.append(Reply(pieces=reply_text("again")))
    seen: list[rs.ChatCompletionStreamEvent] = []

    async def read_all(client: rs.AsyncClient) -> None:
        async with client.stream(model="m", messages=MESSAGES) as stream:
            async for event in stream:
                seen.append(event)

    async with rs_client(stack, base_url=server.url) as client:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            await read_all(client)
    assert len(seen) == 1
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "Hel"
    assert len(server.received) == 1


@on_every_stack
async def test_retries_stop_at_the_total_deadline(server: ScriptedServer, stack: str) -> None:
    """A Retry-After longer than what is left of ``total_timeout`` ends the call at once."""
    server.script.append(Reply(429, {"retry-after": "5", **JSON}, error_body("later")))
    server.script.append(Reply(pieces=reply_text("ok")))
    started = perf_counter()
    async with rs_client(stack, base_url=server.url, total_timeout=0.3) as client:
        with pytest.raises(rs.APIStatusError, match="later"):
            await client.complete(model="m", messages=MESSAGES)
    assert perf_counter() - started < 0.3
    assert len(server.received) == 1


@on_every_stack
async def test_cancelling_during_the_backoff_returns_promptly(server: ScriptedServer, stack: str) -> None:
    """The wait before a retry is an anyio sleep: a cancel scope interrupts it on any backend."""
    server.script.extend([Reply(429, {"retry-after": "5"}, []), Reply(pieces=reply_text("ok"))])
    started = perf_counter()
    async with rs_client(stack, base_url=server.url) as client:
        with anyio.move_on_after(0.2) as scope:
            await client.complete(model="m", messages=MESSAGES)
    assert scope.cancelled_caught
    assert perf_counter() - started < 1.0
    assert len(server.received) == 1
