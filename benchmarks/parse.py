"""What structured output costs: the same JSON answer streamed plain and parsed into a Struct.

    python benchmarks/parse.py                 # N = 1,000, 10,000 and 100,000 chunks, in memory
    python benchmarks/parse.py --quick         # a smoke run (tests/test_benchmarks.py)

Both rows read identical bytes through ``AsyncClient.complete()`` over an in-memory transport
(each SSE event one read, as live servers send them, and 4 KiB reads, as replays do): one
with ``response_format={dict}`` (sent, not parsed), one with ``response_format=Report`` (a
strict schema built once and cached, the content decoded into ``Report`` when the choice
finishes). µs per chunk is the fastest run / N (the machine is shared: the fastest run is
the one least disturbed), the rows interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
from time import perf_counter
from typing import Any

import httpx
import msgspec

import r9s_stream as rs
from r9s_stream import testing


class Section(msgspec.Struct):
    heading: str
    body: str


class Report(msgspec.Struct):
    title: str
    score: float
    sections: list[Section]


def _answer(chunks: int) -> str:
    """A Report's JSON of about ``chunks`` four-character chunks."""
    section = Section(heading="Streaming", body="Tokens arrive one by one; the JSON grows with them. ")
    per_section = len(msgspec.json.encode(section)) + 1
    count = max(1, chunks * 4 // per_section)
    return msgspec.json.encode(Report(title="A report", score=0.93, sections=[section] * count)).decode()


async def _time(client: rs.AsyncClient, response_format: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = perf_counter()
        completion = await client.complete(model="m", messages=[], response_format=response_format)
        samples.append(perf_counter() - start)
        if isinstance(response_format, type):
            assert isinstance(completion.choices[0].message.parsed, Report)
    return min(samples)


async def measure(chunks: int, piece_size: int | None, runs: int) -> tuple[int, float, float]:
    scenario = testing.ChatScenario(text=_answer(chunks), token_size=4)
    n = len(scenario.chunks())
    http = httpx.AsyncClient(transport=scenario.transport(piece_size=piece_size))
    async with rs.AsyncClient(base_url="http://bench/v1", http_client=http) as client:
        plain_format = {"type": "json_object"}
        await _time(client, plain_format, 1)  # warm-up: caches, first-call costs
        await _time(client, Report, 1)
        plain = parsed = float("inf")
        for _ in range(3):  # interleaved, so drift hits both rows alike
            plain = min(plain, await _time(client, plain_format, runs))
            parsed = min(parsed, await _time(client, Report, runs))
    await http.aclose()
    return n, plain / n * 1e6, parsed / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: N = 200, one run")
    args = parser.parse_args()
    sizes = [200] if args.quick else [1_000, 10_000, 100_000]
    print("| N chunks | reads | plain µs/chunk | parsed µs/chunk | parse × plain |")
    print("|---:|---|---:|---:|---:|")
    for chunks in sizes:
        for piece_size, reads in ((None, "one event each"), (4096, "4 KiB")):
            runs = 1 if args.quick else max(3, 30_000 // chunks)
            n, plain, parsed = asyncio.run(measure(chunks, piece_size, runs))
            print(f"| {n:,} | {reads} | {plain:.2f} | {parsed:.2f} | {parsed / plain:.3f} |")


if __name__ == "__main__":
    main()
