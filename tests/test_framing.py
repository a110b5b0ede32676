"""SSE framing by the WHATWG rules (httpx-sse's too), through ``ChunkDecoder``, whole and byte by byte.

The event-stream examples of the HTML standard (§9.2 "Server-sent events"), with JSON chunk
payloads where the examples carry text, plus the field-syntax corners they illustrate.
"""

from __future__ import annotations

import pytest

import r9s_stream as rs
from r9s_stream._sse._framing import parse_event

A = b'{"id": "a", "choices": [{"index": 0, "delta": {"content": "A"}}]}'
B = b'{"id": "b", "choices": [{"index": 0, "delta": {"content": "B"}}]}'
C = b'{"id": "c", "choices": [{"index": 0, "delta": {"content": "C"}}]}'


def ids(body: bytes) -> tuple[list[str | None], rs.ChunkDecoder]:
    """Decode ``body`` whole and one byte at a time; both must agree; return the chunk ids."""
    results = []
    for pieces in ([body], [body[i : i + 1] for i in range(len(body))]):
        decoder = rs.ChunkDecoder()
        events: list[rs.ChatCompletionStreamEvent] = []
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.finish()
        results.append(([e.id for e in events], decoder.done, repr(decoder.error)))
    assert results[0] == results[1]
    return results[0][0], decoder


def test_spec_example_comment_ids_and_data_spacing() -> None:
    """The spec's first example: a comment, `data:` with and without a space, an `id` line with no colon."""
    body = b": test stream\n\ndata: " + A + b"\nid: 1\n\ndata:" + B + b"\nid\n\ndata:  " + C + b"\n\n"
    got, decoder = ids(body + b"data: [DONE]\n\n")
    assert got == ["a", "b", "c"]
    assert decoder.done


def test_spec_example_empty_data_fields_dispatch_nothing() -> None:
    """The spec's `data` / `data\\ndata` / `data:` example: empty and newline-only data make no chunk."""
    got, decoder = ids(b"data\n\ndata\ndata\n\ndata:\n\ndata: " + A + b"\n\ndata: [DONE]\n\n")
    assert got == ["a"]
    assert decoder.error is None


def test_spec_example_space_after_colon_is_optional() -> None:
    """The spec's `data:test` / `data: test` example: both spellings carry the same data."""
    got, _ = ids(b"data:" + A + b"\n\ndata: " + A + b"\n\ndata: [DONE]\n\n")
    assert got == ["a", "a"]


def test_only_the_first_colon_splits_field_and_value() -> None:
    """Colons inside the value (all over JSON) are part of the data."""
    payload = b'{"id": "x:y", "choices": [{"delta": {"content": "a: b"}}]}'
    got, _ = ids(b"data: " + payload + b"\n\ndata: [DONE]\n\n")
    assert got == ["x:y"]


def test_unknown_fields_and_bad_retry_are_ignored() -> None:
    """Unknown field names and a non-numeric retry line are skipped inside an event."""
    got, decoder = ids(b"foo: bar\nretry: soon\ndata: " + A + b"\nbaz\n\ndata: [DONE]\n\n")
    assert got == ["a"]
    assert decoder.done


def test_data_split_over_lines_with_an_empty_data_line() -> None:
    """Data lines are joined with LF, an empty `data` line adding an empty line: still valid JSON."""
    got, _ = ids(b'data: {"id": "m",\ndata\ndata: "choices": []}\n\ndata: [DONE]\n\n')
    assert got == ["m"]


def test_event_type_resets_after_each_event() -> None:
    """A named event is skipped, and the event after it is an ordinary message again."""
    got, _ = ids(b"event: ping\ndata: " + A + b"\n\ndata: " + B + b"\n\ndata: [DONE]\n\n")
    assert got == ["b"]


def test_event_field_named_message_is_an_ordinary_chunk() -> None:
    """`event: message` is the default type: the chunk is delivered."""
    got, _ = ids(b"event: message\ndata: " + A + b"\n\ndata: [DONE]\n\n")
    assert got == ["a"]


def test_blank_lines_between_events_are_harmless() -> None:
    """Runs of blank lines between and before events dispatch nothing extra."""
    got, _ = ids(b"\n\n\n\ndata: " + A + b"\n\n\n\n\ndata: " + B + b"\n\n\n\ndata: [DONE]\n\n")
    assert got == ["a", "b"]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_mixed_line_endings_in_one_stream(eol: bytes) -> None:
    """One stream mixing LF, CR and CRLF still frames every event."""
    body = (
        b"data: "
        + A
        + eol
        + b"\r\n"
        + b": c\r"
        + eol
        + b"data: "
        + B
        + b"\n"
        + eol
        + b"data: [DONE]"
        + eol
        + eol
    )
    got, decoder = ids(body)
    assert got == ["a", "b"]
    assert decoder.done


def test_parse_event_returns_the_data_and_type() -> None:
    """parse_event gives the event type and joined data of a block, or None when it dispatches nothing."""
    event = parse_event(b"event: error\nid: 3\ndata: line1\ndata: line2")
    assert event is not None
    assert (event.event, event.data) == ("error", "line1\nline2")
    assert parse_event(b": just a comment") is None
    assert parse_event(b"id: 1\n: comment") is None
    assert parse_event(b"retry: 10") is None


def test_parse_event_default_type_is_message() -> None:
    """An event without `event:` has type "message"."""
    event = parse_event(b"data: x")
    assert event is not None
    assert (event.event, event.data) == ("message", "x")
