"""The Responses decoder and fold on recorded streams, split every way."""

from __future__ import annotations

from pathlib import Path

import pytest

from r9s_stream._exceptions import StreamAPIError
from r9s_stream._responses._decoder import ResponsesDecoder
from r9s_stream._responses._fold import ResponsesFold

FIXTURES = Path(__file__).parent / "fixtures" / "responses"


def _run(body: bytes, size: int) -> tuple[ResponsesDecoder, ResponsesFold]:
    decoder, fold = ResponsesDecoder(), ResponsesFold()
    for start in range(0, len(body), size):
        fold.add_many(decoder.feed(body[start : start + size]))
    fold.add_many(decoder.finish())
    return decoder, fold


@pytest.mark.parametrize("size", [1, 7, 64, 10**9])
def test_text_stream_rebuilds_the_same_text_at_every_split(size: int) -> None:
    """A recorded text answer ends done, with the same text and usage however it is split."""
    body = (FIXTURES / "pydantic-ai_responses_text.sse").read_bytes()
    decoder, fold = _run(body, size)
    _, whole = _run(body, 10**9)
    assert decoder.done
    assert decoder.error is None
    assert fold.snapshot["output_text"] == whole.snapshot["output_text"] != ""
    assert fold.snapshot["status"] == "completed"
    assert fold.output_tokens is not None
    assert fold.output_tokens > 0


def test_failed_stream_is_an_api_error() -> None:
    """response.failed sets a StreamAPIError carrying the server's message."""
    body = (FIXTURES / "vercel-ai_responses_error-failed.sse").read_bytes()
    decoder, _ = _run(body, 5)
    assert isinstance(decoder.error, StreamAPIError)
    assert str(decoder.error)


def test_bad_payload_keeps_the_events_before_it() -> None:
    """A payload that is not JSON stops decoding but hands out the events before it."""
    body = b'data: {"type":"response.output_text.delta","delta":"Hi","output_index":0}\n\ndata: {oops\n\n'
    decoder = ResponsesDecoder()
    events = decoder.feed(body)
    assert [e.delta for e in events] == ["Hi"]
    assert decoder.error is not None
    assert not decoder.done
