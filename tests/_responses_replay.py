"""Replaying a Responses body: through the pure decoder and fold, and through the whole stack."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import httpx

import r9s_stream as rs
from r9s_stream import testing
from r9s_stream.responses import Response, ResponsesDecoder, ResponsesFold, ResponseStreamEvent

__all__ = [
    "FIXTURES",
    "GOOD_FILES",
    "SPLITS",
    "URL",
    "body_of",
    "fold_all",
    "pieces",
    "replay",
    "replay_failure",
]

FIXTURES = Path(__file__).parent / "fixtures" / "responses"
URL = "https://responses.test/v1/responses"
ALL_FILES = sorted(path.name for path in FIXTURES.glob("*.sse"))
GOOD_FILES = [name for name in ALL_FILES if "error-failed" not in name]
# 1-byte, odd, seeded random, one event per read ("event"), whole.
SPLITS: list[dict[str, Any]] = [{"piece_size": 1}, {"piece_size": 7}, {"seed": 3}, {"events": True}, {}]


def body_of(name: str) -> bytes:
    """The raw bytes of one recording."""
    return (FIXTURES / name).read_bytes()


def pieces(body: bytes, split: dict[str, Any]) -> list[bytes]:
    """``body`` cut as ``split`` says."""
    if split.get("events"):
        cut = body.replace(b"\r\n", b"\n").split(b"\n\n")
        return [piece + b"\n\n" for piece in cut if piece]
    if "piece_size" in split:
        size = split["piece_size"]
        return [body[start : start + size] for start in range(0, len(body), size)]
    if "seed" in split:
        rng = random.Random(split["seed"])
        out, start = [], 0
        while start < len(body):
            size = rng.randint(1, 64)
            out.append(body[start : start + size])
            start += size
        return out
    return [body]


def fold_all(body: bytes, split: dict[str, Any]) -> tuple[ResponsesDecoder, ResponsesFold[Any], list[Any]]:
    """``body`` through the pure decoder and fold in ``split``'s pieces."""
    decoder, fold = ResponsesDecoder(), ResponsesFold[Any]()
    events: list[Any] = []
    for piece in pieces(body, split):
        batch = decoder.feed(piece)
        fold.add_many(batch)
        events += batch
    batch = decoder.finish()
    fold.add_many(batch)
    return decoder, fold, events + batch


def _transport(body: bytes, split: dict[str, Any]) -> httpx.MockTransport:
    return testing.steps_transport(pieces(body, split))


async def replay(body: bytes, split: dict[str, Any]) -> tuple[list[ResponseStreamEvent], Response[None]]:
    """``body`` through ``aconnect_response_stream``: the events and the rebuilt response."""
    async with (
        httpx.AsyncClient(transport=_transport(body, split)) as http,
        rs.aconnect_response_stream(http, "POST", URL, json={"stream": True}) as stream,
    ):
        events = [event async for event in stream]
        assert stream.done
        return events, await stream.until_done()


async def replay_failure(body: bytes, split: dict[str, Any]) -> rs.StreamError:
    """``body`` through ``aconnect_response_stream``, expecting a ``StreamError``."""
    async with httpx.AsyncClient(transport=_transport(body, split)) as http:
        try:
            async with rs.aconnect_response_stream(http, "POST", URL, json={}) as stream:
                async for _ in stream:
                    pass
        except rs.StreamError as error:
            assert stream.response.is_closed
            return error
    raise AssertionError("the stream ended without a StreamError")
