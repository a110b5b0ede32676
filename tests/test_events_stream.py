"""``stream.events()`` and ``stream.tool_calls()`` over fake transports, on asyncio and trio."""

from __future__ import annotations

import httpx
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream import testing

URL = "https://events.test/v1/chat/completions"
WEATHER = testing.ScriptedToolCall("get_weather", {"city": "Paris"}, id="call_1")
TIME = testing.ScriptedToolCall("get_time", {"zone": "CET"}, id="call_2")


@pytest.mark.anyio
async def test_events_of_a_reasoning_and_content_stream() -> None:
    """Reasoning, its Done, content deltas, ContentDone, ChoiceDone, usage — in that order."""
    scenario = testing.ChatScenario(reasoning="Think first.", text="Paris is sunny.")
    async with (
        httpx.AsyncClient(transport=scenario.transport()) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        events = [event async for event in stream.events()]
        assert stream.completion == scenario.completion()
    types = [event.type for event in events]
    first_content = types.index("content.delta")
    assert set(types[:first_content]) == {"reasoning.delta", "reasoning.done"}
    assert types[first_content - 1] == "reasoning.done"
    assert types[-3:] == ["content.done", "choice.done", "usage"]
    assert "".join(e.delta for e in events if isinstance(e, rs.ContentDelta)) == "Paris is sunny."
    assert events[-2] == rs.ChoiceDone(0, "stop", scenario.completion().choices[0].message)


@pytest.mark.anyio
async def test_tool_calls_come_each_as_soon_as_it_is_complete() -> None:
    """The first call is handed out while the second is still streaming, parsed arguments and all."""
    scenario = testing.ChatScenario(tool_calls=[WEATHER, TIME])
    async with (
        httpx.AsyncClient(transport=scenario.transport()) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        calls = []
        async for call in stream.tool_calls():
            calls.append(call)
            if len(calls) == 1:  # the model has not finished yet
                assert stream.completion.choices[0].finish_reason is None
                assert not stream.done
    assert [(c.index, c.name, c.arguments) for c in calls] == [
        (0, "get_weather", '{"city":"Paris"}'),
        (1, "get_time", '{"zone":"CET"}'),
    ]
    assert [c.tool_call for c in calls] == scenario.completion().choices[0].message.tool_calls


@pytest.mark.anyio
async def test_a_failing_stream_raises_with_the_partial_completion_and_no_done() -> None:
    """An error mid-stream ends events() with the StreamError; nothing is closed by a made-up Done."""
    scenario = testing.ChatScenario(text="one two three four", fault=testing.MidStreamError(after=3))
    events: list[rs.ContentDelta] = []

    async def read_events() -> None:
        async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
            async for event in stream.events():
                assert isinstance(event, rs.ContentDelta)
                events.append(event)

    async with httpx.AsyncClient(transport=scenario.transport()) as http:
        with pytest.raises(rs.StreamAPIError) as caught:
            await read_events()
    assert events
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == events[-1].snapshot


@pytest.mark.anyio
async def test_leaving_events_early_closes_the_response() -> None:
    """A ``break`` out of events() and the end of the block close the response and the iterator."""
    calls = testing.ChatScenario(tool_calls=[WEATHER, TIME])
    async with httpx.AsyncClient(transport=calls.transport()) as http:
        async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
            first = await stream.tool_calls().__anext__()
            assert not stream.response.is_closed
        assert stream.response.is_closed
    assert first.name == "get_weather"

    scenario = testing.ChatScenario(text="a b c d e f")
    async with httpx.AsyncClient(transport=scenario.transport()) as http:
        async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
            async for event in stream.events():
                assert isinstance(event, rs.ContentDelta)
                break
            rest = [event async for event in stream.events()]  # a second loop continues
        assert stream.response.is_closed
    assert [e.type for e in rest][-3:] == ["content.done", "choice.done", "usage"]
    assert next(e.delta for e in rest if isinstance(e, rs.ContentDelta)) == " b"


@pytest.mark.anyio
async def test_events_after_reading_chunks_is_a_clear_error() -> None:
    """events() must come before the first chunk is read: it says so instead of missing events."""
    scenario = testing.ChatScenario(text="a b")
    async with (
        httpx.AsyncClient(transport=scenario.transport()) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        await stream.__anext__()
        with pytest.raises(RuntimeError, match="before the first chunk"):
            await stream.events().__anext__()


@pytest.mark.anyio
async def test_tool_calls_of_one_choice_only() -> None:
    """With n = 2, ``tool_calls(choice=1)`` hands out choice 1's calls and nothing of choice 0."""
    scenario = testing.ChatScenario(tool_calls=[WEATHER], n=2)
    async with (
        httpx.AsyncClient(transport=scenario.transport()) as http,
        rs.aconnect_chat_stream(http, "POST", URL) as stream,
    ):
        calls = [call async for call in stream.tool_calls(choice=1)]
    assert [(call.choice, call.index, call.name) for call in calls] == [(1, 0, "get_weather")]


@pytest.mark.anyio
async def test_events_need_the_accumulator() -> None:
    """A stream opened with accumulate=False has no events, and says so."""
    scenario = testing.ChatScenario(text="a b")
    async with (
        httpx.AsyncClient(transport=scenario.transport()) as http,
        rs.aconnect_chat_stream(http, "POST", URL, accumulate=False) as stream,
    ):
        with pytest.raises(RuntimeError, match="accumulate=False"):
            await stream.events().__anext__()
