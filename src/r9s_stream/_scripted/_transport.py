"""Serve raw SSE bytes to httpx in pieces: the client sees real chunked reads."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path

import anyio
import httpx

from ._faults import Pause, Step

__all__ = ["StepsStream", "load_sse", "split_pieces", "sse_transport", "steps_transport"]

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
    return _random_pieces(body, random.Random(seed))


def _random_pieces(body: bytes, rng: random.Random) -> list[bytes]:
    pieces: list[bytes] = []
    position = 0
    while position < len(body):
        step = rng.randint(1, MAX_RANDOM_PIECE)
        pieces.append(body[position : position + step])
        position += step
    return pieces or [b""]


class StepsStream(httpx.AsyncByteStream):
    """An async response body played from steps: bytes are reads, a ``Pause`` waits, a
    ``Disconnect`` raises its transport error, as a broken connection would.

    Runs of bytes are re-cut into ``piece_size`` or seeded random pieces when asked, else
    each bytes step is one read. ``delay`` seconds pass before every read.
    """

    def __init__(
        self,
        steps: Sequence[Step],
        *,
        piece_size: int | None = None,
        seed: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self._steps = _cut_runs(steps, piece_size, seed)
        self._delay = delay

    def __aiter__(self) -> AsyncIterator[bytes]:
        # A plain iterator, not an async generator: trio warns about generators that are
        # garbage-collected unfinished, which every stream closed early would leave behind.
        return _StepsIterator(iter(self._steps), self._delay)


class _StepsIterator:
    def __init__(self, steps: Iterator[Step], delay: float) -> None:
        self._steps = steps
        self._delay = delay

    def __aiter__(self) -> _StepsIterator:
        return self

    async def __anext__(self) -> bytes:
        for step in self._steps:
            if isinstance(step, bytes):
                if self._delay > 0:
                    await anyio.sleep(self._delay)
                return step
            if isinstance(step, Pause):
                await anyio.sleep(step.seconds)
            else:
                raise step.error(step.message)
        raise StopAsyncIteration


def _cut_runs(steps: Sequence[Step], piece_size: int | None, seed: int | None) -> list[Step]:
    if piece_size is None and seed is None:
        return [step for step in steps if step != b""]
    rng = random.Random(seed)
    result: list[Step] = []
    run: list[bytes] = []

    def flush() -> None:
        blob = b"".join(run)
        run.clear()
        if blob:
            result.extend(
                split_pieces(blob, piece_size) if piece_size is not None else _random_pieces(blob, rng)
            )

    for step in steps:
        if isinstance(step, bytes):
            run.append(step)
        else:
            flush()
            result.append(step)
    flush()
    return result


def steps_transport(
    steps: Sequence[Step],
    *,
    piece_size: int | None = None,
    seed: int | None = None,
    delay: float = 0.0,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> httpx.MockTransport:
    """A transport answering every request with a body played from ``steps`` (see ``StepsStream``)."""
    if piece_size is not None and seed is not None:
        raise ValueError("give piece_size or seed, not both")
    # A caller's Content-Type (in any case) replaces the default one rather than joining it.
    response_headers = httpx.Headers({"content-type": "text/event-stream"})
    response_headers.update(headers or {})

    def handle(request: httpx.Request) -> httpx.Response:
        body = StepsStream(steps, piece_size=piece_size, seed=seed, delay=delay)
        return httpx.Response(status_code, headers=response_headers, stream=body)

    return httpx.MockTransport(handle)


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
    split_pieces(body, piece_size, seed=seed)  # refuse bad arguments now, not on the first request
    return steps_transport([body], piece_size=piece_size, seed=seed, status_code=status_code, headers=headers)


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
