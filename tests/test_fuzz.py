"""Hypothesis fuzzing of the byte stream: random splits and random mutations of real transcripts.

The decoder is driven directly (no event loop), so thousands of cases fit in a few seconds.
Properties: ``feed()``/``finish()`` never raise, the only errors are the library's own, the
result never depends on how the bytes were split into reads, and the accumulator takes
whatever the decoder produces. A few cases also run through the real stream.

``R9S_FUZZ=long`` multiplies the number of cases by 20 for a local soak.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import r9s_stream as rs
from r9s_stream import testing

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.sse"))
BODIES = {path.stem: path.read_bytes() for path in FIXTURES}
SMALL_BODIES = {name: body for name, body in BODIES.items() if len(body) <= 16_384}
URL = "https://fuzz.test/v1/chat/completions"
_SCALE = 20 if os.environ.get("R9S_FUZZ") == "long" else 1


def _examples(count: int) -> int:
    """The number of cases for one property in this run (x20 with R9S_FUZZ=long)."""
    return count * _SCALE


def _fuzz_settings(count: int) -> settings:
    return settings(
        max_examples=_examples(count),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Bytes that matter to SSE framing, JSON or UTF-8: what a mutation inserts.
TOKENS = [
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\x00",
    b":",
    b": ping\n\n",
    b"data: ",
    b"data:",
    b"event: error\n",
    b"event: other\n",
    b"id: 7\n",
    b"retry: x\n",
    b"data: [DONE]\n\n",
    b"[DONE]",
    b'"error":',
    b'data: {"error":{"message":"m"}}\n\n',
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b",",
    b"1e999",
    b"-",
    b"null",
    b"\xff",
    b"\xe2\x82",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
]


@st.composite
def mutated_bodies(draw: st.DrawFn, bodies: dict[str, bytes] = SMALL_BODIES) -> bytes:
    """A recorded stream with a few random edits: flips, inserts, deletions, copies, a cut."""
    body = bytearray(bodies[draw(st.sampled_from(sorted(bodies)))])
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "random", "delete", "copy", "cut"]))
        at = draw(st.integers(0, len(body)))
        if kind == "flip" and at < len(body):
            body[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            body[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "random":
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del body[at : at + draw(st.integers(1, 64))]
        elif kind == "copy":
            start = draw(st.integers(0, len(body)))
            body[at:at] = body[start : start + draw(st.integers(1, 400))]
        elif kind == "cut":
            del body[at:]
    return bytes(body)


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(body)) for cut in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(body[start:point])
        start = point
    pieces.append(body[start:])
    return pieces


Outcome = tuple[list[rs.ChatCompletionStreamEvent], bool, str | None, int | None]


def _decode(pieces: list[bytes], max_event_size: int = rs.DEFAULT_MAX_EVENT_SIZE) -> Outcome:
    """Feed the pieces; return the events, done, the error's type name and its position."""
    decoder = rs.ChunkDecoder(max_event_size=max_event_size)
    events: list[rs.ChatCompletionStreamEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.finish()
    error = decoder.error
    assert error is None or isinstance(error, rs.StreamError), repr(error)
    assert all(isinstance(event, rs.ChatCompletionStreamEvent) for event in events)
    position = error.position if isinstance(error, rs.StreamDecodeError) else None
    return events, decoder.done, None if error is None else type(error).__name__, position


def _accumulate(events: list[rs.ChatCompletionStreamEvent]) -> rs.ChatCompletion:
    accumulator = rs.ChatCompletionAccumulator()
    for event in events:
        accumulator.add(event)
    return accumulator.completion


@_fuzz_settings(600)
@given(name=st.sampled_from(sorted(BODIES)), cuts=st.lists(st.integers(0, 80_000), max_size=40))
def test_random_splits_of_a_recording_decode_the_same(name: str, cuts: list[int]) -> None:
    """Any split of a recorded stream into reads gives the same chunks, end and error as one read."""
    body = BODIES[name]
    assert _decode(_split(body, cuts)) == _decode([body])


@_fuzz_settings(1500)
@given(body=mutated_bodies(), cuts=st.lists(st.integers(0, 20_000), max_size=30))
def test_mutated_recordings_give_typed_errors_whatever_the_split(body: bytes, cuts: list[int]) -> None:
    """A mutated recording decodes or sets a library error, the same however it is split into reads."""
    whole = _decode([body])
    assert _decode(_split(body, cuts)) == whole
    completion = _accumulate(whole[0])
    assert isinstance(completion, rs.ChatCompletion)


@_fuzz_settings(800)
@given(body=mutated_bodies(), size=st.integers(1, 64))
def test_mutated_recordings_in_fixed_reads_match_one_read(body: bytes, size: int) -> None:
    """Reads of a fixed small size (1..64 bytes) decode a mutated recording exactly like one read."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    assert _decode(pieces) == _decode([body])


@_fuzz_settings(600)
@given(pieces=st.lists(st.binary(max_size=200), max_size=20))
def test_arbitrary_bytes_never_raise(pieces: list[bytes]) -> None:
    """Random bytes in random reads never make the decoder raise; any error is a library error."""
    events, _, _, _ = _decode(pieces)
    _accumulate(events)


@_fuzz_settings(400)
@given(body=mutated_bodies(), limit=st.integers(8, 4096), cuts=st.lists(st.integers(0, 20_000), max_size=30))
def test_a_small_max_event_size_only_ever_gives_typed_errors(
    body: bytes, limit: int, cuts: list[int]
) -> None:
    """With a tiny max_event_size, mutated recordings decode or fail with a library error, never raise."""
    events, _, error, _ = _decode(_split(body, cuts), max_event_size=limit)
    assert error is None or error in {"EventTooLargeError", "StreamDecodeError", "StreamAPIError"}
    _accumulate(events)


@pytest.mark.anyio
@_fuzz_settings(100)
@given(body=mutated_bodies(), seed=st.integers(0, 2**16))
async def test_mutated_recordings_through_the_stream_raise_only_library_errors(
    body: bytes, seed: int
) -> None:
    """Through the real stream, a mutated recording completes or raises a StreamError with the partial."""
    transport = testing.sse_transport(body, seed=seed)
    events: list[rs.ChatCompletionStreamEvent] = []
    failure: rs.StreamError | None = None
    async with httpx.AsyncClient(transport=transport) as http:
        try:
            async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                async for event in stream:
                    events.append(event)
        except rs.StreamError as error:
            failure = error
    assert stream.response.is_closed
    if failure is None:
        assert stream.done
        assert stream.completion == _accumulate(events)
    else:
        assert failure.completion == _accumulate(events)
