"""Every recorded stream's events: the same at every split, and the same as openai-python's helper.

openai-python is the reference for what its events mean and when they fire
(``client.chat.completions.stream()``, fed each ``openai-python_*.sse`` recording through an
``httpx.MockTransport``). Where the two differ by design, the comparison says so in
``_comparable``: r9s has events openai-python lacks (``ToolCallStart``, ``ChoiceDone``,
``UsageReceived``, reasoning) and sends no delta event for an empty string (openai-python
sends one for the role chunk's ``content: ""`` and each call's first ``arguments: ""``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import httpx
import msgspec
import pytest

import r9s_stream as rs
from r9s_stream import testing
from r9s_stream._chat._decoder import ChunkDecoder

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://transcripts.test/v1/chat/completions"
ALL_FILES = sorted(p.name for p in FIXTURES.glob("*.sse"))
OPENAI_FILES = [name for name in ALL_FILES if name.startswith("openai-python_")]
# "timed": a time limit set, so every read takes the stream's careful path, not its short one.
SPLITS: list[dict[str, int]] = [
    {"piece_size": 1},
    {"piece_size": 1, "timed": 1},
    {"piece_size": 7},
    {"seed": 1},
    {"seed": 2024},
    {"seed": 2024, "timed": 1},
    {},
]


class Location(msgspec.Struct):
    """The response format of openai-python's structured-output recordings."""

    city: str
    temperature: float
    units: Literal["c", "f"]


class GetWeatherArgs(msgspec.Struct):
    """The strict tool of openai-python's tool-call recordings."""

    city: str
    country: str
    units: Literal["c", "f"] = "c"


class GetStockPrice(msgspec.Struct):
    """The second strict tool of the parallel-tool-calls recording."""

    ticker: str
    exchange: str


class GetWeather(msgspec.Struct):
    """The strict tool of the tool-call-strict recording."""

    city: str
    state: str


# recording → (response format, strict Struct tools), as openai-python's tests asked for them
OUTPUTS: dict[str, rs.OutputSpec[Any]] = {
    "openai-python_json-content_response-format.sse": rs.OutputSpec(Location, {}),
    "openai-python_n3-multiple-choices-interleaved.sse": rs.OutputSpec(Location, {}),
    "openai-python_tool-call-single.sse": rs.OutputSpec(None, {"GetWeatherArgs": GetWeatherArgs}),
    "openai-python_parallel-tool-calls.sse": rs.OutputSpec(
        None, {"GetWeatherArgs": GetWeatherArgs, "get_stock_price": GetStockPrice}
    ),
    "openai-python_tool-call-strict.sse": rs.OutputSpec(None, {"get_weather": GetWeather}),
}


def expected_events(
    body: bytes, output: rs.OutputSpec[Any] | None = None
) -> tuple[list[rs.StreamEvent], bool]:
    """The pure fold over the whole body at once: its events, and whether [DONE] came."""
    decoder = ChunkDecoder()
    chunks = decoder.feed(body)
    chunks += decoder.finish()
    accumulator = rs.ChatCompletionAccumulator()
    accumulator.enable_events(output)
    events = list(accumulator.add_many(chunks))
    if decoder.done:
        events += accumulator.finish()
    return events, decoder.done


async def stream_events(
    body: bytes, split: dict[str, int]
) -> tuple[list[rs.StreamEvent], rs.ChatCompletion, rs.StreamError | None]:
    """The events of ``body`` through the real stream, its completion and its error if it failed."""
    events: list[rs.StreamEvent] = []
    transport = testing.sse_transport(body, piece_size=split.get("piece_size"), seed=split.get("seed"))
    async with httpx.AsyncClient(transport=transport) as http:
        try:
            idle_timeout = 60.0 if split.get("timed") else None
            async with rs.aconnect_chat_stream(
                http, "POST", URL, json={}, idle_timeout=idle_timeout
            ) as stream:
                async for event in stream.events():
                    events.append(event)
        except rs.StreamError as error:
            return events, error.completion or rs.ChatCompletion(), error
        return events, stream.completion, None


async def plain_completion(body: bytes) -> rs.ChatCompletion:
    """The completion the plain chunk path rebuilds (or keeps at its failure)."""
    async with httpx.AsyncClient(transport=testing.sse_transport(body)) as http:
        try:
            async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                return await stream.until_done()
        except rs.StreamError as error:
            return error.completion or rs.ChatCompletion()


@pytest.fixture
def anyio_backend() -> str:
    """The split matrix runs on asyncio (tests/test_events_stream.py runs events on trio too)."""
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("name", ALL_FILES)
async def test_every_split_yields_the_same_events(name: str) -> None:
    """1-byte, 7-byte, random and whole reads give the pure fold's events; the completion is unchanged."""
    body = testing.load_sse(FIXTURES / name)
    expected, done = expected_events(body)
    plain = await plain_completion(body)
    for split in SPLITS:
        events, completion, error = await stream_events(body, split)
        assert events == expected, split
        assert completion == plain, split
        assert (error is None) == done, split


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["llmock_fault_truncate.sse", "llmock_fault_disconnect.sse"])
async def test_a_failed_stream_invents_no_done(name: str) -> None:
    """A stream cut off before [DONE]: the error keeps the partial completion, no Done is made up."""
    body = testing.load_sse(FIXTURES / name)
    events, completion, error = await stream_events(body, {})
    assert isinstance(error, rs.IncompleteStreamError)
    deltas = [event for event in events if isinstance(event, rs.ContentDelta)]
    assert deltas
    assert deltas == events
    assert completion.choices[0].message.content == deltas[-1].snapshot


# --- against openai-python ------------------------------------------------------------------


def _tokens(tokens: Any) -> list[dict[str, Any]]:
    """Log probabilities of either library as plain values."""
    return [
        {"token": t.token, "logprob": t.logprob, "bytes": t.bytes, "top": len(t.top_logprobs)} for t in tokens
    ]


def _plain(value: Any) -> Any:
    """A parsed value of either library as plain values (Struct or pydantic model → dict)."""
    import pydantic  # openai-python's dependency: only the comparison with it comes here

    if isinstance(value, pydantic.BaseModel):
        return value.model_dump()
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    return value


def _comparable(event: Any) -> tuple[Any, ...] | None:
    """An event of either library as (type, what it says); ``None`` for events only one has."""
    kind = event.type
    if kind in ("content.delta", "refusal.delta"):
        if not event.delta:
            return None  # openai-python: the role chunk's "" (r9s: an empty string is no delta)
        parsed = _plain(getattr(event, "parsed", None))
        return (kind, event.delta, event.snapshot, parsed)
    if kind == "content.done":
        return (kind, event.content, _plain(event.parsed))
    if kind == "refusal.done":
        return (kind, event.refusal)
    import openai

    theirs = isinstance(event, openai.BaseModel)  # openai-python names some fields differently
    if kind == "tool_calls.function.arguments.delta":
        text = event.arguments_delta if theirs else event.delta
        if not text:
            return None  # openai-python: each call's first `arguments: ""`
        parsed = event.parsed_arguments if theirs else event.parsed
        return (kind, event.index, event.name, text, event.arguments, _plain(parsed))
    if kind == "tool_calls.function.arguments.done":
        parsed = event.parsed_arguments if theirs else event.parsed
        return (kind, event.index, event.name, event.arguments, _plain(parsed))
    if kind in ("logprobs.content.delta", "logprobs.content.done"):
        return (kind, _tokens(event.content if theirs else event.tokens))
    if kind in ("logprobs.refusal.delta", "logprobs.refusal.done"):
        return (kind, _tokens(event.refusal if theirs else event.tokens))
    return None  # chunk (openai-python); start, choice.done, usage, reasoning (r9s)


async def openai_events(body: bytes, output: rs.OutputSpec[Any] | None) -> list[Any]:
    """What openai-python's ``chat.completions.stream()`` helper emits for the recording."""
    import openai
    import pydantic

    class PydanticLocation(pydantic.BaseModel):
        """Location as openai-python's helper wants it: a pydantic model."""

        city: str
        temperature: float
        units: Literal["c", "f"]

    kwargs: dict[str, Any] = {}
    if output is not None and output.response_format is not None:
        kwargs["response_format"] = PydanticLocation
    if output is not None and output.tools:
        kwargs["tools"] = [
            {"type": "function", "function": {"name": name, "parameters": {"type": "object"}, "strict": True}}
            for name in output.tools
        ]
    # openai 3 annotates httpx2's client; its helper reads an httpx one as well.
    http: Any = httpx.AsyncClient(transport=testing.sse_transport(body))
    async with (
        openai.AsyncOpenAI(api_key="k", base_url="https://transcripts.test/v1", http_client=http) as client,
        client.chat.completions.stream(model="m", messages=[], **kwargs) as stream,
    ):
        return [event async for event in stream]


@pytest.mark.anyio
@pytest.mark.parametrize("name", OPENAI_FILES)
async def test_events_match_openai_python(name: str) -> None:
    """Types, order, text, snapshots and parsed values are openai-python's, for each of its recordings."""
    pytest.importorskip("openai", reason="openai-python (a dev dependency) is not installed")
    body = testing.load_sse(FIXTURES / name)
    output = OUTPUTS.get(name)
    ours, _ = expected_events(body, output)
    theirs = await openai_events(body, output)
    expected = [view for view in map(_comparable, theirs) if view is not None]
    assert [view for view in map(_comparable, ours) if view is not None] == expected
    assert len(expected) > 1
