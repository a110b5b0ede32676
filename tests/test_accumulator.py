"""``ChatCompletionAccumulator`` case by case: chunks in, a ``ChatCompletion`` out. No I/O."""

from __future__ import annotations

import time
from typing import Any

import msgspec

import r9s_stream as rs


def event(*choices: dict[str, Any], **fields: Any) -> rs.ChatCompletionStreamEvent:
    """A chunk built from wire-shaped dicts, decoded exactly as the stream decodes them."""
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", **fields}
    body["choices"] = list(choices)
    return msgspec.json.decode(msgspec.json.encode(body), type=rs.ChatCompletionStreamEvent)


def delta(index: int = 0, finish_reason: str | None = None, **fields: Any) -> dict[str, Any]:
    """A wire choice with the given delta fields."""
    return {"index": index, "delta": fields, "finish_reason": finish_reason}


def call(index: int | None = None, id: str | None = None, name: str | None = None, args: str | None = None,
         type: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A wire tool-call delta; absent arguments are left out, as servers do."""
    out: dict[str, Any] = {}
    if index is not None:
        out["index"] = index
    if id is not None:
        out["id"] = id
    if type is not None:
        out["type"] = type
    function = {k: v for k, v in (("name", name), ("arguments", args)) if v is not None}
    if function:
        out["function"] = function
    return out


def fold(*events: rs.ChatCompletionStreamEvent) -> rs.ChatCompletion:
    """Accumulate the chunks and return the completion."""
    acc = rs.ChatCompletionAccumulator()
    for e in events:
        acc.add(e)
    return acc.completion


def message(completion: rs.ChatCompletion, index: int = 0) -> rs.ChatCompletionMessage:
    """The message of one choice."""
    return completion.choices[index].message


# --- text --------------------------------------------------------------------------------


def test_content_is_concatenated() -> None:
    """Content pieces are joined in order."""
    done = fold(
        event(delta(role="assistant", content="")), event(delta(content="Hel")), event(delta(content="lo"))
    )
    assert message(done).content == "Hello"


def test_content_never_sent_is_none() -> None:
    """A choice that never got content has content None, not ""."""
    done = fold(event(delta(role="assistant", content=None)), event(delta(refusal="no")))
    assert message(done).content is None


def test_empty_content_sent_is_empty_string() -> None:
    """A choice whose only content was "" has content "" (the server did send content)."""
    assert message(fold(event(delta(content="")))).content == ""


def test_refusal_is_concatenated() -> None:
    """Refusal pieces are joined; content stays None."""
    done = fold(event(delta(role="assistant", content=None, refusal="")), event(delta(refusal="I can")),
                event(delta(refusal="'t.")))  # fmt: skip
    assert message(done).refusal == "I can't."
    assert message(done).content is None


def test_reasoning_content_is_concatenated() -> None:
    """DeepSeek's reasoning_content pieces become message.reasoning_content."""
    done = fold(event(delta(reasoning_content="think ")), event(delta(reasoning_content="hard")),
                event(delta(content="answer")))  # fmt: skip
    assert message(done).reasoning_content == "think hard"
    assert message(done).content == "answer"


def test_reasoning_field_is_read_too() -> None:
    """OpenRouter/vLLM's `reasoning` field fills reasoning_content as well."""
    done = fold(event(delta(reasoning="a")), event(delta(reasoning="b")))
    assert message(done).reasoning_content == "ab"


def test_reasoning_sent_under_both_names_is_not_doubled() -> None:
    """A delta carrying the same text as reasoning and reasoning_content counts it once."""
    done = fold(
        event(delta(reasoning="x", reasoning_content="x")), event(delta(reasoning="y", reasoning_content="y"))
    )
    assert message(done).reasoning_content == "xy"


def test_no_reasoning_is_none() -> None:
    """Without any reasoning field the message's reasoning_content is None."""
    assert message(fold(event(delta(content="hi")))).reasoning_content is None


def test_long_content_of_many_pieces_completes() -> None:
    """100,000 one-character pieces accumulate (and snapshot along the way) without quadratic cost."""
    acc = rs.ChatCompletionAccumulator()
    piece = event(delta(content="a"))
    started = time.perf_counter()
    for i in range(100_000):
        acc.add(piece)
        if i % 10_000 == 0:
            assert message(acc.completion).content == "a" * (i + 1)
    assert message(acc.completion).content == "a" * 100_000
    assert time.perf_counter() - started < 30  # a generous bound: quadratic joins would take minutes


# --- tool calls --------------------------------------------------------------------------


def test_tool_calls_merged_by_index_with_arguments_concatenated() -> None:
    """Parallel tool calls interleaved by index rebuild each call separately."""
    done = fold(
        event(delta(tool_calls=[call(0, "call_a", "get_weather", "", type="function")])),
        event(delta(tool_calls=[call(1, "call_b", "get_time", "")])),
        event(delta(tool_calls=[call(0, args='{"city":')])),
        event(delta(tool_calls=[call(1, args='{"tz":')])),
        event(delta(tool_calls=[call(0, args='"Paris"}')])),
        event(delta(tool_calls=[call(1, args='"UTC"}')])),
        event(delta(finish_reason="tool_calls")),
    )
    assert message(done).tool_calls == [
        rs.ToolCall(
            id="call_a",
            type="function",
            function=rs.FunctionCall(name="get_weather", arguments='{"city":"Paris"}'),
        ),
        rs.ToolCall(
            id="call_b", type="function", function=rs.FunctionCall(name="get_time", arguments='{"tz":"UTC"}')
        ),
    ]
    assert done.choices[0].finish_reason == "tool_calls"


def test_repeated_id_type_and_name_are_not_concatenated() -> None:
    """llama.cpp repeats id, type and name in every chunk: they are kept once."""
    done = fold(
        event(delta(tool_calls=[call(0, "call_1", "search", '{"q"', type="function")])),
        event(delta(tool_calls=[call(0, "call_1", "search", ': "x"}', type="function")])),
    )
    assert message(done).tool_calls == [
        rs.ToolCall(
            id="call_1", type="function", function=rs.FunctionCall(name="search", arguments='{"q": "x"}')
        )
    ]


def test_tool_call_without_type_defaults_to_function() -> None:
    """A server that omits `type` gets type "function"."""
    calls = message(fold(event(delta(tool_calls=[call(0, "c", "f", "{}")])))).tool_calls
    assert calls is not None
    assert calls[0].type == "function"


def test_no_tool_calls_is_none() -> None:
    """A message without tool calls has tool_calls None, not []."""
    assert message(fold(event(delta(content="x")))).tool_calls is None


def test_every_parallel_call_numbered_zero_with_distinct_ids() -> None:
    """Servers that give every parallel call index 0 but distinct ids get separate calls."""
    done = fold(
        event(delta(tool_calls=[call(0, "call_a", "f", "{")])),
        event(delta(tool_calls=[call(0, args="}")])),
        event(delta(tool_calls=[call(0, "call_b", "g", "[")])),
        event(delta(tool_calls=[call(0, args="]")])),
    )
    calls = message(done).tool_calls
    assert calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", "{}"),
        ("call_b", "g", "[]"),
    ]


def test_tool_call_deltas_without_index_follow_the_documented_rule() -> None:
    """Without index: a new id or name starts a call, a known id continues it, a bare fragment the latest."""
    done = fold(
        event(delta(tool_calls=[call(id="call_a", name="f", args="{")])),
        event(delta(tool_calls=[call(args='"a": 1')])),
        event(delta(tool_calls=[call(id="call_b", name="g", args="[")])),
        event(delta(tool_calls=[call(id="call_a", args="}")])),
        event(delta(tool_calls=[call(args="]")])),
        event(delta(tool_calls=[call(name="h", args="()")])),
    )
    calls = message(done).tool_calls
    assert calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", '{"a": 1}'),
        ("call_b", "g", "[]"),
        ("", "h", "()"),
    ]


def test_bare_fragment_without_index_and_no_call_yet_starts_one() -> None:
    """An arguments fragment with no index before any call starts a call rather than being lost."""
    calls = message(fold(event(delta(tool_calls=[call(args="{}")])))).tool_calls
    assert calls is not None
    assert calls[0].function.arguments == "{}"


def test_several_tool_calls_in_one_delta() -> None:
    """Two tool-call deltas in one chunk (Groq, vLLM) become two calls."""
    done = fold(event(delta(tool_calls=[call(0, "a", "f", "{}"), call(1, "b", "g", "[]")])))
    calls = message(done).tool_calls
    assert calls is not None
    assert [(c.id, c.function.arguments) for c in calls] == [("a", "{}"), ("b", "[]")]


def test_legacy_function_call_is_accumulated() -> None:
    """The legacy function_call gets its name once and its arguments concatenated."""
    done = fold(
        event(delta(role="assistant", function_call={"name": "lookup", "arguments": ""})),
        event(delta(function_call={"arguments": '{"id"'})),
        event(delta(function_call={"name": "lookup", "arguments": ": 3}"})),
        event(delta(finish_reason="function_call")),
    )
    assert message(done).function_call == rs.FunctionCall(name="lookup", arguments='{"id": 3}')
    assert message(done).tool_calls is None
    assert done.choices[0].finish_reason == "function_call"


# --- finish, role, logprobs --------------------------------------------------------------


def test_finish_reason_is_the_last_non_null() -> None:
    """A later null does not erase a finish reason; a later non-null one replaces it."""
    assert (
        fold(event(delta(content="a", finish_reason="stop")), event(delta())).choices[0].finish_reason
        == "stop"
    )
    assert (
        fold(event(delta(finish_reason="length")), event(delta(finish_reason="stop")))
        .choices[0]
        .finish_reason
        == "stop"
    )
    assert fold(event(delta(content="a"))).choices[0].finish_reason is None


def test_finish_reason_from_a_choice_without_delta() -> None:
    """Azure's annotation chunks carry finish_reason on a choice without a delta."""
    done = fold(event(delta(content="x")), event({"index": 0, "finish_reason": "content_filter"}))
    assert done.choices[0].finish_reason == "content_filter"
    assert message(done).content == "x"


def test_role_is_the_first_non_null_and_defaults_to_assistant() -> None:
    """The first role sent wins; with none the role is "assistant"."""
    assert message(fold(event(delta(content="a")))).role == "assistant"
    assert message(fold(event(delta(role="tool")), event(delta(role="assistant")))).role == "tool"
    assert message(fold(event(delta(role=None)), event(delta(role="developer")))).role == "developer"


def _token(text: str) -> dict[str, Any]:
    return {"token": text, "logprob": -0.5, "bytes": list(text.encode()), "top_logprobs": []}


def test_logprobs_lists_are_extended() -> None:
    """logprobs.content and logprobs.refusal lists grow with each chunk."""
    done = fold(
        event({"index": 0, "delta": {"content": ""}, "logprobs": {"content": [], "refusal": None}}),
        event({"index": 0, "delta": {"content": "a"}, "logprobs": {"content": [_token("a")]}}),
        event({"index": 0, "delta": {}, "logprobs": None}),
        event({"index": 0, "delta": {"content": "b"}, "logprobs": {"content": [_token("b"), _token("c")]}}),
    )
    logprobs = done.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert [t.token for t in logprobs.content] == ["a", "b", "c"]
    assert logprobs.content[0].bytes == [97]
    assert logprobs.refusal is None


def test_refusal_logprobs_are_extended() -> None:
    """Refusal tokens gather in logprobs.refusal, with content logprobs left None."""
    done = fold(
        event(
            {"index": 0, "delta": {"refusal": "no"}, "logprobs": {"content": None, "refusal": [_token("no")]}}
        ),
        event(
            {"index": 0, "delta": {"refusal": "pe"}, "logprobs": {"content": None, "refusal": [_token("pe")]}}
        ),
    )
    logprobs = done.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is None
    assert [t.token for t in logprobs.refusal or []] == ["no", "pe"]


def test_no_logprobs_is_none() -> None:
    """A choice that never got logprobs has logprobs None."""
    assert fold(event(delta(content="a"))).choices[0].logprobs is None


# --- usage and metadata ------------------------------------------------------------------


def test_usage_is_the_last_non_null_and_never_summed() -> None:
    """Usage chunks replace each other; a later chunk without usage keeps the last one."""
    acc = rs.ChatCompletionAccumulator()
    acc.add(event(delta(content="a"), usage={"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}))
    acc.add(event(usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}))
    acc.add(event(delta(content="b"), usage=None))
    assert acc.usage == rs.Usage(prompt_tokens=5, completion_tokens=3, total_tokens=8)
    assert acc.completion.usage == acc.usage


def test_usage_in_a_chunk_with_an_empty_delta_choice() -> None:
    """LiteLLM's usage chunk with choices [{"index":0,"delta":{}}] gives usage and changes no text."""
    done = fold(
        event(delta(content="hi", finish_reason="stop")),
        event(
            {"index": 0, "delta": {}}, usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        ),
    )
    assert done.usage == rs.Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2)
    assert message(done).content == "hi"
    assert done.choices[0].finish_reason == "stop"


def test_usage_only_chunk_adds_no_choice() -> None:
    """A usage-only chunk with choices [] creates no choice."""
    done = fold(event(usage={"total_tokens": 3}))
    assert done.choices == []
    assert done.usage == rs.Usage(total_tokens=3)


def test_metadata_from_the_first_chunk_that_has_it() -> None:
    """Azure's empty first chunk does not fix id/model/created; later different values do not override."""
    done = fold(
        event(id="", model="", created=0, object=""),
        event(
            delta(content="a"),
            id="real",
            model="gpt",
            created=100,
            system_fingerprint="fp_1",
            service_tier="default",
        ),
        event(
            delta(content="b"),
            id="other",
            model="other",
            created=200,
            system_fingerprint="fp_2",
            service_tier="flex",
        ),
    )
    assert (done.id, done.model, done.created) == ("real", "gpt", 100)
    assert done.system_fingerprint == "fp_1"
    assert done.service_tier == "default"
    assert done.object == "chat.completion"


def test_system_fingerprint_arriving_after_the_rest() -> None:
    """A system_fingerprint that first appears in a later chunk is still picked up."""
    done = fold(event(delta(content="a")), event(delta(content="b"), system_fingerprint="fp_late"))
    assert done.system_fingerprint == "fp_late"


def test_fingerprint_and_service_tier_empty_at_first_then_sent_in_a_later_batch() -> None:
    """Empty strings do not count as sent; the first real value wins, even batches later."""
    acc = rs.ChatCompletionAccumulator()
    acc.add_many([event(delta(content="a"), system_fingerprint="", service_tier="")])
    acc.add_many([event(delta(content="b"))])
    later = [
        event(delta(content="c"), system_fingerprint="fp_late", service_tier="flex"),
        event(delta(content="d"), system_fingerprint="fp_other", service_tier="default"),
    ]
    acc.add_many(later)
    done = acc.completion
    assert (done.system_fingerprint, done.service_tier) == ("fp_late", "flex")
    assert message(done).content == "abcd"


def test_empty_accumulator() -> None:
    """Before any chunk the snapshot is an empty completion."""
    acc = rs.ChatCompletionAccumulator()
    assert acc.completion == rs.ChatCompletion()
    assert acc.usage is None
    assert not acc.has_output()


# --- snapshots and choices ---------------------------------------------------------------


def test_snapshot_mid_stream_is_independent_of_later_chunks() -> None:
    """A snapshot taken mid-stream does not change when more chunks arrive, nor changes the accumulator."""
    acc = rs.ChatCompletionAccumulator()
    acc.add(event({"index": 0, "delta": {"content": "a", "tool_calls": [call(0, "t", "f", "{")]},
                   "logprobs": {"content": [_token("a")]}}))  # fmt: skip
    early = acc.completion
    assert message(early).content == "a"
    acc.add(event({"index": 0, "delta": {"content": "b", "tool_calls": [call(0, args="}")]},
                   "logprobs": {"content": [_token("b")]}}))  # fmt: skip
    assert message(early).content == "a"
    calls = message(early).tool_calls
    assert calls is not None
    assert calls[0].function.arguments == "{"
    logprobs = early.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert len(logprobs.content) == 1
    # Mutating a snapshot leaves the accumulator alone.
    logprobs.content.clear()
    calls.clear()
    early.choices.clear()
    late = acc.completion
    assert message(late).content == "ab"
    assert late.choices[0].logprobs is not None
    assert len(late.choices[0].logprobs.content or []) == 2
    assert message(late).tool_calls == [
        rs.ToolCall(id="t", function=rs.FunctionCall(name="f", arguments="{}"))
    ]


def test_n_choices_interleaved() -> None:
    """n > 1 choices arriving interleaved, even highest index first, rebuild in index order."""
    done = fold(
        event(delta(2, content="C")),
        event(delta(0, content="A")),
        event(delta(1, content="B"), delta(2, content="c")),
        event(delta(0, content="a", finish_reason="stop")),
        event(delta(1, finish_reason="length"), delta(2, finish_reason="stop")),
    )
    assert [(c.index, c.message.content, c.finish_reason) for c in done.choices] == [
        (0, "Aa", "stop"),
        (1, "B", "length"),
        (2, "Cc", "stop"),
    ]


def test_add_many_equals_add_one_by_one() -> None:
    """add_many over a list gives the same completion and chunk count as add for each."""
    events = [event(delta(role="assistant", content="")), event(delta(content="x"), delta(1, reasoning="r")),
              event(delta(finish_reason="stop"), usage={"total_tokens": 1})]  # fmt: skip
    one = rs.ChatCompletionAccumulator()
    for e in events:
        one.add(e)
    many = rs.ChatCompletionAccumulator()
    many.add_many(events)
    assert one.completion == many.completion
    assert one.chunks == many.chunks == 3


def test_has_output() -> None:
    """has_output is false for role and empty content, true once text, reasoning or a tool call arrives."""
    acc = rs.ChatCompletionAccumulator()
    acc.add(event(delta(role="assistant", content="")))
    assert not acc.has_output()
    acc.add(event(delta(reasoning_content="hm")))
    assert acc.has_output()
    tools = rs.ChatCompletionAccumulator()
    tools.add(event(delta(tool_calls=[call(0, "t", "f")])))
    assert tools.has_output()


def test_empty_reasoning_content_does_not_hide_reasoning() -> None:
    """A delta with reasoning_content "" and reasoning "abc" keeps "abc" rather than the empty string."""
    done = fold(event(delta(reasoning_content="", reasoning="abc")), event(delta(reasoning_content="d")))
    assert message(done).reasoning_content == "abcd"


def test_empty_finish_reason_does_not_erase_the_real_one() -> None:
    """Servers that send finish_reason "" on other chunks do not lose the "stop" that came before."""
    done = fold(
        event(delta(content="a", finish_reason="")),
        event(delta(finish_reason="stop")),
        event(delta(finish_reason=""), usage={"total_tokens": 1}),
    )
    assert done.choices[0].finish_reason == "stop"


def test_empty_reasoning_or_refusal_is_not_output() -> None:
    """DeepSeek's first delta (reasoning_content "") and OpenAI's (refusal "") are not the first token yet."""
    acc = rs.ChatCompletionAccumulator()
    acc.add(event(delta(role="assistant", content=None, reasoning_content="", refusal="")))
    assert not acc.has_output()
    acc.add(event(delta(refusal="No")))
    assert acc.has_output()


def test_index_zero_calls_interleaved_with_repeated_ids() -> None:
    """Calls all numbered index 0 but told apart by repeated ids stay two calls even when interleaved."""
    done = fold(
        event(delta(tool_calls=[call(0, "call_a", "f", "{")])),
        event(delta(tool_calls=[call(0, "call_b", "g", "[")])),
        event(delta(tool_calls=[call(0, "call_a", args="}")])),
        event(delta(tool_calls=[call(0, "call_b", args="]")])),
    )
    calls = message(done).tool_calls
    assert calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", "{}"),
        ("call_b", "g", "[]"),
    ]


def test_arguments_fragments_at_any_index_are_never_dropped() -> None:
    """Fragments after a header are kept whatever the index, even a bogus negative one."""
    for index in (0, 3, -1):
        done = fold(
            event(delta(tool_calls=[call(index, "call_x", "f", '{"a"')])),
            event(delta(tool_calls=[call(index, args=":1")])),
            event(delta(tool_calls=[call(index, args="}")])),
        )
        calls = message(done).tool_calls
        assert calls is not None
        assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [("call_x", "f", '{"a":1}')]


def test_fragments_sharing_a_delta_with_other_fields_land_on_their_calls() -> None:
    """A fragment beside reasoning text, or two calls' fragments in one delta, go where they belong."""
    done = fold(
        event(delta(tool_calls=[call(0, "call_a", "f", "{"), call(1, "call_b", "g", "[")])),
        event(delta(tool_calls=[call(0, args='"x"')], reasoning_content="hmm")),
        event(delta(tool_calls=[call(1, args="1"), call(0, args=":")])),
        event(delta(tool_calls=[call(0, args="2}")])),
        event(delta(tool_calls=[call(1, args="]")], role="assistant")),
    )
    calls = message(done).tool_calls
    assert calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", '{"x":2}'),
        ("call_b", "g", "[1]"),
    ]
    assert message(done).reasoning_content == "hmm"


def test_many_small_pieces_are_folded_so_memory_follows_the_text() -> None:
    """100,000 one-character pieces cost the accumulator a few bytes each, not a str object each."""
    import tracemalloc

    acc = rs.ChatCompletionAccumulator()
    acc.add_many([event(delta(content="a"))])
    tracemalloc.start()
    try:
        for _ in range(1000):
            acc.add_many([event(delta(content="a")) for _ in range(100)])
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 100_000 * 8  # a str object per piece would be ~50 bytes each
    assert message(acc.completion).content == "a" * 100_001
