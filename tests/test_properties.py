"""Properties, checked with hypothesis: chunking never changes the result; bad bytes only raise our errors.

The number of examples comes from the profile in tests/conftest.py (``R9S_FUZZ=long`` for more).
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import httpx_sse
import msgspec
from hypothesis import given
from hypothesis import strategies as st

import r9s_stream as rs
from r9s_stream import testing
from r9s_stream._sse._framing import parse_event

FIXTURES = Path(__file__).parent / "fixtures"
RECORDINGS = {p.name: p.read_bytes() for p in sorted(FIXTURES.glob("*.sse"))}
URL = "https://properties.test/v1/chat/completions"

# --- random but valid chunks -------------------------------------------------------------

texts = st.text(max_size=12)
maybe_texts = st.none() | texts
function_deltas = st.builds(rs.FunctionDelta, name=maybe_texts, arguments=maybe_texts)
tool_call_deltas = st.builds(
    rs.ToolCallDelta,
    index=st.none() | st.integers(0, 3),
    id=maybe_texts,
    type=st.none() | st.just("function"),
    function=st.none() | function_deltas,
)
top_logprobs = st.builds(rs.TopLogprob, token=texts, logprob=st.floats(-50, 0), bytes=st.none())
token_logprobs = st.builds(
    rs.TokenLogprob,
    token=texts,
    logprob=st.floats(-50, 0),
    bytes=st.none() | st.lists(st.integers(0, 255), max_size=4),
    top_logprobs=st.lists(top_logprobs, max_size=2),
)
deltas = st.builds(
    rs.ChatCompletionStreamDelta,
    role=st.none() | st.sampled_from(["assistant", "tool", ""]),
    content=maybe_texts,
    refusal=st.none() | texts,
    reasoning_content=st.none() | texts,
    reasoning=st.none() | texts,
    tool_calls=st.none() | st.lists(tool_call_deltas, max_size=2),
    function_call=st.none() | function_deltas,
)
choices = st.builds(
    rs.ChatCompletionStreamChoice,
    index=st.integers(0, 2),
    delta=st.none() | deltas,
    logprobs=st.none()
    | st.builds(
        rs.ChoiceLogprobs,
        content=st.none() | st.lists(token_logprobs, max_size=2),
        refusal=st.none() | st.lists(token_logprobs, max_size=1),
    ),
    finish_reason=st.none() | st.sampled_from(["stop", "length", "tool_calls", "content_filter"]),
)
usages = st.builds(
    rs.Usage,
    prompt_tokens=st.none() | st.integers(0, 10**6),
    completion_tokens=st.none() | st.integers(0, 10**6),
    total_tokens=st.none() | st.integers(0, 10**6),
)
events = st.builds(
    rs.ChatCompletionStreamEvent,
    id=maybe_texts,
    object=st.none() | st.sampled_from(["chat.completion.chunk", ""]),
    created=st.none() | st.integers(0, 2**40),
    model=maybe_texts,
    system_fingerprint=maybe_texts,
    service_tier=st.none() | st.just("default"),
    choices=st.lists(choices, max_size=3),
    usage=st.none() | usages,
)

# How each event is framed: line ending, `data:` with or without the space, and noise.
framings = st.fixed_dictionaries(
    {
        "eol": st.sampled_from([b"\n", b"\r", b"\r\n"]),
        "space": st.booleans(),
        "bom": st.booleans(),
        "noise": st.lists(
            st.sampled_from([b"", b": keep-alive", b"id: 3", b"retry: 10", b"event: ping"]), min_size=1
        ),
    }
)


def encode_stream(chunks: list[rs.ChatCompletionStreamEvent], framing: dict[str, object]) -> bytes:
    """An SSE body carrying ``chunks`` then [DONE], framed as ``framing`` says."""
    eol = framing["eol"]
    assert isinstance(eol, bytes)
    noise = framing["noise"]
    assert isinstance(noise, list)
    prefix = b"data: " if framing["space"] else b"data:"
    out = [b"\xef\xbb\xbf"] if framing["bom"] else []
    for i, chunk in enumerate(chunks):
        extra = noise[i % len(noise)]
        if extra == b"event: ping":
            out.append(extra + eol + b"data: {}" + eol + eol)  # a named event: ignored
        elif extra:
            out.append(extra + eol + eol)
        out.append(prefix + msgspec.json.encode(chunk) + eol + eol)
    out.append(prefix + b"[DONE]" + eol + eol)
    return b"".join(out)


def cut(body: bytes, points: list[int]) -> list[bytes]:
    """``body`` cut at the given offsets (taken modulo its length)."""
    marks = sorted({p % (len(body) + 1) for p in points} | {0, len(body)})
    return [body[a:b] for a, b in itertools.pairwise(marks)]


def decode_all(
    pieces: list[bytes], **options: int
) -> tuple[list[rs.ChatCompletionStreamEvent], bool, object]:
    """Feed every piece then finish; return the events, done, and a comparable view of the error."""
    decoder = rs.ChunkDecoder(**options)
    out: list[rs.ChatCompletionStreamEvent] = []
    for piece in pieces:
        out += decoder.feed(piece)
    out += decoder.finish()
    error = decoder.error
    assert error is None or isinstance(error, rs.R9sStreamError)
    if isinstance(error, rs.StreamDecodeError) and not isinstance(error, rs.EventTooLargeError):
        return out, decoder.done, (type(error), error.data, error.position)
    if isinstance(error, rs.StreamAPIError):
        return out, decoder.done, (type(error), error.message, error.body)
    return out, decoder.done, None if error is None else (type(error), getattr(error, "position", None))


@given(st.lists(events, max_size=8), framings, st.lists(st.integers(0, 10**6), max_size=30))
def test_any_chunking_of_a_valid_stream_gives_the_same_events(
    chunks: list[rs.ChatCompletionStreamEvent], framing: dict[str, object], points: list[int]
) -> None:
    """A valid stream fed in any pieces gives exactly its chunks, in order, then the end."""
    body = encode_stream(chunks, framing)
    whole = decode_all([body])
    assert whole == (chunks, True, None)
    assert decode_all(cut(body, points)) == whole
    assert decode_all([body[i : i + 1] for i in range(len(body))]) == whole


@given(st.lists(events, max_size=6), st.lists(st.integers(0, 10**6), max_size=30))
def test_accumulation_does_not_depend_on_chunking(
    chunks: list[rs.ChatCompletionStreamEvent], points: list[int]
) -> None:
    """The completion rebuilt from a stream is the same however its bytes were split."""
    body = encode_stream(chunks, {"eol": b"\n", "space": True, "bom": False, "noise": [b""]})
    whole = rs.ChatCompletionAccumulator()
    whole.add_many(decode_all([body])[0])
    split = rs.ChatCompletionAccumulator()
    decoder = rs.ChunkDecoder()
    for piece in cut(body, points):
        split.add_many(decoder.feed(piece))
    split.add_many(decoder.finish())
    assert split.completion == whole.completion
    assert split.chunks == len(chunks)


@given(
    st.lists(events, min_size=1, max_size=6),
    st.integers(60, 400),
    st.lists(st.integers(0, 10**6), max_size=20),
)
def test_max_event_size_does_not_depend_on_chunking(
    chunks: list[rs.ChatCompletionStreamEvent], limit: int, points: list[int]
) -> None:
    """Whether an event is too large, and which chunks come before it, does not depend on the reads."""
    body = encode_stream(chunks, {"eol": b"\n", "space": True, "bom": False, "noise": [b""]})
    whole = decode_all([body], max_event_size=limit)
    assert decode_all(cut(body, points), max_event_size=limit) == whole
    assert decode_all([body[i : i + 1] for i in range(len(body))], max_event_size=limit) == whole


# --- hostile input -----------------------------------------------------------------------


@given(st.binary(max_size=400), st.lists(st.integers(0, 10**6), max_size=10))
def test_random_bytes_never_raise(data: bytes, points: list[int]) -> None:
    """Random bytes, in any pieces, make the decoder report an R9sStreamError at worst, never raise."""
    decode_all(cut(data, points), max_event_size=256)


sse_alphabet = st.sampled_from(
    [b"data: ", b"data:", b"event: error\n", b": c", b"\n", b"\r", b"\r\n", b"{", b"}", b"[", b"]", b'"',
     b":", b'"error"', b"[DONE]", b"\xff", b"\xe2\x80", b"\xef\xbb\xbf", b"id: 1", b"null", b"1",
     b'"choices"']
)  # fmt: skip


@given(st.lists(sse_alphabet, max_size=60), st.lists(st.integers(0, 10**6), max_size=10))
def test_sse_shaped_garbage_never_raises(parts: list[bytes], points: list[int]) -> None:
    """Garbage made of SSE and JSON tokens reports only R9sStreamError, and the same at any split."""
    body = b"".join(parts)
    whole = decode_all([body])
    assert decode_all(cut(body, points)) == whole


def mutate(body: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, kind, bytes) edits: 0 replaces a byte, 1 inserts, 2 deletes, 3 truncates."""
    data = bytearray(body)
    for position, kind, payload in edits:
        if not data:
            break
        at = position % len(data)
        if kind == 0:
            data[at : at + len(payload)] = payload
        elif kind == 1:
            data[at:at] = payload
        elif kind == 2:
            del data[at : at + len(payload) + 1]
        else:
            del data[at:]
    return bytes(data)


mutations = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.binary(min_size=1, max_size=4) | sse_alphabet),
    min_size=1,
    max_size=4,
)


@given(st.sampled_from(sorted(RECORDINGS)), mutations, st.lists(st.integers(0, 10**6), max_size=10))
def test_mutated_recordings_through_the_decoder(
    name: str, edits: list[tuple[int, int, bytes]], points: list[int]
) -> None:
    """A real recording with random edits gives only R9sStreamError, and the same result at any split."""
    body = mutate(RECORDINGS[name], edits)
    whole = decode_all([body])
    assert decode_all(cut(body, points)) == whole


async def _through_stream(body: bytes, seed: int) -> None:
    transport = testing.sse_transport(body, seed=seed)
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream,
    ):
        failure: rs.StreamError | None = None
        try:
            await stream.until_done()
        except rs.StreamError as error:
            failure = error
    assert stream.response.is_closed
    if failure is not None:
        assert failure.completion is not None
        raise failure


@given(st.sampled_from(sorted(RECORDINGS)), mutations, st.integers(0, 1000))
def test_mutated_recordings_through_the_stream(
    name: str, edits: list[tuple[int, int, bytes]], seed: int
) -> None:
    """Streamed over a mock transport, a mutated recording raises nothing but R9sStreamError subclasses."""
    body = mutate(RECORDINGS[name], edits)
    with contextlib.suppress(rs.R9sStreamError):
        anyio.run(_through_stream, body, seed)


@given(st.binary(max_size=300), st.integers(0, 1000))
def test_random_bytes_through_the_stream(body: bytes, seed: int) -> None:
    """Random bytes as a 200 event-stream body raise nothing but R9sStreamError subclasses."""
    with contextlib.suppress(rs.R9sStreamError):
        anyio.run(_through_stream, body, seed)


# --- agreement with httpx-sse, the authority on SSE framing ------------------------------

sse_lines = st.lists(
    st.tuples(
        st.sampled_from(["chunk", "chunk-nospace", "comment", "id", "bare-id", "retry", "bad-retry",
                         "unknown", "ping", "message", "blank"]),
        st.sampled_from(["\n", "\r", "\r\n"]),
    ),
    max_size=16,
)  # fmt: skip

_LINES = {
    "comment": ": keep-alive",
    "id": "id: 4",
    "bare-id": "id",
    "retry": "retry: 5",
    "bad-retry": "retry: soon",
    "unknown": "foo: bar",
    "ping": "event: ping",
    "message": "event: message",
    "blank": "",
}


def httpx_sse_ids(text: str) -> list[str]:
    """What httpx-sse's EventSource dispatches: chunk ids, then "DONE" or "ERR" where it would stop."""
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())
    out: list[str] = []
    for sse in httpx_sse.EventSource(response).iter_sse():
        if not sse.data or sse.event != "message":
            continue
        if sse.data.strip() == "[DONE]":
            out.append("DONE")
            break
        try:
            out.append(str(json.loads(sse.data)["id"]))
        except json.JSONDecodeError:
            out.append("ERR")
            break
    return out


@given(sse_lines, st.lists(st.integers(0, 10**6), max_size=10))
def test_framing_agrees_with_httpx_sse(lines: list[tuple[str, str]], points: list[int]) -> None:
    """On SSE-shaped streams of any line endings and fields, the chunks are the ones httpx-sse dispatches."""
    parts = []
    for number, (kind, eol) in enumerate(lines):
        if kind.startswith("chunk"):
            prefix = "data:" if kind == "chunk-nospace" else "data: "
            parts.append(prefix + json.dumps({"id": f"e{number}", "choices": []}) + eol)
        else:
            parts.append(_LINES[kind] + eol)
    text = "".join(parts) + "\n\ndata: [DONE]\n\n"
    events, done, error = decode_all(cut(text.encode(), points))
    got = [str(e.id) for e in events] + (["DONE"] if done else []) + (["ERR"] if error else [])
    assert got == httpx_sse_ids(text)


_FIELD_LINES = ["data: x", "data:y", "data", "data:  two", "data: é", "event: error", "event:ping", "event",
                ": c", "id: 1", "id", "retry: 5", "foo: bar", "dat a: z", ""]  # fmt: skip


@given(st.lists(st.sampled_from(_FIELD_LINES), min_size=1, max_size=10))
def test_parse_event_agrees_with_httpx_sse(lines: list[str]) -> None:
    """The careful path's field interpretation of a block is httpx-sse's: the same event type and data."""
    raw = "\n".join(lines)
    body = (raw + "\n\n").encode()
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    # What parse_event keeps: events with data, or named "error" (a server may send one without data).
    dispatched = httpx_sse.EventSource(response).iter_sse()
    kept = [(e.event, e.data) for e in dispatched if e.data or e.event == "error"]
    got = parse_event(raw.encode())
    assert (None if got is None else (got.event, got.data)) == (kept[-1] if kept else None)


# --- accumulation: batching and snapshots change nothing ---------------------------------


@given(st.lists(events, max_size=10), st.lists(st.integers(0, 10), max_size=10), st.sets(st.integers(0, 10)))
def test_accumulator_batches_and_snapshots_do_not_change_the_result(
    chunks: list[rs.ChatCompletionStreamEvent], cuts: list[int], snapshot_after: set[int]
) -> None:
    """Folding chunks one by one, in arbitrary add_many batches, or with snapshots in between, agrees."""
    one = rs.ChatCompletionAccumulator()
    for chunk in chunks:
        one.add(chunk)
    batched = rs.ChatCompletionAccumulator()
    marks = sorted({c % (len(chunks) + 1) for c in cuts} | {0, len(chunks)})
    for number, (start, stop) in enumerate(itertools.pairwise(marks)):
        batched.add_many(chunks[start:stop])
        if number in snapshot_after:
            _ = batched.completion
    assert batched.completion == one.completion
    assert batched.usage == one.usage
    assert batched.chunks == one.chunks == len(chunks)


# --- compressed bodies -------------------------------------------------------------------


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


async def _through_compressed(pieces: list[bytes], encoding: str) -> rs.ChatCompletion:
    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": encoding}
        return httpx.Response(200, headers=headers, stream=_Pieces(pieces))

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        return await stream.until_done()


@given(
    st.binary(max_size=300),
    st.sampled_from(["gzip", "deflate"]),
    st.lists(st.integers(0, 10**6), max_size=10),
)
def test_random_compressed_bodies_raise_only_our_errors(
    data: bytes, encoding: str, points: list[int]
) -> None:
    """Random bytes labelled gzip or deflate raise nothing but R9sStreamError subclasses."""
    with contextlib.suppress(rs.R9sStreamError):
        anyio.run(_through_compressed, cut(data, points), encoding)


@given(
    st.lists(events, max_size=6),
    st.sampled_from(["gzip", "deflate"]),
    st.lists(st.integers(0, 10**6), max_size=20),
)
def test_compressed_stream_in_any_pieces(
    chunks: list[rs.ChatCompletionStreamEvent], encoding: str, points: list[int]
) -> None:
    """A compressed valid stream cut anywhere rebuilds the same completion as its plain bytes."""
    body = encode_stream(chunks, {"eol": b"\n", "space": True, "bom": False, "noise": [b""]})
    compressed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    expected = rs.ChatCompletionAccumulator()
    expected.add_many(decode_all([body])[0])
    assert anyio.run(_through_compressed, cut(compressed, points), encoding) == expected.completion
