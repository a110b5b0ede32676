"""What OpenTelemetry costs a stream: per chunk and per stream, with the extra absent, idle, or recording.

Four set-ups read the same generated content stream through ``AsyncClient.complete()`` over
``httpx.MockTransport`` (no network), in two read shapes: one event per read (a live server
flushing every token) and seeded 1–4 KiB reads (a fast server or a replay):

- ``absent``: as if ``opentelemetry-api`` were not installed (the ``otel`` extra absent);
- ``idle``: the API installed and imported by the application, no provider set (the global
  no-op ones); an application that never imports it costs what ``absent`` costs;
- ``sdk``: the SDK with an in-memory span exporter and metric reader, given to the client;
- ``sdk+content``: the same with ``capture_message_content=True``.

Each set-up runs streams of two lengths, interleaved with the others so load drift hits all
alike; the per-chunk cost is the slope between the two lengths (median times), the fixed
cost per stream the rest. ``--callgrind`` counts instructions instead of time: valgrind runs
a process reading a stream three times and one reading it twice, and the difference is one
warm stream, exact to a few instructions where timings on a shared machine are not; then the
same slope. ``--baseline-src`` adds the same count for another source tree (one from before
telemetry existed).

    python benchmarks/telemetry.py                     # N=200 and 2000, 9 repeats, time
    python benchmarks/telemetry.py --callgrind         # instruction counts (slow: minutes)
    python benchmarks/telemetry.py --quick             # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from _common import machine
from _payloads import make_payload, split_pieces

import r9s_stream as rs

HERE = Path(__file__).resolve().parent
SETUPS = ("absent", "idle", "sdk", "sdk+content")
# With --baseline-src: the same stream read by an r9s_stream from before telemetry existed.
BEFORE = "before telemetry"
SHAPES = ("one event per read", "1-4 KiB reads")
MESSAGES = [{"role": "user", "content": "Write a long answer."}]


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def _pieces(n: int, shape: str) -> list[bytes]:
    body = make_payload("content", n, seed=n).body
    if shape == SHAPES[1]:
        return split_pieces(body, seed=n)
    return [event + b"\n\n" for event in body.split(b"\n\n") if event]


def _transport(pieces: list[bytes]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream; charset=utf-8"}
        return httpx.Response(200, headers=headers, stream=_Pieces(pieces))

    return httpx.MockTransport(answer)


def _client_options(setup: str) -> tuple[dict[str, Any], Callable[[], None]]:
    """The AsyncClient arguments of a set-up, and what empties its exporters between runs."""
    if setup == "idle":  # the application imported the API (as setting up an SDK would), set nothing
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    if setup in ("absent", "idle"):
        return {}, lambda: None
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    options = {
        "tracer_provider": tracer_provider,
        "meter_provider": MeterProvider(metric_readers=[reader]),
        "capture_message_content": setup == "sdk+content",
    }
    return options, exporter.clear


class Runner:
    """One set-up's client over one stream's pieces: ``run()`` reads the stream once."""

    def __init__(self, setup: str, pieces: list[bytes]) -> None:
        self.setup = setup
        options, self._clear = _client_options(setup)
        http = httpx.AsyncClient(transport=_transport(pieces))
        self._client = rs.AsyncClient("sk-bench", "http://bench.invalid/v1", http_client=http, **options)

    async def run(self) -> None:
        _pretend_absent(self.setup == "absent")
        try:
            await self._client.complete(model="m", messages=MESSAGES)
        finally:
            _pretend_absent(False)
        self._clear()


def _pretend_absent(absent: bool) -> None:
    """Put telemetry in the state its lazy import ends in when ``opentelemetry`` is not installed."""
    if _INSTRUMENTS is not None:
        vars(_INSTRUMENTS)["_unavailable"] = absent


def _instruments_module() -> ModuleType | None:
    try:
        return importlib.import_module("r9s_stream._telemetry._instruments")
    except ImportError:  # an r9s_stream from before telemetry (--baseline-src): nothing to switch
        return None


# Looked up once: a failing import per stream would scan sys.path every time (≈ 200k instructions).
_INSTRUMENTS = _instruments_module()


async def _timings(ns: list[int], repeats: int) -> dict[tuple[str, str, int], float]:
    """Median seconds per stream for every set-up, shape and length, runs interleaved."""
    runners = {
        (setup, shape, n): Runner(setup, _pieces(n, shape))
        for shape in SHAPES
        for n in ns
        for setup in SETUPS
    }
    for runner in runners.values():  # warm-up: imports, tracers, instruments, caches
        await runner.run()
    samples: dict[tuple[str, str, int], list[float]] = {key: [] for key in runners}
    for _ in range(repeats):
        for key, runner in runners.items():
            start = time.perf_counter()
            await runner.run()
            samples[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in samples.items()}


def _instructions(setup: str, shape: str, n: int, baseline_src: str | None) -> int:
    """Instructions one warm stream of ``n`` chunks costs: a process reading it 3 times, less 2 times.

    Counts repeat to a few instructions from run to run (hash seed fixed, bytecode compiled
    beforehand), so the difference is exact where timings are not.
    """
    three, two = (_process_instructions(setup, shape, n, streams, baseline_src) for streams in (3, 2))
    return three - two


def _process_instructions(setup: str, shape: str, n: int, streams: int, baseline_src: str | None) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
            *(sys.executable, __file__, "--one", "absent" if setup == BEFORE else setup, shape, str(n)),
            str(streams),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        if setup == BEFORE and baseline_src is not None:
            env["PYTHONPATH"] = baseline_src
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        match = re.search(r"Collected : (\d+)", done.stderr)
        if match is None:
            raise SystemExit(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
        return int(match.group(1))


async def _repeat(runner: Runner, streams: int) -> None:
    for _ in range(streams):
        await runner.run()


def _table(
    costs: dict[tuple[str, str, int], float], ns: list[int], setups: tuple[str, ...], unit: str, scale: float
) -> str:
    small, large = ns
    lines = [
        f"| set-up | read shape | {unit}/chunk | vs absent | fixed {unit}/stream | vs absent |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for shape in SHAPES:
        base_chunk = base_fixed = 0.0
        for setup in setups:
            per_chunk = (costs[setup, shape, large] - costs[setup, shape, small]) / (large - small)
            fixed = costs[setup, shape, small] - per_chunk * small
            if setup == "absent":
                base_chunk, base_fixed = per_chunk, fixed
            chunk_change = f"{(per_chunk / base_chunk - 1) * 100:+.1f}%" if setup != "absent" else "—"
            fixed_change = f"{(fixed - base_fixed) * scale:+,.0f}" if setup != "absent" else "—"
            lines.append(
                f"| {setup} | {shape} | {per_chunk * scale:,.2f} | {chunk_change} "
                f"| {fixed * scale:,.0f} | {fixed_change} |"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", default="200,2000", help="two stream lengths in chunks (default 200,2000)")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per measurement (default 9)")
    parser.add_argument("--callgrind", action="store_true", help="count instructions with valgrind")
    parser.add_argument("--setups", default=",".join(SETUPS), help="with --callgrind: which set-ups to count")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at once (default 2)")
    parser.add_argument(
        "--baseline-src",
        help="with --callgrind: also count an r9s_stream source tree from before telemetry (its src/)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: N=50,200, 2 repeats")
    parser.add_argument("--one", nargs=4, metavar=("SETUP", "SHAPE", "N", "STREAMS"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.one:  # under valgrind: read the same stream STREAMS times in one event loop
        setup, shape, n, streams = args.one
        asyncio.run(_repeat(Runner(setup, _pieces(int(n), shape)), int(streams)))
        return
    ns = [50, 200] if args.quick else sorted(int(n) for n in args.n.split(","))
    if len(ns) != 2:
        raise SystemExit("--n takes two lengths")
    print(f"# Telemetry overhead, content stream, N={ns[0]} and {ns[1]}\n\n{machine()}\n")
    if args.callgrind:
        sources = [
            str(HERE.parent / "src"),
            HERE.as_posix(),
            *([args.baseline_src] if args.baseline_src else []),
        ]
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *sources], check=True
        )  # no compiling inside
        chosen = tuple(setup for setup in SETUPS if setup in args.setups.split(","))
        setups = (*chosen, BEFORE) if args.baseline_src else chosen
        keys = [(setup, shape, n) for shape in SHAPES for n in ns for setup in setups]
        with ThreadPoolExecutor(args.jobs) as pool:
            counts = pool.map(
                lambda key: float(_instructions(key[0], key[1], key[2], args.baseline_src)), keys
            )
            print(_table(dict(zip(keys, counts, strict=True)), ns, setups, "instructions", 1.0))
    else:
        timings = asyncio.run(_timings(ns, 2 if args.quick else args.repeats))
        print(_table(timings, ns, SETUPS, "µs", 1e6))


if __name__ == "__main__":
    main()
