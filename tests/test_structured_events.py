"""Events and structured output together: the ``parsed`` of the events come from the request's types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _output_types import GetWeather, GetWeatherArgs, Location
from r9s_stream import testing

FIXTURES = Path(__file__).parent / "fixtures"
MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]


def _events(acc: rs.ChatCompletionAccumulator[Any], body: bytes) -> list[rs.StreamEvent]:
    """Every event of ``body``, one ``add`` per chunk, then those of ``[DONE]``."""
    decoder = rs.ChunkDecoder()
    events = [event for chunk in decoder.feed(body) for event in acc.add(chunk)]
    return [*events, *acc.finish()] if decoder.done else events


def test_content_done_and_choice_done_carry_the_struct() -> None:
    """ContentDone.parsed, ChoiceDone's message and the completion hold one Location; deltas partial dicts."""
    acc = rs.ChatCompletionAccumulator(rs.OutputSpec(Location), events=True)
    events = _events(acc, (FIXTURES / "openai-python_json-content_response-format.sse").read_bytes())
    location = Location(city="San Francisco", temperature=61, units="f")
    (done,) = [e for e in events if isinstance(e, rs.ContentDone)]
    assert done.parsed == location
    (choice_done,) = [e for e in events if isinstance(e, rs.ChoiceDone)]
    assert choice_done.message.parsed == location
    assert acc.completion.choices[0].message.parsed == location
    partials = [e.parsed for e in events if isinstance(e, rs.ContentDelta)]
    assert partials[-1] == msgspec.to_builtins(location)
    assert all(isinstance(value, dict) for value in partials[1:])


def test_tool_call_done_parses_struct_tools_only() -> None:
    """ToolCallDone.parsed is the Struct for a Struct tool and None for another; the completion agrees."""
    spec: rs.OutputSpec[None] = rs.OutputSpec(None, {"GetWeatherArgs": GetWeatherArgs})
    acc = rs.ChatCompletionAccumulator(spec, events=True)
    events = _events(acc, (FIXTURES / "openai-python_parallel-tool-calls.sse").read_bytes())
    done = [e for e in events if isinstance(e, rs.ToolCallDone)]
    expected = [GetWeatherArgs(city="Edinburgh", country="GB", units="c"), None]
    assert [e.parsed for e in done] == expected
    calls = acc.completion.choices[0].message.tool_calls or []
    assert [call.function.parsed for call in calls] == expected


def test_length_in_events_mode_raises_before_anything_is_decoded() -> None:
    """The finish chunk of a cut-off answer raises LengthFinishReasonError, as openai-python's helper does."""
    acc = rs.ChatCompletionAccumulator(rs.OutputSpec(Location), events=True)
    with pytest.raises(rs.LengthFinishReasonError) as caught:
        _events(acc, (FIXTURES / "openai-python_finish-length.sse").read_bytes())
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == '{"'


pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The embedded server (structured-output and schema-tool-calls models)."""
    with testing.run_server() as url:
        yield url


async def test_stream_events_give_the_parsed_location(base_url: str) -> None:
    """The issue's example: `ContentDone(parsed=location)` is a Location, and so is `message.parsed`."""
    found: list[Location] = []
    async with (
        rs.AsyncClient(base_url=base_url) as client,
        client.stream(model="structured-output", messages=MESSAGES, response_format=Location) as stream,
    ):
        async for event in stream.events():
            match event:
                case rs.ContentDone(parsed=location):
                    found.append(location)
    expected = Location(city="Paris", temperature=21.5, units="c")
    assert found == [expected]
    assert stream.completion.choices[0].message.parsed == expected


async def test_tool_calls_are_parsed_as_each_completes(base_url: str) -> None:
    """`stream.tool_calls()` hands out each call with `parsed` a GetWeather; a dict tool's stays None."""
    dict_tool = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    async with (
        rs.AsyncClient(base_url=base_url) as client,
        client.stream(model="schema-tool-calls", messages=MESSAGES, tools=[GetWeather, dict_tool]) as stream,
    ):
        parsed = [call.parsed async for call in stream.tool_calls()]
    assert parsed == [GetWeather(city="Paris", country="Paris"), None]


async def test_events_of_the_finishing_read_come_before_the_error() -> None:
    """Content that does not decode: ContentDone(parsed=None), ChoiceDone, then OutputValidationError."""
    scenario = testing.ChatScenario(text='{"city":"Oslo","temperature":"cold","units":"c"}')
    http = httpx.AsyncClient(transport=scenario.transport(piece_size=4096))
    seen: list[rs.StreamEvent] = []

    async def read(stream: rs.ChatCompletionStream[Location]) -> None:
        async for event in stream.events():
            seen.append(event)

    async with (
        rs.AsyncClient(base_url="http://test/v1", http_client=http) as client,
        client.stream(model="m", messages=MESSAGES, response_format=Location) as stream,
    ):
        with pytest.raises(rs.OutputValidationError, match=r"\$\.temperature") as caught:
            await read(stream)
    await http.aclose()
    done = [e for e in seen if isinstance(e, rs.ContentDone)]
    assert [e.parsed for e in done] == [None]
    assert any(isinstance(e, rs.ChoiceDone) for e in seen)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == scenario.text


async def test_length_through_events_raises_with_what_came(base_url: str) -> None:
    """Cut off by max_tokens: the deltas come, then LengthFinishReasonError with the completion."""
    deltas: list[str] = []

    async def read(stream: rs.ChatCompletionStream[Location]) -> None:
        async for event in stream.events():
            if isinstance(event, rs.ContentDelta):
                deltas.append(event.delta)

    async with (
        rs.AsyncClient(base_url=base_url) as client,
        client.stream(
            model="structured-output", messages=MESSAGES, response_format=Location, max_tokens=2
        ) as stream,
    ):
        with pytest.raises(rs.LengthFinishReasonError) as caught:
            await read(stream)
    assert "".join(deltas) == '{"city":"Paris",'
    assert caught.value.completion is not None
