"""The Responses API against the embedded server: every HTTP stack, both loops, parsing, faults.

``client.responses`` and ``aconnect_response_stream`` on aiohttp, httpx and httpx2, asyncio and
trio; the server's models (echo, reasoning, tool-call, structured-output) and faults (cut,
error event, bad JSON, disconnect, stall, 429). openai-python's client reads the same server.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _output_types import GetWeather, Location
from _stacks import http_client, on_every_stack, rs_client
from r9s_stream import testing
from r9s_stream.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseReasoningItem,
    ResponseTextDeltaEvent,
)

pytestmark = pytest.mark.anyio

PROMPT = "once upon a time there was"
KEY = "sk-responses-5b1f0d"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """One embedded server for the stateless models; its stalls last 2 s."""
    with testing.run_server(token_delay=0.0, stall_seconds=2.0) as url:
        yield url


@on_every_stack
async def test_client_streams_the_echo_with_usage(server_url: str, stack: str) -> None:
    """client.responses.stream yields typed text deltas; until_done gives the Response with usage."""
    async with rs_client(stack, KEY, server_url) as client:
        async with client.responses.stream(model="echo", input=PROMPT) as stream:
            texts = [e.delta async for e in stream if isinstance(e, ResponseTextDeltaEvent)]
            response = await stream.until_done()
        assert "".join(texts) == response.output_text == PROMPT
        assert response.status == "completed"
        assert stream.usage is not None
        assert stream.usage.output_tokens == len(PROMPT.split())
        assert stream.done
        assert stream.response.is_closed
        assert stream.stats.time_to_first_token is not None
        whole = await client.responses.complete(model="echo", input=[{"role": "user", "content": PROMPT}])
    assert whole.output_text == PROMPT


@on_every_stack
async def test_the_request_is_a_streaming_responses_request(server_url: str, stack: str) -> None:
    """Seen by inspect-request: POST /v1/responses with model, input, stream and the extra fields."""
    async with rs_client(stack, KEY, server_url) as client:
        response = await client.responses.complete(
            model="inspect-request", input=PROMPT, max_output_tokens=99
        )
    seen = msgspec.json.decode(response.output_text)
    assert (seen["method"], seen["path"]) == ("POST", "/v1/responses")
    assert seen["body"] == {
        "model": "inspect-request",
        "input": PROMPT,
        "max_output_tokens": 99,
        "stream": True,
    }
    assert seen["headers"]["authorization"] == f"Bearer {KEY}"


async def test_reasoning_rebuilds_the_summary_before_the_answer(server_url: str, anyio_backend: str) -> None:
    """The reasoning model streams a reasoning summary item, then the message."""
    async with rs.AsyncClient(KEY, server_url) as client:
        response = await client.responses.complete(model="reasoning", input=PROMPT)
    reasoning, message = response.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert [getattr(part, "text", None) for part in reasoning.summary] == [
        "The user said 6 words; I will repeat them back."
    ]
    assert message.type == "message"
    assert response.output_text == PROMPT


async def test_tools_given_as_types_are_sent_flat_and_parsed(server_url: str, anyio_backend: str) -> None:
    """tools=[GetWeather] sends a flat strict function tool; the call's arguments parse into GetWeather."""
    async with rs.AsyncClient(KEY, server_url) as client:
        response = await client.responses.complete(
            model="schema-tool-calls", input="Paris", tools=[GetWeather]
        )
        seen = await client.responses.complete(model="inspect-request", input="x", tools=[GetWeather])
    (call,) = response.output
    assert isinstance(call, ResponseFunctionToolCall)
    assert call.name == "GetWeather"
    assert isinstance(call.parsed, GetWeather)
    assert call.parsed == msgspec.json.decode(call.arguments, type=GetWeather)
    (tool,) = msgspec.json.decode(seen.output_text)["body"]["tools"]
    assert tool["type"] == "function"
    assert tool["name"] == "GetWeather"
    assert tool["strict"] is True
    assert tool["parameters"]["required"] == ["city", "country"]


async def test_text_format_is_sent_as_a_strict_schema_and_parsed(server_url: str, anyio_backend: str) -> None:
    """text_format=Location sends text.format (flat json_schema, strict) and fills output_parsed."""
    async with rs.AsyncClient(KEY, server_url) as client:
        response = await client.responses.complete(
            model="structured-output", input="Paris", text_format=Location
        )
        with pytest.raises(rs.OutputValidationError) as caught:  # the request echoed is no Location
            await client.responses.complete(model="inspect-request", input="x", text_format=Location)
    assert isinstance(response.output_parsed, Location)
    assert response.output_parsed == msgspec.json.decode(response.output_text, type=Location)
    fmt = msgspec.json.decode(caught.value.raw)["body"]["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Location", True)
    assert fmt["schema"]["additionalProperties"] is False


async def test_an_answer_cut_at_max_output_tokens_is_a_length_error(
    server_url: str, anyio_backend: str
) -> None:
    """Parsing a response that ended incomplete (max_output_tokens) raises LengthFinishReasonError with it."""
    async with rs.AsyncClient(KEY, server_url) as client:
        with pytest.raises(rs.LengthFinishReasonError) as caught:
            await client.responses.complete(
                model="structured-output", input="Paris", text_format=Location, max_output_tokens=2
            )
        plain = await client.responses.complete(model="structured-output", input="Paris", max_output_tokens=2)
    partial = caught.value.partial
    assert isinstance(partial, Response)
    assert partial.status == "incomplete"
    assert plain.status == "incomplete"
    assert plain.incomplete_details is not None
    assert plain.incomplete_details.reason == "max_output_tokens"


@on_every_stack
@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("fault-truncate", rs.IncompleteStreamError),
        ("fault-error", rs.StreamAPIError),
        ("fault-malformed", rs.StreamDecodeError),
        ("fault-disconnect", rs.IncompleteStreamError),
    ],
)
async def test_faults_are_typed_errors_with_the_partial_response(
    server_url: str, stack: str, model: str, error: type[rs.StreamError]
) -> None:
    """Each broken stream raises its own StreamError; partial is the Response of the text before it."""
    async with rs_client(stack, KEY, server_url, max_retries=0) as client:
        with pytest.raises(error) as caught:
            async with client.responses.stream(model=model, input=PROMPT) as stream:
                await stream.until_done()
    partial = caught.value.partial
    assert isinstance(partial, Response)
    assert PROMPT.startswith(partial.output_text)
    assert stream.response.is_closed


@on_every_stack
async def test_an_error_event_carries_the_servers_message(server_url: str, stack: str) -> None:
    """The error event's message and type reach StreamAPIError; response.failed after it is not awaited."""
    async with rs_client(stack, KEY, server_url, max_retries=0) as client:
        with pytest.raises(rs.StreamAPIError) as caught:
            await client.responses.complete(model="fault-error", input=PROMPT)
    assert caught.value.type == "server_error"
    assert caught.value.message == "The server had an error while processing your request."


@on_every_stack
async def test_a_stall_is_an_idle_timeout_with_the_partial_response(server_url: str, stack: str) -> None:
    """A server that stops mid-answer trips idle_timeout: StreamTimeoutError with the response so far."""
    async with rs_client(stack, KEY, server_url, idle_timeout=0.3) as client:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            await client.responses.complete(model="fault-stall", input=PROMPT)
    assert isinstance(caught.value.partial, Response)
    assert caught.value.partial.status == "in_progress"


@on_every_stack
async def test_429_is_retried_then_the_response_streams(stack: str) -> None:
    """A 429 before the first byte is retried as for chat; a 400 is an APIStatusError at once."""
    with testing.run_server(token_delay=0.0, retry_after=0.01) as url:
        async with rs_client(stack, KEY, url) as client:
            response = await client.responses.complete(model="status-429-x1", input=PROMPT)
            assert response.output_text == PROMPT
            with pytest.raises(rs.APIStatusError) as caught:
                await client.responses.complete(model="status-400", input=PROMPT)
    assert caught.value.status_code == 400


@on_every_stack
async def test_aconnect_on_a_callers_client_reaches_the_server(server_url: str, stack: str) -> None:
    """aconnect_response_stream on the caller's own httpx or httpx2 client streams the same answer."""
    body = {"model": "echo", "input": PROMPT, "stream": True}
    async with (
        http_client(stack) as http,
        rs.aconnect_response_stream(http, "POST", f"{server_url}/responses", json=body) as stream,
    ):
        response = await stream.until_done()
    assert response.output_text == PROMPT


# asyncio only: on trio, openai-python leaves its own SSE generators for the collector to close.
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_embedded_server_answers_openai_python(server_url: str) -> None:
    """openai-python's responses.stream() and create() read the embedded server's answers as ours do."""
    openai = pytest.importorskip("openai")  # absent in the lowest-versions pass
    async with openai.AsyncOpenAI(api_key=KEY, base_url=server_url) as peer:
        async with peer.responses.stream(model="reasoning", input=PROMPT) as stream:
            theirs = await stream.get_final_response()
        whole = await peer.responses.create(model="echo", input=PROMPT)
    async with rs.AsyncClient(KEY, server_url) as client:
        ours = await client.responses.complete(model="reasoning", input=PROMPT)
    assert theirs.output_text == ours.output_text == whole.output_text == PROMPT
    assert theirs.usage is not None
    assert ours.usage is not None
    assert (theirs.usage.input_tokens, theirs.usage.output_tokens) == (
        ours.usage.input_tokens,
        ours.usage.output_tokens,
    )


async def test_a_body_without_input_is_a_400(server_url: str) -> None:
    """The embedded server refuses a responses body without input, with its reason."""
    async with httpx.AsyncClient() as http:
        with pytest.raises(rs.APIStatusError) as caught:
            await rs.aconnect_response_stream(
                http, "POST", f"{server_url}/responses", json={"model": "echo"}
            ).__aenter__()
    assert caught.value.status_code == 400
