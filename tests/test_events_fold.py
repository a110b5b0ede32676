"""The events fold, line by line without an event loop: which events each chunk produces, in order."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

import r9s_stream as rs


def chunk(*choices: dict[str, Any], usage: dict[str, int] | None = None) -> rs.ChatCompletionStreamEvent:
    """A chunk from plain choice dicts (``{"index": 0, "delta": {...}, "finish_reason": ...}``)."""
    payload: dict[str, Any] = {"id": "c1", "model": "m", "created": 1, "choices": list(choices)}
    if usage is not None:
        payload["usage"] = usage
    return msgspec.convert(payload, rs.ChatCompletionStreamEvent)


def delta(index: int = 0, finish_reason: str | None = None, **fields: Any) -> dict[str, Any]:
    """One choice's part of a chunk."""
    return {"index": index, "delta": fields, "finish_reason": finish_reason}


def call(index: int, arguments: str | None = None, **fields: Any) -> dict[str, Any]:
    """One tool-call delta: ``id`` and ``name`` when given, then an arguments fragment."""
    function: dict[str, Any] = {}
    if "name" in fields:
        function["name"] = fields.pop("name")
    if arguments is not None:
        function["arguments"] = arguments
    return {"index": index, **fields, "function": function}


def add(accumulator: rs.ChatCompletionAccumulator, *chunks: rs.ChatCompletionStreamEvent) -> list[Any]:
    """The events ``chunks`` produce, as a list (``Any``: each test knows which types it expects)."""
    return list(accumulator.add_many(chunks))


def finish(accumulator: rs.ChatCompletionAccumulator) -> list[Any]:
    """The events ``data: [DONE]`` produces."""
    return list(accumulator.finish())


def kinds(events: Any) -> list[str]:
    """Each event's type and the part it belongs to, e.g. ``content.delta 0`` or ``tool 0.1 done``."""
    out = []
    for event in events:
        name = event.type
        if isinstance(event, (rs.ToolCallStart, rs.ToolCallArgumentsDelta, rs.ToolCallDone)):
            name = f"{name} {event.choice}.{event.index}"
        elif not isinstance(event, rs.UsageReceived):
            name = f"{name} {event.choice}"
        out.append(name)
    return out


class GetWeather(msgspec.Struct):
    """A tool given as a Struct."""

    city: str


class Answer(msgspec.Struct):
    """A response format."""

    city: str
    temperature: float


def test_content_deltas_then_done_then_choice_done_at_the_finish_reason() -> None:
    """Content deltas carry their snapshot; the finish reason brings ContentDone, then ChoiceDone."""
    acc = rs.ChatCompletionAccumulator(events=True)
    assert add(acc, chunk(delta(role="assistant", content=""))) == []  # an empty string is no delta
    first = add(acc, chunk(delta(content="Hel")))
    second = add(acc, chunk(delta(content="lo")))
    end = add(acc, chunk(delta(finish_reason="stop")))
    usage = add(acc, chunk(usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}))
    assert kinds([*first, *second]) == ["content.delta 0", "content.delta 0"]
    assert [(e.delta, e.snapshot) for e in (*first, *second)] == [("Hel", "Hel"), ("lo", "Hello")]
    assert kinds(end) == ["content.done 0", "choice.done 0"]
    assert end[0] == rs.ContentDone(0, "Hello", None)
    assert end[1] == rs.ChoiceDone(0, "stop", rs.ChatCompletionMessage(content="Hello"))
    assert usage == [rs.UsageReceived(rs.Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3))]
    assert finish(acc) == []  # everything is closed already


def test_a_snapshot_is_the_text_as_of_its_event_even_when_read_later() -> None:
    """Reading a snapshot after more chunks came gives the text as of that event, and changes nothing."""
    acc = rs.ChatCompletionAccumulator(events=True)
    events = [e for piece in ["a", "bc", "def"] for e in add(acc, chunk(delta(content=piece)))]
    assert [e.snapshot for e in reversed(events)] == ["abcdef", "abc", "a"]
    assert events[0].parsed is None  # no parsing asked for
    assert acc.completion.choices[0].message.content == "abcdef"


def test_reasoning_is_done_as_soon_as_content_begins() -> None:
    """ReasoningDone comes right before the first content delta, in the same chunk's events."""
    acc = rs.ChatCompletionAccumulator(events=True)
    thinking = add(acc, chunk(delta(reasoning_content="Think")))
    both = add(acc, chunk(delta(reasoning_content=".", content="Hi")))
    assert kinds(thinking) == ["reasoning.delta 0"]
    assert kinds(both) == ["reasoning.delta 0", "reasoning.done 0", "content.delta 0"]
    assert both[1] == rs.ReasoningDone(0, "Think.")
    assert both[0].snapshot == "Think."


def test_reasoning_then_tool_call_closes_reasoning_before_the_call_starts() -> None:
    """A tool call after reasoning: ReasoningDone, then ToolCallStart."""
    acc = rs.ChatCompletionAccumulator(events=True)
    add(acc, chunk(delta(reasoning="Need the weather.")))
    events = add(acc, chunk(delta(tool_calls=[call(0, "", id="call_1", type="function", name="weather")])))
    assert kinds(events) == ["reasoning.done 0", "tool_calls.function.start 0.0"]
    assert events[1] == rs.ToolCallStart(0, 0, "call_1", "weather")


def test_content_is_done_when_a_tool_call_begins_and_the_call_at_the_finish_reason() -> None:
    """Content then a call: ContentDone before the call's Start; the call's Done before ChoiceDone."""
    acc = rs.ChatCompletionAccumulator(events=True)
    add(acc, chunk(delta(content="Checking.")))
    start = add(acc, chunk(delta(tool_calls=[call(0, '{"city":', id="c", name="weather")])))
    more = add(acc, chunk(delta(tool_calls=[call(0, '"Oslo"}')])))
    end = add(acc, chunk(delta(finish_reason="tool_calls")))
    assert kinds(start) == [
        "content.done 0",
        "tool_calls.function.start 0.0",
        "tool_calls.function.arguments.delta 0.0",
    ]
    assert [(e.delta, e.arguments) for e in more] == [('"Oslo"}', '{"city":"Oslo"}')]
    assert kinds(end) == ["tool_calls.function.arguments.done 0.0", "choice.done 0"]
    done = end[0]
    assert isinstance(done, rs.ToolCallDone)
    assert done.tool_call == rs.ToolCall(
        id="c", function=rs.FunctionCall(name="weather", arguments='{"city":"Oslo"}')
    )
    assert (done.name, done.arguments) == ("weather", '{"city":"Oslo"}')


def test_a_call_is_done_as_soon_as_a_delta_for_another_call_arrives() -> None:
    """Parallel calls: call 0's Done comes with call 1's first delta, before call 1's Start."""
    acc = rs.ChatCompletionAccumulator(events=True)
    add(acc, chunk(delta(tool_calls=[call(0, "", id="a", name="f")])))
    add(acc, chunk(delta(tool_calls=[call(0, "{}")])))
    second = add(acc, chunk(delta(tool_calls=[call(1, "", id="b", name="g")])))
    assert kinds(second) == ["tool_calls.function.arguments.done 0.0", "tool_calls.function.start 0.1"]
    assert kinds(add(acc, chunk(delta(tool_calls=[call(1, "{}")])))) == [
        "tool_calls.function.arguments.delta 0.1"
    ]
    assert kinds(add(acc, chunk(delta(finish_reason="tool_calls")))) == [
        "tool_calls.function.arguments.done 0.1",
        "choice.done 0",
    ]


def test_calls_numbered_zero_apart_by_id_are_two_calls() -> None:
    """Servers that give every parallel call index 0 with distinct ids: two Starts, places 0 and 1."""
    acc = rs.ChatCompletionAccumulator(events=True)
    add(acc, chunk(delta(tool_calls=[call(0, "{}", id="a", name="f")])))
    events = add(acc, chunk(delta(tool_calls=[call(0, "{}", id="b", name="g")])))
    assert kinds(events) == [
        "tool_calls.function.arguments.done 0.0",
        "tool_calls.function.start 0.1",
        "tool_calls.function.arguments.delta 0.1",
    ]


def test_repeated_id_and_name_in_every_chunk_is_one_call() -> None:
    """llama.cpp repeats id, type and name in every chunk: one Start and one Done for the call."""
    acc = rs.ChatCompletionAccumulator(events=True)
    events: list[Any] = []
    for piece in ['{"city"', ':"Oslo"', "}"]:
        events += add(
            acc, chunk(delta(tool_calls=[call(0, piece, id="x", type="function", name="get_weather")]))
        )
    events += add(acc, chunk(delta(finish_reason="tool_calls")))
    assert kinds(events) == [
        "tool_calls.function.start 0.0",
        *["tool_calls.function.arguments.delta 0.0"] * 3,
        "tool_calls.function.arguments.done 0.0",
        "choice.done 0",
    ]
    assert events[-2].tool_call.function == rs.FunctionCall(name="get_weather", arguments='{"city":"Oslo"}')


def test_a_whole_call_in_one_delta_is_start_one_arguments_delta_done() -> None:
    """Groq sends id, name and all the arguments in one delta, with the finish reason."""
    acc = rs.ChatCompletionAccumulator(events=True)
    events = add(
        acc,
        chunk(
            delta(
                tool_calls=[call(0, "{}", id="g", type="function", name="weather")],
                finish_reason="tool_calls",
            )
        ),
    )
    assert kinds(events) == [
        "tool_calls.function.start 0.0",
        "tool_calls.function.arguments.delta 0.0",
        "tool_calls.function.arguments.done 0.0",
        "choice.done 0",
    ]


def test_done_by_done_marker_without_a_finish_reason() -> None:
    """LiteLLM with n > 1 sends no finish reason: finish() closes every part, choices in order."""
    acc = rs.ChatCompletionAccumulator(events=True)
    add(acc, chunk(delta(1, content="B"), delta(0, content="A")))
    assert kinds(add(acc, chunk(delta(1, tool_calls=[call(0, "{}", id="t", name="f")])))) == [
        "content.done 1",
        "tool_calls.function.start 1.0",
        "tool_calls.function.arguments.delta 1.0",
    ]
    end = finish(acc)
    assert kinds(end) == [
        "content.done 0",
        "choice.done 0",
        "tool_calls.function.arguments.done 1.0",
        "choice.done 1",
    ]
    assert end[1] == rs.ChoiceDone(0, None, rs.ChatCompletionMessage(content="A"))
    assert finish(acc) == []  # once only


def test_no_done_is_invented_for_a_stream_that_stops_early() -> None:
    """Without finish() (no [DONE]), the open parts get no Done: only what the chunks said."""
    acc = rs.ChatCompletionAccumulator(events=True)
    events = add(acc, chunk(delta(content="Hal")))
    events += add(acc, chunk(delta(tool_calls=[call(0, '{"a', id="t", name="f")])))
    assert kinds(events) == [
        "content.delta 0",
        "content.done 0",  # closed by the call that began, not by the end
        "tool_calls.function.start 0.0",
        "tool_calls.function.arguments.delta 0.0",
    ]


def test_parts_without_deltas_get_no_done() -> None:
    """A choice with only a role and empty strings: ChoiceDone, no ContentDone or RefusalDone."""
    acc = rs.ChatCompletionAccumulator(events=True)
    events = add(acc, chunk(delta(role="assistant", content="", refusal="")))
    events += add(acc, chunk(delta(finish_reason="stop")))
    assert kinds(events) == ["choice.done 0"]


def test_refusal_and_its_logprobs() -> None:
    """Refusal deltas and their log probabilities; at the finish RefusalDone, then LogprobsDone with all."""
    token = {"token": "No", "logprob": -0.5, "bytes": [78, 111], "top_logprobs": []}
    acc = rs.ChatCompletionAccumulator(events=True)
    first = add(acc, chunk({**delta(refusal="No"), "logprobs": {"content": None, "refusal": [token]}}))
    second = add(acc, chunk({**delta(refusal="pe"), "logprobs": {"refusal": [{**token, "token": "pe"}]}}))
    end = add(acc, chunk(delta(finish_reason="stop")))
    assert kinds(first) == ["refusal.delta 0", "logprobs.refusal.delta 0"]
    assert second[0].snapshot == "Nope"
    assert kinds(end) == ["refusal.done 0", "logprobs.refusal.done 0", "choice.done 0"]
    assert end[0] == rs.RefusalDone(0, "Nope")
    done = end[1]
    assert isinstance(done, rs.LogprobsDone)
    assert (done.kind, [t.token for t in done.tokens]) == ("refusal", ["No", "pe"])


def test_content_logprobs_close_with_the_content_when_a_call_begins() -> None:
    """Log probabilities of content close together with it, in openai-python's order."""
    token = {"token": "Hi", "logprob": -0.1}
    acc = rs.ChatCompletionAccumulator(events=True)
    add(acc, chunk({**delta(content="Hi"), "logprobs": {"content": [token]}}))
    events = add(acc, chunk(delta(tool_calls=[call(0, "{}", id="t", name="f")])))
    assert kinds(events)[:2] == ["content.done 0", "logprobs.content.done 0"]


def test_parsed_is_partial_json_on_deltas_and_the_struct_on_done() -> None:
    """With output types: delta ``parsed`` is the JSON so far, Done ``parsed`` the decoded Struct."""
    fold_output = rs.OutputSpec(Answer, {"GetWeather": GetWeather})
    acc = rs.ChatCompletionAccumulator()
    acc.enable_events(fold_output)
    events: list[Any] = []
    for piece in ['{"city": "Pa', 'ris", "tempera', 'ture": 21.5}']:
        events += add(acc, chunk(delta(content=piece)))
    events += add(acc, chunk(delta(tool_calls=[call(0, '{"city": "Ro', id="t", name="GetWeather")])))
    events += add(acc, chunk(delta(tool_calls=[call(0, 'me"}')])))
    events += add(
        acc, chunk(delta(tool_calls=[call(1, "{}", id="u", name="other")], finish_reason="tool_calls"))
    )
    assert [e.parsed for e in events[:3]] == [{}, {"city": "Paris"}, {"city": "Paris", "temperature": 21.5}]
    assert events[3] == rs.ContentDone(0, '{"city": "Paris", "temperature": 21.5}', Answer("Paris", 21.5))
    arguments = [e for e in events if isinstance(e, rs.ToolCallArgumentsDelta)]
    assert [e.parsed for e in arguments] == [{}, {"city": "Rome"}, None]  # "other" is not a Struct tool
    done = [e for e in events if isinstance(e, rs.ToolCallDone)]
    assert [e.parsed for e in done] == [GetWeather("Rome"), None]


def test_events_match_by_keyword_and_position() -> None:
    """``match`` works on the events, by keyword (lazy fields too) and by position."""
    acc = rs.ChatCompletionAccumulator(events=True)
    (event,) = add(acc, chunk(delta(content="Hi")))
    match event:
        case rs.ContentDelta(0, text, snapshot=snapshot):
            assert (text, snapshot) == ("Hi", "Hi")
        case _:
            pytest.fail("no match")


def test_events_encode_with_their_type_tag() -> None:
    """Events are tagged msgspec Structs: encoded, each says its ``type``."""
    encoded = msgspec.json.decode(msgspec.json.encode(rs.ContentDone(0, "Hi")))
    assert encoded == {"type": "content.done", "choice": 0, "content": "Hi", "parsed": None}
    assert msgspec.json.decode(msgspec.json.encode(encoded), type=rs.StreamEvent) == rs.ContentDone(0, "Hi")


def test_without_events_add_returns_nothing_and_late_events_are_refused() -> None:
    """A plain accumulator returns no events; asking for them after a chunk is a clear error."""
    acc = rs.ChatCompletionAccumulator()
    assert list(add(acc, chunk(delta(content="Hi")))) == []
    assert list(finish(acc)) == []
    with pytest.raises(RuntimeError, match="before the first chunk"):
        acc.enable_events()
