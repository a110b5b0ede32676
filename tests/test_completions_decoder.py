"""The legacy Completions decoder and fold (pure): a real recording at every split, the end, the errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from r9s_stream import StreamAPIError, StreamDecodeError
from r9s_stream.completions import (
    Completion,
    CompletionChoice,
    CompletionChunk,
    CompletionDecoder,
    CompletionFold,
    CompletionLogprobs,
    CompletionUsage,
)
from r9s_stream.testing import split_pieces

RECORDING = Path(__file__).parent / "fixtures" / "completions" / "vercel-ai_completions_text.sse"
# Read off the recording by hand: its 16 text pieces joined, and its last chunks.
RECORDED = Completion(
    id="cmpl-D8ZFN477TMm6AoQohx2jSTOJMh60M",
    created=1770934485,
    model="gpt-3.5-turbo-instruct:20230824-v2",
    choices=[
        CompletionChoice(
            index=0,
            text='The holiday is called "Gratitude Day" and it is a day dedicated to',
            finish_reason="length",
        )
    ],
    usage=CompletionUsage(prompt_tokens=14, completion_tokens=16, total_tokens=30),
)


def chunk(text: str, index: int = 0, finish: str | None = None, **fields: object) -> bytes:
    """One `data:` event of a text_completion chunk."""
    choice = {"text": text, "index": index, "logprobs": None, "finish_reason": finish}
    payload = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m", "choices": [choice]}
    return b"data: " + msgspec.json.encode({**payload, **fields}) + b"\n\n"


def one_event_pieces(body: bytes) -> list[bytes]:
    """The body cut after each blank line: one event per read, as a live server sends."""
    return [part + b"\n\n" for part in body.split(b"\n\n") if part]


def run(pieces: list[bytes]) -> tuple[CompletionDecoder, CompletionFold, list[CompletionChunk]]:
    """Feed every piece, then the end of the body; fold what comes out."""
    decoder, fold = CompletionDecoder(), CompletionFold()
    chunks: list[CompletionChunk] = []
    for piece in pieces:
        chunks += decoder.feed(piece)
    chunks += decoder.finish()
    fold.add_many(chunks)
    return decoder, fold, chunks


ERROR_OBJECT = b'{"error": {"message": "overloaded", "type": "server_error", "code": "busy"}}'

SPLITS: dict[str, Callable[[bytes], list[bytes]]] = {
    "1-byte": lambda body: split_pieces(body, 1),
    "odd-7": lambda body: split_pieces(body, 7),
    "random-1": lambda body: split_pieces(body, seed=1),
    "random-2024": lambda body: split_pieces(body, seed=2024),
    "one-event": one_event_pieces,
    "whole": lambda body: [body],
}


@pytest.mark.parametrize("split", list(SPLITS))
def test_the_recording_rebuilds_the_same_completion_at_every_split(split: str) -> None:
    """However the bytes are cut, the recording gives 17 chunks, ends done and rebuilds the same answer."""
    decoder, fold, chunks = run(SPLITS[split](RECORDING.read_bytes()))
    assert decoder.done
    assert decoder.error is None
    assert len(chunks) == 17
    assert all(c.object == c.type == "text_completion" for c in chunks)
    assert fold.snapshot == RECORDED
    assert fold.snapshot.text == RECORDED.choices[0].text
    assert fold.usage == RECORDED.usage
    assert fold.output_tokens == 16
    assert fold.output_pieces() == 16


def test_choices_are_rebuilt_by_index_with_their_own_finish_reasons() -> None:
    """Two interleaved choices (n=2) each keep their own text and finish reason; `.text` is choice 0's."""
    body = b"".join(
        [chunk("A", 1), chunk("a", 0), chunk("B", 1), chunk("b", 0, "stop"), chunk("", 1, "length")]
    )
    decoder, fold, _ = run([body + b"data: [DONE]\n\n"])
    assert decoder.done
    choices = fold.snapshot.choices
    assert [(c.index, c.text, c.finish_reason) for c in choices] == [(0, "ab", "stop"), (1, "AB", "length")]
    assert fold.snapshot.text == "ab"


def test_logprobs_lists_are_merged_in_order() -> None:
    """The legacy logprobs of each chunk are joined list by list, as the non-streaming answer has them."""
    first = {"tokens": ["Hi"], "token_logprobs": [-0.5], "top_logprobs": [{"Hi": -0.5}], "text_offset": [0]}
    second = {"tokens": [" there"], "token_logprobs": [-1.0], "top_logprobs": [None], "text_offset": [2]}
    pieces = []
    for text, logprobs in (("Hi", first), (" there", second)):
        choice = {"text": text, "index": 0, "logprobs": logprobs, "finish_reason": None}
        pieces.append(b"data: " + msgspec.json.encode({"object": "text_completion", "choices": [choice]}))
    _, fold, _ = run([b"\n\n".join(pieces) + b"\n\ndata: [DONE]\n\n"])
    assert fold.snapshot.choices[0].logprobs == CompletionLogprobs(
        tokens=["Hi", " there"],
        token_logprobs=[-0.5, -1.0],
        top_logprobs=[{"Hi": -0.5}, None],
        text_offset=[0, 2],
    )
    snapshot = fold.snapshot
    fold.add(CompletionChunk(choices=[CompletionChoice(text="!", logprobs=CompletionLogprobs(tokens=["!"]))]))
    assert snapshot.choices[0].logprobs is not None
    assert snapshot.choices[0].logprobs.tokens == ["Hi", " there"], "a snapshot taken earlier does not change"


def test_nothing_after_done_is_decoded() -> None:
    """Bytes after `data: [DONE]` (even an error or garbage) are never decoded."""
    body = (
        chunk("ok")
        + b"data: [DONE]\n\n"
        + chunk("late")
        + b'data: {"error": {"message": "x"}}\n\ndata: {oops\n\n'
    )
    for pieces in ([body], split_pieces(body, 1)):
        decoder, _, chunks = run(pieces)
        assert decoder.done
        assert decoder.error is None
        assert [c.choices[0].text for c in chunks] == ["ok"]


def test_a_last_event_without_its_blank_line_is_delivered() -> None:
    """A body whose last chunk and `[DONE]` lack the closing blank line still ends whole."""
    decoder, fold, _ = run([chunk("Hello") + chunk(" world").rstrip(b"\n") + b"\n\ndata: [DONE]"])
    assert decoder.done
    assert fold.snapshot.text == "Hello world"
    decoder, fold, _ = run([chunk("Hello") + chunk(" world").rstrip(b"\n")])
    assert not decoder.done, "no [DONE]: the engine reports the stream incomplete"
    assert decoder.error is None
    assert fold.snapshot.text == "Hello world"


def test_a_last_event_cut_mid_json_is_not_a_decode_error() -> None:
    """A body cut inside its last chunk's JSON drops that chunk and leaves the stream merely incomplete."""
    decoder, fold, _ = run([chunk("Hello") + chunk(" world")[:30]])
    assert not decoder.done
    assert decoder.error is None
    assert fold.snapshot.text == "Hello"


def test_the_gateways_bare_error_line_is_an_api_error_after_the_text() -> None:
    """The r9s gateway's bare JSON error line (outside any field) is a StreamAPIError; the text stays."""
    bare = b'{"error":{"code":"proxy_error","message":"unexpected EOF","type":"invalid_request_error"}}'
    for body in (chunk("Hel") + chunk("lo") + bare, chunk("Hel") + chunk("lo") + bare + b"\n\n"):
        for pieces in ([body], split_pieces(body, 1), one_event_pieces(body)):
            decoder, fold, _ = run(pieces)
            error = decoder.error
            assert isinstance(error, StreamAPIError)
            assert (str(error), error.code, error.type) == (
                "unexpected EOF",
                "proxy_error",
                "invalid_request_error",
            )
            assert fold.snapshot.text == "Hello"
            assert not decoder.done


@pytest.mark.parametrize(
    "event",
    [
        b"data: " + ERROR_OBJECT + b"\n\n",
        b"event: error\ndata: " + ERROR_OBJECT + b"\n\n",
        b'event: error\ndata: {"message": "overloaded", "type": "server_error", "code": "busy"}\n\n',
    ],
    ids=["data-error-object", "named-error-event", "named-error-flat"],
)
def test_an_error_event_mid_stream_is_an_api_error(event: bytes) -> None:
    """An error payload after some text is a StreamAPIError with the server's message, type and code."""
    body = chunk("Hel") + chunk("lo") + event + chunk("never") + b"data: [DONE]\n\n"
    for pieces in ([body], split_pieces(body, 3), one_event_pieces(body)):
        decoder, _, chunks = run(pieces)
        error = decoder.error
        assert isinstance(error, StreamAPIError)
        assert (str(error), error.type, error.code) == ("overloaded", "server_error", "busy")
        assert [c.choices[0].text for c in chunks] == ["Hel", "lo"]


def test_a_chunk_that_does_not_decode_is_a_decode_error_after_the_chunks_before_it() -> None:
    """Invalid JSON mid-stream is a StreamDecodeError naming its position; the chunks before are kept."""
    body = chunk("a") + chunk("b") + b'data: {"choices": [\n\n' + chunk("c") + b"data: [DONE]\n\n"
    for pieces in ([body], split_pieces(body, 1), one_event_pieces(body)):
        decoder, _, chunks = run(pieces)
        assert isinstance(decoder.error, StreamDecodeError)
        assert decoder.error.position == 2
        assert [c.choices[0].text for c in chunks] == ["a", "b"]


def test_unknown_fields_other_objects_and_sse_extras_are_read_past() -> None:
    """Comments, `id:` lines, CRLF, unknown fields and another `object` name change nothing."""
    body = (
        b": keep-alive\r\n\r\n"
        b'id: 7\r\ndata: {"object": "completion.chunk", "x_vendor": {"a": 1}, '
        b'"choices": [{"text": "Hi", "index": 0, "extra": true}]}\r\n\r\n'
        b"event: ping\r\ndata: {}\r\n\r\n"
        b"data: [DONE]\r\n\r\n"
    )
    for pieces in ([body], split_pieces(body, 1)):
        decoder, fold, chunks = run(pieces)
        assert decoder.done
        assert [c.object for c in chunks] == ["completion.chunk"]
        assert fold.snapshot.text == "Hi"
        assert fold.snapshot.object == "completion.chunk"


def test_an_empty_stream_rebuilds_an_empty_completion() -> None:
    """Before any chunk the snapshot is an empty text_completion, and usage is None."""
    fold = CompletionFold()
    assert fold.snapshot == Completion()
    assert fold.snapshot.text == ""
    assert fold.usage is None
    assert fold.output_tokens is None
    assert not fold.has_output()


@given(
    texts=st.lists(st.text(max_size=12), max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
    crlf=st.booleans(),
)
def test_any_text_cut_anywhere_rebuilds_the_same(texts: list[str], cuts: list[int], crlf: bool) -> None:
    """Whatever the text (newlines, quotes, any Unicode) and wherever reads cut it, it rebuilds the same."""
    body = b"".join(chunk(text) for text in texts) + b"data: [DONE]\n\n"
    if crlf:
        body = body.replace(b"\n", b"\r\n")
    points = sorted({min(cut, len(body)) for cut in cuts})
    pieces = [body[start:end] for start, end in zip([0, *points], [*points, len(body)], strict=True)]
    decoder, fold, chunks = run([piece for piece in pieces if piece])
    assert decoder.done
    assert decoder.error is None
    assert len(chunks) == len(texts)
    assert fold.snapshot.text == "".join(texts)
