"""Structured output through the client: Struct types in, parsed values out, on asyncio and trio."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _output_types import GetWeather, Location
from r9s_stream import testing

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The embedded server, whose structured-output and schema-tool-calls models answer from the schema."""
    with testing.run_server() as url:
        yield url


async def test_response_format_struct_is_parsed(base_url: str) -> None:
    """`response_format=Location` sends its strict schema and gives `message.parsed` a Location."""
    async with rs.AsyncClient(base_url=base_url) as client:
        async with client.stream(model="structured-output", messages=MESSAGES, response_format=Location) as s:
            chunks = [chunk async for chunk in s]
        completion = s.completion
    assert len(chunks) > 3  # the JSON streamed in pieces
    assert completion.choices[0].message.parsed == Location(city="Paris", temperature=21.5, units="c")


async def test_complete_parses_tools_given_as_structs_only(base_url: str) -> None:
    """`tools=[GetWeather, a dict]`: the Struct tool's call is parsed, the dict tool's is not."""
    dict_tool = {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
        },
    }
    async with rs.AsyncClient(base_url=base_url) as client:
        completion = await client.complete(
            model="schema-tool-calls", messages=MESSAGES, tools=[GetWeather, dict_tool]
        )
    first, second = completion.choices[0].message.tool_calls or []
    assert first.function.parsed == GetWeather(city="Paris", country="Paris")
    assert (second.function.name, second.function.arguments) == ("get_time", '{"zone":"Paris"}')
    assert second.function.parsed is None


async def test_schemas_made_by_rs_tool_and_rs_response_format_are_parsed_under_their_own_names(
    base_url: str,
) -> None:
    """`rs.tool(GetWeather, name="get_weather")` is sent under that name and still parsed into GetWeather.

    The same for `rs.response_format(Location, name="location")`; a plain dict of the same
    schema is sent unchanged and not parsed.
    """
    renamed = rs.tool(GetWeather, name="get_weather")
    same_as_a_plain_dict = dict(rs.tool(GetWeather, name="look_up_weather"))
    async with rs.AsyncClient(base_url=base_url) as client:
        tools = await client.complete(
            model="schema-tool-calls", messages=MESSAGES, tools=[renamed, same_as_a_plain_dict]
        )
        answer = await client.complete(
            model="structured-output",
            messages=MESSAGES,
            response_format=rs.response_format(Location, name="location"),
        )
    first, second = tools.choices[0].message.tool_calls or []
    assert first.function.name == "get_weather"
    assert first.function.parsed == GetWeather(city="Paris", country="Paris")
    assert second.function.name == "look_up_weather"
    assert second.function.parsed is None
    assert answer.choices[0].message.parsed == Location(city="Paris", temperature=21.5, units="c")


async def test_refusal_gives_parsed_none(base_url: str) -> None:
    """A refusing model: `refusal` set, `parsed` None, no exception."""
    async with rs.AsyncClient(base_url=base_url) as client:
        completion = await client.complete(model="refusal", messages=MESSAGES, response_format=Location)
    assert completion.choices[0].message.refusal
    assert completion.choices[0].message.parsed is None


async def test_length_error_is_raised_after_the_chunks_it_came_with(base_url: str) -> None:
    """Cut off by max_tokens: every chunk received is handed out, then LengthFinishReasonError."""
    seen: list[rs.ChatCompletionStreamEvent] = []

    async def read_all(stream: rs.ChatCompletionStream[Location]) -> None:
        async for chunk in stream:
            seen.append(chunk)

    async with (
        rs.AsyncClient(base_url=base_url) as client,
        client.stream(
            model="structured-output", messages=MESSAGES, response_format=Location, max_tokens=2
        ) as stream,
    ):
        with pytest.raises(rs.LengthFinishReasonError) as caught:
            await read_all(stream)
    assert any(c.choices and c.choices[0].finish_reason == "length" for c in seen)
    completion = caught.value.completion
    assert completion is not None
    assert completion.choices[0].message.content == '{"city":"Paris",'  # two 8-character tokens


def _recording_transport(
    scenario: testing.ChatScenario, requests: list[httpx.Request]
) -> httpx.MockTransport:
    """The scenario's transport, keeping each request it answers."""
    inner = scenario.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return await inner.handle_async_request(request)

    return httpx.MockTransport(handle)


async def test_request_body_carries_strict_schemas_and_dicts_unchanged() -> None:
    """The body holds `rs.response_format(T)` / `rs.tool(T)` for types and a dict tool exactly as given."""
    requests: list[httpx.Request] = []
    dict_tool: dict[str, Any] = {"type": "function", "function": {"name": "raw", "parameters": {}}}
    scenario = testing.ChatScenario(text='{"city":"Oslo","temperature":-3,"units":"c"}')
    http = httpx.AsyncClient(transport=_recording_transport(scenario, requests))
    async with rs.AsyncClient(base_url="http://test/v1", http_client=http) as client:
        completion = await client.complete(
            model="m", messages=MESSAGES, response_format=Location, tools=[dict_tool, GetWeather]
        )
    await http.aclose()
    body = msgspec.json.decode(requests[0].content)
    assert body["response_format"] == rs.response_format(Location)
    assert body["tools"] == [dict_tool, rs.tool(GetWeather)]
    assert completion.choices[0].message.parsed == Location(city="Oslo", temperature=-3, units="c")


async def test_plain_request_body_is_unchanged() -> None:
    """Without response_format or tools the body has neither key (and nothing is parsed)."""
    requests: list[httpx.Request] = []
    http = httpx.AsyncClient(transport=_recording_transport(testing.ChatScenario(text="hi"), requests))
    async with rs.AsyncClient(base_url="http://test/v1", http_client=http) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    await http.aclose()
    body = msgspec.json.decode(requests[0].content)
    assert "response_format" not in body
    assert "tools" not in body
    assert completion.choices[0].message.parsed is None


async def test_validation_error_carries_the_completion_through_the_stream() -> None:
    """Content that does not fit the type raises OutputValidationError from the stream, usage and all."""
    scenario = testing.ChatScenario(text='{"city":"Oslo","temperature":"cold","units":"c"}')
    http = httpx.AsyncClient(transport=scenario.transport(piece_size=4096))
    async with rs.AsyncClient(base_url="http://test/v1", http_client=http) as client:
        with pytest.raises(rs.OutputValidationError, match=r"\$\.temperature") as caught:
            await client.complete(model="m", messages=MESSAGES, response_format=Location)
    await http.aclose()
    completion = caught.value.completion
    assert completion is not None
    assert completion.usage is not None  # the whole body was one read: folded before raising
    assert completion.choices[0].message.content == scenario.text
