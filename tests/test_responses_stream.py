"""Responses streams through the whole stack: ``aconnect_response_stream`` and ``client.responses``.

Every recording at every split gives the same response as the pure fold; faults give typed
errors carrying the response received so far, on asyncio and trio.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _responses_replay import GOOD_FILES, SPLITS, URL, body_of, fold_all, replay, replay_failure
from r9s_stream import testing
from r9s_stream.responses import Response, ResponseTextDeltaEvent

pytestmark = pytest.mark.anyio


def event(payload: dict[str, Any]) -> bytes:
    """One data-only SSE event."""
    return b"data: " + msgspec.json.encode(payload) + b"\n\n"


def delta(text: str) -> bytes:
    """An output_text delta."""
    return event({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": text})


@pytest.mark.parametrize("name", GOOD_FILES)
async def test_every_recording_at_every_split_rebuilds_what_the_pure_fold_does(
    name: str, anyio_backend: str
) -> None:
    """Each recording at 1-byte, odd, random, one-event and whole reads rebuilds what the pure fold does."""
    body = body_of(name)
    expected = fold_all(body, {})[1].snapshot
    for split in SPLITS:
        events, response = await replay(body, split)
        assert response == expected, split
        assert len(events) == len(fold_all(body, {})[2])


async def test_the_client_streams_from_responses_with_the_request_it_was_given(anyio_backend: str) -> None:
    """client.responses.stream posts model, input and stream to /responses and rebuilds the answer."""
    seen: list[httpx.Request] = []
    body = body_of("pydantic-ai_responses_text.sse")

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http,
        rs.AsyncClient("sk-test", "https://api.example.test/v1", http_client=http) as client,
    ):
        async with client.responses.stream(model="gpt-4o", input="hi", instructions="be brief") as stream:
            texts = [e.delta async for e in stream if isinstance(e, ResponseTextDeltaEvent)]
            response = await stream.until_done()
            assert stream.done
            assert stream.usage is not None
            assert stream.usage.total_tokens == 287
            assert stream.stats.chunks == 15
        again = await client.responses.complete(model="gpt-4o", input=[{"role": "user", "content": "hi"}])
    assert "".join(texts) == response.output_text == "The capital of France is Paris."
    assert again == response
    assert str(seen[0].url) == "https://api.example.test/v1/responses"
    sent = msgspec.json.decode(seen[0].content)
    assert sent == {"model": "gpt-4o", "input": "hi", "instructions": "be brief", "stream": True}
    assert msgspec.json.decode(seen[1].content)["input"] == [{"role": "user", "content": "hi"}]


async def test_the_snapshot_grows_as_events_arrive(anyio_backend: str) -> None:
    """Read mid-stream (one event a read), snapshot holds the text so far; text_deltas() yields the pieces."""
    end = event({"type": "response.completed", "response": {"status": "completed"}})
    async with (
        httpx.AsyncClient(transport=testing.steps_transport([delta("Hel"), delta("lo"), end])) as http,
        rs.aconnect_response_stream(http, "POST", URL, json={}) as stream,
    ):
        seen = []
        async for piece in stream.text_deltas():
            seen.append((piece, stream.snapshot.output_text))
    assert seen == [("Hel", "Hel"), ("lo", "Hello")]


async def test_a_cut_stream_is_incomplete_with_the_partial_response(anyio_backend: str) -> None:
    """A body that ends before response.completed raises IncompleteStreamError carrying the text so far."""
    for split in SPLITS:
        error = await replay_failure(delta("par") + delta("tial"), split)
        assert type(error) is rs.IncompleteStreamError
        assert isinstance(error.partial, Response)
        assert error.partial.output_text == "partial"
        assert "without response.completed" in str(error)


async def test_an_error_event_raises_at_once_with_the_partial_response(anyio_backend: str) -> None:
    """An error event mid-stream raises StreamAPIError with message, code and the text so far."""
    error_event = event(
        {"type": "error", "error": {"type": "server_error", "code": "oops", "message": "Broke"}}
    )
    error = await replay_failure(delta("so far") + error_event, {"events": True})
    assert isinstance(error, rs.StreamAPIError)
    assert (error.message, error.type, error.code) == ("Broke", "server_error", "oops")
    assert isinstance(error.partial, Response)
    assert error.partial.output_text == "so far"


async def test_the_recorded_failure_raises_api_error_with_partial(anyio_backend: str) -> None:
    """vercel-ai's quota failure raises StreamAPIError (not a bare RuntimeError as openai-python's helper)."""
    error = await replay_failure(body_of("vercel-ai_responses_error-failed.sse"), {"piece_size": 7})
    assert isinstance(error, rs.StreamAPIError)
    assert error.code == "insufficient_quota"
    assert isinstance(error.partial, Response)
    assert error.partial.status == "in_progress"


async def test_bad_json_is_a_decode_error_with_the_partial_response(anyio_backend: str) -> None:
    """A payload that is not JSON raises StreamDecodeError naming it, with the text before it."""
    error = await replay_failure(delta("ok") + b"data: {oops\n\n", {"piece_size": 1})
    assert isinstance(error, rs.StreamDecodeError)
    assert error.data == "{oops"
    assert isinstance(error.partial, Response)
    assert error.partial.output_text == "ok"


async def test_a_too_large_event_is_event_too_large_with_the_partial_response(anyio_backend: str) -> None:
    """An event past max_event_size raises EventTooLargeError, the text before it kept."""
    body = delta("ok") + delta("x" * 5000)
    async with httpx.AsyncClient(transport=testing.steps_transport([body])) as http:
        with pytest.raises(rs.EventTooLargeError) as caught:
            async with rs.aconnect_response_stream(http, "POST", URL, json={}, max_event_size=1000) as stream:
                await stream.until_done()
    assert isinstance(caught.value.partial, Response)
    assert caught.value.partial.output_text == "ok"


async def test_a_stall_is_a_timeout_with_the_partial_response(anyio_backend: str) -> None:
    """A server that stops sending mid-stream raises StreamTimeoutError after idle_timeout, text kept."""
    steps: list[testing.Step] = [delta("wait"), testing.Pause(30.0), delta("never")]
    async with httpx.AsyncClient(transport=testing.steps_transport(steps)) as http:
        with pytest.raises(rs.StreamTimeoutError) as caught:
            async with rs.aconnect_response_stream(http, "POST", URL, json={}, idle_timeout=0.2) as stream:
                await stream.until_done()
    assert isinstance(caught.value.partial, Response)
    assert caught.value.partial.output_text == "wait"


async def test_an_incomplete_response_is_an_answer_not_an_error(anyio_backend: str) -> None:
    """response.incomplete ends the stream normally with status and incomplete_details."""
    _, response = await replay(body_of("mock_upstream-openai-responses_stream_incomplete.sse"), {})
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


async def test_a_whole_json_response_is_taken_as_its_stream(anyio_backend: str) -> None:
    """A server that ignores stream:true and sends the response as JSON gives the same response."""
    whole = {
        "id": "r",
        "object": "response",
        "status": "completed",
        "output": [{"type": "message", "id": "m", "content": [{"type": "output_text", "text": "Hi"}]}],
        "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
    }
    transport = testing.sse_transport(
        msgspec.json.encode(whole), headers={"content-type": "application/json"}
    )
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_response_stream(http, "POST", URL, json={}) as stream,
    ):
        response = await stream.until_done()
    assert response.output_text == "Hi"
    assert response.usage is not None
    assert response.usage.total_tokens == 2
