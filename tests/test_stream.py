"""``aconnect_chat_stream`` and ``ChatCompletionStream`` over fake transports, on asyncio and trio."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream import testing

URL = "https://stream.test/v1/chat/completions"
SSE = {"content-type": "text/event-stream"}


def chunk(content: str | None = None, *, finish: str | None = None, usage: dict[str, int] | None = None,
          choices: bool = True, **delta: Any) -> bytes:  # fmt: skip
    """One `data: {...}` event."""
    if content is not None:
        delta["content"] = content
    body: dict[str, Any] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 7,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else [],
    }
    if usage is not None:
        body["usage"] = usage
    return b"data: " + msgspec.json.encode(body) + b"\n\n"


DONE = b"data: [DONE]\n\n"
USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
HELLO = (
    chunk("", role="assistant")
    + chunk("Hel")
    + chunk("lo")
    + chunk(finish="stop")
    + chunk(usage=USAGE, choices=False)
    + DONE
)


class Body(httpx.AsyncByteStream):
    """A scripted response body: bytes are sent, floats are pauses, exceptions are raised."""

    def __init__(self, *steps: bytes | float | Exception) -> None:
        self.steps = steps
        self.closed = False
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for step in self.steps:
            if isinstance(step, float):
                await anyio.sleep(step)
            elif isinstance(step, Exception):
                raise step
            else:
                self.sent += 1
                yield step

    async def aclose(self) -> None:
        self.closed = True


def serve(
    body: Body | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.MockTransport:
    """A transport answering with ``body`` (SSE content type unless ``headers`` says otherwise)."""

    def handle(request: httpx.Request) -> httpx.Response:
        stream = body if isinstance(body, Body) else Body(body)
        return httpx.Response(status, headers=SSE if headers is None else headers, stream=stream)

    return httpx.MockTransport(handle)


def client(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    """An httpx client on the given transport."""
    return httpx.AsyncClient(transport=transport)


async def consume(
    http: httpx.AsyncClient,
    streams: list[rs.ChatCompletionStream],
    got: list[rs.ChatCompletionStreamEvent],
    *,
    fail: bool = False,
) -> None:
    """Open a stream, remember it, and collect its events (raising KeyError at the first if ``fail``)."""
    async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
        streams.append(stream)
        async for event in stream:
            got.append(event)
            if fail:
                raise KeyError("caller bug")


# --- the happy path ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_events_completion_and_usage() -> None:
    """Iterating yields typed chunks; completion and usage are rebuilt; the response is closed at the end."""
    body = Body(HELLO)
    async with client(serve(body)) as http, rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
        events = [event async for event in stream]
        assert stream.done
        assert stream.response.is_closed
    assert len(events) == 5
    assert all(isinstance(e, rs.ChatCompletionStreamEvent) for e in events)
    assert stream.completion.choices[0].message.content == "Hello"
    assert stream.completion.choices[0].finish_reason == "stop"
    assert stream.usage == rs.Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5)
    assert body.closed


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("given", "accept", "cache_control"),
    [
        (None, "text/event-stream", "no-store"),
        ({"X-Trace": "1"}, "text/event-stream", "no-store"),
        ({"ACCEPT": "text/event-stream; q=1"}, "text/event-stream; q=1", "no-store"),
        ({"cache-control": "max-age=0"}, "text/event-stream", "max-age=0"),
    ],
)
async def test_request_headers_and_body(
    given: dict[str, str] | None, accept: str, cache_control: str
) -> None:
    """The JSON body and the caller's headers are sent; Accept and Cache-Control replace
    httpx's defaults (`Accept: */*`) but not the caller's own, in any case, and come once."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers=SSE, content=HELLO)

    async with (
        client(httpx.MockTransport(handle)) as http,
        rs.aconnect_chat_stream(http, "POST", URL, json={"model": "m"}, headers=given) as stream,
    ):
        await stream.until_done()
    assert seen[0].headers.get_list("accept") == [accept]
    assert seen[0].headers.get_list("cache-control") == [cache_control]
    for name, value in (given or {}).items():
        assert seen[0].headers[name] == value
    assert msgspec.json.decode(seen[0].content) == {"model": "m"}


@pytest.mark.anyio
async def test_content_type_with_parameters_is_accepted() -> None:
    """`text/event-stream; charset=utf-8` is an event stream."""
    transport = serve(HELLO, headers={"content-type": "Text/Event-Stream; charset=utf-8"})
    async with client(transport) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        done = await stream.until_done()
    assert done.choices[0].message.content == "Hello"


@pytest.mark.anyio
async def test_text_deltas_yields_content_strings() -> None:
    """text_deltas() yields each non-empty content piece of choice 0 and still accumulates."""
    async with client(serve(HELLO)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        pieces = [piece async for piece in stream.text_deltas()]
    assert pieces == ["Hel", "lo"]
    assert stream.usage is not None
    assert stream.completion.choices[0].message.content == "Hello"


@pytest.mark.anyio
async def test_text_deltas_of_another_choice() -> None:
    """text_deltas(choice=1) yields only that choice's pieces."""
    two = (
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
        b'data: {"choices":[{"index":1,"delta":{"content":"B"}}]}\n\n'
        b'data: {"choices":[{"index":1,"delta":{"content":"C"}}]}\n\n' + DONE
    )
    async with client(serve(two)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        assert [p async for p in stream.text_deltas(1)] == ["B", "C"]


@pytest.mark.anyio
async def test_until_done_returns_the_whole_completion() -> None:
    """until_done() reads the rest and returns the rebuilt completion."""
    async with client(serve(HELLO)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        first = await stream.__anext__()
        done = await stream.until_done()
    assert first.choices[0].delta is not None
    assert first.choices[0].delta.role == "assistant"
    assert done.choices[0].message.content == "Hello"
    assert done.id == "c1"


@pytest.mark.anyio
async def test_a_second_loop_after_break_continues_where_the_first_stopped() -> None:
    """Breaking out of one loop and starting another yields the remaining chunks, none twice or lost."""
    async with client(serve(HELLO)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        first: list[rs.ChatCompletionStreamEvent] = []
        async for event in stream:
            first.append(event)
            if len(first) == 2:
                break
        rest = [event async for event in stream]
    assert len(first) + len(rest) == 5
    pieces = [
        c.delta.content for e in first + rest for c in e.choices if c.delta is not None and c.delta.content
    ]
    assert pieces == ["Hel", "lo"]


@pytest.mark.anyio
async def test_iterating_after_the_end_stops_again() -> None:
    """A finished stream iterated again yields nothing more."""
    async with client(serve(HELLO)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        await stream.until_done()
        assert [e async for e in stream] == []


@pytest.mark.anyio
async def test_stats_after_a_stream() -> None:
    """Stats count chunks and record time to first byte and token, duration and throughput."""
    async with (
        client(serve(Body(HELLO[:40], 0.02, HELLO[40:]))) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        await stream.until_done()
    stats = stream.stats
    assert stats.chunks == 5
    assert stats.time_to_first_byte is not None
    assert stats.time_to_first_token is not None
    assert stats.time_to_first_byte <= stats.time_to_first_token
    assert stats.duration is not None
    assert stats.duration >= stats.time_to_first_token
    assert stats.completion_tokens == 2
    assert "chunks=5" in repr(stats)


@pytest.mark.parametrize("accumulate", [True, False])
@pytest.mark.anyio
async def test_tokens_per_second_without_usage_counts_only_chunks_with_output(accumulate: bool) -> None:
    """Without a usage chunk (llama.cpp), the role-only and finish chunks are not counted as tokens."""
    pieces = b"".join(chunk(f"w{i} ") for i in range(100))  # more than one fold of text pieces
    call = chunk(tool_calls=[{"index": 0, "id": "t1", "function": {"name": "f", "arguments": ""}}])
    fragment = chunk(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])
    body = Body(chunk("", role="assistant"), pieces, 0.01, call + fragment, chunk(finish="stop"), DONE)
    async with (
        client(serve(body)) as http,
        rs.aconnect_chat_stream(http, "POST", URL, accumulate=accumulate) as stream,
    ):
        async for _ in stream:
            pass
    stats = stream.stats
    assert stats.chunks == 104
    assert stats.output_chunks == 102
    assert stats.first_token_at is not None
    assert stats.finished_at is not None
    assert stats.tokens_per_second == pytest.approx(102 / (stats.finished_at - stats.first_token_at))


@pytest.mark.parametrize("accumulate", [True, False])
@pytest.mark.anyio
async def test_time_to_first_token_ignores_empty_opening_deltas(accumulate: bool) -> None:
    """An opening delta with only role and empty reasoning/refusal is not the first token."""
    body = Body(chunk(role="assistant", reasoning_content="", refusal=""), 0.1, chunk("x"), DONE)
    async with (
        client(serve(body)) as http,
        rs.aconnect_chat_stream(http, "POST", URL, accumulate=accumulate) as stream,
    ):
        async for _ in stream:
            pass
    stats = stream.stats
    assert stats.time_to_first_byte is not None
    assert stats.time_to_first_token is not None
    assert stats.time_to_first_token - stats.time_to_first_byte >= 0.09


@pytest.mark.anyio
async def test_accumulate_false_still_gives_usage() -> None:
    """With accumulate=False the usage is still kept, and asking for the completion is a clear error."""
    async with (
        client(serve(HELLO)) as http,
        rs.aconnect_chat_stream(http, "POST", URL, accumulate=False) as stream,
    ):
        events = [e async for e in stream]
    assert len(events) == 5
    assert stream.usage == rs.Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5)
    assert stream.stats.time_to_first_token is not None
    with pytest.raises(RuntimeError, match="accumulate=False"):
        _ = stream.completion


@pytest.mark.anyio
async def test_a_server_that_keeps_the_connection_open_after_done() -> None:
    """After [DONE] the loop ends promptly and the response is closed even if the server never closes."""
    body = Body(HELLO, 3600.0, b": still here\n\n")
    with anyio.fail_after(2):
        async with client(serve(body)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
            done = await stream.until_done()
            assert stream.response.is_closed
    assert done.choices[0].message.content == "Hello"
    assert body.closed


@pytest.mark.anyio
async def test_bytes_after_done_are_not_decoded() -> None:
    """Garbage after [DONE] neither raises nor yields."""
    async with (
        client(serve(HELLO + b"data: {broken\n\n")) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        events = [e async for e in stream]
    assert len(events) == 5


# --- status and content type -------------------------------------------------------------


@pytest.mark.anyio
async def test_non_2xx_is_an_api_status_error_with_the_server_message() -> None:
    """A 429 JSON error body raises APIStatusError with status, message, type, code, body, request id."""
    error_body = {
        "error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": "rate_limited"}
    }
    body = Body(msgspec.json.encode(error_body))
    headers = {"content-type": "application/json", "x-request-id": "req_123"}
    async with client(serve(body, 429, headers)) as http:
        with pytest.raises(rs.APIStatusError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass
    error = caught.value
    assert error.status_code == 429
    assert error.message == "Rate limit reached"
    assert error.type == "rate_limit_error"
    assert error.code == "rate_limited"
    assert error.body == error_body
    assert error.request_id == "req_123"
    assert "429" in str(error)
    assert "Rate limit reached" in str(error)
    assert body.closed


@pytest.mark.anyio
async def test_status_is_checked_before_content_type() -> None:
    """A 500 that claims text/event-stream is still an APIStatusError, with the text body as message."""
    async with client(serve(b"upstream exploded", 500)) as http:
        with pytest.raises(rs.APIStatusError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass
    assert caught.value.status_code == 500
    assert caught.value.message == "upstream exploded"
    assert caught.value.body == "upstream exploded"
    assert caught.value.request_id is None


@pytest.mark.anyio
async def test_non_2xx_with_an_empty_body_uses_the_reason_phrase() -> None:
    """A 503 without a body still has a message."""
    async with client(serve(b"", 503)) as http:
        with pytest.raises(rs.APIStatusError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass
    assert caught.value.status_code == 503
    assert caught.value.message == "Service Unavailable"


@pytest.mark.anyio
async def test_200_that_is_not_an_event_stream() -> None:
    """A 200 text/html answer raises UnexpectedContentTypeError naming the type and showing the body start."""
    page = b"<html><body>Gateway login required</body></html>" + b" " * 1000
    async with client(serve(page, 200, {"content-type": "text/html"})) as http:
        with pytest.raises(rs.UnexpectedContentTypeError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass
    error = caught.value
    assert error.content_type == "text/html"
    assert error.body_start.startswith("<html><body>Gateway login required")
    assert len(error.body_start) <= 200
    assert "text/html" in str(error)
    assert "Gateway login required" in str(error)


@pytest.mark.anyio
async def test_200_without_a_content_type() -> None:
    """A 200 with no content-type header says so."""
    async with client(serve(b"hello", 200, {})) as http:
        with pytest.raises(rs.UnexpectedContentTypeError, match="no content-type"):
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass


@pytest.mark.anyio
async def test_200_json_error_body_is_a_stream_api_error() -> None:
    """A gateway answering 200 application/json {"error": {...}} raises StreamAPIError with its message."""
    body = b'{"error": {"message": "model not found", "type": "invalid_request_error", "code": "404"}}'
    async with client(serve(body, 200, {"content-type": "application/json"})) as http:
        with pytest.raises(rs.StreamAPIError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass
    assert caught.value.message == "model not found"
    assert caught.value.type == "invalid_request_error"
    assert caught.value.code == "404"
    assert caught.value.body == body.decode()


# --- failures mid-stream -----------------------------------------------------------------


@pytest.mark.anyio
async def test_empty_200_body_is_incomplete() -> None:
    """An empty 200 body (llama.cpp on context overflow) raises IncompleteStreamError, empty completion."""
    async with client(serve(b"")) as http:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
                await stream.until_done()
    assert "without sending anything" in str(caught.value)
    assert "context window" in str(caught.value)  # the likely cause, said
    assert caught.value.completion == rs.ChatCompletion()
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_clean_close_without_done_is_incomplete_with_the_partial_completion() -> None:
    """Ending before [DONE] raises IncompleteStreamError holding what arrived."""
    async with client(serve(chunk("par") + chunk("tial"))) as http:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
                await stream.until_done()
    assert type(caught.value) is rs.IncompleteStreamError
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "partial"
    assert "2 chunks" in str(caught.value)


@pytest.mark.anyio
async def test_transport_error_mid_body_is_incomplete_caused_by_it() -> None:
    """A ReadError after some bytes becomes IncompleteStreamError with the httpx error as __cause__."""
    body = Body(chunk("Hel"), chunk("lo")[:20], httpx.ReadError("connection reset"))
    got: list[rs.ChatCompletionStreamEvent] = []
    streams: list[rs.ChatCompletionStream] = []
    async with client(serve(body)) as http:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            await consume(http, streams, got)
    stream = streams[0]
    assert len(got) == 1
    assert isinstance(caught.value.__cause__, httpx.ReadError)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "Hel"
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_read_timeout_mid_body_is_a_stream_timeout() -> None:
    """httpx's ReadTimeout mid-body becomes StreamTimeoutError caused by it, partial completion kept."""
    body = Body(chunk("slow"), httpx.ReadTimeout("read timed out"))
    async with client(serve(body)) as http:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            await consume(http, [], [])
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "slow"


@pytest.mark.anyio
async def test_completion_snapshot_mid_stream() -> None:
    """stream.completion is available while iterating and grows as chunks arrive."""
    body = Body(chunk("one "), chunk("two"), DONE)
    seen: list[str | None] = []
    async with client(serve(body)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        async for _ in stream:
            seen.append(stream.completion.choices[0].message.content)
    assert seen == ["one ", "one two"]


@pytest.mark.anyio
async def test_transport_error_before_the_response_passes_through() -> None:
    """A connect error before any response is the httpx error itself, unwrapped."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client(httpx.MockTransport(refuse)) as http:
        with pytest.raises(httpx.ConnectError):
            async with rs.aconnect_chat_stream(http, "POST", URL):
                pass


@pytest.mark.anyio
async def test_error_event_mid_stream_carries_the_partial_completion() -> None:
    """A `data: {"error": …}` after some content raises StreamAPIError holding that content."""
    body = (
        chunk("so far") + b'data: {"error": {"message": "overloaded", "code": "busy"}}\n\n' + chunk("never")
    )
    got: list[rs.ChatCompletionStreamEvent] = []
    streams: list[rs.ChatCompletionStream] = []
    async with client(serve(body)) as http:
        with pytest.raises(rs.StreamAPIError) as caught:
            await consume(http, streams, got)
    stream = streams[0]
    assert len(got) == 1
    assert caught.value.message == "overloaded"
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "so far"
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_decode_error_mid_stream_carries_the_partial_completion() -> None:
    """A malformed chunk raises StreamDecodeError with its data, position and what came before."""
    body = chunk("ok") + b"data: {nope}\n\n" + DONE
    async with client(serve(body)) as http:
        with pytest.raises(rs.StreamDecodeError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
                await stream.until_done()
    assert caught.value.data == "{nope}"
    assert caught.value.position == 1
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "ok"


@pytest.mark.anyio
async def test_the_error_is_raised_again_if_iterated_again() -> None:
    """After a mid-stream error, iterating again raises the same error rather than ending quietly."""
    async with client(serve(chunk("a"))) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        with pytest.raises(rs.IncompleteStreamError) as first:
            await stream.until_done()
        with pytest.raises(rs.IncompleteStreamError) as second:
            await stream.__anext__()
    assert second.value is first.value


@pytest.mark.anyio
async def test_event_too_large_through_the_stream() -> None:
    """max_event_size applies to the stream: an oversized event raises EventTooLargeError."""
    body = Body(chunk("ok"), b'data: {"id": "' + b"x" * 5000, b'"}\n\n', DONE)
    async with client(serve(body)) as http:
        with pytest.raises(rs.EventTooLargeError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL, max_event_size=1000) as stream:
                await stream.until_done()
    assert caught.value.limit == 1000
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "ok"


# --- closing on every exit path ----------------------------------------------------------


@pytest.mark.anyio
async def test_closed_after_break() -> None:
    """Leaving the block by break closes the response and the transport stream."""
    body = Body(chunk("a"), chunk("b"), 3600.0, DONE)
    async with client(serve(body)) as http:
        async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
            async for _ in stream:
                break
        assert stream.response.is_closed
    assert body.closed


@pytest.mark.anyio
async def test_closed_after_an_exception_in_the_loop_body() -> None:
    """An exception raised by the caller's loop body propagates and the response is closed."""
    body = Body(chunk("a"), 3600.0, DONE)
    streams: list[rs.ChatCompletionStream] = []
    async with client(serve(body)) as http:
        with pytest.raises(KeyError):
            await consume(http, streams, [], fail=True)
        assert streams[0].response.is_closed
    assert body.closed


@pytest.mark.anyio
async def test_closed_after_cancellation() -> None:
    """Cancelling a task blocked on a silent server closes the response and the transport stream."""
    body = Body(chunk("a"), 3600.0, DONE)
    streams: list[rs.ChatCompletionStream] = []
    got: list[rs.ChatCompletionStreamEvent] = []
    async with client(serve(body)) as http:
        with anyio.move_on_after(0.1) as scope:
            async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
                streams.append(stream)
                async for event in stream:
                    got.append(event)
    assert scope.cancelled_caught
    assert len(got) == 1
    assert streams[0].response.is_closed
    assert body.closed


@pytest.mark.anyio
async def test_closed_at_the_normal_end_without_the_context_manager_exit() -> None:
    """Reaching [DONE] closes the response even before the async with block ends."""
    body = Body(HELLO)
    async with client(serve(body)) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        await stream.until_done()
        assert stream.response.is_closed
        assert body.closed


@pytest.mark.anyio
async def test_aclose_is_idempotent() -> None:
    """aclose() may be called several times, also after the block closed the stream."""
    async with client(serve(HELLO)) as http:
        async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
            await stream.aclose()
            await stream.aclose()
        await stream.aclose()
    assert stream.response.is_closed
    assert "closed" in repr(stream)


# --- timeouts ----------------------------------------------------------------------------


async def _timed_out(
    body: Body,
    *,
    idle_timeout: float | None = None,
    first_token_timeout: float | None = None,
    total_timeout: float | None = None,
) -> tuple[rs.StreamTimeoutError, list[str]]:
    pieces: list[str] = []
    streams: list[rs.ChatCompletionStream] = []

    async def read() -> None:
        async with rs.aconnect_chat_stream(
            http,
            "POST",
            URL,
            idle_timeout=idle_timeout,
            first_token_timeout=first_token_timeout,
            total_timeout=total_timeout,
        ) as stream:
            streams.append(stream)
            async for piece in stream.text_deltas():
                pieces.append(piece)

    async with client(serve(body)) as http:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            await read()
        assert streams[0].response.is_closed
    assert body.closed
    return caught.value, pieces


@pytest.mark.anyio
async def test_idle_timeout_carries_the_partial_completion() -> None:
    """No byte within idle_timeout raises StreamTimeoutError (also a TimeoutError) with what arrived."""
    error, pieces = await _timed_out(Body(chunk("Hel"), 0.01, chunk("lo"), 5.0, DONE), idle_timeout=0.1)
    assert pieces == ["Hel", "lo"]
    assert isinstance(error, TimeoutError)
    assert isinstance(error, rs.IncompleteStreamError)
    assert "idle_timeout" in str(error)
    assert error.completion is not None
    assert error.completion.choices[0].message.content == "Hello"


@pytest.mark.anyio
async def test_first_token_timeout() -> None:
    """Headers but no chunk within first_token_timeout raises StreamTimeoutError with an empty completion."""
    error, pieces = await _timed_out(Body(b": keep-alive\n\n", 5.0, HELLO), first_token_timeout=0.1)
    assert pieces == []
    assert "first_token_timeout" in str(error)
    assert error.completion == rs.ChatCompletion()


@pytest.mark.anyio
async def test_first_token_timeout_waits_for_a_token_not_the_role_chunk() -> None:
    """A role chunk at once but no token (vLLM while queued) still trips first_token_timeout."""
    body = Body(chunk("", role="assistant"), 5.0, chunk("late"), DONE)
    error, pieces = await _timed_out(body, first_token_timeout=0.1)
    assert pieces == []
    assert "first_token_timeout" in str(error)
    assert error.completion is not None
    assert error.completion.choices[0].message.content == ""


@pytest.mark.anyio
async def test_first_token_timeout_does_not_apply_after_the_first_token() -> None:
    """Once a token arrived, a pause longer than first_token_timeout is fine."""
    body = Body(chunk("a"), 0.15, chunk("b"), DONE)
    async with (
        client(serve(body)) as http,
        rs.aconnect_chat_stream(http, "POST", URL, first_token_timeout=0.1) as stream,
    ):
        done = await stream.until_done()
    assert done.choices[0].message.content == "ab"


@pytest.mark.anyio
async def test_total_timeout_with_a_trickling_server() -> None:
    """Bytes every 0.03 s never trip idle_timeout, but total_timeout still ends the stream."""
    body = Body(*[step for _ in range(100) for step in (chunk("x"), 0.03)], DONE)
    error, pieces = await _timed_out(body, idle_timeout=0.5, total_timeout=0.2)
    assert "total_timeout" in str(error)
    assert 1 <= len(pieces) < 100
    assert error.completion is not None
    assert error.completion.choices[0].message.content == "x" * len(pieces)


@pytest.mark.anyio
async def test_slow_response_headers_hit_the_first_token_timeout() -> None:
    """A server that does not even send headers within first_token_timeout raises StreamTimeoutError."""

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await anyio.sleep(5)
            return httpx.Response(200, headers=SSE, content=HELLO)

    async with client(SlowTransport()) as http:
        with pytest.raises(rs.StreamTimeoutError):
            async with rs.aconnect_chat_stream(http, "POST", URL, first_token_timeout=0.1):
                pass


# --- the testing kit's transport ---------------------------------------------------------


@pytest.mark.parametrize("split", [{"piece_size": 1}, {"seed": 3}, {}])
@pytest.mark.anyio
async def test_same_result_through_the_testing_kit(split: dict[str, int]) -> None:
    """The body served by r9s_stream.testing in any pieces rebuilds the same completion."""
    transport = testing.sse_transport(HELLO, piece_size=split.get("piece_size"), seed=split.get("seed"))
    async with client(transport) as http, rs.aconnect_chat_stream(http, "POST", URL) as stream:
        done = await stream.until_done()
    assert done.choices[0].message.content == "Hello"
    assert done.usage == rs.Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5)


# --- compressed bodies -------------------------------------------------------------------


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,  # RFC 9110's deflate: zlib-wrapped
    "raw-deflate": _raw_deflate,  # what some servers send as `deflate`
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("piece_size", [1, 2, 7, 10_000])
@pytest.mark.anyio
async def test_compressed_body_in_any_pieces(encoding: str, piece_size: int) -> None:
    """A gzip or deflate body, arriving in pieces of any size, rebuilds the same completion."""
    body = testing.load_sse("openai-python_parallel-tool-calls.sse")
    compressed = ENCODINGS[encoding](body)
    pieces = testing.split_pieces(compressed, piece_size)
    headers = {**SSE, "content-encoding": "deflate" if encoding == "raw-deflate" else encoding}
    async with (
        client(serve(Body(*pieces), headers=headers)) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        done = await stream.until_done()
    calls = done.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["GetWeatherArgs", "get_stock_price"]
    assert done.usage is not None
    assert done.usage.total_tokens == 209


@pytest.mark.anyio
async def test_corrupt_gzip_mid_stream_is_incomplete_with_the_partial_completion() -> None:
    """A gzip body that breaks after some events raises IncompleteStreamError keeping them."""
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    start = compressor.compress(chunk("kept") + chunk(" too")) + compressor.flush(zlib.Z_SYNC_FLUSH)
    body = Body(start, b"\x00garbage-not-deflate" * 4)
    headers = {**SSE, "content-encoding": "gzip"}
    async with client(serve(body, headers=headers)) as http:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            await consume(http, [], [])
    assert isinstance(caught.value.__cause__, httpx.DecodingError)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "kept too"
