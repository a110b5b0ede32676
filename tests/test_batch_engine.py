"""``client.batch``: many requests through one client, faults retried or kept, one result per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _stacks import on_every_stack, rs_client
from r9s_stream import testing

pytestmark = pytest.mark.anyio


@pytest.fixture
def server_url() -> Iterator[str]:
    """A server of its own: the ``-xK`` fault counts are per server."""
    with testing.run_server(stall_seconds=2.0, retry_after=0.05) as url:
        yield url


def line(
    custom_id: str, model: str = "echo", prompt: str = "the quick brown fox", **body: Any
) -> dict[str, Any]:
    """An OpenAI Batch input line for a chat request."""
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": prompt}], **body},
    }


async def run(client: rs.AsyncClient, requests: Any, **options: Any) -> dict[str, rs.BatchResult]:
    """Every result of a batch, by custom_id (each custom_id at most once)."""
    results: dict[str, rs.BatchResult] = {}
    async with client.batch(requests, **options) as batch:
        async for result in batch:
            assert result.custom_id not in results
            results[result.custom_id] = result
    return results


class RecordingLimiter:
    """A limiter that lets everything through and remembers what it was told."""

    def __init__(self) -> None:
        self.acquired: list[int] = []
        self.settled: list[tuple[int, int]] = []
        self.held: list[float] = []

    async def acquire(self, tokens: int) -> None:
        self.acquired.append(tokens)

    def settle(self, estimated: int, used: int) -> None:
        self.settled.append((estimated, used))

    def hold(self, seconds: float) -> None:
        self.held.append(seconds)


@on_every_stack
async def test_every_request_gets_its_rebuilt_completion(server_url: str, stack: str) -> None:
    """Each custom_id gets the completion a non-streaming call would return, with its figures."""
    requests = [line(f"r{i}", prompt=f"hello number {i}") for i in range(40)]
    async with rs_client(stack, None, server_url) as client:
        results = await run(client, requests, concurrency=8)
    assert sorted(results) == sorted(f"r{i}" for i in range(40))
    for i in range(40):
        result = results[f"r{i}"]
        assert result.ok
        assert result.status_code == 200
        assert result.error is None
        assert result.request_id is not None
        assert isinstance(result.body, rs.ChatCompletion)
        assert result.body.object == "chat.completion"
        assert result.body.choices[0].message.content == f"hello number {i}"
        assert result.stats.attempts == 1
        assert result.stats.completion_tokens == 3
        assert result.stats.prompt_tokens is not None
        assert result.stats.duration is not None
        assert result.retries == ()


async def test_retryable_failures_are_sent_again_until_they_succeed(server_url: str) -> None:
    """5xx and 429 answers and a stream cut midway are retried; the last attempt's answer is kept."""
    requests = [
        line("five-hundred", "status-500-x2@a"),
        line("rate-limited", "status-429-x1@b"),
        line("cut", "fault-disconnect-x1@c", prompt="one two three four five six"),
        line("plain", "echo"),
    ]
    async with rs.AsyncClient(base_url=server_url) as client:
        results = await run(client, requests, max_retries=2)
    assert all(result.ok for result in results.values())
    assert results["five-hundred"].retries == ("500", "500")
    assert results["five-hundred"].stats.attempts == 3
    assert results["rate-limited"].retries == ("429",)
    assert results["cut"].retries == ("cut",)
    assert results["cut"].body.choices[0].message.content == "one two three four five six"
    assert results["plain"].retries == ()


async def test_failures_are_results_that_keep_what_arrived(server_url: str) -> None:
    """A 4xx, spent retries and a stream that keeps breaking end as results with their error."""
    requests = [
        line("bad", "status-400"),
        line("always-500", "status-500"),
        line("always-cut", "fault-disconnect", prompt="one two three four five six"),
        line("fine", "echo"),
    ]
    async with rs.AsyncClient(base_url=server_url) as client:
        results = await run(client, requests, max_retries=1)
    bad = results["bad"]
    assert not bad.ok
    assert bad.status_code == 400
    assert bad.retries == ()
    assert bad.error is not None
    assert bad.error["code"] == "simulated_400"
    assert isinstance(bad.body, dict)
    assert bad.body["error"]["code"] == "simulated_400"
    assert results["always-500"].status_code == 500
    assert results["always-500"].retries == ("500",)
    cut = results["always-cut"]
    assert cut.status_code == 200
    assert cut.error is not None
    assert cut.error["code"] == "stream_incomplete"
    assert cut.stats.attempts == 2
    assert isinstance(cut.body, rs.ChatCompletion)
    assert cut.body.choices[0].message.content == "one two"  # the role chunk and two words, then the cut
    assert results["fine"].ok


async def test_a_refused_connection_is_a_result_without_a_response() -> None:
    """Nothing answered: no status, no body, a connection_error, after the retries."""
    with testing.run_server() as url:
        pass  # the port is free again once the server stopped
    async with rs.AsyncClient(base_url=url) as client:
        results = await run(client, [line("a")], max_retries=1)
    result = results["a"]
    assert result.status_code is None
    assert result.body is None
    assert result.error is not None
    assert result.error["code"] == "connection_error"
    assert result.retries == ("connect",)


async def test_ordered_results_come_in_input_order(server_url: str) -> None:
    """With ordered=True the results follow the input even when later requests finish first."""
    requests = [line("slow", "status-503-x1@slow"), *(line(f"r{i}") for i in range(20))]
    async with (
        rs.AsyncClient(base_url=server_url) as client,
        client.batch(requests, concurrency=4, ordered=True) as batch,
    ):
        order = [result.custom_id async for result in batch]
    assert order == ["slow", *(f"r{i}" for i in range(20))]


@pytest.mark.parametrize("lazy", [False, True], ids=["list", "async-generator"])
async def test_as_many_requests_are_in_flight_as_concurrency_asks(server_url: str, lazy: bool) -> None:
    """concurrency=5 keeps five requests going while there are more to send, never six: a worker
    that finishes one takes the next at once, from a list or an async generator."""
    requests = [line(f"r{i}") for i in range(15)]

    async def source() -> AsyncIterator[dict[str, Any]]:
        for request in requests:
            yield request

    in_flight: list[int] = []
    async with (
        rs.AsyncClient(base_url=server_url) as client,
        client.batch(source() if lazy else requests, concurrency=5) as batch,
    ):
        async for result in batch:
            assert result.ok
            in_flight.append(batch.in_flight)
    # As each of the first five ends, its worker has taken the next already (the last results
    # may be read after later ones ended, so the tail depends on timing).
    assert in_flight[:5] == [5] * 5
    assert max(in_flight) == 5


async def test_requests_are_read_lazily_from_an_async_iterable(server_url: str) -> None:
    """An async generator of requests is consumed only as workers free up, and fully."""
    produced = 0

    async def source() -> AsyncIterator[dict[str, Any]]:
        nonlocal produced
        for i in range(30):
            produced += 1
            yield line(f"r{i}")

    async with rs.AsyncClient(base_url=server_url) as client, client.batch(source(), concurrency=2) as batch:
        first = await batch.__anext__()
        assert produced < 30
        rest = [result async for result in batch]
    assert len(rest) + 1 == 30
    assert first.ok


async def test_an_invalid_request_ends_the_batch_after_the_ones_before(server_url: str) -> None:
    """A mapping that is not a valid request raises BatchInputError once earlier results are out."""
    requests = [line("a"), line("b"), {"custom_id": "c"}]
    seen: list[str] = []

    async def collect() -> None:
        client = rs.AsyncClient(base_url=server_url)
        async with client, client.batch(requests, concurrency=1) as batch:
            async for result in batch:
                seen.append(result.custom_id)

    with pytest.raises(rs.BatchInputError, match="no body"):
        await collect()
    assert seen == ["a", "b"]


async def test_the_limiter_is_asked_told_the_usage_and_the_servers_pause(server_url: str) -> None:
    """Each attempt acquires its estimate; the real usage settles it; a 429's Retry-After holds."""
    limiter = RecordingLimiter()
    requests = [line("ok", prompt="x" * 400, max_tokens=50), line("limited", "status-429-x1@z")]
    async with rs.AsyncClient(base_url=server_url) as client:
        results = await run(client, requests, limiter=limiter)
    assert all(result.ok for result in results.values())
    assert sorted(limiter.acquired) == [100 + 50, 4 + 1024, 4 + 1024]  # prompt chars / 4 + the cap (or 1024)
    usage = results["ok"].stats
    assert usage.prompt_tokens is not None
    assert usage.completion_tokens is not None
    assert (150, usage.prompt_tokens + usage.completion_tokens) in limiter.settled
    assert (1028, 0) in limiter.settled  # the 429 counted nothing
    assert limiter.held == [pytest.approx(0.05)]  # retry-after-ms


async def test_a_spent_rate_limit_budget_holds_every_request_until_its_reset() -> None:
    """x-ratelimit-remaining-requests at 0 hands its reset (``1s20ms``) to the limiter."""
    scenario = testing.ChatScenario(text="hi there", usage=True)

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {
            "content-type": "text/event-stream",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1s20ms",
            "x-ratelimit-remaining-tokens": "5000",
            "x-ratelimit-reset-tokens": "6m0s",
        }
        return httpx.Response(200, headers=headers, content=scenario.encode())

    limiter = RecordingLimiter()
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = rs.AsyncClient(base_url="https://batch.test/v1", http_client=http)
        results = await run(client, [line("a")], limiter=limiter)
    assert results["a"].ok
    assert limiter.held == [pytest.approx(1.02)]


async def test_the_request_body_is_sent_streaming_with_usage(server_url: str) -> None:
    """``stream`` and ``stream_options.include_usage`` are set; the rest of the body goes as given."""
    request = line("a", "inspect-request", temperature=0.25, stream=False, stream_options={"x": 1})
    async with rs.AsyncClient(base_url=server_url) as client:
        results = await run(client, [request])
    content = results["a"].body.choices[0].message.content
    sent = msgspec.json.decode(content)
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["stream"] is True
    assert sent["body"]["stream_options"] == {"x": 1, "include_usage": True}
    assert sent["body"]["temperature"] == 0.25


# On trio, httpx leaves the request body's generator of a request cancelled mid-send for the
# garbage collector (encode/httpx#3686, as pyproject's filterwarnings says for the response's).
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <async_generator object ByteStream.__aiter__"
    ":pytest.PytestUnraisableExceptionWarning"
)
async def test_leaving_the_block_early_stops_what_is_in_flight(server_url: str) -> None:
    """A ``break`` after the first result returns promptly; the stalled requests are abandoned."""
    requests = [line("quick"), *(line(f"stalled{i}", "fault-stall") for i in range(5))]
    async with rs.AsyncClient(base_url=server_url) as client, client.batch(requests, concurrency=6) as batch:
        async for result in batch:
            assert result.custom_id == "quick"
            break


async def test_completions_and_responses_lines_go_to_their_endpoints(server_url: str) -> None:
    """``/v1/completions`` and ``/v1/responses`` lines are streamed by their kinds and rebuilt as such."""
    requests = [
        {
            "custom_id": "text",
            "url": "/v1/completions",
            "body": {"model": "echo", "prompt": "once upon a time"},
        },
        {"custom_id": "resp", "url": "/v1/responses", "body": {"model": "echo", "input": "hello there"}},
        line("chat"),
    ]
    async with rs.AsyncClient(base_url=server_url) as client:
        results = await run(client, requests)
    assert all(result.ok for result in results.values()), results
    text = results["text"]
    assert isinstance(text.body, rs.completions.Completion)
    assert text.body.object == "text_completion"
    assert text.body.text == "once upon a time"
    assert text.stats.completion_tokens is not None
    response = results["resp"]
    assert isinstance(response.body, rs.responses.Response)
    assert response.stats.completion_tokens is not None  # output_tokens
    assert '"object":"response"' in (response.body_json() or "").replace(" ", "")
    assert isinstance(results["chat"].body, rs.ChatCompletion)
