"""What ``stream.events()`` costs beside the plain path, and that it stays flat as answers grow.

    python benchmarks/events.py                  # N=10,000 and 100,000, both read shapes
    python benchmarks/events.py --quick          # smoke run: N=200, 1 repeat
    python benchmarks/events.py --once plain --times 2 --n 10000 --shape burst   # for callgrind

Instructions per chunk (callgrind, deterministic where timings on a shared machine are not):
the count of ``--times 2`` minus that of ``--times 1``, divided by N, is one run's worth
(start-up and generating the stream cancel out).

Rows, per content chunk (µs of process time, median of ``--repeats`` runs interleaved so load
drift hits every row alike), for a generated content stream (``_payloads.py``) served from
memory through ``httpx.MockTransport``:

- plain: ``async for chunk in stream`` (iterate and accumulate);
- events: ``async for event in stream.events()``, never reading a snapshot;
- events + snapshots: the same, reading every ``--every``-th ``ContentDelta.snapshot``; each
  read is timed on its own (µs per read, the characters it returns, ns per character: flat
  from N = 10,000 to 100,000 when a read costs one copy of its text) beside one plain copy
  of that much text (``snapshot + "."``, made right after the read, so from a warm cache: a
  lower bound).

Read shapes: ``burst`` (seeded 1–4 KiB reads, a replay or a fast server) and ``live`` (one
event per read, a server flushing every token). The flat-cost check is the events row at
N = 10,000 beside N = 100,000: the same cost per chunk means no work grows with the text.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from _payloads import make_payload, split_pieces

import r9s_stream as rs

URL = "https://bench.test/v1/chat/completions"
MODES = ("plain", "events", "snapshots")
SHAPES = ("burst", "live")


class Pieces(httpx.AsyncByteStream):
    """A response body that yields pre-cut pieces, one per read."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def pieces_of(body: bytes, shape: str) -> list[bytes]:
    """The reads a client sees: 1–4 KiB pieces, or one event (``data: …\\n\\n``) each."""
    if shape == "burst":
        return split_pieces(body, seed=1)
    return [event + b"\n\n" for event in body.split(b"\n\n") if event]


def transport(pieces: list[bytes]) -> httpx.MockTransport:
    """Serve the pieces as an event stream."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Pieces(pieces))

    return httpx.MockTransport(answer)


async def run(
    mode: str, pieces: list[bytes], expected: str, every: int = 100
) -> tuple[float, float, float, int, int]:
    """One run: (process seconds, seconds in snapshot reads, in as many plain copies, reads, characters)."""
    reads = copied = deltas = 0
    reading = copying = 0.0
    async with httpx.AsyncClient(transport=transport(pieces)) as http:
        started = time.process_time()
        async with rs.aconnect_chat_stream(http, "POST", URL, json={}) as stream:
            if mode == "plain":
                async for _ in stream:
                    pass
            elif mode == "events":
                async for _ in stream.events():
                    pass
            else:
                async for event in stream.events():
                    if type(event) is rs.ContentDelta:
                        deltas += 1
                        if deltas % every == 0:
                            before = time.perf_counter()
                            snapshot = event.snapshot
                            between = time.perf_counter()
                            (snapshot + ".").__len__()  # the reference: one copy of as much text
                            after = time.perf_counter()
                            reading += between - before
                            copying += after - between
                            copied += len(snapshot)
                            reads += 1
            content = stream.completion.choices[0].message.content
        elapsed = time.process_time() - started
    if content != expected:
        raise SystemExit(f"{mode}: the rebuilt content is wrong")
    return elapsed, reading, copying, reads, copied


def measure(n: int, shape: str, repeats: int, every: int) -> dict[str, Any]:
    """Median µs per chunk of each mode, and the snapshot reads' own cost."""
    payload = make_payload("content", n)
    assert payload.content is not None
    pieces = pieces_of(payload.body, shape)
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    read_times: list[float] = []
    copy_times: list[float] = []
    reads = copied = 0
    asyncio.run(run("events", pieces, payload.content))  # warm-up: imports, first-run caches
    for _ in range(repeats):
        for mode in MODES:
            elapsed, reading, copying, reads, copied = asyncio.run(run(mode, pieces, payload.content, every))
            times[mode].append(elapsed)
            if mode == "snapshots":
                read_times.append(reading)
                copy_times.append(copying)
    per_chunk = {mode: statistics.median(values) / n * 1e6 for mode, values in times.items()}
    per_read = statistics.median(read_times) / max(reads, 1) * 1e6
    per_copy = statistics.median(copy_times) / max(reads, 1) * 1e6
    chars = copied / max(reads, 1)
    return {"n": n, "shape": shape, **per_chunk, "per_read": per_read, "per_copy": per_copy, "chars": chars}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", default="10000,100000", help="chunk counts, comma-separated")
    parser.add_argument("--shape", default="burst,live", help="read shapes: burst, live")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--every", type=int, default=100, help="read every N-th snapshot")
    parser.add_argument("--quick", action="store_true", help="N=200, one repeat (a smoke run)")
    parser.add_argument("--once", choices=MODES, help="run one mode, untimed (for callgrind)")
    parser.add_argument("--times", type=int, default=1, help="with --once: how many runs")
    args = parser.parse_args()
    counts = [200] if args.quick else [int(n) for n in args.n.split(",")]
    shapes = args.shape.split(",")
    repeats = 1 if args.quick else args.repeats
    if args.once:
        for n in counts:
            payload = make_payload("content", n)
            assert payload.content is not None
            for shape in shapes:
                pieces = pieces_of(payload.body, shape)
                for _ in range(args.times):
                    asyncio.run(run(args.once, pieces, payload.content))
        return
    print(f"# content stream · median of {repeats} · µs of process time per chunk")
    print(f"# snapshots: every {args.every}th ContentDelta's snapshot read, each read timed on its own")
    print("| N | reads | plain | events | × plain | + snapshots | chars/read | µs/read | ns/char | µs/copy |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        for shape in shapes:
            row = measure(n, shape, repeats, args.every)
            print(
                f"| {n:,} | {shape} | {row['plain']:.2f} | {row['events']:.2f} "
                f"| {row['events'] / row['plain']:.2f}× | {row['snapshots']:.2f} "
                f"| {row['chars']:,.0f} | {row['per_read']:.1f} | {row['per_read'] * 1e3 / row['chars']:.2f} "
                f"| {row['per_copy']:.1f} |"
            )


if __name__ == "__main__":
    main()
