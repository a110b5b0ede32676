"""Every recorded stream in tests/fixtures, replayed through the real client in many splits.

The expected values below were written by reading the raw ``.sse`` files (see
tests/fixtures/README.md for where each comes from), not copied from the code's output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import r9s_stream as rs
from r9s_stream import testing

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://transcripts.test/v1/chat/completions"
ALL_FILES = sorted(p.name for p in FIXTURES.glob("*.sse"))
FAULT_FILES = {
    "llmock_fault_truncate.sse",
    "llmock_fault_disconnect.sse",
    "llmock_fault_malformed.sse",
    "azure-docs_async-filter_blocked-content_filter.sse",
}
GOOD_FILES = [name for name in ALL_FILES if name not in FAULT_FILES]

# How the body reaches the client: 1-byte reads, 7-byte reads, seeded random reads, whole.
SPLITS: list[dict[str, int]] = [{"piece_size": 1}, {"piece_size": 7}, {"seed": 1}, {"seed": 2024}, {}]


def transport(body: bytes, split: dict[str, int]) -> httpx.MockTransport:
    """A mock SSE transport serving ``body`` in the pieces ``split`` asks for."""
    return testing.sse_transport(body, piece_size=split.get("piece_size"), seed=split.get("seed"))


def body_of(name: str) -> bytes:
    """The raw bytes of one recording."""
    return testing.load_sse(FIXTURES / name)


async def replay(
    body: bytes, **split: int
) -> tuple[list[rs.ChatCompletionStreamEvent], rs.ChatCompletion, rs.Usage | None]:
    """Stream ``body`` through aconnect_chat_stream; return the events, completion and usage."""
    async with (
        httpx.AsyncClient(transport=transport(body, split)) as http,
        rs.aconnect_chat_stream(http, "POST", URL, json={"stream": True}) as stream,
    ):
        events = [event async for event in stream]
        assert stream.done
        return events, stream.completion, stream.usage


async def replay_failure(body: bytes, **split: int) -> tuple[rs.StreamError, int]:
    """Stream ``body`` expecting a StreamError; return it and how many events came before it."""
    received = 0
    async with httpx.AsyncClient(transport=transport(body, split)) as http:
        try:
            async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
                async for _ in stream:
                    received += 1
        except rs.StreamError as error:
            assert stream.response.is_closed
            return error, received
    raise AssertionError("the stream ended without a StreamError")


def completion(
    *,
    id: str,
    model: str,
    created: int,
    choices: list[rs.ChatCompletionChoice],
    usage: rs.Usage | None,
    system_fingerprint: str | None = None,
) -> rs.ChatCompletion:
    """A ChatCompletion literal (object is always "chat.completion")."""
    return rs.ChatCompletion(
        id=id,
        model=model,
        created=created,
        system_fingerprint=system_fingerprint,
        choices=choices,
        usage=usage,
    )


def choice(
    finish_reason: str | None,
    *,
    index: int = 0,
    logprobs: rs.ChoiceLogprobs | None = None,
    **message: Any,
) -> rs.ChatCompletionChoice:
    """A ChatCompletionChoice literal."""
    return rs.ChatCompletionChoice(
        index=index,
        message=rs.ChatCompletionMessage(**message),
        finish_reason=finish_reason,
        logprobs=logprobs,
    )


def tool(call_id: str, name: str, arguments: str) -> rs.ToolCall:
    """A ToolCall literal of type function."""
    return rs.ToolCall(id=call_id, type="function", function=rs.FunctionCall(name=name, arguments=arguments))


def openai_usage(prompt: int, completion_tokens: int, total: int) -> rs.Usage:
    """The usage shape of the openai-python recordings (reasoning_tokens 0)."""
    return rs.Usage(
        prompt_tokens=prompt,
        completion_tokens=completion_tokens,
        total_tokens=total,
        completion_tokens_details=rs.CompletionTokensDetails(reasoning_tokens=0),
    )


def token(text: str, logprob: float, data: list[int]) -> rs.TokenLogprob:
    """A TokenLogprob literal without alternatives."""
    return rs.TokenLogprob(token=text, logprob=logprob, bytes=data, top_logprobs=[])


GPT4O = "gpt-4o-2024-08-06"

LONG_CONTENT = """
  {
    "location": "San Francisco, CA",
    "weather": {
      "temperature": "18°C",
      "condition": "Partly Cloudy",
      "humidity": "72%",
      "windSpeed": "15 km/h",
      "windDirection": "NW"
    },
    "forecast": [
      {
        "day": "Monday",
        "high": "20°C",
        "low": "14°C",
        "condition": "Sunny"
      },
      {
        "day": "Tuesday",
        "high": "19°C",
        "low": "15°C",
        "condition": "Mostly Cloudy"
      },
      {
        "day": "Wednesday",
        "high": "18°C",
        "low": "14°C",
        "condition": "Cloudy"
      }
    ]
  }
"""

STRAWBERRY_REASONING = (
    'We need to count the number of the letter "r" in the word "strawberry". The word is spelled: '
    's-t-r-a-w-b-e-r-r-y. Let\'s list the letters and count the "r"s:\n\n'
    "Position 1: s\n2: t\n3: r (first r)\n4: a\n5: w\n6: b\n7: e\n8: r (second r)\n9: r (third r)\n"
    '10: y\n\nSo there are three "r"s. But wait, let\'s double-check: "strawberry" indeed has three '
    '"r"s: one after "t", and then two consecutive "r"s before "y". So the answer is 3.\n\n'
    "The question is straightforward. However, sometimes people might miscount. Let's ensure: "
    'The word has 10 letters. The "r"s are at positions 3, 8, and 9. So yes, 3.\n\nThus, the answer is 3.'
)

WEATHER_REASONING = (
    "The user is asking for the weather in San Francisco. I need to use the weather tool to get this "
    'information. Let me invoke the weather tool with the location parameter set to "San Francisco".'
)

LITELLM_TEXT = "Hello from the LiteLLM mock! This is a streamed reply."

# file → (number of chunks = the `data: {` lines of the raw file, the completion it rebuilds)
EXPECTED: dict[str, tuple[int, rs.ChatCompletion]] = {
    "openai-python_parallel-tool-calls.sse": (
        25,
        completion(
            id="chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63",
            model=GPT4O,
            created=1727346178,
            system_fingerprint="fp_5050236cbd",
            choices=[
                choice(
                    "tool_calls",
                    content=None,
                    tool_calls=[
                        tool(
                            "call_JMW1whyEaYG438VE1OIflxA2",
                            "GetWeatherArgs",
                            '{"city": "Edinburgh", "country": "GB", "units": "c"}',
                        ),
                        tool(
                            "call_DNYTawLBoN8fj3KN6qU9N1Ou",
                            "get_stock_price",
                            '{"ticker": "AAPL", "exchange": "NASDAQ"}',
                        ),
                    ],
                )
            ],
            usage=openai_usage(149, 60, 209),
        ),
    ),
    "openai-python_n3-multiple-choices-interleaved.sse": (
        49,
        completion(
            id="chatcmpl-ABfw2KKFuVXmEJgVwYfBvejMAdWtq",
            model=GPT4O,
            created=1727346170,
            system_fingerprint="fp_b40fb1c6fb",
            choices=[
                choice("stop", index=i, content=f'{{"city":"San Francisco","temperature":{t},"units":"f"}}')
                for i, t in enumerate((65, 61, 59))
            ],
            usage=openai_usage(79, 42, 121),
        ),
    ),
    "openai-python_refusal-logprobs.sse": (
        14,
        completion(
            id="chatcmpl-ABfw5GEVqPbLY576l46FZDQoNJ2KC",
            model=GPT4O,
            created=1727346173,
            system_fingerprint="fp_5050236cbd",
            choices=[
                choice(
                    "stop",
                    content=None,
                    refusal="I'm very sorry, but I can't assist with that.",
                    logprobs=rs.ChoiceLogprobs(
                        content=None,
                        refusal=[
                            token("I'm", -0.0012038043, [73, 39, 109]),
                            token(" very", -0.8438816, [32, 118, 101, 114, 121]),
                            token(" sorry", -3.4121115e-6, [32, 115, 111, 114, 114, 121]),
                            token(",", -3.3809047e-05, [44]),
                            token(" but", -0.038048144, [32, 98, 117, 116]),
                            token(" I", -0.0016109125, [32, 73]),
                            token(" can't", -0.0073532974, [32, 99, 97, 110, 39, 116]),
                            token(" assist", -0.0020837625, [32, 97, 115, 115, 105, 115, 116]),
                            token(" with", -0.00318354, [32, 119, 105, 116, 104]),
                            token(" that", -0.0017186158, [32, 116, 104, 97, 116]),
                            token(".", -0.57687104, [46]),
                        ],
                    ),
                )
            ],
            usage=openai_usage(79, 12, 91),
        ),
    ),
    "openai-python_content-logprobs.sse": (
        5,
        completion(
            id="chatcmpl-ABfw5EzoqmfXjnnsXY7Yd8OC6tb3c",
            model=GPT4O,
            created=1727346173,
            system_fingerprint="fp_5050236cbd",
            choices=[
                choice(
                    "stop",
                    content="Foo!",
                    logprobs=rs.ChoiceLogprobs(
                        content=[token("Foo", -0.0025094282, [70, 111, 111]), token("!", -0.26638845, [33])],
                        refusal=None,
                    ),
                )
            ],
            usage=openai_usage(9, 2, 11),
        ),
    ),
    "openai-python_plain-content_usage-final.sse": (
        33,
        completion(
            id="chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL",
            model=GPT4O,
            created=1727346168,
            system_fingerprint="fp_5050236cbd",
            choices=[
                choice(
                    "stop",
                    content="I'm unable to provide real-time weather updates. To get the current weather in "
                    "San Francisco, I recommend checking a reliable weather website or a weather app.",
                )
            ],
            usage=openai_usage(14, 30, 44),
        ),
    ),
    "openai-python_finish-length.sse": (
        4,
        completion(
            id="chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh",
            model=GPT4O,
            created=1727346171,
            system_fingerprint="fp_7568d46099",
            choices=[choice("length", content='{"')],
            usage=openai_usage(79, 1, 80),
        ),
    ),
    "openai-python_json-content_response-format.sse": (
        17,
        completion(
            id="chatcmpl-ABfw1e5abtU8OwGr15vOreYVb2MiF",
            model=GPT4O,
            created=1727346169,
            system_fingerprint="fp_5050236cbd",
            choices=[choice("stop", content='{"city":"San Francisco","temperature":61,"units":"f"}')],
            usage=openai_usage(79, 14, 93),
        ),
    ),
    "openai-python_long-content-181-chunks.sse": (
        180,
        completion(
            id="chatcmpl-ABfwCjPMi0ubw56UyMIIeNfJzyogq",
            model=GPT4O,
            created=1727346180,
            system_fingerprint="fp_5050236cbd",
            choices=[choice("stop", content=LONG_CONTENT)],
            usage=openai_usage(19, 177, 196),
        ),
    ),
    "openai-python_refusal.sse": (
        13,
        completion(
            id="chatcmpl-ABfw4IfQfCCrcuybFm41wJyxjbkz7",
            model=GPT4O,
            created=1727346172,
            system_fingerprint="fp_5050236cbd",
            choices=[choice("stop", content=None, refusal="I'm sorry, I can't assist with that request.")],
            usage=openai_usage(79, 11, 90),
        ),
    ),
    "openai-python_tool-call-single.sse": (
        17,
        completion(
            id="chatcmpl-ABfw8AOXnoa2kzy11vVTSjuQhHCQr",
            model=GPT4O,
            created=1727346176,
            system_fingerprint="fp_7568d46099",
            choices=[
                choice(
                    "tool_calls",
                    tool_calls=[
                        tool(
                            "call_c91SqDXlYFuETYv8mUHzz6pp",
                            "GetWeatherArgs",
                            '{"city":"Edinburgh","country":"UK","units":"c"}',
                        )
                    ],
                )
            ],
            usage=openai_usage(76, 24, 100),
        ),
    ),
    "openai-python_tool-call-strict.sse": (
        13,
        completion(
            id="chatcmpl-ABfwCgi41eStOcARjZq97ohCEGBPO",
            model=GPT4O,
            created=1727346180,
            system_fingerprint="fp_b40fb1c6fb",
            choices=[
                choice(
                    "tool_calls",
                    tool_calls=[
                        tool(
                            "call_CTf1nWJLqSeRgDqaCG27xZ74",
                            "get_weather",
                            '{"city":"San Francisco","state":"CA"}',
                        )
                    ],
                )
            ],
            usage=openai_usage(48, 19, 67),
        ),
    ),
    "openai-python_tool-call-nonstrict.sse": (
        10,
        completion(
            id="chatcmpl-ABfwERreu9s99xXsVuOWtIB2UOx62",
            model=GPT4O,
            created=1727346182,
            system_fingerprint="fp_143bb8492c",
            choices=[
                choice(
                    "tool_calls",
                    tool_calls=[
                        tool("call_4XzlGBLtUe9dy3GVNV4jhq7h", "get_weather", '{"city":"New York City"}')
                    ],
                )
            ],
            usage=openai_usage(44, 16, 60),
        ),
    ),
    "vercel-ai_azure_prompt-filter-empty-choices-first.sse": (
        8,
        completion(
            id="chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt",
            model="gpt-5-nano-2025-08-07",
            created=1762317021,
            choices=[choice("stop", content="Capital of Denmark.")],
            usage=rs.Usage(
                prompt_tokens=15,
                completion_tokens=78,
                total_tokens=93,
                prompt_tokens_details=rs.PromptTokensDetails(cached_tokens=0, audio_tokens=0),
                completion_tokens_details=rs.CompletionTokensDetails(
                    reasoning_tokens=64,
                    audio_tokens=0,
                    accepted_prediction_tokens=0,
                    rejected_prediction_tokens=0,
                ),
            ),
        ),
    ),
    "vercel-ai_deepseek-reasoner_reasoning-then-toolcall.sse": (
        52,
        completion(
            id="cca85624-4056-401f-b220-d77601d1f70d",
            model="deepseek-reasoner",
            created=1764664568,
            system_fingerprint="fp_eaab8d114b_prod0820_fp8_kvcache",
            choices=[
                choice(
                    "tool_calls",
                    # The finish chunk carries `"content":""`: an empty string was sent, not null.
                    content="",
                    reasoning_content=WEATHER_REASONING,
                    tool_calls=[
                        tool("call_00_ioIn7yN9p1ZOMNpDLwd4MgAF", "weather", '{"location": "San Francisco"}')
                    ],
                )
            ],
            usage=rs.Usage(
                prompt_tokens=339,
                completion_tokens=83,
                total_tokens=422,
                prompt_tokens_details=rs.PromptTokensDetails(cached_tokens=320),
                completion_tokens_details=rs.CompletionTokensDetails(reasoning_tokens=39),
            ),
        ),
    ),
    "vercel-ai_deepseek_reasoning-content.sse": (
        220,
        completion(
            id="cac7192e-e619-40c6-96b0-ed4276bc03ac",
            model="deepseek-reasoner",
            created=1764661832,
            system_fingerprint="fp_eaab8d114b_prod0820_fp8_kvcache",
            choices=[
                choice(
                    "stop",
                    content='The word "strawberry" contains three "r"s.',
                    reasoning_content=STRAWBERRY_REASONING,
                )
            ],
            usage=rs.Usage(
                prompt_tokens=18,
                completion_tokens=219,
                total_tokens=237,
                prompt_tokens_details=rs.PromptTokensDetails(cached_tokens=0),
                completion_tokens_details=rs.CompletionTokensDetails(reasoning_tokens=205),
            ),
        ),
    ),
    "vercel-ai_groq_toolcall-single-chunk-x_groq.sse": (
        3,
        completion(
            id="chatcmpl-b610d559-f156-4aca-8827-24b4fe6af54f",
            model="llama-3.3-70b-versatile",
            created=1770770843,
            system_fingerprint="fp_f8b414701e",
            choices=[choice("tool_calls", tool_calls=[tool("tk85n1k4m", "weather", "{}")])],
            usage=rs.Usage(prompt_tokens=210, completion_tokens=15, total_tokens=225),
        ),
    ),
    "azure-docs_async-filter-annotations_passes.sse": (
        8,
        completion(
            id="chatcmpl-7rCNsVeZy0PGnX3H6jK8STps5nZUY",
            model="gpt-35-turbo",
            created=1692913344,
            choices=[choice("stop", content="Color is a")],
            usage=None,
        ),
    ),
    "litellm_stream.sse": (
        19,
        completion(
            id="chatcmpl-a3599fe7-13b1-4d2f-be27-c1275d34cd5e",
            model="mock-gpt",
            created=1795602933,
            choices=[choice("stop", content=LITELLM_TEXT)],
            usage=None,
        ),
    ),
    "litellm_stream_usage.sse": (
        20,
        completion(
            id="chatcmpl-a37be7b5-1a7c-42e3-8b82-1dfa73c4f8ec",
            model="mock-gpt",
            created=1795602939,
            choices=[choice("stop", content=LITELLM_TEXT)],
            usage=rs.Usage(
                prompt_tokens=8,
                completion_tokens=14,
                total_tokens=22,
                completion_tokens_details=rs.CompletionTokensDetails(reasoning_tokens=0),
            ),
        ),
    ),
    "handmade_llamacpp_tool-call-repeated-fields.sse": (
        12,
        completion(
            id="chatcmpl-llamacpp1",
            model="qwen2.5-7b-instruct",
            created=1764000000,
            system_fingerprint="b4589-0b3ad8c1",
            choices=[
                choice(
                    "tool_calls",
                    tool_calls=[tool("call_Xq1", "get_weather", '{"city":"Oslo","unit":"c"}')],
                )
            ],
            usage=rs.Usage(prompt_tokens=120, completion_tokens=18, total_tokens=138),
        ),
    ),
    "handmade_openrouter_comments-crlf.sse": (
        7,
        completion(
            id="gen-1764000000-abc",
            model="openai/gpt-4o-mini",
            created=1764000001,
            choices=[choice("stop", content="Bonjour à tous ! 👋")],
            usage=rs.Usage(
                prompt_tokens=12,
                completion_tokens=6,
                total_tokens=18,
                prompt_tokens_details=rs.PromptTokensDetails(cached_tokens=0),
                completion_tokens_details=rs.CompletionTokensDetails(reasoning_tokens=0),
            ),
        ),
    ),
    "llmock_stream.sse": (
        7,
        completion(
            id="chatcmpl-88052dcb9b7a4e6ca5bbd75a",
            model="gpt-4o-mini",
            created=1795603371,
            choices=[choice("stop", content="Simulated success from gpt-4o-mini.")],
            usage=rs.Usage(prompt_tokens=0, completion_tokens=8, total_tokens=8),
        ),
    ),
}


def test_every_recording_has_expectations() -> None:
    """Each .sse file in tests/fixtures is either a good stream with expected values or a fault."""
    assert sorted(EXPECTED) == GOOD_FILES
    assert set(ALL_FILES) >= FAULT_FILES


@pytest.mark.parametrize("name", GOOD_FILES)
@pytest.mark.anyio
async def test_recording_rebuilds_the_expected_completion(name: str) -> None:
    """Each good recording, streamed whole, yields every chunk and rebuilds the expected completion."""
    chunks, expected = EXPECTED[name]
    events, rebuilt, usage = await replay(body_of(name))
    assert len(events) == chunks
    assert rebuilt == expected
    assert usage == expected.usage


@pytest.mark.parametrize("name", ALL_FILES)
@pytest.mark.anyio
async def test_recording_is_the_same_at_every_split(name: str) -> None:
    """1-byte, 7-byte, random and whole reads give the same events, completion and errors."""
    body = body_of(name)
    outcomes: list[object] = []
    for split in SPLITS:
        if name in FAULT_FILES:
            error, received = await replay_failure(body, **split)
            outcomes.append((type(error), str(error), received, error.completion))
        else:
            outcomes.append(await replay(body, **split))
    assert all(outcome == outcomes[-1] for outcome in outcomes)


@pytest.mark.anyio
async def test_n3_choices_arrive_interleaved() -> None:
    """The n=3 recording really interleaves choices: consecutive chunks name different indexes."""
    events, _, _ = await replay(body_of("openai-python_n3-multiple-choices-interleaved.sse"))
    indexes = [event.choices[0].index for event in events if event.choices]
    assert indexes[:6] == [0, 0, 1, 1, 2, 2]
    assert set(indexes) == {0, 1, 2}


@pytest.mark.anyio
async def test_litellm_usage_chunk_with_an_empty_delta_choice() -> None:
    """LiteLLM's usage chunk has choices [{"index":0,"delta":{}}]; usage is taken, content untouched."""
    events, rebuilt, usage = await replay(body_of("litellm_stream_usage.sse"))
    last = events[-1]
    assert last.usage is not None
    assert len(last.choices) == 1
    assert last.choices[0].delta == rs.ChatCompletionStreamDelta()
    assert usage == last.usage
    assert rebuilt.choices[0].finish_reason == "stop"


@pytest.mark.anyio
async def test_azure_empty_first_chunk_does_not_blank_the_metadata() -> None:
    """Azure's first chunk has id "", object "", model "" and no choices; metadata comes from later ones."""
    events, rebuilt, _ = await replay(body_of("vercel-ai_azure_prompt-filter-empty-choices-first.sse"))
    first = events[0]
    assert (first.id, first.object, first.model, first.choices) == ("", "", "", [])
    assert rebuilt.id == "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt"
    assert rebuilt.object == "chat.completion"


@pytest.mark.anyio
async def test_deepseek_usage_on_the_finish_chunk() -> None:
    """DeepSeek sends usage on the chunk that carries finish_reason, not in a separate one."""
    events, _, usage = await replay(body_of("vercel-ai_deepseek-reasoner_reasoning-then-toolcall.sse"))
    last = events[-1]
    assert last.choices[0].finish_reason == "tool_calls"
    assert last.usage is not None
    assert usage is not None
    assert usage.total_tokens == 422


@pytest.mark.anyio
async def test_groq_x_groq_extension_is_ignored_and_whole_tool_call_in_one_delta() -> None:
    """Groq's x_groq field is skipped, and a tool call sent whole in one delta is kept whole."""
    events, rebuilt, _ = await replay(body_of("vercel-ai_groq_toolcall-single-chunk-x_groq.sse"))
    assert len(events) == 3
    calls = rebuilt.choices[0].message.tool_calls
    assert calls == [tool("tk85n1k4m", "weather", "{}")]


@pytest.mark.anyio
async def test_done_with_a_trailing_space_ends_the_stream() -> None:
    """Azure's `data: [DONE] ` (trailing space) ends the stream cleanly, not as an incomplete one."""
    body = body_of("azure-docs_async-filter-annotations_passes.sse")
    assert b"data: [DONE] \n" in body
    events, rebuilt, _ = await replay(body)
    assert rebuilt.choices[0].finish_reason == "stop"
    assert len(events) == 8


# --- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.anyio
async def test_llmock_truncate_is_incomplete_and_keeps_the_partial_message(split: dict[str, int]) -> None:
    """A clean close after 2 chunks and no [DONE] raises IncompleteStreamError with "Simulated " kept."""
    error, received = await replay_failure(body_of("llmock_fault_truncate.sse"), **split)
    assert type(error) is rs.IncompleteStreamError
    assert received == 2
    assert error.completion == completion(
        id="chatcmpl-992a986d84d64388ad31da60",
        model="gpt-4o-mini",
        created=1795603374,
        choices=[choice(None, content="Simulated ")],
        usage=None,
    )


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.anyio
async def test_llmock_disconnect_bytes_are_incomplete_with_partial_message(split: dict[str, int]) -> None:
    """The bytes before llmock's chunked-transfer abort give IncompleteStreamError with 4 chunks kept."""
    error, received = await replay_failure(body_of("llmock_fault_disconnect.sse"), **split)
    assert type(error) is rs.IncompleteStreamError
    assert received == 4
    assert error.completion is not None
    assert error.completion.choices == [choice(None, content="Simulated success from ")]


class _BreaksAfter(httpx.AsyncByteStream):
    """A body that yields its pieces, then fails as a reset connection does."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


@pytest.mark.anyio
async def test_llmock_disconnect_as_a_real_transport_error() -> None:
    """The disconnect bytes then a protocol error: IncompleteStreamError caused by it, 4 chunks kept."""
    pieces = testing.split_pieces(body_of("llmock_fault_disconnect.sse"), seed=5)

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_BreaksAfter(pieces))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", URL) as stream:
                await stream.until_done()
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "Simulated success from "


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.anyio
async def test_llmock_malformed_names_the_bad_payload(split: dict[str, int]) -> None:
    """A payload cut mid-JSON: StreamDecodeError with its raw data, position and the 5 chunks before it."""
    error, received = await replay_failure(body_of("llmock_fault_malformed.sse"), **split)
    assert type(error) is rs.StreamDecodeError
    assert received == 5
    assert error.data == (
        '{"id":"chatcmpl-c791a1648fbe45c0bf6d8f34","object":"chat.completion.chunk",'
        '"created":1795603377,"model":"gpt-4o-min'
    )
    assert error.position == 5  # zero-based: the sixth event of the stream
    assert error.completion == completion(
        id="chatcmpl-c791a1648fbe45c0bf6d8f34",
        model="gpt-4o-mini",
        created=1795603377,
        choices=[choice(None, content="Simulated success from gpt-4o-mini.")],
        usage=None,
    )


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.anyio
async def test_azure_doc_line_wrapped_event_is_a_decode_error_after_what_came_before(
    split: dict[str, int],
) -> None:
    """The Azure doc sample's line-wrapped event raises StreamDecodeError; "Hey Jude," before it is kept."""
    error, received = await replay_failure(
        body_of("azure-docs_async-filter_blocked-content_filter.sse"), **split
    )
    assert type(error) is rs.StreamDecodeError
    assert received == 5  # the empty annotation chunk, role, "Hey", " Jude", ","
    assert error.position == 5
    assert error.data.startswith('{"id":"chatcmpl-8JCbt5d4luUIhYCI7YH4dQK7hnHx2"')
    assert error.data.rstrip().endswith('"model":"gpt-35-')
    assert error.completion == completion(
        id="chatcmpl-8JCbt5d4luUIhYCI7YH4dQK7hnHx2",
        model="gpt-35-turbo",
        created=1699587397,
        choices=[choice(None, content="Hey Jude,")],
        usage=None,
    )
