"""AsyncClient time limits over real loopback sockets: each one raises StreamTimeoutError, on every stack."""

from __future__ import annotations

from time import perf_counter

import httpx
import pytest

import r9s_stream as rs
from _chat_server import Reply, ScriptedServer, reply_text, unanswered_port
from _stacks import error_class, on_every_stack, rs_client

MESSAGES = [{"role": "user", "content": "hi"}]

pytestmark = [pytest.mark.anyio, on_every_stack]


async def read_all(client: rs.AsyncClient, seen: list[str]) -> None:
    """Stream a reply, noting each content delta as the user would see it."""
    async with client.stream(model="m", messages=MESSAGES) as stream:
        async for text in stream.text_deltas():
            seen.append(text)


async def test_connect_timeout(stack: str) -> None:
    """A server that never accepts the connection gives StreamTimeoutError after the connect limit."""
    with unanswered_port() as port:
        started = perf_counter()
        async with rs_client(
            stack,
            base_url=f"http://127.0.0.1:{port}/v1",
            timeout=httpx.Timeout(5.0, connect=0.05),
            max_retries=0,
        ) as client:
            with pytest.raises(rs.StreamTimeoutError) as caught:
                await client.complete(model="m", messages=MESSAGES)
    assert perf_counter() - started < 1.0
    assert isinstance(caught.value, TimeoutError)
    assert isinstance(caught.value.__cause__, error_class(stack, "ConnectTimeout"))
    assert "ConnectTimeout" in str(caught.value)


async def test_headers_late_past_first_token_timeout(server: ScriptedServer, stack: str) -> None:
    """Response headers slower than ``first_token_timeout`` end the call without a retry."""
    server.script.append(Reply(pieces=reply_text("late"), header_delay=2.0))
    started = perf_counter()
    # 0.5 s, not less: on a loaded machine the request itself can take a tenth of a second to
    # reach the server, and the test is about the 2 s headers, not the connection.
    async with rs_client(stack, base_url=server.url, first_token_timeout=0.5) as client:
        with pytest.raises(rs.StreamTimeoutError, match="first_token_timeout"):
            await client.complete(model="m", messages=MESSAGES)
    assert 0.5 <= perf_counter() - started < 1.9  # slack for a loaded machine, below the 2 s
    assert len(server.received) == 1


async def test_first_token_timeout_ignores_keep_alive_comments(server: ScriptedServer, stack: str) -> None:
    """Keep-alive comments do not hold off ``first_token_timeout``: it waits for a real chunk."""
    # Comments for 4 s: a limit that fired well before they stop was not held off by them.
    server.script.append(Reply(pieces=[b": keep-alive\n\n"] * 200, pause=0.02))
    seen: list[str] = []
    started = perf_counter()
    async with rs_client(stack, base_url=server.url, first_token_timeout=0.15) as client:
        with pytest.raises(rs.StreamTimeoutError, match="first_token_timeout") as caught:
            await read_all(client, seen)
    assert 0.15 <= perf_counter() - started < 2.0  # slack for a loaded machine, far below 4 s
    assert seen == []
    assert caught.value.completion is not None
    assert caught.value.completion.choices == []


async def test_idle_timeout_keeps_the_partial_completion(server: ScriptedServer, stack: str) -> None:
    """A server that goes quiet after one chunk trips ``idle_timeout``; that chunk is kept."""
    server.script.append(Reply(pieces=reply_text("Hel", "lo"), stall_after=1))
    seen: list[str] = []
    async with rs_client(stack, base_url=server.url, idle_timeout=0.1) as client:
        with pytest.raises(rs.StreamTimeoutError, match="idle_timeout") as caught:
            await read_all(client, seen)
    assert seen == ["Hel"]
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "Hel"


async def test_idle_timeout_allows_a_slow_but_steady_stream(server: ScriptedServer, stack: str) -> None:
    """Gaps shorter than ``idle_timeout`` never trip it, however long the whole stream takes."""
    parts = [f"{n} " for n in range(8)]
    server.script.append(Reply(pieces=reply_text(*parts), pause=0.03))
    async with rs_client(stack, base_url=server.url, idle_timeout=0.2) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "".join(parts)


async def test_total_timeout_cuts_a_long_stream(server: ScriptedServer, stack: str) -> None:
    """A stream still going at ``total_timeout`` is cut there, with the text received so far."""
    parts = [f"w{n} " for n in range(40)]
    server.script.append(Reply(pieces=reply_text(*parts), pause=0.02))
    seen: list[str] = []
    started = perf_counter()
    async with rs_client(stack, base_url=server.url, total_timeout=0.25, idle_timeout=0.2) as client:
        with pytest.raises(rs.StreamTimeoutError, match="total_timeout") as caught:
            await read_all(client, seen)
    assert 0.25 <= perf_counter() - started < 0.6
    assert 0 < len(seen) < len(parts)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "".join(seen)


async def test_httpx_read_timeout_mid_stream(server: ScriptedServer, stack: str) -> None:
    """The plain ``timeout`` (httpx's read limit) also ends a stalled stream as StreamTimeoutError."""
    server.script.append(Reply(pieces=reply_text("Hel", "lo"), stall_after=1))
    seen: list[str] = []
    async with rs_client(stack, base_url=server.url, timeout=0.1) as client:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            await read_all(client, seen)
    assert seen == ["Hel"]
    assert isinstance(caught.value.__cause__, error_class(stack, "ReadTimeout"))
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "Hel"


async def test_stats_time_the_whole_call(server: ScriptedServer, stack: str) -> None:
    """Timing stats count from the call: a retry's wait shows in time to first byte."""
    server.script.append(Reply(429, {"retry-after-ms": "100"}, []))
    server.script.append(Reply(pieces=reply_text("a", "b")))
    async with (
        rs_client(stack, base_url=server.url) as client,
        client.stream(model="m", messages=MESSAGES) as stream,
    ):
        await stream.until_done()
    stats = stream.stats
    assert stats.time_to_first_byte is not None
    assert stats.time_to_first_byte >= 0.1
    assert stats.duration is not None
    assert stats.duration >= stats.time_to_first_byte
