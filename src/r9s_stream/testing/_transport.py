"""Serve raw SSE bytes to httpx in pieces: the client sees real chunked reads."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx

__all__ = ["load_sse", "split_pieces", "sse_transport"]

# Random pieces are at most this long: small enough to cut most events, lines and UTF-8
# sequences somewhere, large enough to also put several events into one read.
MAX_RANDOM_PIECE = 97


def split_pieces(body: bytes, size: int | None = None, *, seed: int | None = None) -> list[bytes]:
    """Cut ``body`` into pieces: ``size`` bytes each, or random 1..97-byte pieces from ``seed``.

    With neither, the whole body is one piece. The pieces always join back to ``body``.
    """
    if size is not None and seed is not None:
        raise ValueError("give size or seed, not both")
    if size is not None:
        if size < 1:
            raise ValueError(f"piece size must be at least 1, got {size}")
        return [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    if seed is None:
        return [body]
    rng = random.Random(seed)
    pieces: list[bytes] = []
    position = 0
    while position < len(body):
        step = rng.randint(1, MAX_RANDOM_PIECE)
        pieces.append(body[position : position + step])
        position += step
    return pieces or [b""]


class PiecesStream(httpx.AsyncByteStream):
    """An async response body that yields the given pieces one read at a time."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def sse_transport(
    body: bytes,
    *,
    piece_size: int | None = None,
    seed: int | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> httpx.MockTransport:
    """A transport answering every request with ``body`` streamed in pieces (see ``split_pieces``).

    The content type is ``text/event-stream`` unless ``headers`` says otherwise.
    """
    pieces = split_pieces(body, piece_size, seed=seed)
    response_headers = {"content-type": "text/event-stream", **(headers or {})}

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status_code, headers=response_headers, stream=PiecesStream(pieces))

    return httpx.MockTransport(handle)


def load_sse(name_or_path: str | Path) -> bytes:
    """Read a recorded ``.sse`` file: a path, or a bare name found in ``tests/fixtures``.

    A bare name (``"openai-python_refusal"`` or ``"openai-python_refusal.sse"``) is looked up
    in ``tests/fixtures/`` of the current directory and its parents, so a test finds the
    project's recordings wherever pytest was started.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path.read_bytes()
    file_name = path.name if path.suffix == ".sse" else f"{path.name}.sse"
    for directory in (Path.cwd(), *Path.cwd().parents):
        candidate = directory / "tests" / "fixtures" / file_name
        if candidate.is_file():
            return candidate.read_bytes()
    raise FileNotFoundError(f"no .sse recording {str(name_or_path)!r} (as a path or in tests/fixtures/)")
