"""The testing kit: pieces, the mock SSE transport, recordings and scripted scenarios."""

from __future__ import annotations

import anyio
import httpx
import msgspec
import pytest

import r9s_stream as rs
from r9s_stream import testing

URL = "https://kit.test/v1/chat/completions"


async def _complete(transport: httpx.MockTransport) -> rs.ChatCompletion:
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream,
    ):
        return await stream.until_done()


def test_split_pieces_default_is_the_whole_body() -> None:
    """Without size or seed the body comes back as one piece."""
    assert testing.split_pieces(b"abcdef") == [b"abcdef"]


def test_split_pieces_fixed_size() -> None:
    """A size cuts the body into pieces of that many bytes, the last one shorter."""
    assert testing.split_pieces(b"abcdefg", 3) == [b"abc", b"def", b"g"]


def test_split_pieces_seeded_is_random_but_reproducible() -> None:
    """A seed gives 1..97-byte pieces that join back to the body, the same for the same seed."""
    body = bytes(range(256)) * 8
    pieces = testing.split_pieces(body, seed=7)
    assert b"".join(pieces) == body
    assert all(1 <= len(p) <= 97 for p in pieces)
    assert len({len(p) for p in pieces}) > 1
    assert testing.split_pieces(body, seed=7) == pieces
    assert testing.split_pieces(body, seed=8) != pieces


def test_split_pieces_rejects_bad_arguments() -> None:
    """A zero size, or size and seed together, is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        testing.split_pieces(b"x", 0)
    with pytest.raises(ValueError, match="not both"):
        testing.split_pieces(b"x", 2, seed=1)


@pytest.mark.anyio
async def test_sse_transport_delivers_the_body_in_the_given_pieces() -> None:
    """The client reads exactly the pieces the transport was told to serve."""
    body = testing.load_sse("openai-python_plain-content_usage-final")
    async with (
        httpx.AsyncClient(transport=testing.sse_transport(body, piece_size=5)) as http,
        http.stream("POST", URL) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        reads = [piece async for piece in response.aiter_raw()]
    assert reads == testing.split_pieces(body, 5)


@pytest.mark.anyio
@pytest.mark.parametrize(("piece_size", "seed"), [(None, None), (1, None), (7, None), (None, 3)])
async def test_recording_decodes_the_same_whatever_the_pieces(
    piece_size: int | None, seed: int | None
) -> None:
    """A recorded tool-call stream rebuilds the same message however its bytes are cut."""
    body = testing.load_sse("openai-python_parallel-tool-calls.sse")
    completion = await _complete(testing.sse_transport(body, piece_size=piece_size, seed=seed))
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["GetWeatherArgs", "get_stock_price"]
    assert completion.usage is not None


@pytest.mark.anyio
async def test_sse_transport_status_and_headers() -> None:
    """The status code and headers given to the transport reach the client."""
    transport = testing.sse_transport(
        b'{"error":{"message":"slow down"}}',
        status_code=429,
        headers={"content-type": "application/json", "retry-after": "1"},
    )
    with pytest.raises(rs.APIStatusError) as caught:
        await _complete(transport)
    assert caught.value.status_code == 429


def test_load_sse_missing_file_names_it() -> None:
    """A recording that does not exist raises FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match="no-such-capture"):
        testing.load_sse("no-such-capture")


# --- scripted scenarios ------------------------------------------------------------------

WEATHER = testing.ScriptedToolCall("get_weather", {"city": "Paris", "unit": "celsius"}, fragments=4)
CLOCK = testing.ScriptedToolCall("get_time", '{"tz":"CET"}', id="call_clock")

SCENARIOS = {
    "text": testing.ChatScenario(text="Hello big world!"),
    "reasoning": testing.ChatScenario(reasoning="They greet me.", text="Hi there."),
    "refusal": testing.ChatScenario(refusal="I can't help with that."),
    "parallel-tools": testing.ChatScenario(tool_calls=[WEATHER, CLOCK]),
    "three-choices": testing.ChatScenario(text="one two three", n=3),
    "char-tokens": testing.ChatScenario(text="abcdefg", token_size=2, usage=False),
    "given-usage": testing.ChatScenario(
        text="x", usage=rs.Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
    ),
}


def test_split_tokens_keeps_leading_spaces_and_joins_back() -> None:
    """Words carry their leading space, trailing whitespace stays, and the tokens join back."""
    assert testing.split_tokens("Hello big  world ") == ["Hello", " big", "  world", " "]
    assert testing.split_tokens("abcde", 2) == ["ab", "cd", "e"]
    assert testing.split_tokens("") == []


def test_encode_is_compact_openai_shaped_sse() -> None:
    """Every frame is `data: ` plus compact chunk JSON, and the body ends with `data: [DONE]`."""
    body = testing.ChatScenario(text="Hi you", model="m1", id="c1").encode()
    frames = body.split(b"\n\n")
    assert frames[-2:] == [b"data: [DONE]", b""]
    chunks = [msgspec.json.decode(frame.removeprefix(b"data: ")) for frame in frames[:-2]]
    assert all(frame.startswith(b"data: {") and b": " not in frame[6:] for frame in frames[:-2])
    assert {(c["id"], c["object"], c["model"]) for c in chunks} == {("c1", "chat.completion.chunk", "m1")}
    assert [c["choices"][0]["delta"].get("content") for c in chunks[:3]] == ["", "Hi", " you"]
    assert chunks[3]["choices"][0]["finish_reason"] == "stop"
    assert chunks[4]["choices"] == []
    assert chunks[4]["usage"] == {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10}


def test_tool_call_arguments_stream_in_fragments() -> None:
    """A tool call sends its id and name once, then its JSON arguments in the asked fragments."""
    chunks = testing.ChatScenario(tool_calls=[WEATHER], usage=False).chunks()
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0]["id"] == "call_0"
    assert calls[0]["function"]["name"] == "get_weather"
    fragments = [call["function"]["arguments"] for call in calls[1:]]
    assert len(fragments) == 4
    assert "".join(fragments) == '{"city":"Paris","unit":"celsius"}'


@pytest.mark.anyio
@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize(("piece_size", "seed"), [(None, None), (3, None), (None, 11)])
async def test_scenario_decodes_to_its_completion(
    name: str, piece_size: int | None, seed: int | None
) -> None:
    """The bytes a scenario produces rebuild, through the real client, to exactly its completion."""
    scenario = SCENARIOS[name]
    completion = await _complete(scenario.transport(piece_size=piece_size, seed=seed))
    assert completion == scenario.completion()


@pytest.mark.anyio
async def test_scripted_message_reaches_the_user() -> None:
    """The rebuilt message has the scripted text, reasoning, tool calls and counted usage."""
    scenario = testing.ChatScenario(reasoning="Think.", text="Sunny in Paris.", tool_calls=[WEATHER, CLOCK])
    completion = await _complete(scenario.transport(seed=5))
    message = completion.choices[0].message
    assert (message.reasoning_content, message.content) == ("Think.", "Sunny in Paris.")
    assert message.tool_calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("call_0", "get_weather", '{"city":"Paris","unit":"celsius"}'),
        ("call_clock", "get_time", '{"tz":"CET"}'),
    ]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage == rs.Usage(prompt_tokens=8, completion_tokens=13, total_tokens=21)


@pytest.mark.anyio
async def test_n_choices_each_get_the_whole_message() -> None:
    """With n=3 every choice index rebuilds the full text and its own finish reason."""
    completion = await _complete(testing.ChatScenario(text="a b c", n=3).transport())
    assert [(c.index, c.message.content, c.finish_reason) for c in completion.choices] == [
        (0, "a b c", "stop"),
        (1, "a b c", "stop"),
        (2, "a b c", "stop"),
    ]


# --- faults ------------------------------------------------------------------------------

FIVE_WORDS = testing.ChatScenario(text="one two three four five")


@pytest.mark.anyio
async def test_truncate_ends_without_done_keeping_the_partial_text() -> None:
    """A truncated stream raises IncompleteStreamError holding the chunks sent before the cut."""
    scenario = FIVE_WORDS.replace(fault=testing.Truncate(after=3))
    assert not scenario.encode().endswith(b"data: [DONE]\n\n")
    with pytest.raises(rs.IncompleteStreamError) as caught:
        await _complete(scenario.transport())
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "one two"


@pytest.mark.anyio
async def test_malformed_chunk_raises_decode_error_after_the_good_ones() -> None:
    """The chunks before a malformed payload are delivered, then StreamDecodeError names it."""
    scenario = FIVE_WORDS.replace(fault=testing.Malformed(at=2))
    received: list[str] = []

    async def read() -> None:
        async with (
            httpx.AsyncClient(transport=scenario.transport()) as http,
            rs.aconnect_chat_stream(http, "POST", URL) as stream,
        ):
            async for text in stream.text_deltas():
                received.append(text)

    with pytest.raises(rs.StreamDecodeError) as caught:
        await read()
    assert received == ["one"]
    assert "oops" in str(caught.value.data)


@pytest.mark.anyio
async def test_mid_stream_error_surfaces_its_message() -> None:
    """`data: {"error": …}` after two chunks raises StreamAPIError with the server's message."""
    fault = testing.MidStreamError(after=2, message="overloaded", code="overloaded_error")
    with pytest.raises(rs.StreamAPIError, match="overloaded") as caught:
        await _complete(FIVE_WORDS.replace(fault=fault).transport())
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "one"


@pytest.mark.anyio
async def test_stall_trips_the_idle_timeout() -> None:
    """A stall longer than the idle timeout raises StreamTimeoutError with the text so far."""
    scenario = FIVE_WORDS.replace(fault=testing.Stall(after=3, seconds=30))
    with pytest.raises(rs.StreamTimeoutError) as caught:
        async with (
            httpx.AsyncClient(transport=scenario.transport()) as http,
            rs.aconnect_chat_stream(http, "POST", URL, idle_timeout=0.05) as stream,
        ):
            await stream.until_done()
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "one two"


@pytest.mark.anyio
async def test_short_stall_and_delay_only_slow_the_stream() -> None:
    """A short stall and a per-read delay cost their time and the message still arrives whole."""
    scenario = FIVE_WORDS.replace(fault=testing.Stall(after=1, seconds=0.05), delay=0.002)
    started = anyio.current_time()
    completion = await _complete(scenario.transport())
    assert anyio.current_time() - started >= 0.05 + 0.002 * len(scenario.chunks())
    assert completion == FIVE_WORDS.completion()


@pytest.mark.anyio
@pytest.mark.parametrize("error", [httpx.RemoteProtocolError, httpx.ReadError])
async def test_disconnect_becomes_incomplete_stream_with_cause(error: type[httpx.TransportError]) -> None:
    """A connection broken mid-body raises IncompleteStreamError caused by the transport error."""
    scenario = FIVE_WORDS.replace(fault=testing.Disconnect(after=4, error=error))
    with pytest.raises(rs.IncompleteStreamError) as caught:
        await _complete(scenario.transport(piece_size=10))
    assert isinstance(caught.value.__cause__, error)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "one two three"


def test_scenario_needs_a_choice() -> None:
    """A scenario with no choices is refused when it is made, not when it is served."""
    with pytest.raises(ValueError, match="at least one choice"):
        testing.ChatScenario(text="x", n=0)


def test_public_names_are_sorted_and_complete() -> None:
    """`testing.__all__` is sorted and names every public object the package exports."""
    public = {
        name
        for name in vars(testing)
        if not name.startswith("_") and not hasattr(vars(testing)[name], "__path__")
    }
    assert testing.__all__ == sorted(testing.__all__)
    assert set(testing.__all__) == public
