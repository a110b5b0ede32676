"""The embedded server over real loopback sockets: curl, the openai client, r9s_stream, faults."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from r9s_stream import testing
from r9s_stream._server import MODELS

PROMPT = "stream me four words"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """One embedded server for the module: no token delay, short stalls."""
    with testing.run_server(stall_seconds=5) as url:
        yield url


def _body(model: str, *, stream: bool = True, **extra: Any) -> dict[str, Any]:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": PROMPT}], **extra}


async def _stream(base_url: str, model: str, **options: Any) -> rs.ChatCompletion:
    """Stream one chat completion from the server through r9s_stream."""
    body = _body(model, **options.pop("body", {}))
    async with (
        httpx.AsyncClient(timeout=10) as http,
        rs.aconnect_chat_stream(http, "POST", f"{base_url}/chat/completions", json=body, **options) as stream,
    ):
        return await stream.until_done()


# --- clients other than ours -------------------------------------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_streams_the_echo_with_usage(base_url: str) -> None:
    """`curl -sN` receives SSE chunks echoing the prompt, a usage chunk and `data: [DONE]`."""
    body = msgspec.json.encode(_body("echo", stream_options={"include_usage": True}))
    result = subprocess.run(
        ["curl", "-sN", f"{base_url}/chat/completions", "-H", "content-type: application/json", "-d", body],
        capture_output=True,
        check=True,
        timeout=10,
    )
    frames = result.stdout.split(b"\n\n")
    assert frames[-2:] == [b"data: [DONE]", b""]
    chunks = [msgspec.json.decode(f.removeprefix(b"data: ")) for f in frames[:-2]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == PROMPT
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 4


def test_openai_client_streams_and_completes(base_url: str) -> None:
    """The official openai client streams reasoning and text, and parses a non-streaming tool call."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=base_url, api_key="sk-local", max_retries=0)
    try:
        events = list(
            client.chat.completions.create(
                model="echo",
                messages=[{"role": "user", "content": PROMPT}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        text = "".join(e.choices[0].delta.content or "" for e in events if e.choices)
        assert text == PROMPT
        assert events[-1].usage is not None
        assert events[-1].usage.completion_tokens == 4
        answer = client.chat.completions.create(
            model="tool-call", messages=[{"role": "user", "content": PROMPT}]
        )
        calls = answer.choices[0].message.tool_calls
        assert calls is not None
        assert calls[0].type == "function"
        assert calls[0].function.name == "get_weather"
        assert msgspec.json.decode(calls[0].function.arguments) == {"query": PROMPT}
        assert answer.usage is not None
        assert [m.id for m in client.models.list()] == list(MODELS)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="status-429", messages=[{"role": "user", "content": "x"}])
    finally:
        client.close()


# --- endpoints ---------------------------------------------------------------------------


def test_non_streaming_returns_a_chat_completion(base_url: str) -> None:
    """Without `stream`, the answer is one `chat.completion` JSON object with usage."""
    response = httpx.post(f"{base_url}/chat/completions", json=_body("echo", stream=False, n=2))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["object"] == "chat.completion"
    assert [c["message"]["content"] for c in answer["choices"]] == [PROMPT, PROMPT]
    assert answer["usage"]["completion_tokens"] == 8
    assert "parsed" not in answer["choices"][0]["message"]  # ours, not the wire's


def test_models_lists_every_scenario(base_url: str) -> None:
    """`GET /v1/models` lists the scenario models in OpenAI's list shape."""
    answer = httpx.get(f"{base_url}/models").json()
    assert answer["object"] == "list"
    assert {m["id"] for m in answer["data"]} >= {"echo", "tool-call", "fault-stall", "status-429"}
    assert all(m["object"] == "model" for m in answer["data"])


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/nowhere", None, 404),
        ("GET", "/chat/completions", None, 405),
        ("POST", "/chat/completions", b"not json", 400),
        ("POST", "/chat/completions", b'{"model":"echo"}', 400),
        ("POST", "/chat/completions", b'{"model":"echo","messages":[],"n":"two"}', 400),
        ("POST", "/chat/completions", b'{"model":"status-700","messages":[]}', 400),
    ],
)
def test_bad_requests_get_openai_shaped_errors(
    base_url: str, method: str, path: str, body: bytes | None, status: int
) -> None:
    """Unknown routes, wrong methods and bad bodies get the status and an `error` object."""
    response = httpx.request(method, base_url + path, content=body)
    assert response.status_code == status
    assert isinstance(response.json()["error"]["message"], str)


# --- scenarios through r9s_stream --------------------------------------------------------


@pytest.mark.anyio
async def test_echo_without_include_usage_sends_no_usage(base_url: str) -> None:
    """Streaming without `stream_options.include_usage` echoes the prompt and sends no usage."""
    completion = await _stream(base_url, "echo")
    assert completion.choices[0].message.content == PROMPT
    assert completion.usage is None


@pytest.mark.anyio
async def test_reasoning_tool_calls_and_refusal_models(base_url: str) -> None:
    """The reasoning, parallel-tool-calls and refusal models stream what their names say."""
    reasoning = (await _stream(base_url, "reasoning")).choices[0].message
    assert reasoning.reasoning_content
    assert reasoning.content == PROMPT
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    parallel = await _stream(base_url, "parallel-tool-calls", body={"tools": tools})
    calls = parallel.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["lookup", "get_time"]
    assert parallel.choices[0].finish_reason == "tool_calls"
    refusal = (await _stream(base_url, "refusal")).choices[0].message
    assert refusal.refusal
    assert refusal.content is None


@pytest.mark.anyio
async def test_long_model_streams_a_thousand_chunks(base_url: str) -> None:
    """The long model sends a thousand words, each in its own chunk."""
    body = _body("long", stream_options={"include_usage": True})
    async with (
        httpx.AsyncClient() as http,
        rs.aconnect_chat_stream(http, "POST", f"{base_url}/chat/completions", json=body) as stream,
    ):
        completion = await stream.until_done()
    assert completion.choices[0].message.content is not None
    assert len(completion.choices[0].message.content.split()) == 1000
    assert stream.stats.chunks >= 1000
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 1000


@pytest.mark.anyio
async def test_inspect_request_shows_what_the_client_sent(base_url: str) -> None:
    """The inspect-request model answers with the request's headers and body."""
    completion = await _stream(
        base_url, "inspect-request", body={"temperature": 0.5}, headers={"x-probe": "1"}
    )
    assert completion.choices[0].message.content is not None
    seen = msgspec.json.decode(completion.choices[0].message.content)
    assert seen["headers"]["x-probe"] == "1"
    assert seen["body"]["temperature"] == 0.5


# --- faults ------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("fault-truncate", rs.IncompleteStreamError),
        ("fault-malformed", rs.StreamDecodeError),
        ("fault-error", rs.StreamAPIError),
        ("fault-disconnect", rs.IncompleteStreamError),
        ("fault-empty", rs.IncompleteStreamError),
    ],
)
async def test_broken_streams_raise_their_error_with_the_partial_text(
    base_url: str, model: str, error: type[rs.StreamError]
) -> None:
    """Each fault model breaks the stream the documented way; what came before is kept."""
    with pytest.raises(error) as caught:
        await _stream(base_url, model)
    assert type(caught.value) is error
    partial = caught.value.completion
    assert partial is not None
    text = partial.choices[0].message.content if partial.choices else None
    assert PROMPT.startswith(text or "")
    if model == "fault-disconnect":
        assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
        assert text == "stream me"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("model", "timeout"),
    [
        ("fault-stall", "idle_timeout"),
        ("fault-stall-start", "first_token_timeout"),
        ("fault-slow-headers", "first_token_timeout"),
    ],
)
async def test_stall_models_trip_timeouts(base_url: str, model: str, timeout: str) -> None:
    """A stall mid-stream, before the first chunk, or before the headers trips the matching timeout."""
    started = time.monotonic()
    with pytest.raises(rs.StreamTimeoutError):
        await _stream(base_url, model, **{timeout: 0.2})
    assert time.monotonic() - started < 2


@pytest.mark.anyio
async def test_wrong_content_type_is_refused(base_url: str) -> None:
    """A 200 HTML page instead of an event stream raises UnexpectedContentTypeError."""
    with pytest.raises(rs.UnexpectedContentTypeError):
        await _stream(base_url, "fault-content-type")


@pytest.mark.anyio
async def test_status_models_answer_with_retry_hints(base_url: str) -> None:
    """status-429 answers 429 with the server's message from its OpenAI error body."""
    with pytest.raises(rs.APIStatusError) as caught:
        await _stream(base_url, "status-429")
    assert caught.value.status_code == 429
    assert "Simulated HTTP 429" in caught.value.message


def test_status_503_carries_retry_after_headers(base_url: str) -> None:
    """status-503 sends retry-after in whole seconds and retry-after-ms."""
    response = httpx.post(f"{base_url}/chat/completions", json=_body("status-503"))
    assert response.status_code == 503
    assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == ("1", "50")


def test_status_then_ok_fails_the_first_k_requests(base_url: str) -> None:
    """status-500-x2 answers 500 twice, then streams the echo."""
    codes = [
        httpx.post(f"{base_url}/chat/completions", json=_body("status-500-x2")).status_code for _ in range(3)
    ]
    assert codes == [500, 500, 200]


def test_fault_models_without_streaming_answer_500(base_url: str) -> None:
    """A fault model asked for a non-streaming answer returns a 500 error object."""
    response = httpx.post(f"{base_url}/chat/completions", json=_body("fault-error", stream=False))
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"


# --- options and lifecycle ---------------------------------------------------------------


def test_api_key_is_checked_when_configured() -> None:
    """With an api_key the server answers 401 to a wrong key and streams for the right one."""
    with testing.run_server(api_key="sk-right") as url:
        wrong = httpx.post(
            f"{url}/chat/completions", json=_body("echo"), headers={"authorization": "Bearer sk-x"}
        )
        right = httpx.post(
            f"{url}/chat/completions", json=_body("echo"), headers={"authorization": "Bearer sk-right"}
        )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert right.status_code == 200


def test_token_delay_paces_the_stream() -> None:
    """With a token delay the chunks arrive spread out, not all at once."""
    with testing.run_server(token_delay=0.01) as url:
        started = time.monotonic()
        response = httpx.post(f"{url}/chat/completions", json=_body("echo"))
        elapsed = time.monotonic() - started
    assert response.text.count("data: {") == 6
    assert elapsed >= 6 * 0.01


def test_start_and_stop_are_fast_and_free_the_port() -> None:
    """The server starts and stops in well under a second; its thread and port are gone afterwards."""
    threads = threading.active_count()
    started = time.monotonic()
    with testing.run_server() as url:
        assert httpx.get(f"{url}/models").status_code == 200
        port = httpx.URL(url).port
    assert time.monotonic() - started < 1.5
    assert threading.active_count() == threads
    assert port is not None
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_client_leaving_mid_stream_is_noticed_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """A client that hangs up mid-stream stops the stream without asyncio write warnings."""
    with testing.run_server() as url:
        for _ in range(3):
            with httpx.stream("POST", f"{url}/chat/completions", json=_body("long")) as response:
                next(response.iter_raw())
        # A stream still running after its client left would be busy writing; let it notice.
        time.sleep(0.2)
    assert not [r for r in caplog.records if "socket.send() raised exception" in r.getMessage()]


def test_server_does_not_import_the_testing_kit() -> None:
    """The dependency runs one way: testing starts the server, the server never needs testing."""
    code = "import sys, r9s_stream._server; print('r9s_stream.testing' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
