"""Parsing content and tool arguments into Structs: the pure layer (OutputSpec, accumulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

import r9s_stream as rs
from _output_types import GetWeather, GetWeatherArgs, Location
from r9s_stream import testing
from r9s_stream._output._partial import partial_json
from r9s_stream._output._spec import request_fields

FIXTURES = Path(__file__).parent / "fixtures"


DICT_TOOL = {"type": "function", "function": {"name": "get_stock_price", "parameters": {"type": "object"}}}
LOCATION_JSON = '{"city":"Paris","temperature":21.5,"units":"c"}'


def _fold(spec: rs.OutputSpec[Any] | None, body: bytes) -> rs.ChatCompletionAccumulator[Any]:
    """Every chunk of ``body`` folded, one ``add`` per chunk, as a stream of one-event reads does."""
    acc: rs.ChatCompletionAccumulator[Any] = rs.ChatCompletionAccumulator(spec)
    for chunk in rs.ChunkDecoder().feed(body):
        acc.add(chunk)
    return acc


def _spec(response_format: Any = None, tools: Any = None) -> rs.OutputSpec[Any]:
    spec = request_fields(response_format, tools)[2]
    assert spec is not None
    return spec


def test_content_is_parsed_when_the_choice_finishes() -> None:
    """A recorded response_format answer decodes into the Struct (openai-python's own recording)."""
    acc = _fold(_spec(Location), (FIXTURES / "openai-python_json-content_response-format.sse").read_bytes())
    message = acc.completion.choices[0].message
    assert message.parsed == Location(city="San Francisco", temperature=61, units="f")
    assert message.content == '{"city":"San Francisco","temperature":61,"units":"f"}'


def test_every_choice_is_parsed() -> None:
    """With n=3 each choice gets its own parsed value."""
    body = (FIXTURES / "openai-python_n3-multiple-choices-interleaved.sse").read_bytes()
    acc = _fold(_spec(Location), body)
    assert [c.message.parsed for c in acc.completion.choices] == [
        Location(city="San Francisco", temperature=t, units="f") for t in (65, 61, 59)
    ]


def test_struct_tools_are_parsed_and_dict_tools_are_not() -> None:
    """A call of a Struct tool gets `function.parsed`; a call of a dict tool keeps `parsed=None`."""
    spec = _spec(tools=[GetWeatherArgs, DICT_TOOL])
    acc = _fold(spec, (FIXTURES / "openai-python_parallel-tool-calls.sse").read_bytes())
    first, second = acc.completion.choices[0].message.tool_calls or []
    assert first.function.parsed == GetWeatherArgs(city="Edinburgh", country="GB", units="c")
    assert second.function.name == "get_stock_price"
    assert second.function.parsed is None


def test_a_tool_that_was_not_offered_is_not_parsed() -> None:
    """A call naming a tool the request did not offer as a Struct is left unparsed, without error."""
    scenario = testing.ChatScenario(
        tool_calls=[
            testing.ScriptedToolCall("GetWeather", {"city": "Paris"}),
            testing.ScriptedToolCall("invented_tool", {"not": "checked"}),
        ]
    )
    acc = _fold(_spec(tools=[GetWeather]), scenario.encode())
    calls = acc.completion.choices[0].message.tool_calls or []
    assert [call.function.parsed for call in calls] == [GetWeather(city="Paris"), None]


def test_refusal_leaves_parsed_none_without_error() -> None:
    """A refusal is an answer: `refusal` is set, `parsed` is None, nothing is raised."""
    acc = _fold(_spec(Location), (FIXTURES / "openai-python_refusal.sse").read_bytes())
    message = acc.completion.choices[0].message
    assert message.refusal
    assert message.parsed is None


def test_length_finish_raises_with_the_completion() -> None:
    """finish_reason `length` while parsing raises LengthFinishReasonError carrying the cut-off text."""
    body = (FIXTURES / "openai-python_finish-length.sse").read_bytes()
    with pytest.raises(rs.LengthFinishReasonError) as caught:
        _fold(_spec(Location), body)
    completion = caught.value.completion
    assert completion is not None
    assert completion.choices[0].message.content == '{"'
    assert completion.choices[0].finish_reason == "length"


def test_content_filter_is_checked_before_the_content_is_decoded() -> None:
    """Content that is not JSON at all, cut by the content filter, raises the content-filter error."""
    scenario = testing.ChatScenario(text="not json at all", finish_reason="content_filter")
    with pytest.raises(rs.ContentFilterFinishReasonError) as caught:
        _fold(_spec(Location), scenario.encode())
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "not json at all"


def test_finish_reasons_raise_nothing_when_nothing_is_parsed() -> None:
    """Without a Struct response format or tool, `length` is an ordinary finish reason."""
    acc = _fold(None, (FIXTURES / "openai-python_finish-length.sse").read_bytes())
    assert acc.completion.choices[0].finish_reason == "length"


def test_validation_error_names_the_field_and_keeps_the_raw_text() -> None:
    """Content of the wrong shape raises OutputValidationError with the raw text, `$.field` and completion."""
    raw = '{"city":"Paris","temperature":"warm","units":"c"}'
    with pytest.raises(rs.OutputValidationError) as caught:
        _fold(_spec(Location), testing.ChatScenario(text=raw).encode())
    error = caught.value
    assert error.raw == raw
    assert "$.temperature" in error.reason
    assert "$.temperature" in str(error)
    assert error.tool_name is None
    assert error.completion is not None
    assert error.completion.choices[0].message.content == raw


def test_bad_tool_arguments_raise_naming_the_tool() -> None:
    """Arguments that do not decode raise OutputValidationError with the tool's name."""
    scenario = testing.ChatScenario(tool_calls=[testing.ScriptedToolCall("GetWeather", {"country": "FR"})])
    with pytest.raises(rs.OutputValidationError) as caught:
        _fold(_spec(tools=[GetWeather]), scenario.encode())
    assert caught.value.tool_name == "GetWeather"
    assert "city" in caught.value.reason


def test_the_error_comes_after_the_whole_batch_is_folded() -> None:
    """Raised from `add_many`, the error leaves every chunk of the batch (usage too) in the completion."""
    raw = '{"city": 1}'
    chunks = rs.ChunkDecoder().feed(testing.ChatScenario(text=raw).encode())
    acc = rs.ChatCompletionAccumulator(_spec(Location))
    with pytest.raises(rs.OutputValidationError):
        acc.add_many(chunks)
    assert acc.completion.usage is not None
    assert acc.completion.choices[0].message.content == raw


def test_a_choice_without_finish_reason_is_parsed_when_the_completion_is_read() -> None:
    """LiteLLM omits finish reasons for n > 1: the completion still carries what decodes."""
    scenario = testing.ChatScenario(text=LOCATION_JSON, token_size=7)
    chunks = rs.ChunkDecoder().feed(scenario.encode())
    chunks = [c for c in chunks if not c.choices or not c.choices[0].finish_reason]
    acc = rs.ChatCompletionAccumulator(_spec(Location))
    half = len(chunks) // 2
    acc.add_many(chunks[:half])
    assert acc.completion.choices[0].message.parsed is None  # half a JSON object: not yet
    acc.add_many(chunks[half:])
    assert acc.completion.choices[0].message.parsed == Location(city="Paris", temperature=21.5, units="c")


def test_output_spec_parses_directly() -> None:
    """OutputSpec decodes content and arguments on its own (what the events fold calls)."""
    spec: rs.OutputSpec[Location] = rs.OutputSpec(Location, {"GetWeather": GetWeather})
    assert spec.parse_content(LOCATION_JSON) == Location(city="Paris", temperature=21.5, units="c")
    assert spec.parse_arguments("GetWeather", '{"city":"Oslo"}') == GetWeather(city="Oslo")
    assert spec.parse_arguments("other", '{"city":"Oslo"}') is None
    with pytest.raises(rs.OutputValidationError, match=r"\$\.units"):
        spec.parse_content('{"city":"Paris","temperature":1,"units":"k"}')
    with pytest.raises(rs.OutputValidationError):
        spec.parse_content('{"city":')


def test_request_fields_mix_structs_and_dicts() -> None:
    """Struct types become strict schemas and are parsed; dicts are sent as they are, not parsed."""
    custom_format = {"type": "json_object"}
    format_field, tools, spec = request_fields(custom_format, [GetWeather, DICT_TOOL])
    assert format_field is custom_format
    assert tools is not None
    assert tools[0] == rs.tool(GetWeather)
    assert tools[1] is DICT_TOOL
    assert spec is not None
    assert spec.response_format is None
    assert dict(spec.tools) == {"GetWeather": GetWeather}


def test_request_fields_without_types_parse_nothing() -> None:
    """Only dicts (or nothing): no OutputSpec, so nothing is parsed and no finish reason raises."""
    assert request_fields(None, None) == (None, None, None)
    assert request_fields({"type": "json_object"}, [DICT_TOOL])[2] is None


def test_two_tools_with_one_name_are_refused() -> None:
    """Two Struct tools of the same class name would be ambiguous to parse."""
    with pytest.raises(ValueError, match="GetWeather"):
        request_fields(None, [GetWeather, GetWeather])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        ('{"ci', {}),
        ('{"city": "Par', {}),  # an unfinished string is left out, as openai-python's helper does
        ('{"city": "Paris", "temperature": 2', {"city": "Paris", "temperature": 2}),
        ('{"city": "Paris", "tags": ["a", "b', {"city": "Paris", "tags": ["a"]}),
        (LOCATION_JSON, msgspec.json.decode(LOCATION_JSON)),
        ("not json", None),
    ],
)
def test_partial_json(text: str, expected: Any) -> None:
    """Partial JSON as it streams (jiter): unfinished strings left out, None until anything parses."""
    assert partial_json(text) == expected
