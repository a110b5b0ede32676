"""Side-by-side streaming benchmark: r9s_stream against openai-python, httpx-sse and the limit.

Every contender reads the same generated stream (see ``_payloads.py``) and is timed end to
end: request, every chunk, and — for the accumulating ones — the final message. Streams are
served from memory through ``httpx.MockTransport`` in seeded 1–4 KiB pieces, or over real
sockets from a local uvicorn server in a separate process (``--transport loopback``).

    python benchmarks/stream.py                       # N=10,000, content + tools, memory + loopback
    python benchmarks/stream.py --n 1000,10000,100000 --kind content --transport memory
    python benchmarks/stream.py --only r9s,r9s-noacc,limit --repeats 9   # quick hot-path loop
    python benchmarks/stream.py --quick               # smoke run: N=200, 1 repeat

Per contender and run: µs per chunk (median of ``--repeats`` timed runs, run interleaved so
load drift hits everyone alike), MB/s of SSE body, peak memory (``tracemalloc`` peak above
the baseline, in one separate untimed run: allocations made by the client while reading,
not the pre-generated body), and the ratio to the hand-rolled limit. Each contender's output
is checked once per run against what was generated (chunk count, rebuilt text and tool calls)
so a broken contender cannot look fast.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
from _common import REQUEST, LoopbackServer, machine
from _payloads import KINDS, MIN_CHUNKS, Payload, make_payload, split_pieces

import r9s_stream as rs

TRANSPORTS = ("memory", "loopback")

_event_decoder = msgspec.json.Decoder(rs.ChatCompletionStreamEvent)


# --- what a run returns and how it is checked ----------------------------------------------


@dataclass
class Outcome:
    """What one contender read: the chunk count and, when collected, the rebuilt message."""

    events: int
    content: str | None = None
    tool_calls: list[tuple[str, str, str]] | None = None


_CallDelta = tuple[int, str | None, str | None, str | None]  # index, id, name, arguments


class Rebuilder:
    """Rebuilds content and tool calls from deltas (for contenders that do not accumulate)."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.calls: dict[int, list[str]] = {}  # index → [id, name, arguments…]
        self.has_content = False

    def add(
        self, content: str | None, tool_calls: list[tuple[int, str | None, str | None, str | None]]
    ) -> None:
        if content is not None:
            self.has_content = True
            self.content.append(content)
        for index, call_id, name, arguments in tool_calls:
            call = self.calls.setdefault(index, ["", ""])
            call[0] = call[0] or call_id or ""
            call[1] = call[1] or name or ""
            if arguments:
                call.append(arguments)

    def outcome(self, events: int) -> Outcome:
        calls = [(c[0], c[1], "".join(c[2:])) for _, c in sorted(self.calls.items())]
        return Outcome(events, "".join(self.content) if self.has_content else None, calls)

    def add_typed(self, event: rs.ChatCompletionStreamEvent) -> None:
        for choice in event.choices:
            delta = choice.delta
            if delta is None:
                continue
            calls = [
                (
                    c.index or 0,
                    c.id,
                    None if c.function is None else c.function.name,
                    None if c.function is None else c.function.arguments,
                )
                for c in delta.tool_calls or []
            ]
            self.add(delta.content, calls)

    def add_dict(self, event: dict[str, Any]) -> None:
        for choice in event["choices"]:
            delta = choice.get("delta") or {}
            calls = [
                (
                    c.get("index", 0),
                    c.get("id"),
                    (c.get("function") or {}).get("name"),
                    (c.get("function") or {}).get("arguments"),
                )
                for c in delta.get("tool_calls") or []
            ]
            self.add(delta.get("content"), calls)


def check(name: str, payload: Payload, outcome: Outcome, *, full: bool) -> None:
    """Raise unless the contender read every chunk (and, when ``full``, rebuilt the message)."""
    problems = []
    if outcome.events != payload.chunks:
        problems.append(f"read {outcome.events} chunks, {payload.chunks} were sent")
    if full:
        content = outcome.content or None
        expected = payload.content or None
        if content != expected:
            problems.append(f"content differs ({len(content or '')} vs {len(expected or '')} characters)")
        if (outcome.tool_calls or []) != payload.tool_calls:
            problems.append("tool calls differ")
    if problems:
        raise SystemExit(f"{name} is broken on {payload.kind}/{payload.chunks}: {'; '.join(problems)}")


# --- where the bytes come from ---------------------------------------------------------------


class PiecesStream(httpx.AsyncByteStream):
    """A response body that yields pre-cut pieces, one per read."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def memory_transport(payload: Payload, seed: int) -> httpx.MockTransport:
    pieces = split_pieces(payload.body, seed)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream; charset=utf-8"},
            stream=PiecesStream(pieces),
        )

    return httpx.MockTransport(answer)


# --- the contenders ---------------------------------------------------------------------------


@dataclass
class Context:
    """One stream to read, and the clients to read it with (built once, reused by every run)."""

    payload: Payload
    base_url: str
    http: httpx.AsyncClient
    openai: Any  # openai.AsyncOpenAI (optional dependency)

    @property
    def url(self) -> str:
        return self.base_url + "/chat/completions"


Runner = Callable[[Context, bool], Awaitable[Outcome]]


async def run_r9s(ctx: Context, collect: bool) -> Outcome:
    """r9s_stream's full path: typed chunks, accumulated, ``stream.completion`` read at the end."""
    events = 0
    async with rs.aconnect_chat_stream(ctx.http, "POST", ctx.url, json=REQUEST) as stream:
        async for _ in stream:
            events += 1
        completion = stream.completion
    message = completion.choices[0].message
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    return Outcome(events, message.content, calls)


async def run_r9s_noacc(ctx: Context, collect: bool) -> Outcome:
    """r9s_stream with ``accumulate=False``: typed chunks only."""
    events = 0
    rebuilder = Rebuilder()
    async with rs.aconnect_chat_stream(ctx.http, "POST", ctx.url, json=REQUEST, accumulate=False) as stream:
        if collect:
            async for event in stream:
                events += 1
                rebuilder.add_typed(event)
        else:
            async for _ in stream:
                events += 1
    return rebuilder.outcome(events)


async def run_openai_stream(ctx: Context, collect: bool) -> Outcome:
    """openai-python: ``chat.completions.create(stream=True)`` and iterate its ``AsyncStream``."""
    events = 0
    rebuilder = Rebuilder()
    stream = await ctx.openai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Write a long answer."}], stream=True
    )
    async with stream:
        async for chunk in stream:
            events += 1
            if collect:
                rebuilder.add_dict(chunk.model_dump())
    return rebuilder.outcome(events)


async def run_openai_helper(ctx: Context, collect: bool) -> Outcome:
    """openai-python's accumulating helper: ``chat.completions.stream()`` → final completion."""
    events = 0
    async with ctx.openai.chat.completions.stream(
        model="gpt-4o", messages=[{"role": "user", "content": "Write a long answer."}]
    ) as stream:
        async for event in stream:
            if event.type == "chunk":
                events += 1
        completion = await stream.get_final_completion()
    message = completion.choices[0].message
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    return Outcome(events, message.content, calls)


async def run_sse_json(ctx: Context, collect: bool) -> Outcome:
    """httpx-sse ``aiter_sse()`` + ``json.loads`` per event."""
    from httpx_sse import aconnect_sse

    events = 0
    rebuilder = Rebuilder()
    loads = json.loads
    async with aconnect_sse(ctx.http, "POST", ctx.url, json=REQUEST) as source:
        async for sse in source.aiter_sse():
            if sse.data == "[DONE]":
                break
            chunk = loads(sse.data)
            events += 1
            if collect:
                rebuilder.add_dict(chunk)
    return rebuilder.outcome(events)


async def run_sse_msgspec(ctx: Context, collect: bool) -> Outcome:
    """httpx-sse ``aiter_sse()`` + one msgspec decode per event into the typed struct."""
    from httpx_sse import aconnect_sse

    events = 0
    rebuilder = Rebuilder()
    decode = _event_decoder.decode
    async with aconnect_sse(ctx.http, "POST", ctx.url, json=REQUEST) as source:
        async for sse in source.aiter_sse():
            if sse.data == "[DONE]":
                break
            event = decode(sse.data)
            events += 1
            if collect:
                rebuilder.add_typed(event)
    return rebuilder.outcome(events)


async def run_limit(ctx: Context, collect: bool) -> Outcome:
    """The hand-rolled limit: split bytes on blank lines, strip ``data: ``, one msgspec decode each.

    Knows nothing of CR line endings, comments, multi-line data, BOMs or errors; it only
    shows how fast the common shape can be read at all.
    """
    decode = _event_decoder.decode
    events: list[rs.ChatCompletionStreamEvent] = []
    count = 0
    buffer = b""
    async with ctx.http.stream("POST", ctx.url, json=REQUEST) as response:
        async for data in response.aiter_bytes():
            *blocks, buffer = (buffer + data).split(b"\n\n")
            for block in blocks:
                payload = block[6:]
                if payload == b"[DONE]":
                    break
                event = decode(payload)
                count += 1
                if collect:
                    events.append(event)
    rebuilder = Rebuilder()
    for event in events:
        rebuilder.add_typed(event)
    return rebuilder.outcome(count)


@dataclass
class Contender:
    key: str
    label: str
    run: Runner
    accumulates: bool
    needs_openai: bool = False


CONTENDERS = [
    Contender("r9s", "r9s_stream (iterate + accumulate)", run_r9s, True),
    Contender("r9s-noacc", "r9s_stream accumulate=False", run_r9s_noacc, False),
    Contender("openai", "openai-python AsyncStream", run_openai_stream, False, needs_openai=True),
    Contender("openai-helper", "openai-python .stream() helper", run_openai_helper, True, needs_openai=True),
    Contender("sse-json", "httpx-sse + json.loads", run_sse_json, False),
    Contender("sse-msgspec", "httpx-sse + msgspec", run_sse_msgspec, False),
    Contender("limit", "limit: split bytes + msgspec", run_limit, False),
]


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    contender: Contender
    times: list[float] = field(default_factory=list)
    peak: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)


async def measure_memory(contender: Contender, ctx: Context) -> int:
    """Peak of traced Python allocations above the baseline during one run, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        await contender.run(ctx, False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return max(0, peak - baseline)


async def bench_one(
    contenders: list[Contender], ctx: Context, repeats: int, memory: bool, progress: bool
) -> list[Result]:
    results = [Result(c) for c in contenders]
    for result in results:
        c = result.contender
        if progress:
            print(f"  checking {c.key} …", file=sys.stderr, flush=True)
        check(c.label, ctx.payload, await c.run(ctx, True), full=True)  # warm-up and correctness
        if memory:
            result.peak = await measure_memory(c, ctx)
    for round_ in range(repeats):
        if progress:
            print(f"  round {round_ + 1}/{repeats}", file=sys.stderr, flush=True)
        for result in results:
            gc.collect()
            started = time.perf_counter()
            outcome = await result.contender.run(ctx, False)
            result.times.append(time.perf_counter() - started)
            check(result.contender.label, ctx.payload, outcome, full=result.contender.accumulates)
    return results


def _memory(size: int | None) -> str:
    if size is None:
        return "–"
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MiB"
    return f"{size / 1024:.0f} KiB"


def table(results: list[Result], payload: Payload, transport: str) -> str:
    by_key = {r.contender.key: r for r in results}
    limit = by_key.get("limit")
    lines = [
        f"### {payload.kind} stream, N={payload.chunks:,} chunks, {payload.size / 1e6:.2f} MB, {transport}",
        "",
        "| contender | µs/event | ± | MB/s | peak mem | × limit |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        median = r.median
        spread = (max(r.times) - min(r.times)) / 2 / median * 100 if len(r.times) > 1 else 0.0
        ratio = f"{median / limit.median:.2f}" if limit is not None else "–"
        lines.append(
            f"| {r.contender.label} | {median / payload.chunks * 1e6:.2f} | {spread:.0f}% "
            f"| {payload.size / median / 1e6:.1f} | {_memory(r.peak)} | {ratio} |"
        )
    lines.append("")
    for key in ("r9s", "r9s-noacc"):
        mine = by_key.get(key)
        if mine is None:
            continue
        notes = []
        if limit is not None:
            notes.append(f"{mine.median / limit.median:.2f}× the limit")
        for other_key in ("openai", "openai-helper", "sse-json", "sse-msgspec"):
            other = by_key.get(other_key)
            if other is not None:
                notes.append(f"{other.median / mine.median:.1f}× faster than {other.contender.label}")
        if notes:
            lines.append(f"- {mine.contender.label}: " + ", ".join(notes))
    return "\n".join(lines)


# --- the run ---------------------------------------------------------------------------------------


def _openai_client(base_url: str, http: httpx.AsyncClient) -> Any:
    try:
        from openai import AsyncOpenAI
    except ImportError:
        return None
    # openai-python 3.x types `http_client` as an httpx2 client but accepts a legacy httpx one
    # (openai/_httpx2.py), so every contender runs on the same HTTP stack.
    legacy_client: Any = http
    return AsyncOpenAI(api_key="sk-bench", base_url=base_url, http_client=legacy_client, max_retries=0)


async def run(args: argparse.Namespace, contenders: list[Contender]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    specs = [(kind, n) for n in args.n for kind in args.kind]
    server = LoopbackServer(specs, args.seed) if "loopback" in args.transport else None
    try:
        for transport in args.transport:
            for kind, n in specs:
                payload = make_payload(kind, n, args.seed)
                if transport == "memory":
                    base_url = "http://bench.memory/v1"
                    http = httpx.AsyncClient(transport=memory_transport(payload, args.seed))
                else:
                    assert server is not None
                    base_url = server.base_url(kind, n)
                    http = httpx.AsyncClient(timeout=httpx.Timeout(60.0))
                async with http:
                    openai = _openai_client(base_url, http)
                    chosen = [c for c in contenders if openai is not None or not c.needs_openai]
                    if len(chosen) < len(contenders):
                        print("(openai-python is not installed: its contenders are skipped)", file=sys.stderr)
                    ctx = Context(payload, base_url, http, openai)
                    if args.progress:
                        print(f"{kind} N={n} {transport}", file=sys.stderr, flush=True)
                    if args.profile:
                        await profile(next(c for c in CONTENDERS if c.key == args.profile), ctx)
                        continue
                    results = await bench_one(chosen, ctx, args.repeats, not args.no_memory, args.progress)
                print(table(results, payload, transport), flush=True)
                print(flush=True)
                records.extend(_record(r, payload, transport) for r in results)
    finally:
        if server is not None:
            server.close()
    return records


def _record(result: Result, payload: Payload, transport: str) -> dict[str, Any]:
    return {
        "contender": result.contender.key,
        "kind": payload.kind,
        "chunks": payload.chunks,
        "bytes": payload.size,
        "transport": transport,
        "seconds": result.times,
        "us_per_event": result.median / payload.chunks * 1e6,
        "mb_per_s": payload.size / result.median / 1e6,
        "peak_bytes": result.peak,
    }


async def profile(contender: Contender, ctx: Context) -> None:
    """Check once, then print where one run of ``contender`` spends its time (cProfile)."""
    import cProfile
    import pstats

    check(contender.label, ctx.payload, await contender.run(ctx, True), full=True)
    profiler = cProfile.Profile()
    profiler.enable()
    await contender.run(ctx, False)
    profiler.disable()
    print(f"### profile: {contender.label}, {ctx.payload.kind} N={ctx.payload.chunks:,}")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", default="10000", help="chunks per stream, comma-separated (default 10000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per contender (median; default 5)")
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all")
    parser.add_argument("--transport", choices=[*TRANSPORTS, "all"], default="all")
    parser.add_argument(
        "--only", default="", help="comma-separated contenders: " + ",".join(c.key for c in CONTENDERS)
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="PATH", help="also write every timing to PATH as JSON")
    parser.add_argument(
        "--profile", metavar="CONTENDER", help="print a cProfile of one run of CONTENDER instead of timing"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=200, 1 repeat, memory transport")
    parser.add_argument("--progress", action="store_true", help="progress on stderr")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats = "200", 1
        if "--transport" not in " ".join(argv if argv is not None else sys.argv):
            args.transport = "memory"
    args.n = [int(x.replace("_", "")) for x in args.n.split(",") if x]
    if any(n < MIN_CHUNKS for n in args.n):
        parser.error(f"--n must be at least {MIN_CHUNKS}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.kind = list(KINDS) if args.kind == "all" else [args.kind]
    args.transport = list(TRANSPORTS) if args.transport == "all" else [args.transport]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    keys = [k for k in args.only.split(",") if k]
    unknown = set(keys) - {c.key for c in CONTENDERS}
    if unknown:
        raise SystemExit(f"unknown contenders: {', '.join(sorted(unknown))}")
    contenders = [c for c in CONTENDERS if not keys or c.key in keys]
    if args.profile and args.profile not in {c.key for c in CONTENDERS}:
        raise SystemExit(f"unknown contender to profile: {args.profile}")
    print(f"# r9s_stream benchmark · {machine()}")
    print(
        f"# median of {args.repeats} · pieces of 1–4 KiB · peak mem = tracemalloc peak in a separate run"
        f"{' (skipped)' if args.no_memory else ''}\n"
    )
    records = asyncio.run(run(args, contenders))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "results": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
