"""The Messages decoder and fold (pure) on recorded streams and hand-made edge cases."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from r9s_stream._exceptions import EventTooLargeError, StreamAPIError, StreamDecodeError
from r9s_stream._messages._decoder import MessageDecoder
from r9s_stream._messages._events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    MessageStartEvent,
    MessageStreamEvent,
    UnknownEvent,
)
from r9s_stream._messages._fold import MessageFold
from r9s_stream._messages._models import (
    CitationsDelta,
    RedactedThinkingBlock,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ToolUseBlock,
    UnknownBlock,
    UnknownDelta,
    WebSearchToolResultBlock,
)

FIXTURES = Path(__file__).parent / "fixtures" / "messages"
RECORDINGS = [*sorted(p.name for p in FIXTURES.glob("*.sse")), "messages_openai_upstream_ok.body"]


def pieces(body: bytes, split: str) -> list[bytes]:
    """``body`` cut as a network might: 1 byte, 7 bytes, random sizes, one event, or whole."""
    if split == "1-byte":
        return [body[i : i + 1] for i in range(len(body))]
    if split == "odd":
        return [body[i : i + 7] for i in range(0, len(body), 7)]
    if split == "random":
        rng = random.Random(len(body))
        cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, len(body) // 20)))
        return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    if split == "one-event":
        events = body.split(b"\n\n")
        return [event + b"\n\n" for event in events[:-1]] + ([events[-1]] if events[-1] else [])
    return [body]


SPLITS = ["1-byte", "odd", "random", "one-event", "whole"]


def run(body: bytes, split: str) -> tuple[MessageDecoder, MessageFold, list[MessageStreamEvent]]:
    """Feed ``body`` in pieces, then end it; return the decoder, the fold and every event."""
    decoder, fold = MessageDecoder(), MessageFold()
    events: list[MessageStreamEvent] = []
    for piece in pieces(body, split):
        new = decoder.feed(piece)
        fold.add_many(new)
        events += new
    last = decoder.finish()
    fold.add_many(last)
    return decoder, fold, events + last


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", RECORDINGS)
def test_every_recording_rebuilds_the_same_message_at_every_split(name: str, split: str) -> None:
    """However the bytes arrive, a recording gives the same events, message, end and error."""
    body = (FIXTURES / name).read_bytes()
    decoder, fold, events = run(body, split)
    whole_decoder, whole_fold, whole_events = run(body, "whole")
    assert events == whole_events
    assert fold.snapshot == whole_fold.snapshot
    assert decoder.done == whole_decoder.done
    assert repr(decoder.error) == repr(whole_decoder.error)
    assert fold.snapshot.content  # every recording has some output


def test_text_recording_rebuilds_text_stop_reason_and_usage() -> None:
    """The text recording's message has its text, stop reason and the message_delta's usage."""
    _, fold, events = run((FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes(), "whole")
    message = fold.snapshot
    assert message.id == "msg_01QC4g3HwBThD4BaNtBckFDJ"
    assert message.text == (
        "Hello! I'm doing well, thank you for asking. How are you doing today? "
        "Is there anything I can help you with?"
    )
    assert message.stop_reason == "end_turn"
    assert message.usage is not None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 30)
    assert message.usage.service_tier == "standard"  # kept from message_start
    assert all(event.type != "ping" for event in events)  # pings are not handed out


def test_thinking_block_keeps_its_text_and_the_signature_delta() -> None:
    """A thinking block gets its thinking deltas joined and the signature_delta's signature."""
    _, fold, _ = run((FIXTURES / "pydantic-ai_messages_thinking-signature.sse").read_bytes(), "whole")
    thinking, text = fold.snapshot.content
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.thinking.startswith("This is a straightforward question about pedestrian safety.")
    assert thinking.signature.startswith("EvMCCkYICxgCKkCHP2cSuEdcJK")
    assert isinstance(text, TextBlock)
    assert text.text


def test_tool_input_cut_by_max_tokens_is_parsed_partially_and_kept_raw() -> None:
    """A tool call whose JSON the max_tokens stop cut keeps the raw JSON and its partial parse."""
    decoder, fold, _ = run(
        (FIXTURES / "anthropic-sdk-python_messages_max-tokens-partial-tool-json.sse").read_bytes(), "odd"
    )
    assert decoder.done  # no content_block_stop for the tool block: still a whole stream
    tool = fold.snapshot.content[1]
    assert isinstance(tool, ToolUseBlock)
    assert tool.name == "make_file"
    assert tool.partial_json.endswith('\n"Filing taxes')
    assert tool.input == {
        "filename": "taxes.txt",
        "lines_of_text": [
            "# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s",
            "",
            "## INTRODUCTION",
            "",
        ],
    }
    assert fold.snapshot.stop_reason == "max_tokens"


def test_error_event_is_an_api_error_with_type_and_request_id() -> None:
    """An event: error mid-stream stops decoding with a StreamAPIError naming the error."""
    decoder, fold, _ = run(
        (FIXTURES / "SYNTHETIC_messages_midstream-overloaded-error.sse").read_bytes(), "1-byte"
    )
    error = decoder.error
    assert isinstance(error, StreamAPIError)
    assert (error.type, error.message, error.request_id) == (
        "overloaded_error",
        "Overloaded",
        "req_SYNTHETIC000000000000000",
    )
    assert fold.snapshot.text == "Hello! I"


def test_gateway_form_is_complete_after_a_stop_reason_and_a_clean_end() -> None:
    """The gateway's data-only form (no message_start or message_stop) ends done after its stop reason."""
    decoder, fold, _ = run((FIXTURES / "messages_openai_upstream_ok.body").read_bytes(), "1-byte")
    assert decoder.done
    assert fold.snapshot.text == "Hello world"
    assert fold.snapshot.stop_reason == "end_turn"


def test_gateway_form_without_a_stop_reason_is_not_done() -> None:
    """A data-only stream whose body ends before any stop_reason is not done."""
    body = b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n'
    decoder, fold, _ = run(body, "whole")
    assert not decoder.done
    assert decoder.error is None
    assert "stop_reason" in decoder.missing_end(1)
    assert fold.snapshot.text == "Hi"


def test_stream_that_started_must_end_with_message_stop() -> None:
    """After message_start, a stop reason and a clean end are not enough: message_stop is the end."""
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    cut = body[: body.index(b"event: message_stop")]
    decoder, fold, _ = run(cut, "whole")
    assert not decoder.done
    assert fold.snapshot.stop_reason == "end_turn"
    assert "message_stop" in decoder.missing_end(10)


def test_last_event_without_blank_line_is_delivered_and_nothing_after_the_end() -> None:
    """message_stop without its blank line still ends the stream; bytes after the end are ignored."""
    body = (FIXTURES / "pydantic-ai_messages_text-short.sse").read_bytes().rstrip(b"\n")
    decoder, _, _ = run(body, "odd")
    assert decoder.done
    decoder = MessageDecoder()
    decoder.feed(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert decoder.feed(b"data: {not json}\n\n") == []
    assert decoder.error is None


def test_payload_without_type_goes_by_its_event_name() -> None:
    """A payload with no type field is read as its event: line names it."""
    decoder = MessageDecoder()
    events = decoder.feed(
        b'event: content_block_delta\ndata: {"index":0,"delta":{"type":"text_delta","text":"x"}}\n\n'
    )
    assert events == [ContentBlockDeltaEvent(index=0, delta=TextDelta(text="x"))]


def test_unknown_event_block_and_delta_are_kept_whole() -> None:
    """New event, block and delta types are handed out and kept verbatim, never fatal."""
    decoder, fold = MessageDecoder(), MessageFold()
    body = (
        b'data: {"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":3}}}\n\n'
        b'data: {"type":"content_block_start","index":0,"content_block":{"type":"hologram","x":[1]}}\n\n'
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"hologram_delta","y":2}}\n\n'
        b'data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}\n\n'
        b'data: {"type":"content_block_delta","index":1,"delta":'
        b'{"type":"citations_delta","citation":{"url":"u"}}}\n\n'
        b'data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ok"}}\n\n'
        b'data: {"type":"message_tremor","magnitude":3}\n\n'
        b'data: {"type":"message_stop"}\n\n'
    )
    events = decoder.feed(body)
    fold.add_many(events)
    assert decoder.done
    assert isinstance(events[0], MessageStartEvent)
    start = events[1]
    assert isinstance(start, ContentBlockStartEvent)
    assert isinstance(start.content_block, UnknownBlock)
    assert start.content_block.type == "hologram"
    assert start.content_block.data == {"type": "hologram", "x": [1]}
    delta = events[2]
    assert isinstance(delta, ContentBlockDeltaEvent)
    assert isinstance(delta.delta, UnknownDelta)
    assert delta.delta.type == "hologram_delta"
    assert isinstance(events[4], ContentBlockDeltaEvent)
    assert isinstance(events[4].delta, CitationsDelta)
    assert events[6] == UnknownEvent(type="message_tremor", data={"type": "message_tremor", "magnitude": 3})
    unknown, text = fold.snapshot.content
    assert unknown == UnknownBlock(data={"type": "hologram", "x": [1]})
    assert text == TextBlock(text="ok", citations=[{"url": "u"}])


def test_tool_result_and_redacted_thinking_blocks_are_kept_whole() -> None:
    """Blocks that arrive whole in their start (web search results, redacted thinking) stay whole."""
    decoder, fold = MessageDecoder(), MessageFold()
    fold.add_many(
        decoder.feed(
            b'data: {"type":"content_block_start","index":0,"content_block":'
            b'{"type":"redacted_thinking","data":"EmwKAhgB"}}\n\n'
            b'data: {"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result",'
            b'"tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://a"}]}}\n\n'
        )
    )
    assert fold.snapshot.content == [
        RedactedThinkingBlock(data="EmwKAhgB"),
        WebSearchToolResultBlock(
            tool_use_id="srvtoolu_1", content=[{"type": "web_search_result", "url": "https://a"}]
        ),
    ]


def test_usage_fields_of_message_delta_overwrite_message_start() -> None:
    """Each non-null usage field of a message_delta replaces message_start's; the rest stay."""
    decoder, fold = MessageDecoder(), MessageFold()
    fold.add_many(
        decoder.feed(
            b'data: {"type":"message_start","message":{"usage":{"input_tokens":0,"output_tokens":1,'
            b'"cache_read_input_tokens":7}}}\n\n'
            b'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
            b'"usage":{"input_tokens":21,"output_tokens":9,"cache_read_input_tokens":null,'
            b'"server_tool_use":{"web_search_requests":1}}}\n\n'
        )
    )
    usage = fold.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens) == (21, 9, 7)
    assert usage.server_tool_use is not None
    assert usage.server_tool_use.web_search_requests == 1
    assert fold.output_tokens == 9


def test_bad_json_stops_with_a_decode_error_and_keeps_what_came() -> None:
    """A payload that is not JSON is a StreamDecodeError; the events before it stay folded."""
    decoder, fold = MessageDecoder(), MessageFold()
    fold.add_many(
        decoder.feed(
            b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n'
            b'data: {"type":"content_block_delta","index":0,"delta":{"type":\n\n'
        )
    )
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.error.position == 1
    assert fold.snapshot.text == "Hi"


def test_too_large_event_is_an_event_too_large_error() -> None:
    """An event past max_event_size stops the decoder with EventTooLargeError."""
    decoder = MessageDecoder(max_event_size=64)
    decoder.feed(
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"' + b"x" * 100
    )
    assert isinstance(decoder.error, EventTooLargeError)


def test_tool_json_that_never_parses_keeps_the_raw_text_without_raising() -> None:
    """Tool-call JSON that is not JSON at all leaves input empty and keeps the raw text."""
    decoder, fold = MessageDecoder(), MessageFold()
    fold.add_many(
        decoder.feed(
            b'data: {"type":"content_block_start","index":0,"content_block":'
            b'{"type":"tool_use","id":"t","name":"f","input":{}}}\n\n'
            b'data: {"type":"content_block_delta","index":0,"delta":'
            b'{"type":"input_json_delta","partial_json":"]]nope"}}\n\n'
        )
    )
    tool = fold.snapshot.content[0]
    assert isinstance(tool, ToolUseBlock)
    assert (tool.input, tool.partial_json) == ({}, "]]nope")


def test_one_event_reads_and_careful_reads_count_positions_alike() -> None:
    """A too-large event after one-event reads names its position among every event before it."""
    decoder = MessageDecoder(max_event_size=600)
    body = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    events = body.split(b"\n\n")[:5]  # message_start, content_block_start, ping, two deltas
    for event in events:
        decoder.feed(event + b"\n\n")
    decoder.feed(b'event: content_block_delta\ndata: {"type":"content_block_delta","text":"' + b"x" * 800)
    assert isinstance(decoder.error, EventTooLargeError)
    assert decoder.error.position == 5


def test_a_read_of_many_events_gives_what_they_give_one_by_one() -> None:
    """Reads of many events (plain, an id: line, an unknown type, data-only) decode as one event a read."""
    plain = (FIXTURES / "vercel-ai_messages_text-ping.sse").read_bytes()
    frames = [frame + b"\n\n" for frame in plain.split(b"\n\n") if frame]
    odd = [
        b'id: 7\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":" (id)"}}\n\n',
        b'event: hologram\ndata: {"type":"hologram","x":1}\n\n',
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" (bare)"}}\n\n',
    ]
    body = b"".join([*frames[:6], *odd, *frames[6:]])
    one_by_one = run(body, "one-event")
    for split in ("whole", "odd", "random"):
        decoder, fold, events = run(body, split)
        assert events == one_by_one[2]
        assert fold.snapshot == one_by_one[1].snapshot
        assert decoder.done
    assert "thank you for asking (id) (bare). How are you" in one_by_one[1].snapshot.text


def test_events_before_a_too_large_one_in_the_same_read_are_kept() -> None:
    """A read whose last event is too large hands out the events before it, then the error."""
    decoder, fold = MessageDecoder(max_event_size=200), MessageFold()
    delta = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":'
    body = delta + b'{"type":"text_delta","text":"kept"}}\n\n' + delta + b'{"type":"text_delta","text":"'
    body += b"x" * 300 + b'"}}\n\n'
    fold.add_many(decoder.feed(body))
    fold.add_many(decoder.finish())
    assert fold.snapshot.text == "kept"
    assert isinstance(decoder.error, EventTooLargeError)
    assert decoder.error.position == 1


def test_an_event_too_large_held_back_is_not_skipped_by_the_next_one_event_read() -> None:
    """A too-large event after a good one in the same read stops the stream before any later read's events."""
    decoder = MessageDecoder(max_event_size=120)
    delta = b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}'
    small = b"event: content_block_delta\ndata: " + delta + b"\n\n"
    large = b"data: " + delta.replace(b"Hi", b"x" * 200) + b"\n\n"
    assert len(decoder.feed(small)) == 1
    assert len(decoder.feed(small + large)) == 1
    assert decoder.feed(small) == []
    assert isinstance(decoder.error, EventTooLargeError)
    assert decoder.error.position == 2


def test_a_payload_of_two_values_in_a_read_of_several_events_is_bad_json() -> None:
    """Two JSON values on one data line are not two events, however many events the read holds."""
    delta = b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}'
    good = b"event: content_block_delta\ndata: " + delta + b"\n\n"
    doubled = b"event: content_block_delta\ndata: " + delta + b"," + delta + b"\n\n"
    decoder = MessageDecoder()
    events = decoder.feed(good) + decoder.feed(good + doubled + good)
    assert len(events) == 2
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.error.position == 2
