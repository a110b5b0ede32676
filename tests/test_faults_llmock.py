"""Faults, live: llmock breaks real streams on loopback; each gives a typed error and frees the connection.

``llmock serve --stream-fault KIND=1.0`` breaks every stream after 1..6 chunks: ``truncate``
(a clean close without ``[DONE]``), ``malformed`` (a payload that is not JSON), ``disconnect``
(the chunked body aborted) and ``stall`` (silence, then more). Also HTTP errors and a slow
first byte. For each: the typed error, the partial ``ChatCompletion`` on it (a prefix of the
answer), the connection back in a pool of one (the next stream runs at once), and no socket
or task left behind. On every HTTP stack (tests/_stacks.py): aiohttp and httpx on asyncio,
httpx on trio, and httpx2 clients on both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anyio
import httpx
import pytest
import sniffio

import r9s_stream as rs
from _reliability import IGNORE_HTTPCORE_BODY_GENERATOR, open_sockets, running_llmocks, sockets_settle_to
from _stacks import HTTPClient, error_class, http_client, on_every_stack

pytestmark = [IGNORE_HTTPCORE_BODY_GENERATOR, on_every_stack]

# llmock's `static` answer, streamed as role, "Mock ", "response ", "from ", "m.", stop, [DONE].
ANSWER = "Mock response from m."
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
STATIC = ("--response-style", "static")

SERVERS: dict[str, tuple[str, ...]] = {
    "clean": STATIC,
    "truncate": (*STATIC, "--stream-fault", "truncate=1.0"),
    "malformed": (*STATIC, "--stream-fault", "malformed=1.0"),
    "disconnect": (*STATIC, "--stream-fault", "disconnect=1.0"),
    "stall": (*STATIC, "--stream-fault", "stall=1.0", "--stream-stall-seconds", "30"),
}

# fault → (the exact error type, the name of the stack's error class its __cause__ is, or None)
STREAM_FAULTS: dict[str, tuple[type[rs.StreamError], str | None]] = {
    "truncate": (rs.IncompleteStreamError, None),
    "malformed": (rs.StreamDecodeError, None),
    "disconnect": (rs.IncompleteStreamError, "TransportError"),
    "stall": (rs.StreamTimeoutError, None),
}


@pytest.fixture(scope="module")
def llmock() -> Iterator[dict[str, str]]:
    """One llmock per fault (and a clean one), started together on loopback: name → /v1 chat URL."""
    with running_llmocks(SERVERS) as urls:
        yield {name: f"{url}/v1/chat/completions" for name, url in urls.items()}


def _script_next_request(chat_url: str, behavior: dict[str, object]) -> None:
    """Queue a one-off llmock behaviour (HTTP error, delay, exact fault) for the next request."""
    root = chat_url.removesuffix("/v1/chat/completions")
    response = httpx.post(f"{root}/_llmock/scenario", json={"behaviors": [{**behavior, "times": 1}]})
    response.raise_for_status()


def _tasks() -> set[object]:
    """The asyncio tasks alive now (trio's tasks are held by its nurseries: nothing to compare)."""
    return set(asyncio.all_tasks()) if sniffio.current_async_library() == "asyncio" else set()


async def _collect(stream: rs.ChatCompletionStream, into: list[rs.ChatCompletionStreamEvent]) -> None:
    async for event in stream:
        into.append(event)


def _text(event: rs.ChatCompletionStreamEvent) -> str:
    delta = event.choices[0].delta if event.choices else None
    return (delta.content or "") if delta is not None else ""


async def _run_clean(http: HTTPClient, url: str) -> rs.ChatCompletion:
    """A full stream on the clean server, which must start at once (the pool holds one connection)."""
    with anyio.fail_after(5):
        async with rs.aconnect_chat_stream(http, "POST", url, json=BODY) as stream:
            return await stream.until_done()


@pytest.mark.anyio
async def test_the_clean_server_streams_the_whole_answer(llmock: dict[str, str], stack: str) -> None:
    """Without faults llmock's answer arrives whole, so the fault tests' prefixes mean something."""
    async with http_client(stack) as http:
        completion = await _run_clean(http, llmock["clean"])
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"


@pytest.mark.anyio
@pytest.mark.parametrize("fault", list(STREAM_FAULTS))
async def test_a_stream_fault_gives_its_typed_error_keeps_the_partial_and_frees_the_connection(
    llmock: dict[str, str], fault: str, stack: str
) -> None:
    """Each llmock stream fault raises its typed error with a prefix of the answer; a pool of one goes on."""
    error_type, cause_type = STREAM_FAULTS[fault]
    sockets_before, tasks_before = open_sockets(), _tasks()
    received: list[rs.ChatCompletionStreamEvent] = []
    async with http_client(stack, max_connections=1) as http:
        with anyio.fail_after(10), pytest.raises(rs.StreamError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", llmock[fault], json=BODY, idle_timeout=0.5) as s:
                await _collect(s, received)
        error = caught.value
        assert type(error) is error_type, repr(error)
        assert str(error)
        if cause_type is not None:
            assert isinstance(error.__cause__, error_class(stack, cause_type)), repr(error.__cause__)
        assert error.completion is not None
        partial = error.completion.choices[0].message.content if error.completion.choices else None
        assert (partial or "") == "".join(_text(event) for event in received)
        assert ANSWER.startswith(partial or "")
        assert s.response.is_closed
        completion = await _run_clean(http, llmock["clean"])
        assert completion.choices[0].message.content == ANSWER
    assert open_sockets() == sockets_before
    assert _tasks() == tasks_before


@pytest.mark.anyio
async def test_a_stall_with_total_timeout_gives_stream_timeout_error(
    llmock: dict[str, str], stack: str
) -> None:
    """A stalled stream hits total_timeout: a StreamTimeoutError (and TimeoutError) with the partial."""
    async with http_client(stack, max_connections=1) as http:
        with anyio.fail_after(10), pytest.raises(rs.StreamTimeoutError) as caught:
            async with rs.aconnect_chat_stream(
                http, "POST", llmock["stall"], json=BODY, total_timeout=1
            ) as s:
                await s.until_done()
        assert isinstance(caught.value, TimeoutError)
        assert "total_timeout" in str(caught.value)
        assert caught.value.completion is not None
        await _run_clean(http, llmock["clean"])


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 503, 429, 400])
async def test_an_http_error_gives_api_status_error_and_frees_the_connection(
    llmock: dict[str, str], status: int, stack: str
) -> None:
    """A 4xx/5xx from llmock is an APIStatusError with the server's message; the pool of one goes on."""
    sockets_before = open_sockets()
    _script_next_request(llmock["clean"], {"type": "fail", "status": status, "message": "scripted failure"})
    async with http_client(stack, max_connections=1) as http:
        with anyio.fail_after(10), pytest.raises(rs.APIStatusError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", llmock["clean"], json=BODY):
                pass  # pragma: no cover
        assert caught.value.status_code == status
        assert caught.value.message == "scripted failure"
        assert str(status) in str(caught.value)
        await _run_clean(http, llmock["clean"])
    assert open_sockets() == sockets_before


@pytest.mark.anyio
async def test_a_slow_first_byte_hits_first_token_timeout_and_frees_the_connection(
    llmock: dict[str, str], stack: str
) -> None:
    """Headers 5 s late with first_token_timeout=0.3 give StreamTimeoutError soon; the pool goes on."""
    sockets_before = open_sockets()
    _script_next_request(llmock["clean"], {"type": "delay", "seconds": 5})
    async with http_client(stack, max_connections=1) as http:
        with anyio.fail_after(3), pytest.raises(rs.StreamTimeoutError):
            async with rs.aconnect_chat_stream(
                http, "POST", llmock["clean"], json=BODY, first_token_timeout=0.3
            ):
                pass  # pragma: no cover
        await _run_clean(http, llmock["clean"])
    assert open_sockets() == sockets_before


@pytest.mark.anyio
async def test_every_fault_in_turn_on_one_pooled_connection(llmock: dict[str, str], stack: str) -> None:
    """Twenty streams alternating every fault and a clean answer on a pool of one all finish, none hangs."""
    outcomes: dict[str, set[str]] = {}
    async with http_client(stack, max_connections=1) as http:
        with anyio.fail_after(30):
            for _ in range(4):
                for name in ("truncate", "clean", "malformed", "disconnect", "stall"):
                    try:
                        async with rs.aconnect_chat_stream(
                            http, "POST", llmock[name], json=BODY, idle_timeout=0.3
                        ) as s:
                            await s.until_done()
                        outcome = "completed"
                    except rs.StreamError as error:
                        outcome = type(error).__name__
                    outcomes.setdefault(name, set()).add(outcome)
    assert outcomes == {
        "truncate": {"IncompleteStreamError"},
        "clean": {"completed"},
        "malformed": {"StreamDecodeError"},
        "disconnect": {"IncompleteStreamError"},
        "stall": {"StreamTimeoutError"},
    }


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["disconnect", "truncate", "malformed"])
async def test_a_fault_before_the_first_chunk_is_typed_and_empty(
    llmock: dict[str, str], kind: str, stack: str
) -> None:
    """A fault before any chunk (after_chunks=0) still gives the typed error, with an empty completion."""
    _script_next_request(llmock["clean"], {"type": "stream_fault", "kind": kind, "after_chunks": 0})
    async with http_client(stack, max_connections=1) as http:
        with anyio.fail_after(10), pytest.raises(rs.StreamError) as caught:
            async with rs.aconnect_chat_stream(http, "POST", llmock["clean"], json=BODY) as stream:
                await stream.until_done()
        assert isinstance(caught.value, STREAM_FAULTS[kind][0])
        assert caught.value.completion is not None
        assert [c.message.content for c in caught.value.completion.choices] in ([], [None], [""])
        await _run_clean(http, llmock["clean"])


# --- the embedded server's fault scenarios, through rs.AsyncClient ------------------------

PROMPT = "one two three four five six seven eight nine ten"

# model → (the exact error type, whether a partial completion must come with it)
SERVER_FAULTS: dict[str, type[rs.R9sStreamError]] = {
    "fault-truncate": rs.IncompleteStreamError,
    "fault-malformed": rs.StreamDecodeError,
    "fault-error": rs.StreamAPIError,
    "fault-stall": rs.StreamTimeoutError,
    "fault-stall-start": rs.StreamTimeoutError,
    "fault-slow-headers": rs.StreamTimeoutError,
    "fault-disconnect": rs.IncompleteStreamError,
    "fault-empty": rs.IncompleteStreamError,
    "fault-content-type": rs.UnexpectedContentTypeError,
    "status-500": rs.APIStatusError,
    "status-503": rs.APIStatusError,
    "status-429": rs.APIStatusError,
    "status-401": rs.APIStatusError,
}


@pytest.fixture(scope="module")
def embedded() -> Iterator[str]:
    """The embedded server (testing.run_server) on loopback; stalls last 30 s."""
    from r9s_stream import testing

    with testing.run_server(token_delay=0.001, stall_seconds=30) as base_url:
        yield base_url


@pytest.mark.anyio
@pytest.mark.parametrize("model", list(SERVER_FAULTS))
async def test_an_embedded_server_fault_is_typed_keeps_the_partial_and_frees_the_connection(
    embedded: str, model: str, stack: str
) -> None:
    """Each embedded-server fault gives its typed error; a pool of one then completes a stream."""
    sockets_before, tasks_before = open_sockets(), _tasks()
    async with (
        http_client(stack, max_connections=1) as http,
        rs.AsyncClient(
            api_key="k",
            base_url=embedded,
            http_client=http,
            max_retries=0,
            first_token_timeout=1,
            idle_timeout=0.5,
        ) as client,
    ):
        with anyio.fail_after(10), pytest.raises(rs.R9sStreamError) as caught:
            await client.complete(model=model, messages=[{"role": "user", "content": PROMPT}])
        error = caught.value
        assert type(error) is SERVER_FAULTS[model], repr(error)
        if isinstance(error, rs.StreamError) and model != "fault-slow-headers":  # no stream, no completion
            assert error.completion is not None
            content = error.completion.choices[0].message.content if error.completion.choices else None
            assert PROMPT.startswith(content or "")
        if model in ("fault-truncate", "fault-malformed", "fault-error", "fault-stall", "fault-disconnect"):
            assert isinstance(error, rs.StreamError)
            assert error.completion is not None
            assert error.completion.choices[0].message.content, "the chunks before the fault were lost"
        with anyio.fail_after(5):
            completion = await client.complete(model="echo", messages=[{"role": "user", "content": PROMPT}])
        assert completion.choices[0].message.content == PROMPT
    assert sockets_settle_to(sockets_before) == sockets_before
    assert _tasks() == tasks_before
