"""AsyncClient against the project's embedded OpenAI-compatible server (``testing.run_server``).

The scripted server in ``_chat_server`` pins down exact bytes and timings; this module checks
the same promises against the server users run (``r9s-stream serve``), chosen by model name.
"""

from __future__ import annotations

from collections.abc import Iterator
from time import perf_counter

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _chat_server import RefusedFirst
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _stacks import on_every_stack, rs_client
from r9s_stream import testing

PROMPT = "the quick brown fox"
MESSAGES = [{"role": "user", "content": PROMPT}]
KEY = "sk-embedded-5e1d0c"

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def shared_url() -> Iterator[str]:
    """One embedded server for the stateless scenarios; stalls end after 2 s at most."""
    with testing.run_server(stall_seconds=2.0) as url:
        yield url


@pytest.fixture
def fresh_url() -> Iterator[str]:
    """A server of its own, for ``status-NNN-xK`` models whose failure count is per server."""
    with testing.run_server(stall_seconds=2.0, retry_after=0.05) as url:
        yield url


@on_every_stack
async def test_echo_streams_the_prompt_back_with_usage(shared_url: str, stack: str) -> None:
    """The echo model's reply is the prompt, rebuilt from its chunks, with usage at the end."""
    async with rs_client(stack, KEY, shared_url) as client:
        completion = await client.complete(model="echo", messages=MESSAGES)
    assert completion.choices[0].message.content == PROMPT
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == len(PROMPT.split())


@on_every_stack
async def test_the_server_sees_the_request_the_client_means(shared_url: str, stack: str) -> None:
    """Echoed back by ``inspect-request``: the path, the streaming body and the headers."""
    async with rs_client(stack, KEY, shared_url) as client:
        completion = await client.complete(model="inspect-request", messages=MESSAGES, temperature=0.5)
    content = completion.choices[0].message.content
    assert content is not None
    seen = msgspec.json.decode(content)
    assert seen["path"] == "/v1/chat/completions"
    assert seen["body"]["stream"] is True
    assert seen["body"]["stream_options"] == {"include_usage": True}
    assert seen["body"]["temperature"] == 0.5
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["user-agent"].startswith("r9s-stream/")
    assert headers["authorization"] == f"Bearer {KEY}"


@on_every_stack
async def test_429_then_success(fresh_url: str, stack: str) -> None:
    """``status-429-x1`` refuses once with retry-after-ms; the retry gets the reply."""
    async with rs_client(stack, KEY, fresh_url) as client:
        completion = await client.complete(model="status-429-x1", messages=MESSAGES)
    assert completion.choices[0].message.content == PROMPT


@on_every_stack
async def test_503_twice_then_success(fresh_url: str, stack: str) -> None:
    """Two 503s in a row use up exactly the default two retries, and the third try streams."""
    async with rs_client(stack, KEY, fresh_url) as client:
        completion = await client.complete(model="status-503-x2", messages=MESSAGES)
    assert completion.choices[0].message.content == PROMPT


@on_every_stack
async def test_too_many_failures_raise_the_servers_error(fresh_url: str, stack: str) -> None:
    """Three 503s exhaust the retries: the error has the server's status, message and request id."""
    async with rs_client(stack, KEY, fresh_url, max_retries=2) as client:
        with pytest.raises(rs.APIStatusError) as caught:
            await client.complete(model="status-503-x3", messages=MESSAGES)
    error = caught.value
    assert error.status_code == 503
    assert error.message == "Simulated HTTP 503 from the r9s-stream local server"
    assert (error.type, error.code) == ("server_error", "simulated_503")
    assert error.request_id


@on_every_stack
async def test_wrong_key_is_refused_without_retry_or_leak(stack: str) -> None:
    """A 401 for a wrong key is raised at once, and the key appears nowhere in the error."""
    with testing.run_server(api_key="sk-the-right-one") as url:
        started = perf_counter()
        async with rs_client(stack, KEY, url) as client:
            with pytest.raises(rs.APIStatusError) as caught:
                await client.complete(model="echo", messages=MESSAGES)
        assert perf_counter() - started < 0.3  # no backoff happened
    assert caught.value.status_code == 401
    for text in (str(caught.value), repr(caught.value), repr(caught.value.body)):
        assert KEY not in text


async def test_refused_connect_then_success(shared_url: str) -> None:
    """A first connection refused is retried against the server, which then answers."""
    async with httpx.AsyncClient(transport=RefusedFirst(1)) as http:
        client = rs.AsyncClient(KEY, shared_url, http_client=http)
        completion = await client.complete(model="echo", messages=MESSAGES)
    assert completion.choices[0].message.content == PROMPT


@on_every_stack
async def test_disconnect_keeps_what_came(shared_url: str, stack: str) -> None:
    """A connection cut after 3 chunks raises IncompleteStreamError with the words that came."""
    async with rs_client(stack, KEY, shared_url) as client:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            await client.complete(model="fault-disconnect", messages=MESSAGES)
    assert caught.value.completion is not None
    assert_partial_echo(caught.value.completion)


@on_every_stack
async def test_idle_timeout_on_a_stall(shared_url: str, stack: str) -> None:
    """``fault-stall`` goes quiet after 3 chunks: ``idle_timeout`` ends it, keeping the words."""
    async with rs_client(stack, KEY, shared_url, idle_timeout=0.1) as client:
        with pytest.raises(rs.StreamTimeoutError, match="idle_timeout") as caught:
            await client.complete(model="fault-stall", messages=MESSAGES)
    assert_partial_echo(caught.value.completion)


@pytest.mark.parametrize("model", ["fault-stall-start", "fault-slow-headers"])
@on_every_stack
async def test_first_token_timeout_on_a_silent_server(shared_url: str, model: str, stack: str) -> None:
    """No chunk (headers sent or not) within ``first_token_timeout`` raises StreamTimeoutError."""
    started = perf_counter()
    async with rs_client(stack, KEY, shared_url, first_token_timeout=0.1) as client:
        with pytest.raises(rs.StreamTimeoutError, match="first_token_timeout"):
            await client.complete(model=model, messages=MESSAGES)
    assert perf_counter() - started < 0.6


@on_every_stack
async def test_total_timeout_on_a_long_paced_reply(stack: str) -> None:
    """A long reply at a realistic pace is cut at ``total_timeout`` with the words received."""
    with testing.run_server(token_delay=0.005) as url:
        async with rs_client(stack, KEY, url, total_timeout=0.5) as client:  # room on a loaded machine
            with pytest.raises(rs.StreamTimeoutError, match="total_timeout") as caught:
                await client.complete(model="long", messages=MESSAGES)
    assert caught.value.completion is not None
    words = (caught.value.completion.choices[0].message.content or "").split()
    assert 0 < len(words) < 1000


def assert_partial_echo(completion: rs.ChatCompletion | None) -> None:
    """The completion holds the start of the echoed prompt: some words, not all of them."""
    assert completion is not None
    content = completion.choices[0].message.content or ""
    assert content.strip()
    assert PROMPT.startswith(content)
    assert len(content) < len(PROMPT)
