"""Many simultaneous streams through ONE client, on one event loop, against a loopback server.

    python benchmarks/concurrency.py                                  # 1,000 and 10,000 streams × 100 chunks
    python benchmarks/concurrency.py --streams 1000 --clients r9s,limit --rounds 1   # quick look
    python benchmarks/concurrency.py --quick                          # smoke run (CI): 20 streams × 20 chunks
    python benchmarks/concurrency.py --per-request                    # 1,000 complete() calls, 10/100 chunks

The server (``_stream_server.py``, raw asyncio in its own process) answers every request
with the same content stream, one event per write, all open streams written in turns, as
live servers flush every token. The server runs ahead of a busy client, though: with 100 to
1,000 streams open, a client's read held ~16 events (measured for r9s_stream and the limit
alike: ~6 reads per stream of 100 chunks), so this measures many streams, not the one-event
read (that is ``stream.py --pieces event`` and ``callgrind.py``). Each
client runs in a fresh worker process of its own (one client's memory cannot flatter or
burden the next), which opens all ``--streams`` streams at once through **one** client
object — the way an application shares one client — reads each to the end and checks it
(chunk count and rebuilt text); anything else, an exception included, counts as an error.
Every client is allowed as many connections as there are streams. A round is bounded by
``--timeout``.

Reported per client: wall time of a round (median of ``--rounds``; a round includes opening
the connections), events/s over all streams, the worker's CPU seconds in that round, the
server's CPU seconds per round (it must stay well below the wall time: the server is not
what is measured), peak RSS per stream (``VmHWM`` reset through ``/proc/self/clear_refs``
before the first round, minus ``VmRSS`` before it, over the stream count), p50/p99 time to
first chunk (of the median round) and errors over every round.

Clients (``--clients``):

- ``r9s`` — r9s_stream's default ``rs.AsyncClient()`` (httpx on the aiohttp transport on
  asyncio), iterate + accumulate, ``stream.completion``;
- ``r9s-httpx`` — the same on httpx's own transport (httpcore's pool);
- ``openai`` — openai-python's ``AsyncOpenAI`` on its default client (httpx2), iterating
  ``AsyncStream`` and joining the content by hand;
- ``openai-aiohttp`` — the same with ``http_client=DefaultAioHttpClient()``;
- ``limit-httpx`` — the same hand-rolled loop on ``httpx.AsyncClient`` over httpx-aiohttp's
  transport (``client.stream()``, ``aiter_raw()``): the floor of any client that keeps
  httpx's API on that transport, as r9s_stream's default does;
- ``limit`` — the hand-rolled limit on aiohttp: one ``aiohttp.ClientSession``, the body
  split on blank lines by hand, one msgspec decode per event, no SSE rules, no accumulation;
- ``r9s-complete`` — ``await client.complete(...)`` on a default ``rs.AsyncClient()``;
- ``aconnect`` — ``rs.aconnect_chat_stream`` on a plain ``httpx.AsyncClient`` over
  httpx-aiohttp's transport, ``await stream.until_done()``;
- ``loop-httpx`` — the hand-rolled loop on that plain client as a user would write it:
  ``client.stream()``, ``aiter_bytes()``, split on blank lines, one msgspec decode per event.

``--per-request`` is the shape of the cost of a request (issue 19): 1,000 simultaneous
``complete()`` calls against ``loop-httpx`` and ``aconnect``, with 10- and 100-chunk replies,
the server answering each request in its own handler, one write and ``drain()`` per event
(``_stream_server.py --drain``). Each contender runs in a fresh process taking the best of
two rounds; the contenders are interleaved ``--repeats`` times (default 5), and the table
shows the median of those bests and its ratio to ``loop-httpx``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from _common import REQUEST, machine, stop_process
from _payloads import make_payload
from _stream_server import raise_file_limit

import r9s_stream as rs

HERE = Path(__file__).resolve().parent
CLIENTS = (
    "r9s",
    "r9s-httpx",
    "openai",
    "openai-aiohttp",
    "limit-httpx",
    "limit",
    "r9s-complete",
    "aconnect",
    "loop-httpx",
)
PER_REQUEST_CLIENTS = ("loop-httpx", "r9s-complete", "aconnect")
LABELS = {
    "r9s": "r9s_stream, default rs.AsyncClient()",
    "r9s-httpx": "r9s_stream on httpx's own transport",
    "openai": "openai-python AsyncStream, default client (httpx2)",
    "openai-aiohttp": "openai-python AsyncStream, DefaultAioHttpClient",
    "limit-httpx": "hand-rolled limit on httpx + httpx-aiohttp",
    "limit": "hand-rolled limit on aiohttp",
    "r9s-complete": "r9s_stream client.complete(), default rs.AsyncClient()",
    "aconnect": "r9s_stream aconnect_chat_stream on httpx + httpx-aiohttp",
    "loop-httpx": "hand-rolled loop on httpx + httpx-aiohttp (aiter_bytes)",
}
MESSAGES: Any = REQUEST["messages"]
_event_decoder = msgspec.json.Decoder(rs.ChatCompletionStreamEvent)


# --- the worker: one client, one process ------------------------------------------------------


@dataclass
class Round:
    wall: float = 0.0
    cpu: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    first_chunk: list[float] = field(default_factory=list)

    def error(self, name: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1


def _r9s_client(base_url: str, streams: int, own_transport: bool, timeout: float) -> rs.AsyncClient:
    if "transport" in inspect.signature(rs.AsyncClient).parameters:  # the default transport choice
        choice: dict[str, Any] = {"transport": "httpx"} if own_transport else {}
        return rs.AsyncClient(api_key="sk-bench", base_url=base_url, max_retries=0, timeout=timeout, **choice)
    import httpx

    # Before r9s_stream chose its transport itself: the same stacks, built by hand.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    if own_transport:
        http = httpx.AsyncClient(limits=limits, timeout=timeout)
    else:
        from httpx_aiohttp import AiohttpTransport

        http = httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=timeout)
    return rs.AsyncClient(
        api_key="sk-bench", base_url=base_url, max_retries=0, timeout=timeout, http_client=http
    )


class Worker:
    def __init__(self, args: argparse.Namespace) -> None:
        self.client = args.worker
        self.base_url = f"http://127.0.0.1:{args.port}/v1"
        self.chunks = args.chunks
        self.timeout = args.timeout
        self.expected = make_payload("content", args.chunks, 0).content

    def make_client(self, streams: int) -> Any:
        if self.client in ("r9s", "r9s-httpx", "r9s-complete"):
            return _r9s_client(self.base_url, streams, self.client == "r9s-httpx", self.timeout)
        if self.client in ("limit-httpx", "aconnect", "loop-httpx"):
            import httpx
            from httpx_aiohttp import AiohttpTransport

            # No connection cap (0 is aiohttp's "none"; httpx-aiohttp leaves 100 for None).
            uncapped = httpx.Limits(max_connections=0, max_keepalive_connections=None)
            return httpx.AsyncClient(transport=AiohttpTransport(limits=uncapped), timeout=self.timeout)
        if self.client == "limit":
            import aiohttp

            return aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        import httpx2
        from openai import AsyncOpenAI, DefaultAioHttpClient, DefaultAsyncHttpxClient

        # openai-python's own defaults, but as many connections as streams (its default is 1,000).
        limits = httpx2.Limits(max_connections=streams, max_keepalive_connections=streams)
        kind = DefaultAioHttpClient if self.client == "openai-aiohttp" else DefaultAsyncHttpxClient
        return AsyncOpenAI(
            api_key="sk-bench",
            base_url=self.base_url,
            max_retries=0,
            timeout=self.timeout,
            http_client=kind(limits=limits, timeout=self.timeout),
        )

    async def read_one(self, client: Any, state: Round) -> None:
        started = time.perf_counter()
        first: float | None = None
        events = 0
        text: str | None
        try:
            if self.client in ("r9s", "r9s-httpx"):
                async with client.stream(model="gpt-4o", messages=MESSAGES) as s:
                    async for _ in s:
                        if first is None:
                            first = time.perf_counter()
                        events += 1
                    text = s.completion.choices[0].message.content
            elif self.client == "r9s-complete":
                completion = await client.complete(model="gpt-4o", messages=MESSAGES)
                # complete() hands out no chunks: the rebuilt text and the usage chunk stand for them.
                events = self.chunks if completion.usage is not None else 0
                text = completion.choices[0].message.content
            elif self.client == "aconnect":
                url = self.base_url + "/chat/completions"
                async with rs.aconnect_chat_stream(client, "POST", url, json=REQUEST) as s:
                    text = (await s.until_done()).choices[0].message.content
                    events = s.stats.chunks
            elif self.client == "loop-httpx":
                url = self.base_url + "/chat/completions"
                async with client.stream("POST", url, json=REQUEST) as response:
                    events, first, text = await _limit_read(response.aiter_bytes())
            elif self.client == "limit":
                async with client.post(self.base_url + "/chat/completions", json=REQUEST) as response:
                    events, first, text = await _limit_read(response.content.iter_any())
            elif self.client == "limit-httpx":
                # The floor of any client that keeps httpx's API on httpx-aiohttp, as r9s_stream does.
                url = self.base_url + "/chat/completions"
                async with client.stream("POST", url, json=REQUEST) as response:
                    events, first, text = await _limit_read(response.aiter_raw())
            else:
                parts = []
                stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
                async with stream:
                    async for chunk in stream:
                        if first is None:
                            first = time.perf_counter()
                        events += 1
                        for choice in chunk.choices:
                            if choice.delta.content is not None:
                                parts.append(choice.delta.content)
                text = "".join(parts)
        except Exception as exc:
            state.error(type(exc).__name__)
            return
        if events != self.chunks or text != self.expected:
            state.error("wrong result")
            return
        state.first_chunk.append((first or time.perf_counter()) - started)

    async def round(self, client: Any, streams: int) -> Round:
        state = Round()
        started, cpu = time.perf_counter(), time.process_time()
        tasks = [asyncio.ensure_future(self.read_one(client, state)) for _ in range(streams)]
        _, pending = await asyncio.wait(tasks, timeout=self.timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            for _ in pending:
                state.error(f"not done within {self.timeout}s")
        state.wall = time.perf_counter() - started
        state.cpu = time.process_time() - cpu
        return state


async def _limit_read(body: Any) -> tuple[int, float | None, str]:
    """The limit's loop over a body's reads: blocks split by hand, one decode per event.

    Returns the events read, when the first came, and the content joined.
    """
    parts = []
    buffer = b""
    first: float | None = None
    events = 0
    decode = _event_decoder.decode
    async for data in body:
        *blocks, buffer = (buffer + data).split(b"\n\n")
        for block in blocks:
            payload = block[6:]
            if payload == b"[DONE]":
                break
            event = decode(payload)
            if first is None:
                first = time.perf_counter()
            events += 1
            for choice in event.choices:
                if choice.delta is not None and choice.delta.content is not None:
                    parts.append(choice.delta.content)
    return events, first, "".join(parts)


async def _close(client: Any) -> None:
    close = getattr(client, "aclose", None) or client.close
    await close()


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
    client = worker.make_client(args.streams)
    try:
        await worker.round(client, min(10, args.streams))  # warm-up: imports, first connections
        gc.collect()
        rss_before = _status("VmRSS")
        rss_peak: int | None = None
        rounds = []
        for number in range(args.rounds):
            if number == 0 and not _reset_peak_rss():
                rss_before = -1
            rounds.append(await worker.round(client, args.streams))
            if number == 0 and rss_before >= 0:
                rss_peak = _status("VmHWM") - rss_before
            gc.collect()
    finally:
        await _close(client)
    median_round = sorted(rounds, key=lambda r: r.wall)[len(rounds) // 2]
    errors: dict[str, int] = {}
    for r in rounds:
        for name, count in r.errors.items():
            errors[name] = errors.get(name, 0) + count
    return {
        "client": args.worker,
        "streams": args.streams,
        "chunks": args.chunks,
        "walls": [r.wall for r in rounds],
        "wall": median_round.wall,
        "cpu": median_round.cpu,
        "best": min(r.wall for r in rounds),
        "best_cpu": min(rounds, key=lambda r: r.wall).cpu,
        "first_chunk_p50": _percentile(median_round.first_chunk, 0.5),
        "first_chunk_p99": _percentile(median_round.first_chunk, 0.99),
        "errors": errors,
        "streams_checked": args.streams * len(rounds),
        "rss_per_stream": None if rss_peak is None else rss_peak / args.streams,
    }


def count_round(args: argparse.Namespace) -> None:
    """Under callgrind: one round of ``--streams`` requests, the only code counted (``--callgrind``).

    Collection is switched on inside ``sys.call_tracing`` only (``--toggle-collect``); the
    warm-up round before it, on the same loop and client, fills the pool's first connections,
    the lazy imports and the caches, so the count is what a warm client pays per request.
    """
    worker = Worker(args)
    loop = asyncio.new_event_loop()
    client = worker.make_client(args.streams)
    try:
        warm = loop.run_until_complete(worker.round(client, min(100, args.streams)))
        counted = sys.call_tracing(loop.run_until_complete, (worker.round(client, args.streams),))
        loop.run_until_complete(_close(client))
    finally:
        loop.close()
    errors = {**warm.errors, **counted.errors}
    if errors:
        raise SystemExit(f"{args.worker}: errors under callgrind: {errors}")


# --- the parent: server, one worker per client, the table ---------------------------------------


class StreamServer:
    """``_stream_server.py`` in a subprocess; ``cpu()`` reads its CPU seconds so far."""

    def __init__(self, chunks: int, drain: bool = False) -> None:
        command = [sys.executable, str(HERE / "_stream_server.py"), "--chunks", str(chunks)]
        if drain:
            command.append("--drain")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise SystemExit(f"the stream server did not start: {line!r}")
        self.port = int(line.split()[1])

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        stop_process(self.process)


def _size(value: float | None) -> str:
    return "–" if value is None else f"{value / 1024:.1f} KiB"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"


def table(results: list[dict[str, Any]]) -> str:
    first = results[0]
    lines = [
        f"### {first['streams']:,} simultaneous streams × {first['chunks']:,} chunks through one client, "
        "loopback, one event per write",
        "",
        "| client | wall s | events/s | CPU s | server CPU s | RSS/stream | first chunk p50/p99 ms "
        "| errors | × limit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_client = {r["client"]: r for r in results}
    limit = by_client.get("limit")
    for r in results:
        events = r["streams"] * r["chunks"]
        errors = sum(r["errors"].values())
        detail = ", ".join(f"{k}: {v}" for k, v in r["errors"].items())
        ratio = f"{r['wall'] / limit['wall']:.2f}" if limit is not None else "–"
        lines.append(
            f"| {LABELS[r['client']]} | {r['wall']:.2f} | {events / r['wall']:,.0f} | {r['cpu']:.2f} "
            f"| {r['server_cpu']:.2f} | {_size(r['rss_per_stream'])} "
            f"| {_ms(r['first_chunk_p50'])}/{_ms(r['first_chunk_p99'])} "
            f"| {errors}{f' ({detail})' if detail else ''} of {r['streams_checked']:,} | {ratio} |"
        )
    mine = by_client.get("r9s")
    if mine is not None:
        notes = [
            f"{other['wall'] / mine['wall']:.1f}× faster than {LABELS[name]}"
            for name, other in by_client.items()
            if name not in ("r9s", "limit", "limit-httpx")
        ]
        floor = by_client.get("limit-httpx")
        if floor is not None:
            notes.insert(0, f"{mine['wall'] / floor['wall']:.2f}× the limit on httpx + httpx-aiohttp")
        if limit is not None:
            notes.insert(0, f"{mine['wall'] / limit['wall']:.2f}× the limit's wall time")
        if notes:
            lines += ["", "- r9s_stream default: " + ", ".join(notes)]
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def request_table(runs: dict[str, list[dict[str, Any]]]) -> str:
    """The per-request table: each client's best-of-rounds wall time per run, their median, the ratio."""
    first = next(iter(runs.values()))[0]
    lines = [
        f"### {first['streams']:,} simultaneous requests × {first['chunks']:,} chunks through one client, "
        "loopback, one write + drain() per event",
        "",
        "| client | best of rounds, each run (s) | median s | CPU s | errors | × loop |",
        "|---|---|---:|---:|---:|---:|",
    ]
    floor = runs.get("loop-httpx")
    base = _median([r["best"] for r in floor]) if floor else None
    for client, results in runs.items():
        wall = _median([r["best"] for r in results])
        cpu = _median([r["best_cpu"] for r in results])
        errors = sum(sum(r["errors"].values()) for r in results)
        checked = sum(r["streams_checked"] for r in results)
        each = ", ".join(f"{r['best']:.3f}" for r in results)
        ratio = f"{wall / base:.2f}" if base else "–"
        lines.append(
            f"| {LABELS[client]} | {each} | {wall:.3f} | {cpu:.2f} | {errors} of {checked:,} | {ratio} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--streams", default="1000,10000", help="simultaneous streams, comma-separated (default 1000,10000)"
    )
    parser.add_argument(
        "--chunks", default=None, help="chunks per stream, comma-separated (100; --per-request: 10,100)"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="timed rounds per client (median; 3, --per-request: 2)"
    )
    parser.add_argument(
        "--clients",
        default=None,
        help="comma-separated (default all but the per-request ones): " + ",".join(CLIENTS),
    )
    parser.add_argument(
        "--per-request",
        action="store_true",
        help="1,000 complete() calls vs the hand-rolled httpx loop, 10 and 100 chunks, drain() server",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="--per-request: interleaved runs per client (default 5)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a round may take (default 300)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 streams × 20 chunks, 1 round")
    parser.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    parser.add_argument("--worker", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="--per-request: count each client's instructions per request under valgrind instead of timing",
    )
    args = parser.parse_args(argv)
    per_request = args.per_request
    defaults = {
        "streams": "1000" if per_request else "1000,10000",
        "chunks": "10,100" if per_request else "100",
        "rounds": 2 if per_request else 3,
        "repeats": 5 if per_request else 1,
        "clients": ",".join(PER_REQUEST_CLIENTS if per_request else CLIENTS[:6]),
    }
    if args.quick:
        defaults.update(streams="20", chunks="10" if per_request else "20", rounds=1, repeats=1)
        args.streams = args.chunks = args.rounds = args.repeats = None
    if args.streams == "1000,10000" and per_request:
        args.streams = None
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.streams = [int(x.replace("_", "")) for x in str(args.streams).split(",") if x]
    args.chunks = [int(x) for x in str(args.chunks).split(",") if x]
    args.clients = [c for c in args.clients.split(",") if c]
    unknown = set(args.clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")
    if (
        not all(1 <= n <= 20_000 for n in args.streams)
        or min(args.chunks, default=0) < 8
        or args.rounds < 1
        or args.repeats < 1
    ):
        parser.error("need 1 ≤ --streams ≤ 20000, --chunks ≥ 8, --rounds ≥ 1, --repeats ≥ 1")
    return args


def _available(client: str) -> bool:
    import importlib.util

    needs = {"openai": "openai", "openai-aiohttp": "openai", "limit": "aiohttp"}.get(client)
    return needs is None or importlib.util.find_spec(needs) is not None


def run_worker(args: argparse.Namespace, server: StreamServer, client: str, streams: int, chunks: int) -> Any:
    """One client's rounds in a fresh worker process: its result, with the server's CPU per round."""
    command = [
        sys.executable,
        __file__,
        *("--worker", client, "--port", str(server.port), "--streams", str(streams)),
        *("--chunks", str(chunks), "--rounds", str(args.rounds)),
        *("--timeout", str(args.timeout)),
    ]
    server_cpu = server.cpu()
    budget = args.timeout * (args.rounds + 2) + 60
    done = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {client} worker failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Warm-up round included: an upper bound on the server's share of a round.
    result["server_cpu"] = (server.cpu() - server_cpu) / args.rounds
    return result


_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def count_worker(
    args: argparse.Namespace, server: StreamServer, client: str, streams: int, chunks: int
) -> int:
    """Instructions one client spends on a round of ``streams`` requests (callgrind, a fresh process)."""
    command = [
        shutil.which("valgrind") or "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--collect-atstart=no",
        "--toggle-collect=_PyEval_CallTracing",
        sys.executable,
        __file__,
        *("--worker", client, "--port", str(server.port), "--streams", str(streams)),
        *("--chunks", str(chunks), "--timeout", str(args.timeout), "--callgrind"),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    found = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"callgrind run of {client} failed:\n{done.stderr[-3000:]}")
    return int(found[-1])


def count_table(counts: dict[str, int], streams: int, chunks: int) -> str:
    """Instructions per request of each client, and the ratio to ``loop-httpx``."""
    base = counts.get("loop-httpx")
    lines = [
        f"### instructions per request (callgrind): {streams:,} simultaneous requests × {chunks:,} chunks",
        "",
        "| client | instructions per request | × loop |",
        "|---|---:|---:|",
    ]
    for client, total in counts.items():
        ratio = f"{total / base:.2f}" if base else "–"
        lines.append(f"| {LABELS[client]} | {total / streams:,.0f} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    files = raise_file_limit(65536)
    if args.worker:
        args.streams, args.chunks = args.streams[0], args.chunks[0]
        if files < args.streams + 100:
            raise SystemExit(f"{args.streams} streams need more open files than the limit of {files}")
        if args.callgrind:
            count_round(args)
        else:
            print(json.dumps(asyncio.run(work(args))))
        return
    print(f"# r9s_stream concurrency benchmark · {machine()}")
    if args.per_request:
        print(
            f"# each run: a fresh process, best of {args.rounds} rounds; "
            f"{args.repeats} runs per client, interleaved; median of the runs\n"
        )
    else:
        print(f"# wall = median of {args.rounds} rounds; RSS per stream: peak over round 1\n")
    clients = [c for c in args.clients if _available(c)]
    for client in sorted(set(args.clients) - set(clients)):
        print(f"({client}: not installed, skipped)", file=sys.stderr)
    records = []
    for chunks in args.chunks:
        server = StreamServer(chunks, drain=args.per_request)
        try:
            for streams in args.streams:
                if args.callgrind:
                    counts = {c: count_worker(args, server, c, streams, chunks) for c in clients}
                    print(count_table(counts, streams, chunks), flush=True)
                    print(flush=True)
                    continue
                runs: dict[str, list[dict[str, Any]]] = {client: [] for client in clients}
                for _ in range(args.repeats):  # interleaved: load drift hits every client alike
                    for client in clients:
                        runs[client].append(run_worker(args, server, client, streams, chunks))
                results = [result for client_runs in runs.values() for result in client_runs]
                if results:
                    print(request_table(runs) if args.per_request else table(results), flush=True)
                    print(flush=True)
                    records.extend(results)
        finally:
            server.close()
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "results": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
