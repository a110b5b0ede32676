"""Through the r9s gateway itself: every recording of open-next-router, replayed with its status and headers.

Each case goes through ``aconnect_chat_stream`` and ``rs.AsyncClient`` on an ``httpx.MockTransport``
at several splits, and over a real loopback socket on the default (aiohttp) stack and httpx's
own: the outcome must be the same every time, and say what the gateway said.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

import r9s_stream as rs
from _gateway import CHAT_CASES, Recording, mock_transport, recording, replay_server
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream import testing
from r9s_stream._http._default import TransportName

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "hi"}]
SPLITS: list[dict[str, int]] = [{"piece_size": 1}, {"piece_size": 7}, {"piece_size": 64}, {}, {"seed": 3}]
STATUS_CASES = {
    "chat_openai_upstream_429",
    "chat_claude_upstream_429",
    "chat_responses_upstream_429",
    "error_bad_key",
    "error_bad_json",
    "error_unknown_model",
    "error_upstream_unreachable",
}
STREAM_ERROR_CASES = {"chat_openai_upstream_midstream_error_event", "chat_openai_upstream_truncated"}

Outcome = rs.ChatCompletion | rs.R9sStreamError


async def _outcome(open_stream: Callable[[], rs.ChatStreamConnection[None]]) -> Outcome:
    try:
        async with open_stream() as stream:
            return await stream.until_done()
    except rs.R9sStreamError as error:
        return error


async def through_aconnect(case: Recording, **split: int) -> Outcome:
    async with httpx.AsyncClient(transport=mock_transport(case, **split)) as http:
        return await _outcome(
            lambda: rs.aconnect_chat_stream(http, "POST", "http://gateway.test/v1/chat/completions", json={})
        )


async def through_client(case: Recording, **split: int) -> Outcome:
    http = httpx.AsyncClient(transport=mock_transport(case, **split))
    async with (
        http,
        rs.AsyncClient(base_url="http://gateway.test/v1", http_client=http, max_retries=0) as client,
    ):
        return await _outcome(lambda: client.stream(model="m", messages=MESSAGES))


def assert_outcome(case: Recording, outcome: Outcome) -> None:
    """What the user must get from each recording."""
    if case.name in STATUS_CASES:
        assert isinstance(outcome, rs.APIStatusError), outcome
        assert outcome.status_code == case.status
        assert outcome.request_id == case.request_id
        assert "data: [DONE]" not in str(outcome)
        if not case.body.strip() or case.body.startswith(b"data:"):
            assert outcome.message == "Too Many Requests"  # the status's reason, not the raw body
        return
    if case.name in STREAM_ERROR_CASES:
        assert isinstance(outcome, rs.StreamAPIError), outcome
        assert outcome.request_id == case.request_id
        assert outcome.completion is outcome.partial
        assert outcome.completion.choices[0].message.content == "Hello"  # what arrived is kept
        if case.name == "chat_openai_upstream_truncated":
            assert outcome.code == "proxy_error"
            assert outcome.type == "invalid_request_error"
            assert outcome.message.startswith("unexpected EOF (request id:")
        else:
            assert outcome.code == "overloaded"
        return
    assert isinstance(outcome, rs.ChatCompletion), outcome
    assert outcome.choices, case.name


@pytest.mark.parametrize("name", CHAT_CASES)
async def test_every_split_through_aconnect_gives_the_same_outcome(name: str, anyio_backend: str) -> None:
    """Each recording, at 1-byte, odd, 64-byte, whole and random pieces, ends the same way."""
    case = recording(name)
    outcomes = [await through_aconnect(case, **split) for split in SPLITS]
    for outcome in outcomes:
        assert_outcome(case, outcome)
    shown = [o if isinstance(o, rs.ChatCompletion) else (type(o), str(o)) for o in outcomes]
    assert all(item == shown[0] for item in shown)


@pytest.mark.parametrize("name", CHAT_CASES)
async def test_the_client_gets_what_aconnect_gets(name: str, anyio_backend: str) -> None:
    """``rs.AsyncClient`` on the same answer ends as ``aconnect_chat_stream`` does."""
    case = recording(name)
    client_outcome = await through_client(case, piece_size=5)
    assert_outcome(case, client_outcome)
    plain = await through_aconnect(case)
    if isinstance(plain, rs.ChatCompletion):
        assert client_outcome == plain
    else:
        assert (type(client_outcome), str(client_outcome)) == (type(plain), str(plain))


@pytest.mark.parametrize("transport", ["auto", "httpx"])
async def test_over_a_real_socket_on_both_stacks(transport: TransportName) -> None:
    """Over loopback, on aiohttp and on httpx's own transport, every case ends as in memory."""
    with replay_server() as address:
        for name in CHAT_CASES:
            case = recording(name)
            async with rs.AsyncClient(
                base_url=f"{address}/{name}/v1",
                transport=transport,
                max_retries=0,
            ) as client:
                outcome = await _outcome(lambda c=client: c.stream(model="m", messages=MESSAGES))  # type: ignore[misc]
            assert_outcome(case, outcome)
            expected = await through_aconnect(case)
            if isinstance(expected, rs.ChatCompletion):
                assert outcome == expected, name


async def test_a_whole_json_completion_is_taken_as_its_stream(anyio_backend: str) -> None:
    """An upstream that ignored ``stream: true``: one chunk, the whole completion, usage and stats."""
    case = recording("chat_openai_upstream_nonsse_json")
    async with (
        httpx.AsyncClient(transport=mock_transport(case)) as http,
        rs.aconnect_chat_stream(http, "POST", "http://gateway.test/v1/chat/completions", json={}) as stream,
    ):
        chunks = [chunk async for chunk in stream]
    assert len(chunks) == 1
    completion = stream.completion
    assert completion.choices[0].message.content == "Hello"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage == rs.Usage(prompt_tokens=8, completion_tokens=1, total_tokens=9)
    assert stream.done
    assert stream.stats.chunks == 1
    assert stream.stats.time_to_first_token is not None
    assert stream.stats.duration is not None


async def test_a_whole_json_completion_keeps_its_tool_calls(anyio_backend: str) -> None:
    """Tool calls of a whole ``chat.completion`` come out as the streamed ones would."""
    body = (
        b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",'
        b'"function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}},{"id":"call_2",'
        b'"type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}'
    )
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_chat_stream(http, "POST", "http://gateway.test/v1/chat/completions", json={}) as stream,
    ):
        completion = await stream.until_done()
    calls = completion.choices[0].message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_1", "get_weather", '{"city":"Paris"}'),
        ("call_2", "get_time", "{}"),
    ]
    assert completion.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    "body", [b'{"object":"list","data":[]}', b'{"id":"x","object":"chat.completion","choices":[]}']
)
async def test_other_json_is_still_an_unexpected_content_type(body: bytes, anyio_backend: str) -> None:
    """A JSON body that is not a whole chat completion is refused, its start in the message."""
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(rs.UnexpectedContentTypeError, match="application/json") as raised:
            async with rs.aconnect_chat_stream(
                http, "POST", "http://gateway.test/v1/chat/completions", json={}
            ):
                pass
    assert body.decode()[:20] in str(raised.value)


async def test_no_finish_reason_ends_the_choice_with_none(anyio_backend: str) -> None:
    """A converted stream whose upstream failed: ``[DONE]`` with no finish reason, ``ChoiceDone(None)``."""
    case = recording("chat_claude_upstream_error_event")
    async with (
        httpx.AsyncClient(transport=mock_transport(case)) as http,
        rs.aconnect_chat_stream(http, "POST", "http://gateway.test/v1/chat/completions", json={}) as stream,
    ):
        events = [event async for event in stream.events()]
    assert stream.done
    assert stream.completion.choices[0].finish_reason is None
    assert events[-1] == rs.ChoiceDone(0, None, stream.completion.choices[0].message)


def _probe_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    """Answers as the hosted gateway does: the probe's comment at once, the model's text later."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        steps: list[testing.Step] = [b": R9S PROCESSING\n\n", testing.Pause(0.05)]
        steps += [step for step in testing.ChatScenario(text="Hi there").steps() if isinstance(step, bytes)]
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=testing.StepsStream(steps)
        )

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("timed", [False, True])
async def test_the_gateway_probe_times_the_gateway(timed: bool, anyio_backend: str) -> None:
    """To the r9s gateway the client sends the probe; its comment's time is ``time_to_gateway``."""
    seen: list[httpx.Request] = []
    http = httpx.AsyncClient(transport=_probe_transport(seen))
    options = {"idle_timeout": 30.0} if timed else {}
    client = rs.AsyncClient(api_key="k" * 20, http_client=http, **options)  # type: ignore[arg-type]
    async with http, client, client.stream(model="m", messages=MESSAGES) as stream:
        completion = await stream.until_done()
    assert seen[0].headers["X-NextRouter-SSE-Probe"] == "r9s"
    assert completion.choices[0].message.content == "Hi there"
    gateway, first_token = stream.stats.time_to_gateway, stream.stats.time_to_first_token
    assert gateway is not None
    assert first_token is not None
    assert gateway < first_token


async def test_other_hosts_get_no_probe(anyio_backend: str) -> None:
    """Any other base URL: no probe header, and ``time_to_gateway`` stays ``None``."""
    seen: list[httpx.Request] = []
    http = httpx.AsyncClient(transport=_probe_transport(seen))
    client = rs.AsyncClient(base_url="https://api.openai.com/v1", http_client=http)
    async with http, client, client.stream(model="m", messages=MESSAGES) as stream:
        await stream.until_done()
    assert "X-NextRouter-SSE-Probe" not in seen[0].headers
    assert stream.stats.time_to_gateway is None
