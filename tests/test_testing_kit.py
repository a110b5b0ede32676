"""The testing kit: pieces, the mock SSE transport, recordings and scripted scenarios."""

from __future__ import annotations

import httpx
import pytest

import r9s_stream as rs
from r9s_stream import testing

URL = "https://kit.test/v1/chat/completions"


async def _complete(transport: httpx.MockTransport) -> rs.ChatCompletion:
    async with (
        httpx.AsyncClient(transport=transport) as http,
        rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream,
    ):
        return await stream.until_done()


def test_split_pieces_default_is_the_whole_body() -> None:
    """Without size or seed the body comes back as one piece."""
    assert testing.split_pieces(b"abcdef") == [b"abcdef"]


def test_split_pieces_fixed_size() -> None:
    """A size cuts the body into pieces of that many bytes, the last one shorter."""
    assert testing.split_pieces(b"abcdefg", 3) == [b"abc", b"def", b"g"]


def test_split_pieces_seeded_is_random_but_reproducible() -> None:
    """A seed gives 1..97-byte pieces that join back to the body, the same for the same seed."""
    body = bytes(range(256)) * 8
    pieces = testing.split_pieces(body, seed=7)
    assert b"".join(pieces) == body
    assert all(1 <= len(p) <= 97 for p in pieces)
    assert len({len(p) for p in pieces}) > 1
    assert testing.split_pieces(body, seed=7) == pieces
    assert testing.split_pieces(body, seed=8) != pieces


def test_split_pieces_rejects_bad_arguments() -> None:
    """A zero size, or size and seed together, is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        testing.split_pieces(b"x", 0)
    with pytest.raises(ValueError, match="not both"):
        testing.split_pieces(b"x", 2, seed=1)


@pytest.mark.anyio
async def test_sse_transport_delivers_the_body_in_the_given_pieces() -> None:
    """The client reads exactly the pieces the transport was told to serve."""
    body = testing.load_sse("openai-python_plain-content_usage-final")
    async with (
        httpx.AsyncClient(transport=testing.sse_transport(body, piece_size=5)) as http,
        http.stream("POST", URL) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        reads = [piece async for piece in response.aiter_raw()]
    assert reads == testing.split_pieces(body, 5)


@pytest.mark.anyio
@pytest.mark.parametrize(("piece_size", "seed"), [(None, None), (1, None), (7, None), (None, 3)])
async def test_recording_decodes_the_same_whatever_the_pieces(
    piece_size: int | None, seed: int | None
) -> None:
    """A recorded tool-call stream rebuilds the same message however its bytes are cut."""
    body = testing.load_sse("openai-python_parallel-tool-calls.sse")
    completion = await _complete(testing.sse_transport(body, piece_size=piece_size, seed=seed))
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["GetWeatherArgs", "get_stock_price"]
    assert completion.usage is not None


@pytest.mark.anyio
async def test_sse_transport_status_and_headers() -> None:
    """The status code and headers given to the transport reach the client."""
    transport = testing.sse_transport(
        b'{"error":{"message":"slow down"}}',
        status_code=429,
        headers={"content-type": "application/json", "retry-after": "1"},
    )
    with pytest.raises(rs.APIStatusError) as caught:
        await _complete(transport)
    assert caught.value.status_code == 429


def test_load_sse_missing_file_names_it() -> None:
    """A recording that does not exist raises FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match="no-such-capture"):
        testing.load_sse("no-such-capture")
