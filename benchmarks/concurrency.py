"""Many simultaneous streams on one event loop, against the loopback server.

    python benchmarks/concurrency.py                          # 1,000 streams × 200 chunks
    python benchmarks/concurrency.py --streams 200 --clients r9s --rounds 1   # quick look

The loopback server (``_server.py``) runs in its own process and serves one pre-generated
content stream; each client runs in a fresh worker process of its own (so one client's
memory cannot flatter or burden the next), which starts all ``--streams`` streams at once
on one asyncio event loop, over httpx clients of ``--per-client`` (50) streams
each. With one client for all (``--per-client 0``) httpcore 1.0's connection pool, whose
bookkeeping on every request and response is quadratic in its connections, dominates:
1,000 streams then take ten times as long, whichever client reads them.
Each stream is read to the end and checked (chunk count and rebuilt text); anything else,
an exception included, counts as an error. A round is bounded by ``--timeout``.

Reported per client: wall time of a round (median of ``--rounds``; a round includes opening
the connections), events/s and streams/s over all streams, the most streams open at once,
per-stream time to first chunk and duration (p50/p99 of the median round), errors, and
peak memory per stream two ways: RSS (``VmHWM`` reset through ``/proc/self/clear_refs``
before the first round, minus ``VmRSS`` before it, over the stream count) and tracemalloc
(peak of traced Python allocations in one extra round, over the stream count).

Clients: ``r9s`` (iterate + accumulate, ``stream.completion``), ``r9s-noacc``
(``accumulate=False``), ``openai`` (openai-python ``AsyncStream``, content joined by hand)
and ``openai-helper`` (``chat.completions.stream()`` → ``get_final_completion()``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import REQUEST, LoopbackServer, machine
from _payloads import make_payload

import r9s_stream as rs

CLIENTS = ("r9s", "r9s-noacc", "openai", "openai-helper")
KIND = "content"
MESSAGES: Any = [{"role": "user", "content": "Write a long answer."}]


# --- the worker: one client, one process ------------------------------------------------------


@dataclass
class Round:
    wall: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    first_chunk: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    open_now: int = 0
    most_open: int = 0

    def error(self, name: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1


class Worker:
    def __init__(self, args: argparse.Namespace) -> None:
        self.client = args.worker
        self.url = f"http://127.0.0.1:{args.port}/{KIND}/{args.chunks}/v1"
        self.chunks = args.chunks
        self.timeout = args.timeout
        self.per_client = args.per_client
        self.expected = make_payload(KIND, args.chunks, args.seed).content

    async def read_one(self, http: httpx.AsyncClient, openai: Any, state: Round) -> None:
        started = time.perf_counter()
        first: float | None = None
        events = 0
        text: str | None
        state.open_now += 1
        state.most_open = max(state.most_open, state.open_now)
        try:
            if self.client in ("r9s", "r9s-noacc"):
                accumulate = self.client == "r9s"
                url = self.url + "/chat/completions"
                async with rs.aconnect_chat_stream(
                    http, "POST", url, json=REQUEST, accumulate=accumulate
                ) as s:
                    if accumulate:
                        async for _ in s:
                            if first is None:
                                first = time.perf_counter()
                            events += 1
                        text = s.completion.choices[0].message.content
                    else:
                        parts = []
                        async for event in s:
                            if first is None:
                                first = time.perf_counter()
                            events += 1
                            for choice in event.choices:
                                if choice.delta is not None and choice.delta.content is not None:
                                    parts.append(choice.delta.content)
                        text = "".join(parts)
            elif self.client == "openai":
                parts = []
                stream = await openai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
                async with stream:
                    async for chunk in stream:
                        if first is None:
                            first = time.perf_counter()
                        events += 1
                        for choice in chunk.choices:
                            if choice.delta.content is not None:
                                parts.append(choice.delta.content)
                text = "".join(parts)
            else:
                async with openai.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as helper:
                    async for event in helper:
                        if event.type == "chunk":
                            if first is None:
                                first = time.perf_counter()
                            events += 1
                    text = (await helper.get_final_completion()).choices[0].message.content
        except Exception as exc:
            state.error(type(exc).__name__)
            return
        finally:
            state.open_now -= 1
        if events != self.chunks or text != self.expected:
            state.error("wrong result")
            return
        ended = time.perf_counter()
        state.durations.append(ended - started)
        state.first_chunk.append((first or ended) - started)

    async def round(self, streams: int) -> Round:
        state = Round()
        size = self.per_client or streams
        clients: list[tuple[httpx.AsyncClient, Any]] = []
        for _ in range(-(-streams // size)):
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            http = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(self.timeout))
            openai: Any = None
            if self.client.startswith("openai"):
                from openai import AsyncOpenAI

                legacy_client: Any = http  # openai-python 3.x accepts a legacy httpx client
                openai = AsyncOpenAI(
                    api_key="sk-bench", base_url=self.url, http_client=legacy_client, max_retries=0
                )
            clients.append((http, openai))
        started = time.perf_counter()
        async with contextlib.AsyncExitStack() as stack:
            for http, _ in clients:
                await stack.enter_async_context(http)
            tasks = [
                asyncio.ensure_future(self.read_one(*clients[number // size], state))
                for number in range(streams)
            ]
            _, pending = await asyncio.wait(tasks, timeout=self.timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
                for _ in pending:
                    state.error(f"not done within {self.timeout}s")
        state.wall = time.perf_counter() - started
        return state


def _status(key: str) -> int:
    """A ``/proc/self/status`` size, in bytes."""
    match = re.search(key + r":\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) * 1024 if match else 0


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def work(args: argparse.Namespace) -> dict[str, Any]:
    worker = Worker(args)
    await worker.round(min(10, args.streams))  # warm-up: imports, first connections, caches
    gc.collect()
    rss_before = _status("VmRSS")
    rss_peak: int | None = None
    rounds = []
    for number in range(args.rounds):
        if number == 0 and not _reset_peak_rss():
            rss_before = -1
        rounds.append(await worker.round(args.streams))
        if number == 0 and rss_before >= 0:
            rss_peak = _status("VmHWM") - rss_before
        gc.collect()
    traced_peak = None
    if not args.no_tracemalloc:
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        traced = await worker.round(args.streams)
        traced_peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
        rounds_errors = [*rounds, traced]
    else:
        rounds_errors = rounds
    median_round = sorted(rounds, key=lambda r: r.wall)[len(rounds) // 2]
    errors: dict[str, int] = {}
    for r in rounds_errors:
        for name, count in r.errors.items():
            errors[name] = errors.get(name, 0) + count
    return {
        "client": args.worker,
        "streams": args.streams,
        "per_client": args.per_client or args.streams,
        "chunks": args.chunks,
        "walls": [r.wall for r in rounds],
        "wall": statistics.median(r.wall for r in rounds),
        "most_open": max(r.most_open for r in rounds),
        "first_chunk_p50": _percentile(median_round.first_chunk, 0.5),
        "first_chunk_p99": _percentile(median_round.first_chunk, 0.99),
        "duration_p50": _percentile(median_round.durations, 0.5),
        "duration_p99": _percentile(median_round.durations, 0.99),
        "errors": errors,
        "streams_checked": args.streams * len(rounds_errors),
        "rss_per_stream": None if rss_peak is None else rss_peak / args.streams,
        "traced_per_stream": None if traced_peak is None else traced_peak / args.streams,
    }


# --- the parent: server, one worker per client, the table ---------------------------------------


def _size(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1024:.1f} KiB" if value < 1024 * 1024 else f"{value / 1024 / 1024:.2f} MiB"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"


def table(results: list[dict[str, Any]]) -> str:
    first = results[0]
    lines = [
        f"### {first['streams']:,} simultaneous streams × {first['chunks']:,} chunks, "
        f"loopback, one event loop, {first['per_client']:,} streams per httpx.AsyncClient",
        "",
        "| client | wall s | events/s | streams/s | most open | first chunk p50/p99 ms "
        "| duration p50/p99 ms | errors | RSS/stream | traced/stream |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        events = r["streams"] * r["chunks"]
        errors = sum(r["errors"].values())
        detail = ", ".join(f"{k}: {v}" for k, v in r["errors"].items())
        lines.append(
            f"| {r['client']} | {r['wall']:.2f} | {events / r['wall']:,.0f} "
            f"| {r['streams'] / r['wall']:,.0f} "
            f"| {r['most_open']:,} | {_ms(r['first_chunk_p50'])}/{_ms(r['first_chunk_p99'])} "
            f"| {_ms(r['duration_p50'])}/{_ms(r['duration_p99'])} "
            f"| {errors}{f' ({detail})' if detail else ''} of {r['streams_checked']:,} "
            f"| {_size(r['rss_per_stream'])} | {_size(r['traced_per_stream'])} |"
        )
    by_client = {r["client"]: r for r in results}
    mine = by_client.get("r9s")
    if mine is not None:
        notes = [
            f"{other['wall'] / mine['wall']:.1f}× the throughput of {name}"
            for name, other in by_client.items()
            if name != "r9s"
        ]
        if notes:
            lines += ["", "- r9s: " + ", ".join(notes)]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=1000, help="simultaneous streams (default 1000)")
    parser.add_argument("--chunks", type=int, default=200, help="chunks per stream (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per client (median; default 5)")
    parser.add_argument("--clients", default="r9s,openai", help="comma-separated: " + ",".join(CLIENTS))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a round may take (default 120)")
    parser.add_argument(
        "--per-client",
        type=int,
        default=50,
        help="streams per httpx.AsyncClient (default 50; 0: one client, one connection pool for all — "
        "httpcore's pool bookkeeping is quadratic in its connections and then dominates)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the tracemalloc round")
    parser.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    parser.add_argument("--worker", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.clients = [c for c in args.clients.split(",") if c]
    unknown = set(args.clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")
    if not 1 <= args.streams <= 10_000 or args.chunks < 8 or args.rounds < 1:
        parser.error("need 1 ≤ --streams ≤ 10000, --chunks ≥ 8, --rounds ≥ 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(asyncio.run(work(args))))
        return
    print(f"# r9s_stream concurrency benchmark · {machine()}")
    print(
        f"# wall = median of {args.rounds} rounds; memory per stream: RSS peak over round 1, "
        "tracemalloc peak in an extra round\n"
    )
    results = []
    with LoopbackServer([(KIND, args.chunks)], args.seed) as server:
        for client in args.clients:
            command = [
                sys.executable,
                __file__,
                *("--worker", client, "--port", str(server.port), "--streams", str(args.streams)),
                *("--chunks", str(args.chunks), "--rounds", str(args.rounds), "--timeout", str(args.timeout)),
                *("--seed", str(args.seed), "--per-client", str(args.per_client)),
                *(["--no-tracemalloc"] if args.no_tracemalloc else []),
            ]
            budget = args.timeout * (args.rounds + 3) + 60
            done = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the {client} worker failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(table(results), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
