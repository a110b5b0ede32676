"""The Responses decoder and fold (pure): every recording at every split, and what real servers vary.

Expected texts and usage were read from the raw ``.sse`` files, not copied from the code's output.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from _responses_replay import FIXTURES, GOOD_FILES, SPLITS, body_of, fold_all
from r9s_stream import EventTooLargeError, StreamAPIError, StreamDecodeError
from r9s_stream.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponsesDecoder,
    ResponseTextDeltaEvent,
    UnknownContentPart,
    UnknownOutputItem,
    UnknownResponseEvent,
)

# (file, the rebuilt output_text, input tokens, output tokens, the output item types), read from the files.
EXPECTED: dict[str, tuple[str, int | None, int | None, list[str]]] = {
    "pydantic-ai_responses_text.sse": ("The capital of France is Paris.", 278, 9, ["message"]),
    "pydantic-ai_responses_function-call.sse": ("", 255, 16, ["function_call"]),
    "pydantic-ai_responses_openrouter-reasoning-text.sse": ("4", 78, 37, ["reasoning", "message"]),
    "vercel-ai_responses_azure-text.sse": ("Hello", 11, 11, ["message"]),
    "SEMISYNTHETIC_open-next-router_responses_incomplete-max-output-tokens.sse": ("", 7, 0, []),
    "mock_upstream-openai-responses_stream_incomplete.sse": ("", 7, 0, []),
    "gateway_responses_openai_passthrough_ok.sse": ("Hello world", 7, 2, ["message"]),
    "mock_upstream-azure_response-responses_stream_completed_early.sse": ("Hello", None, None, ["message"]),
}


def event(payload: dict[str, Any], name: str | None = None) -> bytes:
    """One SSE event: ``event: NAME`` (if given) and ``data: payload``."""
    head = b"" if name is None else b"event: " + name.encode() + b"\n"
    return head + b"data: " + msgspec.json.encode(payload) + b"\n\n"


def run(body: bytes) -> tuple[ResponsesDecoder, Any, list[Any]]:
    """``body`` fed whole."""
    return fold_all(body, {})


COMPLETED = event(
    {"type": "response.completed", "response": {"id": "r", "status": "completed", "output": []}}
)


def test_every_recording_has_expectations() -> None:
    """Each good recording in tests/fixtures/responses is checked below (a new one must be added)."""
    assert set(GOOD_FILES) == set(EXPECTED) | {"pydantic-ai_responses_reasoning-summary.sse"}


@pytest.mark.parametrize("split", SPLITS, ids=str)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recording_rebuilds_its_text_and_usage_at_every_split(name: str, split: dict[str, Any]) -> None:
    """Each recording ends done with the text, usage and items it carries, however it is split."""
    text, input_tokens, output_tokens, kinds = EXPECTED[name]
    decoder, fold, _ = fold_all(body_of(name), split)
    assert decoder.done
    assert decoder.error is None
    response = fold.snapshot
    assert response.output_text == text
    assert [item.type for item in response.output] == kinds
    usage = fold.usage
    assert (None if usage is None else usage.input_tokens) == input_tokens
    assert (None if usage is None else usage.output_tokens) == output_tokens
    assert response == fold_all(body_of(name), {})[1].snapshot


def test_the_streamed_output_equals_the_servers_own_on_every_full_recording() -> None:
    """With the terminal event's output taken away, the deltas alone rebuild the same items."""
    compared = 0
    for name in GOOD_FILES:
        body = body_of(name)
        final = fold_all(body, {})[1].snapshot
        if not final.output or "completed_early" in name:  # nothing streamed before the end
            continue
        compared += 1
        decoder, streamed_fold, _ = fold_all(_slim_terminal(body), {})
        streamed = streamed_fold.snapshot
        assert decoder.done
        assert streamed.output_text == final.output_text, name
        assert [i.type for i in streamed.output] == [i.type for i in final.output], name
        for mine, theirs in zip(streamed.output, final.output, strict=True):
            if isinstance(theirs, ResponseFunctionToolCall):
                assert isinstance(mine, ResponseFunctionToolCall)
                assert (mine.name, mine.call_id, mine.arguments) == (
                    theirs.name,
                    theirs.call_id,
                    theirs.arguments,
                )
            if isinstance(theirs, ResponseReasoningItem):
                assert isinstance(mine, ResponseReasoningItem)
                assert [getattr(s, "text", None) for s in mine.summary] == [
                    getattr(s, "text", None) for s in theirs.summary
                ]
    assert compared == 6


def _slim_terminal(body: bytes) -> bytes:
    """``body`` with every output item of its terminal event's response taken out (a slim server)."""
    out = []
    for block in body.replace(b"\r\n", b"\n").split(b"\n\n"):
        lines = block.split(b"\n")
        for i, line in enumerate(lines):
            if line.startswith(b"data: {") and b'"response.completed"' in line:
                payload = msgspec.json.decode(line[6:])
                payload["response"]["output"] = []
                lines[i] = b"data: " + msgspec.json.encode(payload)
        out.append(b"\n".join(lines))
    return b"\n\n".join(out)


def test_a_long_reasoning_summary_rebuilds_from_hundreds_of_deltas() -> None:
    """The 676-event reasoning recording rebuilds its four summary parts and its answer."""
    decoder, fold, events = fold_all(body_of("pydantic-ai_responses_reasoning-summary.sse"), {"seed": 5})
    assert decoder.done
    assert len(events) == 676
    reasoning, message = fold.snapshot.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert len(reasoning.summary) == 4
    assert isinstance(message, ResponseOutputMessage)
    assert fold.snapshot.output_text.startswith("I'm not a road safety professional")
    assert fold.usage is not None
    assert fold.usage.output_tokens == 1680


def test_a_stream_without_sequence_numbers_or_created_that_starts_queued_rebuilds() -> None:
    """A resumed background stream (response.queued first, no sequence_number) rebuilds."""
    body = (
        event({"type": "response.queued", "response": {"id": "r1", "status": "queued"}})
        + event({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "Hi"})
        + event({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "!"})
        + COMPLETED
    )
    decoder, fold, _ = run(body)
    assert decoder.done
    assert fold.snapshot.output_text == "Hi!"
    assert fold.snapshot.id == "r"


def test_interleaved_items_rebuild_by_output_index() -> None:
    """Deltas of two items interleaved, the first closed after the second, land in their own items."""
    body = (
        event(
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"type": "reasoning", "id": "rs"},
            }
        )
        + event(
            {"type": "response.output_item.added", "output_index": 1, "item": {"type": "message", "id": "m"}}
        )
        + event(
            {"type": "response.reasoning_text.delta", "output_index": 0, "content_index": 0, "delta": "thi"}
        )
        + event({"type": "response.output_text.delta", "output_index": 1, "content_index": 0, "delta": "An"})
        + event(
            {"type": "response.reasoning_text.delta", "output_index": 0, "content_index": 0, "delta": "nk"}
        )
        + event(
            {"type": "response.output_text.delta", "output_index": 1, "content_index": 0, "delta": "swer"}
        )
        + COMPLETED
    )
    _, fold, _ = run(body)
    reasoning, message = fold.snapshot.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert reasoning.content is not None
    assert [getattr(part, "text", None) for part in reasoning.content] == ["think"]
    assert isinstance(message, ResponseOutputMessage)
    assert message.id == "m"
    assert fold.snapshot.output_text == "Answer"


def test_a_done_with_no_delta_before_it_is_the_text() -> None:
    """LM Studio's output_text.done without deltas gives the text, and counts as output."""
    body = (
        event({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "Whole"})
        + COMPLETED
    )
    _, fold, _ = run(body)
    assert fold.snapshot.output_text == "Whole"
    assert fold.has_output()


def test_vllm_reasoning_parts_rebuild_the_reasoning_text() -> None:
    """vLLM's response.reasoning_part.* around reasoning_text deltas rebuild the reasoning item."""
    part = {"type": "reasoning_text", "text": ""}
    body = (
        event({"type": "response.reasoning_part.added", "output_index": 0, "content_index": 0, "part": part})
        + event(
            {"type": "response.reasoning_text.delta", "output_index": 0, "content_index": 0, "delta": "Hm"}
        )
        + event({"type": "response.reasoning_part.done", "output_index": 0, "content_index": 0, "part": part})
        + COMPLETED
    )
    _, fold, events = run(body)
    assert not any(isinstance(e, UnknownResponseEvent) for e in events)
    (reasoning,) = fold.snapshot.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert reasoning.content is not None
    assert getattr(reasoning.content[0], "text", None) == "Hm"


def test_unknown_events_items_and_parts_are_kept_not_fatal() -> None:
    """An unknown event type, item type and part type are handed out and kept verbatim."""
    mcp = {"type": "mcp_call", "id": "mcp_1", "server_label": "s", "status": "weird_new_status"}
    body = (
        event({"type": "response.mcp_call.in_progress", "output_index": 0, "x": 1})
        + event({"type": "response.output_item.done", "output_index": 0, "item": mcp})
        + event(
            {
                "type": "response.content_part.added",
                "output_index": 1,
                "content_index": 0,
                "part": {"type": "audio"},
            }
        )
        + event({"type": "response.output_text.delta", "output_index": 1, "content_index": 1, "delta": "ok"})
        + COMPLETED
    )
    decoder, fold, events = run(body)
    assert decoder.done
    unknown = events[0]
    assert isinstance(unknown, UnknownResponseEvent)
    assert unknown.type == "response.mcp_call.in_progress"
    assert unknown.data["x"] == 1
    item = fold.snapshot.output[0]
    assert isinstance(item, UnknownOutputItem)
    assert item.type == "mcp_call"
    assert item.data == mcp
    message = fold.snapshot.output[1]
    assert isinstance(message, ResponseOutputMessage)
    assert isinstance(message.content[0], UnknownContentPart)
    assert message.content[0].type == "audio"
    assert fold.snapshot.output_text == "ok"


def test_a_payload_without_type_takes_the_event_name() -> None:
    """Azure's converter sends no ``type`` in the payload: the ``event:`` line names it."""
    body = event({"delta": "Hi"}, "response.output_text.delta") + event(
        {"response": {"status": "completed"}}, "response.completed"
    )
    decoder, fold, events = run(body)
    assert decoder.done
    assert isinstance(events[0], ResponseTextDeltaEvent)
    assert fold.snapshot.output_text == "Hi"


def test_the_payload_type_wins_over_the_event_name() -> None:
    """When payload and ``event:`` line disagree, the payload's ``type`` decides."""
    body = event({"type": "response.output_text.delta", "delta": "x"}, "response.completed") + COMPLETED
    _, fold, events = run(body)
    assert isinstance(events[0], ResponseTextDeltaEvent)
    assert fold.snapshot.output_text == "x"


def test_done_after_the_end_is_fine_and_nothing_after_the_end_is_decoded() -> None:
    """``data: [DONE]`` after response.completed passes; later events, even bad ones, are ignored."""
    body = COMPLETED + b"data: [DONE]\n\n" + b"data: {not json\n\n"
    decoder, _, events = run(body)
    assert decoder.done
    assert decoder.error is None
    assert len(events) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {
            "type": "error",
            "error": {"type": "server_error", "code": "boom", "message": "It broke", "param": "p"},
        },
        {"type": "error", "code": "boom", "message": "It broke", "param": "p"},
    ],
    ids=["nested", "top-level"],
)
def test_an_error_event_is_an_api_error_with_its_fields(payload: dict[str, Any]) -> None:
    """The ``error`` event, its fields nested or at the top level, stops with StreamAPIError at once."""
    body = (
        event({"type": "response.output_text.delta", "delta": "par"})
        + event(payload)
        + event({"type": "response.failed", "response": {"status": "failed"}})
    )
    decoder, fold, events = run(body)
    assert isinstance(decoder.error, StreamAPIError)
    assert (decoder.error.message, decoder.error.code, decoder.error.param) == ("It broke", "boom", "p")
    assert len(events) == 2  # the response.failed after it is not waited for
    assert fold.snapshot.output_text == "par"


def test_response_failed_alone_is_an_api_error_from_response_error() -> None:
    """The recorded quota failure: error event first, with its type, code and message."""
    decoder, _, _ = fold_all(body_of("vercel-ai_responses_error-failed.sse"), {"piece_size": 3})
    error = decoder.error
    assert isinstance(error, StreamAPIError)
    assert (error.type, error.code) == ("insufficient_quota", "insufficient_quota")
    assert error.message.startswith("You exceeded your current quota")
    failed = event(
        {"type": "response.failed", "response": {"status": "failed", "error": {"code": "c", "message": "m"}}}
    )
    decoder, fold, _ = run(failed)
    assert isinstance(decoder.error, StreamAPIError)
    assert (decoder.error.code, decoder.error.message) == (
        "c",
        "m",
    )
    assert fold.snapshot.status == "failed"


def test_bad_json_keeps_the_events_before_it() -> None:
    """A payload that is not JSON stops decoding with StreamDecodeError; earlier events stay."""
    body = event({"type": "response.output_text.delta", "delta": "Hi"}) + b"data: {oops\n\n"
    decoder, fold, events = run(body)
    assert len(events) == 1
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.error.data == "{oops"
    assert fold.snapshot.output_text == "Hi"


def test_a_too_large_event_is_an_event_too_large_error() -> None:
    """An event past max_event_size is EventTooLargeError; the events before it (same read too) stay."""
    for reads in (1, 2):
        decoder = ResponsesDecoder(max_event_size=200)
        small = event({"type": "response.output_text.delta", "delta": "Hi"})
        large = event({"type": "response.output_text.delta", "delta": "x" * 500})
        events = decoder.feed(small + large) if reads == 1 else decoder.feed(small) + decoder.feed(large)
        events += decoder.finish()
        assert len(events) == 1
        assert isinstance(decoder.error, EventTooLargeError)
        assert decoder.error.position == 1


def test_a_last_event_without_a_blank_line_is_delivered() -> None:
    """A terminal event the server did not close with a blank line still ends the stream."""
    decoder, _, events = run(COMPLETED.rstrip(b"\n"))
    assert decoder.done
    assert len(events) == 1


def test_events_match_on_their_classes_and_read_their_type() -> None:
    """``match`` works on the event classes, and ``.type`` reads as the wire's string."""
    (delta,) = ResponsesDecoder().feed(event({"type": "response.output_text.delta", "delta": "d"}))
    assert delta.type == "response.output_text.delta"
    match delta:
        case ResponseTextDeltaEvent(delta=text):
            assert text == "d"
        case _:
            raise AssertionError(delta)
    assert ResponseOutputText(text="t").type == "output_text"


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.sse")))
def test_one_event_reads_give_the_same_events_as_one_byte_reads(name: str) -> None:
    """A recording read one event per read (the short path) gives what 1-byte reads give."""
    one_event, _, events = fold_all(body_of(name), {"events": True})
    one_byte, _, expected = fold_all(body_of(name), {"piece_size": 1})
    assert events == expected
    assert one_event.done == one_byte.done
    assert repr(one_event.error) == repr(one_byte.error)


def test_unusual_one_event_reads_mean_what_the_whatwg_rules_say() -> None:
    """One-event reads with a comment, an id, a CR, two data lines or no type mean what 1-byte reads do."""
    delta = {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "a"}
    untyped = {"output_index": 0, "content_index": 0, "delta": "b"}
    reads = [
        event(delta, "response.output_text.delta"),
        b": keep-alive\n" + event(delta),
        b"id: 7\n" + event(delta),
        event(delta).replace(b"\n", b"\r\n"),
        b'data: {"type": "response.output_text.delta",\ndata: "delta": "c"}\n\n',
        event(untyped, "response.output_text.delta"),
        b"data:" + msgspec.json.encode(delta) + b"\n\n",
        event(delta, "response.output_text.delta"),
        b"data: {oops\n\n",
    ]
    decoder = ResponsesDecoder()
    events = [one for read in reads for one in decoder.feed(read)]
    by_bytes, _, expected = fold_all(b"".join(reads), {"piece_size": 1})
    assert events == expected
    assert [one.delta for one in events if isinstance(one, ResponseTextDeltaEvent)] == list("aaaacbaa")
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.error.position == by_bytes.error.position == 8  # type: ignore[union-attr]


def test_an_event_too_large_held_back_is_not_skipped_by_the_next_one_event_read() -> None:
    """A too-large event after a good one in the same read stops the stream before any later read's events."""
    decoder = ResponsesDecoder(max_event_size=200)
    small = event({"type": "response.output_text.delta", "delta": "Hi"}, "response.output_text.delta")
    large = event({"type": "response.output_text.delta", "delta": "x" * 500})
    assert len(decoder.feed(small)) == 1
    assert len(decoder.feed(small + large)) == 1
    assert decoder.feed(small) == []
    assert isinstance(decoder.error, EventTooLargeError)
    assert decoder.error.position == 2


@pytest.mark.parametrize("per_read", [2, 3, 5])
@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.sse")))
def test_reads_of_several_events_give_what_one_byte_reads_give(name: str, per_read: int) -> None:
    """A recording read several whole events at a time (one decode per read) gives what 1-byte reads give."""
    events = body_of(name).replace(b"\r\n", b"\n").split(b"\n\n")
    reads = [b"\n\n".join(events[at : at + per_read]) + b"\n\n" for at in range(0, len(events), per_read)]
    decoder = ResponsesDecoder()
    got = [one for read in reads for one in decoder.feed(read)] + decoder.finish()
    by_bytes, _, expected = fold_all(body_of(name), {"piece_size": 1})
    assert got == expected
    assert decoder.done == by_bytes.done
    assert repr(decoder.error) == repr(by_bytes.error)


def test_a_payload_of_two_values_in_a_read_of_several_events_is_bad_json() -> None:
    """Two JSON values on one data line are not two events, however many events the read holds."""
    delta = {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "a"}
    good = event(delta, "response.output_text.delta")
    doubled = good.replace(b"}\n\n", b"}," + msgspec.json.encode(delta) + b"\n\n")
    decoder = ResponsesDecoder()
    events = decoder.feed(good) + decoder.feed(good + doubled + good)
    assert len(events) == 2
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.error.position == 2
