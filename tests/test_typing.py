"""The typing is real: mypy (this file is in its file list) infers the parsed types.

Each ``assert_type`` is checked by ``mypy --strict`` in ``make test``; at run time it is a
no-op, so the tests also run the code paths the annotations describe.
"""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _output_types import GetWeather, Location
from r9s_stream import testing

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "weather?"}]
LOCATION_JSON = '{"city":"Paris","temperature":21.5,"units":"c"}'
URL = "http://test/v1/chat/completions"


def _client(scenario: testing.ChatScenario) -> rs.AsyncClient:
    http = httpx.AsyncClient(transport=scenario.transport())
    return rs.AsyncClient(base_url="http://test/v1", http_client=http)


async def test_stream_and_complete_are_generic_in_the_response_format() -> None:
    """`response_format=Location` makes `message.parsed` a `Location | None`, for stream() and complete()."""
    async with _client(testing.ChatScenario(text=LOCATION_JSON)) as client:
        async with client.stream(model="m", messages=MESSAGES, response_format=Location) as stream:
            assert_type(stream, rs.ChatCompletionStream[Location])
            completion = await stream.until_done()
        assert_type(completion, rs.ChatCompletion[Location])
        assert_type(stream.completion.choices[0].message.parsed, Location | None)
        completed = await client.complete(model="m", messages=MESSAGES, response_format=Location)
        assert_type(completed.choices[0].message.parsed, Location | None)
    parsed = completed.choices[0].message.parsed
    assert parsed is not None
    assert_type(parsed.temperature, float)
    assert parsed.temperature == 21.5


async def test_without_a_struct_format_parsed_is_none() -> None:
    """No response format, or a dict one: the completion is `ChatCompletion[None]`."""
    async with _client(testing.ChatScenario(text="{}")) as client:
        plain = await client.complete(model="m", messages=MESSAGES)
        as_dict = await client.complete(model="m", messages=MESSAGES, response_format={"type": "json_object"})
        with_tools = await client.complete(model="m", messages=MESSAGES, tools=[GetWeather])
    assert_type(plain, rs.ChatCompletion[None])
    assert_type(as_dict, rs.ChatCompletion[None])
    assert_type(with_tools, rs.ChatCompletion[None])
    assert plain.choices[0].message.parsed is None


async def test_aconnect_chat_stream_parses_with_an_output_spec() -> None:
    """`aconnect_chat_stream(..., output=rs.OutputSpec(Location))`: the caller's body, a parsed answer."""
    body = {"model": "m", "messages": MESSAGES, "response_format": rs.response_format(Location)}
    transport = testing.ChatScenario(text=LOCATION_JSON).transport()
    async with httpx.AsyncClient(transport=transport) as http:
        async with rs.aconnect_chat_stream(
            http, "POST", URL, json=body, output=rs.OutputSpec(Location)
        ) as stream:
            assert_type(stream, rs.ChatCompletionStream[Location])
            done = [event async for event in stream.events() if isinstance(event, rs.ContentDone)]
        async with rs.aconnect_chat_stream(http, "POST", URL, json=body) as plain:
            assert_type(plain, rs.ChatCompletionStream[None])
            await plain.until_done()
    expected = Location(city="Paris", temperature=21.5, units="c")
    assert stream.completion.choices[0].message.parsed == expected
    assert [event.parsed for event in done] == [expected]
    assert plain.completion.choices[0].message.parsed is None


def test_bare_names_mean_any_and_accept_every_parameterisation() -> None:
    """A bare `rs.ChatCompletion` (= `ChatCompletion[Any]`) takes a parsed completion, under --strict."""

    def first_parsed(completion: rs.ChatCompletion) -> Any:
        return completion.choices[0].message.parsed

    acc = rs.ChatCompletionAccumulator(rs.OutputSpec(Location))
    assert_type(acc, rs.ChatCompletionAccumulator[Location])
    acc.add_many(rs.ChunkDecoder().feed(testing.ChatScenario(text=LOCATION_JSON).encode()))
    assert_type(acc.completion, rs.ChatCompletion[Location])
    assert first_parsed(acc.completion) == Location(city="Paris", temperature=21.5, units="c")
    plain = rs.ChatCompletionAccumulator()
    assert_type(plain, rs.ChatCompletionAccumulator[None])
    assert first_parsed(acc.completion) is not None
    assert plain.completion.choices == []


def test_tool_call_parsed_is_any() -> None:
    """`function.parsed` holds whichever tool's Struct was called, so it is typed `Any`."""
    call = rs.ToolCall(function=rs.FunctionCall(name="GetWeather", parsed=GetWeather(city="Oslo")))
    assert_type(call.function.parsed, Any)
    assert call.function.parsed == GetWeather(city="Oslo")
