"""The wire models: lenient where real servers differ, strict where it matters."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

import r9s_stream as rs


def chunk(data: bytes) -> rs.ChatCompletionStreamEvent:
    """Decode one payload as the stream does."""
    return msgspec.json.decode(data, type=rs.ChatCompletionStreamEvent)


def test_minimal_chunk_gets_defaults() -> None:
    """`{}` is a chunk with every field at its default: no id, no choices, no usage."""
    event = chunk(b"{}")
    assert event == rs.ChatCompletionStreamEvent()
    assert event.choices == []
    assert event.usage is None
    assert event.id is None


def test_unknown_fields_are_ignored_at_every_level() -> None:
    """Extensions on the chunk, choice, delta, tool call and usage are skipped."""
    event = chunk(
        b'{"id": "a", "x_groq": {"id": 1}, "obfuscation": "q", "prompt_filter_results": [],'
        b' "choices": [{"index": 0, "content_filter_results": {}, "delta": {"content": "hi", "audio": {},'
        b' "tool_calls": [{"index": 0, "extra": 1, "function": {"name": "f", "strict": true}}]}}],'
        b' "usage": {"total_tokens": 3, "cost": 0.1, "prompt_cache_hit_tokens": 2}}'
    )
    delta = event.choices[0].delta
    assert delta is not None
    assert delta.content == "hi"
    assert delta.tool_calls == [rs.ToolCallDelta(index=0, function=rs.FunctionDelta(name="f"))]
    assert event.usage == rs.Usage(total_tokens=3)


def test_any_string_is_accepted_for_enums() -> None:
    """finish_reason, role and object take any string (Azure sends object "")."""
    event = chunk(
        b'{"object": "", "service_tier": "scale", "choices": [{"index": 0, "finish_reason": "eos_token",'
        b' "delta": {"role": "ipython"}}]}'
    )
    assert event.object == ""
    assert event.service_tier == "scale"
    assert event.choices[0].finish_reason == "eos_token"
    assert event.choices[0].delta is not None
    assert event.choices[0].delta.role == "ipython"


def test_nulls_are_accepted_everywhere_the_wire_sends_them() -> None:
    """Null id, model, created, fingerprint, usage, delta, logprobs and tool-call fields decode."""
    event = chunk(
        b'{"id": null, "object": null, "created": null, "model": null, "system_fingerprint": null,'
        b' "service_tier": null, "usage": null, "choices": [{"index": 0, "delta": {"role": null,'
        b' "content": null, "refusal": null, "reasoning_content": null, "reasoning": null,'
        b' "tool_calls": null, "function_call": null}, "logprobs": null, "finish_reason": null}]}'
    )
    assert event.choices[0].delta == rs.ChatCompletionStreamDelta()


def test_choice_without_delta() -> None:
    """Azure's annotation choices have no delta at all."""
    event = chunk(b'{"choices": [{"index": 0, "finish_reason": "content_filter"}]}')
    assert event.choices[0].delta is None
    assert event.choices[0].finish_reason == "content_filter"


def test_choice_without_index_is_index_zero() -> None:
    """A choice that omits index is choice 0."""
    assert chunk(b'{"choices": [{"delta": {"content": "x"}}]}').choices[0].index == 0


def test_created_may_be_a_float() -> None:
    """Some servers send created as a float timestamp."""
    assert chunk(b'{"created": 1700000000.5}').created == 1700000000.5


def test_usage_details() -> None:
    """Usage keeps prompt and completion token details."""
    usage = chunk(
        b'{"usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,'
        b' "prompt_tokens_details": {"cached_tokens": 8, "audio_tokens": 0},'
        b' "completion_tokens_details": {"reasoning_tokens": 3, "audio_tokens": 0,'
        b' "accepted_prediction_tokens": 1, "rejected_prediction_tokens": 2}}}'
    ).usage
    assert usage == rs.Usage(
        prompt_tokens=10,
        completion_tokens=5,
        total_tokens=15,
        prompt_tokens_details=rs.PromptTokensDetails(cached_tokens=8, audio_tokens=0),
        completion_tokens_details=rs.CompletionTokensDetails(
            reasoning_tokens=3, audio_tokens=0, accepted_prediction_tokens=1, rejected_prediction_tokens=2
        ),
    )


def test_logprobs_shape() -> None:
    """Token logprobs keep token, logprob, bytes and top alternatives."""
    event = chunk(
        b'{"choices": [{"index": 0, "logprobs": {"content": [{"token": "a", "logprob": -0.1,'
        b' "bytes": [97], "top_logprobs": [{"token": "b", "logprob": -2.0, "bytes": null}]}]}}]}'
    )
    logprobs = event.choices[0].logprobs
    assert logprobs == rs.ChoiceLogprobs(
        content=[
            rs.TokenLogprob(
                token="a", logprob=-0.1, bytes=[97], top_logprobs=[rs.TopLogprob(token="b", logprob=-2.0)]
            )
        ]
    )


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'"chunk"',
        b"1",
        b"null",
        b'{"choices": {}}',
        b'{"choices": [1]}',
        b'{"choices": [{"delta": []}]}',
        b'{"choices": [{"index": 0.5}]}',
        b'{"id": 1}',
        b'{"created": "now"}',
        b'{"usage": {"total_tokens": "3"}}',
        b'{"choices": [{"delta": {"tool_calls": {}}}]}',
        b'{"choices": [{"logprobs": {"content": [{"logprob": "x"}]}}]}',
    ],
)
def test_wrong_shapes_are_rejected(payload: bytes) -> None:
    """A payload that is not a JSON object of the chunk's shape fails validation."""
    with pytest.raises(msgspec.ValidationError):
        chunk(payload)


def test_completion_reads_a_non_streaming_response() -> None:
    """A non-streaming chat.completion body decodes into rs.ChatCompletion: the same shape."""
    body = (
        b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 5, "model": "gpt",'
        b' "system_fingerprint": "fp", "choices": [{"index": 0, "message": {"role": "assistant",'
        b' "content": null, "refusal": null, "tool_calls": [{"id": "call_1", "type": "function",'
        b' "function": {"name": "f", "arguments": "{}"}}]}, "logprobs": null,'
        b' "finish_reason": "tool_calls"}],'
        b' "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}'
    )
    completion = msgspec.json.decode(body, type=rs.ChatCompletion)
    assert completion.choices[0].message.tool_calls == [
        rs.ToolCall(id="call_1", type="function", function=rs.FunctionCall(name="f", arguments="{}"))
    ]
    assert completion.usage == rs.Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3)


def test_completion_round_trips_through_json() -> None:
    """A rebuilt completion encodes to JSON with the non-streaming field names and decodes back equal."""
    completion = rs.ChatCompletion(
        id="c",
        created=1,
        model="m",
        choices=[
            rs.ChatCompletionChoice(
                message=rs.ChatCompletionMessage(content="hi", reasoning_content="think"),
                finish_reason="stop",
            )
        ],
        usage=rs.Usage(total_tokens=2),
    )
    encoded = msgspec.json.encode(completion)
    as_dict = msgspec.json.decode(encoded)
    assert as_dict["object"] == "chat.completion"
    assert as_dict["choices"][0]["message"]["role"] == "assistant"
    assert as_dict["choices"][0]["message"]["content"] == "hi"
    assert msgspec.json.decode(encoded, type=rs.ChatCompletion) == completion


def test_models_are_keyword_only() -> None:
    """Models are built with keywords, so adding a field never silently shifts arguments."""
    usage_type: Any = rs.Usage
    with pytest.raises(TypeError):
        usage_type(1, 2, 3)


def test_repr_omits_defaults() -> None:
    """A model's repr shows only what is set, so printed chunks stay readable."""
    assert repr(rs.Usage(total_tokens=3)) == "Usage(total_tokens=3)"
