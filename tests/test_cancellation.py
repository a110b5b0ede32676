"""Cancellation: however the consuming task is cancelled, the response is closed, on asyncio and trio.

The body below sends scripted pieces and then goes silent (like a model that stops
generating), so a test can cancel at a chosen point: before the headers, after a chunk, in
the middle of an event, after ``[DONE]``. ``break`` inside ``async with`` closes at once.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _reliability import (
    IGNORE_HTTPCORE_BODY_GENERATOR,
    chunk,
    open_sockets,
    running_llmock,
    sockets_settle_to,
    sse,
)
from _stacks import http_client, on_every_stack, rs_client

pytestmark = IGNORE_HTTPCORE_BODY_GENERATOR

URL = "https://cancel.test/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}


class SilentAfter(httpx.AsyncByteStream):
    """A body that sends ``pieces`` and then waits forever; records when it was closed."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = pieces
        self.sent = 0
        self.closed_at: float | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.sent += 1
            yield piece
        await anyio.sleep_forever()
        yield b""  # pragma: no cover

    async def aclose(self) -> None:
        self.closed_at = time.monotonic()

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


def _client(body: SilentAfter, *, headers_delay: float = 0.0) -> httpx.AsyncClient:
    async def handle(request: httpx.Request) -> httpx.Response:
        if headers_delay:
            await anyio.sleep(headers_delay)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


TWO_CHUNKS = sse(chunk("Hel"), chunk("lo"), done=False)
HALF_EVENT = TWO_CHUNKS + b'data: {"id":"c1","choices":[{"index":0,"delta":{"conte'


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("pieces", "expected"),
    [((), None), ((TWO_CHUNKS,), "Hello"), ((HALF_EVENT,), "Hello"), ((TWO_CHUNKS, b": ping\n\n"), "Hello")],
    ids=["before-first-byte", "after-chunks", "mid-event", "after-a-comment"],
)
async def test_a_cancel_scope_closes_the_response_and_keeps_the_partial(
    pieces: tuple[bytes, ...], expected: str | None
) -> None:
    """Cancelling the reading task at any point closes the response and keeps what had arrived."""
    body = SilentAfter(*pieces)
    async with _client(body) as http:
        with anyio.move_on_after(0.2) as scope:
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
                async for _ in stream:
                    pass
        assert scope.cancelled_caught
        assert body.closed
        assert stream.response.is_closed
        contents = [choice.message.content for choice in stream.completion.choices]
        assert contents == ([expected] if expected else [])
        assert "closed" in repr(stream)


@pytest.mark.anyio
async def test_a_cancel_while_waiting_for_headers_leaves_nothing_open() -> None:
    """Cancelled before the response headers arrive, the connection attempt is abandoned cleanly."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body, headers_delay=30) as http:
        with anyio.move_on_after(0.1) as scope:
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY):
                pytest.fail("no stream without headers")  # pragma: no cover
        assert scope.cancelled_caught
        assert body.sent == 0


@pytest.mark.anyio
async def test_an_outer_fail_after_surfaces_as_timeout_error_not_a_stream_error() -> None:
    """The caller's own deadline raises the caller's TimeoutError, after the response is closed."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with pytest.raises(TimeoutError) as caught, anyio.fail_after(0.2):
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
                await stream.until_done()
    assert not isinstance(caught.value, rs.R9sStreamError)
    assert body.closed
    assert stream.completion.choices[0].message.content == "Hello"


@pytest.mark.anyio
async def test_an_outer_cancel_is_not_mistaken_for_the_idle_timeout() -> None:
    """With idle_timeout set, cancelling from outside is still a cancellation, not a StreamTimeoutError."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with anyio.move_on_after(0.2) as scope:
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY, idle_timeout=30) as stream:
                await stream.until_done()
        assert scope.cancelled_caught
        assert body.closed


@pytest.mark.anyio
async def test_the_idle_timeout_inside_a_longer_scope_raises_stream_timeout_error() -> None:
    """The stream's own idle_timeout fires as StreamTimeoutError with the partial, inside a caller's scope."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with anyio.fail_after(10), pytest.raises(rs.StreamTimeoutError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY, idle_timeout=0.2) as stream:
                await stream.until_done()
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "Hello"
    assert body.closed


@pytest.mark.anyio
async def test_break_inside_async_with_closes_at_once() -> None:
    """break out of async for, then leaving async with, closes the response immediately."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with anyio.fail_after(5):
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
                async for _ in stream:
                    break
                left_at = time.monotonic()
    assert body.closed_at is not None
    assert body.closed_at - left_at < 0.1
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_aclose_after_break_without_async_with_closes_at_once() -> None:
    """A stream used without async with is closed by aclose() right away, even mid-body."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with anyio.fail_after(5):
            stream = await rs.aconnect_chat_stream(http, "POST", URL, json=BODY).__aenter__()
            async for _ in stream:
                break
            await stream.aclose()
            await stream.aclose()
    assert body.closed
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_text_deltas_cancelled_closes_the_response() -> None:
    """Cancelling a text_deltas() loop closes the response; the text read so far is kept."""
    body = SilentAfter(TWO_CHUNKS)
    seen: list[str] = []
    async with _client(body) as http:
        with anyio.move_on_after(0.2):
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
                async for text in stream.text_deltas():
                    seen.append(text)
    assert seen == ["Hel", "lo"]
    assert body.closed


@pytest.mark.anyio
async def test_a_cancel_during_close_still_closes() -> None:
    """Closing is shielded: a cancel scope cancelled while the stream closes cannot leave it open."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with anyio.CancelScope() as scope:
            async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
                async for _ in stream:
                    scope.cancel()
                    break
    assert body.closed
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_a_task_group_cancel_closes_every_stream() -> None:
    """Cancelling a task group that reads ten streams closes all ten responses."""
    bodies = [SilentAfter(TWO_CHUNKS) for _ in range(10)]

    async def read(body: SilentAfter) -> None:
        async with _client(body) as http, rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
            await stream.until_done()

    async with anyio.create_task_group() as group:
        for body in bodies:
            group.start_soon(read, body)
        await anyio.sleep(0.2)
        group.cancel_scope.cancel()
    assert all(body.closed for body in bodies)


# --- asyncio's own tools ------------------------------------------------------------------


async def _consume(http: httpx.AsyncClient) -> rs.ChatCompletionStream:
    async with rs.aconnect_chat_stream(http, "POST", URL, json=BODY) as stream:
        await stream.until_done()
    return stream  # pragma: no cover


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_asyncio_wait_for_closes_the_response() -> None:
    """asyncio.wait_for around the consuming coroutine closes the response when it times out."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(_consume(http), 0.2)
    assert body.closed


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_asyncio_timeout_closes_the_response() -> None:
    """asyncio.timeout around the loop closes the response and raises TimeoutError."""
    body = SilentAfter(TWO_CHUNKS)
    async with _client(body) as http:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):  # type: ignore[attr-defined,unused-ignore]
                await _consume(http)
    assert body.closed


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_asyncio_task_cancel_closes_the_response() -> None:
    """task.cancel() on the consuming task closes the response, and no task is left behind."""
    body = SilentAfter(TWO_CHUNKS)
    tasks_before = asyncio.all_tasks()
    async with _client(body) as http:
        task = asyncio.ensure_future(_consume(http))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert body.closed
    assert asyncio.all_tasks() == tasks_before


# --- trio's own tools ---------------------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.anyio
async def test_trio_move_on_after_and_nursery_cancel_close_the_response() -> None:
    """trio.move_on_after and a nursery's cancel scope both close the response."""
    import trio

    first, second = SilentAfter(TWO_CHUNKS), SilentAfter(TWO_CHUNKS)
    async with _client(first) as http:
        with trio.move_on_after(0.2):
            await _consume(http)
    async with _client(second) as http, trio.open_nursery() as nursery:
        nursery.start_soon(_consume, http)
        await trio.sleep(0.1)
        nursery.cancel_scope.cancel()
    assert first.closed
    assert second.closed


# --- a real socket ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_llmock() -> Iterator[str]:
    """llmock on loopback, pacing its chunks 300 ms apart."""
    with running_llmock("--stream-chunk-delay-ms", "300", "--response-style", "static") as url:
        yield url


@pytest.mark.anyio
@on_every_stack
async def test_a_cancelled_stream_frees_its_pooled_connection(slow_llmock: str, stack: str) -> None:
    """After a cancel mid-stream over a real socket, a pool of one runs the next stream at once."""
    sockets_before = open_sockets()
    url = f"{slow_llmock}/v1/chat/completions"
    async with http_client(stack, max_connections=1) as http:
        with anyio.move_on_after(0.5):
            async with rs.aconnect_chat_stream(http, "POST", url, json=BODY) as stream:
                await stream.until_done()
        assert stream.response.is_closed
        assert stream.stats.chunks >= 1
        with anyio.fail_after(2):
            async with rs.aconnect_chat_stream(http, "POST", url, json=BODY) as second:
                async for _ in second:
                    break
        assert second.response.is_closed
    assert open_sockets() == sockets_before


# --- rs.AsyncClient against the embedded server --------------------------------------------


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    """The embedded server: 100 ms per chunk, 30 s stalls, retry-after of 5 s on 429/503."""
    from r9s_stream import testing

    with testing.run_server(token_delay=0.1, stall_seconds=30, retry_after=5) as base_url:
        yield base_url


LONG_PROMPT = " ".join(f"w{i}" for i in range(50))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("model", "max_retries"),
    [("echo", 0), ("fault-stall", 0), ("fault-slow-headers", 0), ("status-503", 2)],
    ids=["mid-stream", "during-a-stall", "waiting-for-headers", "during-a-retry-wait"],
)
@on_every_stack
async def test_cancelling_the_client_frees_everything_promptly(
    slow_server: str, model: str, max_retries: int, stack: str
) -> None:
    """A cancelled client.complete() returns within the scope's deadline and leaves the pool of one usable."""
    sockets_before = open_sockets()
    async with (
        http_client(stack, max_connections=1) as http,
        rs.AsyncClient(
            api_key="sk-cancel-test", base_url=slow_server, http_client=http, max_retries=max_retries
        ) as client,
    ):
        started = time.monotonic()
        with anyio.move_on_after(0.4) as scope:
            await client.complete(model=model, messages=[{"role": "user", "content": LONG_PROMPT}])
        assert scope.cancelled_caught
        assert time.monotonic() - started < 1.5
        with anyio.fail_after(10):
            async with client.stream(model="echo", messages=[{"role": "user", "content": "a b"}]) as stream:
                completion = await stream.until_done()
        assert completion.choices[0].message.content == "a b"
    assert sockets_settle_to(sockets_before) == sockets_before


@pytest.mark.anyio
@on_every_stack
async def test_break_out_of_a_client_stream_closes_it_at_once(slow_server: str, stack: str) -> None:
    """break in a client.stream() loop (a slow 50-chunk answer) closes its response within a moment."""
    async with rs_client(stack, api_key="sk-cancel-test", base_url=slow_server) as client:
        with anyio.fail_after(5):
            async with client.stream(
                model="echo", messages=[{"role": "user", "content": LONG_PROMPT}]
            ) as stream:
                async for _ in stream:
                    break
                left_at = time.monotonic()
        assert time.monotonic() - left_at < 0.5
        assert stream.response.is_closed
        assert stream.stats.chunks < 50
