"""openai-python's ``responses.stream()`` as the reference peer, on the same recorded bytes.

Where the peer works, our rebuilt text, function calls and usage equal its final response's.
Where it fails, ours is right and the failure says so:

- ``response.incomplete`` (the gateway's mock and its semisynthetic copy): the peer raises
  ``RuntimeError: Didn't receive a response.completed event``; ours ends normally with
  ``status == "incomplete"`` and ``incomplete_details.reason == "max_output_tokens"``.
- the r9s gateway's passthrough (deltas with no ``output_item.added``): the peer raises
  ``RuntimeError: Received a content event … before receiving its output item``; ours rebuilds
  the text, equal to the server's own terminal output.
- the gateway's Azure converter (no ``type`` in the payloads): the peer raises
  ``RuntimeError: Expected to have received response.created``; ours reads the ``event:`` name.
- the quota failure: the peer raises ``APIError`` with no partial response; ours raises
  ``StreamAPIError`` carrying it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from _responses_replay import GOOD_FILES, body_of, replay, replay_failure
from r9s_stream import testing
from r9s_stream.responses import Response, ResponseFunctionToolCall

openai = pytest.importorskip("openai")  # the peer; absent in the lowest-versions pass

pytestmark = pytest.mark.anyio

PEER_FAILS = {
    "SEMISYNTHETIC_open-next-router_responses_incomplete-max-output-tokens.sse": "response.completed",
    "mock_upstream-openai-responses_stream_incomplete.sse": "response.completed",
    "gateway_responses_openai_passthrough_ok.sse": "before receiving its output item",
    "mock_upstream-azure_response-responses_stream_completed_early.sse": "response.created",
}
PEER_WORKS = [name for name in GOOD_FILES if name not in PEER_FAILS]


async def peer_final(body: bytes) -> Any:
    """openai-python's ``responses.stream()`` over ``body``: its final response."""
    # openai-python 3.x types http_client as httpx2's, and takes an httpx one as well.
    http: Any = httpx.AsyncClient(transport=testing.sse_transport(body, piece_size=7))
    async with http:
        peer = openai.AsyncOpenAI(
            api_key="k", base_url="https://peer.test/v1", http_client=http, max_retries=0
        )
        async with peer.responses.stream(model="m", input="hi") as stream:
            return await stream.get_final_response()


def calls(output: list[Any]) -> list[tuple[str, str, str]]:
    """Each function call's (call_id, name, arguments)."""
    return [(item.call_id, item.name, item.arguments) for item in output if item.type == "function_call"]


# asyncio only: on trio, openai-python leaves its own SSE generators for the collector to close.
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("name", PEER_WORKS)
async def test_ours_equals_the_peers_text_calls_and_usage(name: str) -> None:
    """Where openai-python's helper works, our response has its text, function calls and usage."""
    theirs = await peer_final(body_of(name))
    _, ours = await replay(body_of(name), {"piece_size": 7})
    assert ours.output_text == theirs.output_text
    assert calls(ours.output) == calls(theirs.output)
    assert ours.usage is not None
    assert (ours.usage.input_tokens, ours.usage.output_tokens, ours.usage.total_tokens) == (
        theirs.usage.input_tokens,
        theirs.usage.output_tokens,
        theirs.usage.total_tokens,
    )
    assert [item.type for item in ours.output] == [item.type for item in theirs.output]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("name", sorted(PEER_FAILS))
async def test_where_the_peer_fails_ours_rebuilds(name: str) -> None:
    """Where openai-python's helper raises RuntimeError, ours ends with the right response."""
    with pytest.raises(RuntimeError, match=PEER_FAILS[name]):
        await peer_final(body_of(name))
    _, ours = await replay(body_of(name), {"piece_size": 7})
    if "incomplete" in name:
        assert ours.status == "incomplete"
        assert ours.incomplete_details is not None
        assert ours.incomplete_details.reason == "max_output_tokens"
    else:
        assert ours.status == "completed"
        assert ours.output_text in ("Hello world", "Hello")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_on_a_failure_ours_keeps_the_partial_response() -> None:
    """The quota failure: the peer's APIError has no response; our StreamAPIError carries it."""
    body = body_of("vercel-ai_responses_error-failed.sse")
    with pytest.raises(openai.APIError) as theirs:
        await peer_final(body)
    assert not hasattr(theirs.value, "partial")
    ours = await replay_failure(body, {"piece_size": 7})
    assert isinstance(ours, rs.StreamAPIError)
    assert ours.message == theirs.value.message
    assert isinstance(ours.partial, Response)
    assert ours.partial.id.startswith("resp_05500b38")
    assert not [item for item in ours.partial.output if isinstance(item, ResponseFunctionToolCall)]
