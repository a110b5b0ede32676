"""Bad input, bounded: what a broken or hostile server sends either decodes or raises a typed error.

Endless lines, invalid UTF-8, NUL bytes, huge events, a million tiny events, deeply nested
JSON, numbers out of range and wrong types: the decoder and the stream never hang, never let
a ``KeyError``/``TypeError``/``UnicodeDecodeError``/``RecursionError`` escape, and keep memory
bounded by ``max_event_size``.
"""

from __future__ import annotations

import gc
import gzip
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest

import r9s_stream as rs
import r9s_stream.testing
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _reliability import chunk, sse

URL = "https://bad-input.test/v1/chat/completions"
MiB = 1024 * 1024
PIECE = 64 * 1024


class _GeneratedBody(httpx.AsyncByteStream):
    """A response body produced piece by piece; counts how many pieces were pulled."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self.pulled = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            self.pulled += 1
            yield piece

    async def aclose(self) -> None:
        self.closed = True


def _transport(body: httpx.AsyncByteStream) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    return httpx.MockTransport(handle)


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _endless_line(total: int) -> Iterator[bytes]:
    """``data: xxxx…`` with no newline, ``total`` bytes in fresh 64 KiB pieces."""
    yield b"data: "
    for _ in range(total // PIECE):
        yield b"x" * PIECE  # a new object each time: memory is really used if it is kept


def _content(event: rs.ChatCompletionStreamEvent) -> str | None:
    """The content of the event's first choice."""
    delta = event.choices[0].delta
    return None if delta is None else delta.content


def _decode_all(
    data: bytes, piece: int | None = None, **options: int
) -> tuple[rs.ChunkDecoder, list[rs.ChatCompletionStreamEvent]]:
    """Feed ``data`` whole or in ``piece``-byte reads; return the decoder and every chunk."""
    decoder = rs.ChunkDecoder(**options)
    events: list[rs.ChatCompletionStreamEvent] = []
    for part in [data] if piece is None else _pieces(data, piece):
        events += decoder.feed(part)
    events += decoder.finish()
    return decoder, events


# --- the maximum event size -------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [b"data: ", b": a comment that never ends ", b"data: x\n" * 3],
    ids=["data-line", "comment-line", "many-lines-one-event"],
)
def test_a_100_mib_event_raises_event_too_large_with_bounded_memory(head: bytes) -> None:
    """100 MiB without a blank line gives EventTooLargeError and memory stays near the 16 MiB limit."""
    decoder = rs.ChunkDecoder()
    gc.collect()
    tracemalloc.start()
    try:
        decoder.feed(head)
        for piece in _endless_line(100 * MiB):
            decoder.feed(piece)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(decoder.error, rs.EventTooLargeError)
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert decoder.error.limit == rs.DEFAULT_MAX_EVENT_SIZE
    assert "max_event_size" in str(decoder.error)
    assert len(decoder.error.data) <= 200
    assert peak < rs.DEFAULT_MAX_EVENT_SIZE + 4 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert current < 1 * MiB, f"{current / MiB:.1f} MiB still held after the error"


@pytest.mark.anyio
async def test_a_100_mib_line_stops_the_stream_early_with_bounded_memory() -> None:
    """An endless line raises EventTooLargeError after about 16 MiB is read; the chunk before it is kept."""
    body = _GeneratedBody(
        iter([sse(chunk("kept"), done=False), *_endless_line(100 * MiB)]),
    )
    gc.collect()
    tracemalloc.start()
    try:
        async with httpx.AsyncClient(transport=_transport(body)) as http:
            with anyio.fail_after(30), pytest.raises(rs.EventTooLargeError) as caught:
                async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                    await stream.until_done()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "kept"
    assert body.pulled <= rs.DEFAULT_MAX_EVENT_SIZE // PIECE + 4, "read on past the limit"
    assert stream.response.is_closed
    assert peak < rs.DEFAULT_MAX_EVENT_SIZE + 8 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_a_smaller_max_event_size_is_enforced() -> None:
    """max_event_size=1 MiB rejects a 2 MiB event and the error names the configured limit."""
    event = sse({"choices": [{"delta": {"content": "y" * (2 * MiB)}}]}, done=False)
    decoder, _ = _decode_all(event, PIECE, max_event_size=MiB)
    assert isinstance(decoder.error, rs.EventTooLargeError)
    assert decoder.error.limit == MiB
    assert f"max_event_size={MiB}" in str(decoder.error)


def test_an_event_just_under_the_limit_decodes() -> None:
    """An event a little smaller than max_event_size is delivered whole."""
    text = "z" * (MiB - 200)
    decoder, events = _decode_all(sse(chunk(text)), PIECE, max_event_size=MiB)
    assert decoder.error is None
    assert decoder.done
    assert _content(events[0]) == text


def test_a_64_mib_legitimate_event_decodes_when_the_limit_is_raised() -> None:
    """A 64 MiB content chunk arriving in 64 KiB reads decodes whole with max_event_size=128 MiB."""
    text = "w" * (64 * MiB)
    body = sse(chunk(text), chunk(finish="stop"))
    decoder, events = _decode_all(body, PIECE, max_event_size=128 * MiB)
    assert decoder.error is None
    assert decoder.done
    events = events
    assert len(events) == 2
    assert _content(events[0]) == text


def test_a_64_mib_legitimate_event_raises_the_typed_error_with_the_default_limit() -> None:
    """The same 64 MiB event, with the default 16 MiB limit, raises EventTooLargeError and nothing else."""
    body = sse(chunk("before"), chunk("w" * (64 * MiB)))
    decoder, events = _decode_all(body, PIECE)
    assert isinstance(decoder.error, rs.EventTooLargeError)
    assert [_content(e) for e in events] == ["before"]


# --- many events --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [(b"data: {}\n\n", 1_000_000), (b":\n\n", 0), (b"data:\n\n", 0)],
    ids=["empty-chunks", "comments", "empty-data"],
)
def test_a_million_tiny_events_decode_in_reasonable_time(event: bytes, expected: int) -> None:
    """1,000,000 tiny events in 64 KiB reads decode (or are skipped) within a few seconds."""
    body = event * 1_000_000 + b"data: [DONE]\n\n"
    started = time.perf_counter()
    decoder = rs.ChunkDecoder()
    count = 0
    for piece in _pieces(body, PIECE):
        count += len(decoder.feed(piece))
    count += len(decoder.finish())
    elapsed = time.perf_counter() - started
    assert decoder.error is None
    assert decoder.done
    assert count == expected
    assert elapsed < 10, f"{elapsed:.1f} s"


@pytest.mark.anyio
async def test_a_million_tiny_chunks_through_the_stream() -> None:
    """A stream of 1,000,000 one-letter content chunks completes and rebuilds all of the text."""
    body = b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n' * 1_000_000 + b"data: [DONE]\n\n"
    transport = _transport(_GeneratedBody(_pieces(body, PIECE)))
    async with httpx.AsyncClient(transport=transport) as http:
        with anyio.fail_after(60):
            async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                completion = await stream.until_done()
    assert completion.choices[0].message.content == "a" * 1_000_000
    assert stream.stats.chunks == 1_000_000


# --- malformed payloads -------------------------------------------------------------------

DEEP = 100_000

# name → (payload lines, what must happen: "ok" decodes, "decode"/"api" the typed error)
BAD_EVENTS: dict[str, tuple[bytes, str]] = {
    "utf8-in-content": (b'data: {"choices":[{"delta":{"content":"a\xff\xfeb"}}]}', "ok"),
    "utf8-in-unknown-key": (b'data: {"\xff\xfe":1,"choices":[]}', "ok"),
    "utf8-outside-strings": (b'data: \xff{"choices":[]}', "decode"),
    "utf8-truncated-sequence": (b'data: {"choices":[{"delta":{"content":"\xe2\x82"}}]}', "ok"),
    "utf8-overlong": (b'data: {"choices":[{"delta":{"content":"\xc0\xaf"}}]}', "ok"),
    # Invalid UTF-8 and a wrong type in one payload: the type error is still reported.
    "utf8-in-content-and-a-wrong-type": (
        b'data: {"choices":[{"delta":{"content":"\xff"}}],"created":"x"}',
        "decode",
    ),
    "utf8-in-error-message": (b'data: {"error":{"message":"bad \xff"}}', "api"),
    "utf8-in-named-error": (b"event: error\ndata: \xff\xfe", "api"),
    "utf8-in-event-name": (b"event: \xff\ndata: {}", "skip"),
    "lone-surrogate-escape": (rb'data: {"choices":[{"delta":{"content":"\ud800x"}}]}', "decode"),
    "nul-raw-in-string": (b'data: {"choices":[{"delta":{"content":"a\x00b"}}]}', "decode"),
    "nul-escaped-in-string": (rb'data: {"choices":[{"delta":{"content":"a\u0000b"}}]}', "ok"),
    "nul-after-json": (b'data: {"choices":[]}\x00', "decode"),
    "nul-before-field": (b'\x00data: {"choices":[]}', "skip"),
    "nul-only": (b"data: \x00\x00\x00", "decode"),
    "deep-array-unknown-field": (b'data: {"x":' + b"[" * DEEP + b"]" * DEEP + b"}", "decode"),
    "deep-object-in-delta": (
        b'data: {"choices":[{"delta":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}]}",
        "decode",
    ),
    "deep-array-as-payload": (b"data: " + b"[" * DEEP + b"]" * DEEP, "decode"),
    "deep-error": (b'data: {"error":' + b"[" * DEEP + b"]" * DEEP + b"}", "decode-or-api"),
    "deep-error-message": (
        b'data: {"error":{"message":' + b"[" * DEEP + b"]" * DEEP + b"}}",
        "decode-or-api",
    ),
    "deep-named-error": (b"event: error\ndata: " + b"[" * DEEP + b"]" * DEEP, "api"),
    "moderately-nested-extension": (b'data: {"x":' + b"[" * 200 + b"]" * 200 + b',"choices":[]}', "ok"),
    "float-overflow": (b'data: {"created":1e400,"choices":[]}', "decode"),
    "int-overflow": (b'data: {"created":' + b"9" * 5000 + b',"choices":[]}', "decode"),
    "huge-choice-index": (b'data: {"choices":[{"index":' + b"9" * 30 + b',"delta":{"content":"x"}}]}', "ok"),
    "negative-choice-index": (b'data: {"choices":[{"index":-5,"delta":{"content":"x"}}]}', "ok"),
    "huge-tool-index": (
        b'data: {"choices":[{"delta":{"tool_calls":[{"index":'
        + b"9" * 30
        + b',"function":{"arguments":"{"}}]}}]}',
        "ok",
    ),
    "nan": (b'data: {"created":NaN,"choices":[]}', "decode"),
    "float-token-count": (b'data: {"choices":[],"usage":{"prompt_tokens":1.5}}', "decode"),
    "negative-token-count": (b'data: {"choices":[],"usage":{"prompt_tokens":-1}}', "ok"),
    "choices-object": (b'data: {"choices":{}}', "decode"),
    "choices-null": (b'data: {"choices":null}', "decode"),
    "delta-string": (b'data: {"choices":[{"delta":"x"}]}', "decode"),
    "content-number": (b'data: {"choices":[{"delta":{"content":5}}]}', "decode"),
    "content-object": (b'data: {"choices":[{"delta":{"content":{"a":1}}}]}', "decode"),
    "tool-calls-string": (b'data: {"choices":[{"delta":{"tool_calls":"x"}}]}', "decode"),
    "tool-call-index-string": (b'data: {"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]}', "decode"),
    "function-arguments-object": (
        b'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":{}}}]}}]}',
        "decode",
    ),
    "usage-array": (b'data: {"choices":[],"usage":[]}', "decode"),
    "finish-reason-number": (b'data: {"choices":[{"delta":{},"finish_reason":1}]}', "decode"),
    "logprobs-string": (b'data: {"choices":[{"delta":{},"logprobs":"x"}]}', "decode"),
    "payload-array": (b"data: [1,2]", "decode"),
    "payload-string": (b'data: "str"', "decode"),
    "payload-null": (b"data: null", "decode"),
    "payload-true": (b"data: true", "decode"),
    "error-null": (b'data: {"error":null,"choices":[]}', "ok"),
    "error-string": (b'data: {"error":"boom"}', "api"),
    "error-list": (b'data: {"error":[1,2]}', "api"),
    "error-message-object": (b'data: {"error":{"message":{"a":1},"code":[1],"type":{}}}', "api"),
    "named-error-empty": (b"event: error\ndata:", "api"),
    "named-error-not-json": (b"event: error\ndata: it broke", "api"),
    "done-with-spaces": (b"data:  [DONE]  ", "done"),
    "done-lowercase": (b"data: [done]", "decode"),
    "retry-garbage": (b"retry: \xff\xff\ndata: {}", "ok"),
    "id-with-nul": (b"id: a\x00b\ndata: {}", "ok"),
    "bom-mid-stream": (b': c\n\n\xef\xbb\xbfdata: {"choices":[]}', "skip"),
    "only-cr": (b'data: {"choices":[]}\r\r', "ok"),
}


def _check_outcome(
    decoder: rs.ChunkDecoder, events: list[rs.ChatCompletionStreamEvent], expected: str
) -> None:
    error = decoder.error
    if expected == "ok":
        assert error is None, repr(error)
        assert len(events) == 1
    elif expected == "skip":
        assert error is None, repr(error)
        assert events == []
    elif expected == "done":
        assert error is None, repr(error)
        assert decoder.done
    elif expected == "decode":
        assert isinstance(error, rs.StreamDecodeError), repr(error)
        assert events == []
    elif expected == "api":
        assert isinstance(error, rs.StreamAPIError), repr(error)
        assert error.message
    else:
        assert isinstance(error, (rs.StreamDecodeError, rs.StreamAPIError)), repr(error)


# Every bad event whole, in 7-byte reads and byte by byte (but the 200 KB nested ones).
SPLITS = [
    pytest.param(name, piece, id=f"{label}-{name}")
    for name in BAD_EVENTS
    for piece, label in ((None, "whole"), (7, "7-bytes"), (1, "bytewise"))
    if not (piece == 1 and len(BAD_EVENTS[name][0]) > 10_000)
]


@pytest.mark.parametrize(("name", "piece"), SPLITS)
def test_a_bad_event_decodes_or_raises_a_typed_error(name: str, piece: int | None) -> None:
    """Each malformed event decodes or sets a typed error, however the bytes are split into reads."""
    payload, expected = BAD_EVENTS[name]
    decoder, events = _decode_all(payload + b"\n\n", piece)
    _check_outcome(decoder, events, expected)


def test_invalid_utf8_in_content_becomes_replacement_characters() -> None:
    """Invalid UTF-8 inside a content string is decoded with U+FFFD, the way browsers do."""
    _, events = _decode_all(BAD_EVENTS["utf8-in-content"][0] + b"\n\n")
    assert _content(events[0]) == "a\ufffd\ufffdb"


def test_invalid_utf8_in_an_in_stream_error_still_reports_the_error() -> None:
    """An in-stream error whose message holds invalid UTF-8 is a StreamAPIError, not dropped as a chunk."""
    decoder, _ = _decode_all(BAD_EVENTS["utf8-in-error-message"][0] + b"\n\n")
    assert isinstance(decoder.error, rs.StreamAPIError)
    assert decoder.error.message == "bad \ufffd"


def test_deep_nesting_keeps_the_events_before_it() -> None:
    """Chunks before a deeply nested payload are delivered; it is a StreamDecodeError at its position."""
    body = sse(chunk("one"), chunk("two"), done=False) + BAD_EVENTS["deep-array-unknown-field"][0] + b"\n\n"
    decoder, events = _decode_all(body)
    assert [_content(e) for e in events] == ["one", "two"]
    assert isinstance(decoder.error, rs.StreamDecodeError)
    assert decoder.error.position == 2
    assert len(str(decoder.error)) < 1000


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(BAD_EVENTS))
async def test_a_bad_event_through_the_stream_raises_only_typed_errors(name: str) -> None:
    """After a good chunk, each bad event ends in a completion or a StreamError that keeps the chunk."""
    payload, expected = BAD_EVENTS[name]
    body = sse(chunk("good"), done=False) + payload + b"\n\n" + sse(chunk(finish="stop"))
    transport = _transport(_GeneratedBody(_pieces(body, 997)))
    failure: rs.StreamError | None = None
    completion: rs.ChatCompletion | None = None
    async with httpx.AsyncClient(transport=transport) as http:
        with anyio.fail_after(10):
            try:
                async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                    completion = await stream.until_done()
            except rs.StreamError as error:
                failure = error
                completion = error.completion
    if expected in ("ok", "skip", "done"):
        assert failure is None, repr(failure)
    else:
        assert failure is not None, f"expected {expected}"
    assert completion is not None
    content = next(c.message.content for c in completion.choices if c.index == 0)
    assert content is not None
    assert content.startswith("good")
    assert stream.response.is_closed


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # a memory bound: the loop makes no odds
@pytest.mark.anyio
async def test_a_compressed_endless_line_stays_within_the_memory_bound() -> None:
    """A gzip body that inflates to a 100 MiB line raises EventTooLargeError within the same memory bound."""
    compressed = gzip.compress(b"data: " + b"x" * (100 * MiB), 9)  # about 100 KB on the wire

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=_GeneratedBody(_pieces(compressed, PIECE)))

    gc.collect()
    tracemalloc.start()
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
            with anyio.fail_after(30), pytest.raises(rs.EventTooLargeError):
                async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                    await stream.until_done()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < rs.DEFAULT_MAX_EVENT_SIZE + 8 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_compressed_stream_decodes_like_a_plain_one(encoding: str) -> None:
    """A gzip or deflate (zlib-wrapped or raw) stream read in small pieces rebuilds the same message."""
    plain = rs.testing.load_sse("openai-python_long-content-181-chunks.sse")
    if encoding == "gzip":
        body = gzip.compress(plain)
    else:
        packer = zlib.compressobj(wbits=zlib.MAX_WBITS if encoding == "deflate" else -zlib.MAX_WBITS)
        body = packer.compress(plain) + packer.flush()
    header = "gzip" if encoding == "gzip" else "deflate"

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": header}
        return httpx.Response(200, headers=headers, stream=_GeneratedBody(_pieces(body, 97)))

    async def rebuild(transport: httpx.MockTransport) -> rs.ChatCompletion:
        async with (
            httpx.AsyncClient(transport=transport) as http,
            rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream,
        ):
            return await stream.until_done()

    compressed = await rebuild(httpx.MockTransport(handle))
    expected = await rebuild(rs.testing.sse_transport(plain))
    assert compressed == expected
    assert compressed.choices[0].message.content


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("piece_size", [512, 1 << 20])  # the garbage inside a read, or all in one read
@pytest.mark.anyio
async def test_a_corrupt_compressed_body_is_a_typed_error(piece_size: int) -> None:
    """A gzip body that turns to garbage mid-stream ends in a StreamError that keeps what came before."""
    plain = rs.testing.load_sse("openai-python_long-content-181-chunks.sse")
    # Half the stream, flushed to a block boundary, then a block of a type that does not exist:
    # zlib refuses it (garbage inside a block may instead inflate to more garbage).
    packer = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    body = packer.compress(plain[: len(plain) // 2]) + packer.flush(zlib.Z_SYNC_FLUSH) + b"\x07garbage"

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=_GeneratedBody(_pieces(body, piece_size)))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
        with pytest.raises(rs.StreamError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                await stream.until_done()
    # Every event whole in the bytes before the garbage is kept, also those of the read that
    # brought the garbage.
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    good = []
    for index in range(len(body)):
        try:
            good.append(inflater.decompress(body[index : index + 1]))
        except zlib.error:
            break
    accumulator = rs.ChatCompletionAccumulator()
    accumulator.add_many(rs.ChunkDecoder().feed(b"".join(good)))
    expected = accumulator.completion.choices[0].message.content
    assert expected
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == expected
