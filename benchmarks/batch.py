"""The batch runner: a file of requests through ``r9s-stream batch``'s engine, beside hand-written loops.

Three contenders read the same input file (OpenAI Batch lines) and write a results file of
one JSON line per request, against the raw server of ``_stream_server.py --drain`` in its own
process (one write and ``drain()`` per event), each in a fresh process, best of ``--rounds``:

- ``r9s`` — ``client.batch_file(input, output, concurrency=C)`` on a default ``rs.AsyncClient``
  (validation pass, resume scan, retries, rate-limit bookkeeping, stats, the final check).
- ``loop-httpx`` — the loop a careful user writes: ``C`` workers taking lines lazily,
  ``httpx.AsyncClient(transport=httpx_aiohttp.AiohttpTransport())``, ``client.stream()``,
  ``aiter_bytes()``, split on blank lines, one msgspec decode per event, the text joined,
  one output line written and flushed per request. No retries, no resume, no validation.
- ``openai`` — openai-python the way most people write it: every line read, one task per
  request under an ``asyncio.Semaphore(C)``, ``asyncio.gather``, ``stream=True``.

``--memory`` measures r9s's peak RSS instead: an input of ``--lines`` requests (1,000,000 by
default) of short prompts whose output already answers all but ``--send`` of them (the
resume path: every line checked, every custom_id and the earlier output's state kept — the
most per-line state a run holds — and the rest sent), and 40,000 requests of 5 KB prompts
answered with 5 KB (its own server mode answers 10 chunks of 512 characters).

    python benchmarks/batch.py                      # 20,000 requests at concurrency 1,000
    python benchmarks/batch.py --quick              # a smoke run (what the test suite runs)
    python benchmarks/batch.py --memory --lines 1000000
    python benchmarks/batch.py --callgrind          # instructions per request, 3,000 at 300

``--callgrind`` counts each contender's instructions under callgrind instead of timing it
(the trustworthy figure on a noisy machine), 3,000 requests at concurrency 300 by default:
one run of all of them and one of a tenth, so that what a request costs (file reading and
writing included) is told apart from what a run pays once (lazy imports, TLS contexts).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

HERE = Path(__file__).resolve().parent
CONTENDERS = ("r9s", "loop-httpx", "openai")
LABELS = {
    "r9s": "r9s_stream client.batch_file()",
    "loop-httpx": "hand-rolled loop, httpx + httpx-aiohttp",
    "openai": "openai-python AsyncOpenAI + Semaphore + gather",
}


def write_input(path: Path, lines: int, prompt_bytes: int) -> None:
    """``lines`` OpenAI Batch lines, each with a prompt of about ``prompt_bytes`` characters."""
    filler = ("Summarise this paragraph about streaming clients. " * (prompt_bytes // 50 + 1))[:prompt_bytes]
    with path.open("wb") as file:
        for i in range(lines):
            body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"{i} {filler}"}]}
            file.write(msgspec.json.encode({"custom_id": f"request-{i}", "body": body}) + b"\n")


# --- the workers (each contender in a fresh process) ---------------------------------------------


class _Delta(msgspec.Struct):
    content: str | None = None


class _Choice(msgspec.Struct):
    delta: _Delta | None = None


class _Event(msgspec.Struct):
    choices: list[_Choice] = []


_event_decoder = msgspec.json.Decoder(_Event)


async def run_r9s(base_url: str, source: Path, output: Path, concurrency: int) -> int:
    import r9s_stream as rs

    async with rs.AsyncClient(base_url=base_url, api_key="sk-bench") as client:
        summary = await client.batch_file(source, output, concurrency=concurrency)
    return summary.failed


async def run_loop(base_url: str, source: Path, output: Path, concurrency: int) -> int:
    import httpx
    from httpx_aiohttp import AiohttpTransport

    url = base_url + "/chat/completions"
    errors = 0
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=0))
    headers = {"Authorization": "Bearer sk-bench", "Accept": "text/event-stream"}
    with source.open("rb") as lines, output.open("ab") as out:
        queue = iter(lines)

        async def worker(http: httpx.AsyncClient) -> None:
            nonlocal errors
            for line in queue:  # one line at a time: the iterator is shared by the workers
                request = msgspec.json.decode(line)
                body = request["body"]
                body["stream"] = True
                try:
                    async with http.stream(
                        "POST", url, content=msgspec.json.encode(body), headers=headers
                    ) as r:
                        parts, buffer = [], b""
                        async for data in r.aiter_bytes():
                            *blocks, buffer = (buffer + data).split(b"\n\n")
                            for block in blocks:
                                payload = block[6:]
                                if payload == b"[DONE]":
                                    break
                                for choice in _event_decoder.decode(payload).choices:
                                    if choice.delta is not None and choice.delta.content is not None:
                                        parts.append(choice.delta.content)
                        result = {
                            "custom_id": request["custom_id"],
                            "response": {"status_code": r.status_code, "body": {"content": "".join(parts)}},
                            "error": None,
                        }
                except httpx.HTTPError as error:
                    errors += 1
                    result = {"custom_id": request["custom_id"], "response": None, "error": str(error)}
                out.write(msgspec.json.encode(result) + b"\n")
                out.flush()

        async with httpx.AsyncClient(transport=transport, timeout=60) as http:
            await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return errors


async def run_openai(base_url: str, source: Path, output: Path, concurrency: int) -> int:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0, timeout=120)
    semaphore = asyncio.Semaphore(concurrency)
    errors = 0
    requests = [json.loads(line) for line in source.open("rb")]
    with output.open("a") as out:

        async def one(request: dict[str, Any]) -> None:
            nonlocal errors
            async with semaphore:
                try:
                    stream = await client.chat.completions.create(**request["body"], stream=True)
                    parts = []
                    async for chunk in stream:
                        for choice in chunk.choices:
                            if choice.delta.content is not None:
                                parts.append(choice.delta.content)
                    result: dict[str, Any] = {
                        "custom_id": request["custom_id"],
                        "response": {"status_code": 200, "body": {"content": "".join(parts)}},
                        "error": None,
                    }
                except Exception as error:
                    errors += 1
                    result = {"custom_id": request["custom_id"], "response": None, "error": str(error)}
                out.write(json.dumps(result) + "\n")
                out.flush()

        await asyncio.gather(*(one(request) for request in requests))
    await client.close()
    return errors


WORKERS = {"r9s": run_r9s, "loop-httpx": run_loop, "openai": run_openai}
# Imported before the run (and its count) starts: a one-off cost, not a per-request one.
IMPORTS = {"r9s": ("r9s_stream",), "loop-httpx": ("httpx", "httpx_aiohttp"), "openai": ("openai",)}


def worker_main(args: argparse.Namespace) -> None:
    from _stream_server import raise_file_limit

    raise_file_limit(65536)
    base_url = f"http://127.0.0.1:{args.port}/v1"
    for module in IMPORTS[args.worker]:
        importlib.import_module(module)
    started = time.perf_counter()
    run = WORKERS[args.worker](base_url, Path(args.input), Path(args.output), args.concurrency)
    # Under callgrind only what runs inside sys.call_tracing is counted (see run_worker).
    errors = sys.call_tracing(asyncio.run, (run,)) if args.callgrind else asyncio.run(run)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "errors": errors, "rss_mb": peak}), flush=True)


# --- the big-answer server (--big): 10 chunks of 512 characters ----------------------------------


async def serve_big(chunks: int, chars: int) -> None:
    from _stream_server import drained_handler  # one write and drain() per event, as --drain

    piece = ("streaming " * (chars // 10 + 1))[:chars]
    events = [b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n']
    events += [
        msgspec.json.encode({"choices": [{"index": 0, "delta": {"content": piece}}]}) for _ in range(chunks)
    ]
    events = [events[0], *(b"data: " + e + b"\n\n" for e in events[1:])]
    usage = {"prompt_tokens": 1300, "completion_tokens": chunks * chars // 4, "total_tokens": 0}
    events.append(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
    events.append(b"data: " + msgspec.json.encode({"choices": [], "usage": usage}) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    server = await asyncio.start_server(drained_handler(events), "127.0.0.1", 0, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


# --- the parent ----------------------------------------------------------------------------------


class Server:
    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise SystemExit(f"the server did not start: {line!r}")
        self.port = int(line.split()[1])

    def close(self) -> None:
        from _common import stop_process

        stop_process(self.process)


_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def run_worker(
    name: str,
    port: int,
    source: Path,
    output: Path,
    concurrency: int,
    lines: int,
    *,
    keep: bool = False,
    callgrind: bool = False,
) -> dict[str, Any]:
    if not keep:
        output.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--worker", name, "--port", str(port)]
    command += ["--input", str(source), "--output", str(output), "--concurrency", str(concurrency)]
    env = None
    if callgrind:
        valgrind = shutil.which("valgrind") or "valgrind"
        prefix = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", "--collect-atstart=no"]
        prefix.append("--toggle-collect=_PyEval_CallTracing")
        command = [*prefix, *command, "--callgrind"]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if callgrind:
        found = _COLLECTED.findall(done.stderr)
        if not found:
            raise SystemExit(f"callgrind run of {name} counted nothing:\n{done.stderr[-2000:]}")
        result["instructions"] = int(found[-1])
    written = output.read_bytes().count(b"\n")
    if written != lines or result["errors"]:
        raise SystemExit(f"{name}: {written} lines written for {lines} requests, {result['errors']} errors")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=1_000)
    parser.add_argument("--chunks", type=int, default=10, help="chunks per answer (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per contender; the best counts")
    parser.add_argument("--clients", default=",".join(CONTENDERS))
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 requests, one round")
    parser.add_argument("--memory", action="store_true", help="r9s's peak RSS at --lines and with --big")
    parser.add_argument(
        "--callgrind", action="store_true", help="instructions per request (3,000 at concurrency 300)"
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--send", type=int, default=20_000, help="of --lines, how many are not answered yet")
    parser.add_argument("--big-lines", type=int, default=40_000)
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--serve-big", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args)
        return
    if args.serve_big:
        asyncio.run(serve_big(10, 512))
        return
    if args.callgrind and not args.worker:
        given = argv if argv is not None else sys.argv[1:]
        if "--requests" not in given:
            args.requests = 3_000
        if "--concurrency" not in given:
            args.concurrency = 300
        args.rounds = 1  # a count does not vary like a time
    if args.quick:
        args.requests, args.concurrency, args.rounds = 300, 50, 1
        args.lines, args.send, args.big_lines = 2_000, 500, 300
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        if args.memory:
            memory(args, folder)
        else:
            speed(args, folder)


def speed(args: argparse.Namespace, folder: Path) -> None:
    source = folder / "requests.jsonl"
    write_input(source, args.requests, 40)
    clients = [c for c in args.clients.split(",") if c]
    server = Server(
        [sys.executable, str(HERE / "_stream_server.py"), "--chunks", str(args.chunks), "--drain"]
    )
    best: dict[str, dict[str, Any]] = {}
    try:
        if args.callgrind:  # all requests, and a tenth of them (the same first lines)
            small = max(1, args.requests // 10)
            write_input(folder / "requests-small.jsonl", small, 40)
            inputs = [(folder / "requests-small.jsonl", small), (source, args.requests)]
            counts = {name: count(args, name, server.port, inputs, folder) for name in clients}
            count_table(args, clients, counts)
            return
        for _ in range(args.rounds):
            for name in clients:  # interleaved: a slow moment of the machine hits all alike
                result = run_worker(
                    name, server.port, source, folder / f"{name}.jsonl", args.concurrency, args.requests
                )
                if name not in best or result["seconds"] < best[name]["seconds"]:
                    best[name] = result
    finally:
        server.close()
    base = best.get("loop-httpx")
    print(
        f"\nThe batch runner: {args.requests:,} requests from a file, concurrency {args.concurrency:,}, "
        f"{args.chunks}-chunk answers (raw server, drain per event); best of {args.rounds}"
    )
    slowest = best.get("openai")
    print("\n| contender | seconds | requests/s | × the loop's requests/s | × openai's | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in clients:
        result = best[name]
        rate = args.requests / result["seconds"]
        ratio = f"{base['seconds'] / result['seconds']:.2f}×" if base else "–"
        versus = f"{slowest['seconds'] / result['seconds']:.2f}×" if slowest else "–"
        print(
            f"| {LABELS[name]} | {result['seconds']:.2f} | {rate:,.0f} | {ratio} | {versus} "
            f"| {result['rss_mb']:.0f} MB |"
        )


def count(
    args: argparse.Namespace, name: str, port: int, inputs: list[tuple[Path, int]], folder: Path
) -> tuple[float, float]:
    """Instructions of ``name``: (per request, once per run), from a run of each of two ``inputs``.

    The difference of the two runs is what the requests cost; what is left of the small run
    is paid once (imports done lazily, the client and its TLS contexts, the first connections).
    """
    totals = []
    for source, lines in inputs:
        output = folder / f"{name}.jsonl"
        result = run_worker(name, port, source, output, args.concurrency, lines, callgrind=True)
        totals.append(result["instructions"])
    (_, small), (_, big) = inputs
    per_request = (totals[1] - totals[0]) / (big - small)
    return per_request, totals[0] - small * per_request


def count_table(args: argparse.Namespace, clients: list[str], counts: dict[str, tuple[float, float]]) -> None:
    base = counts.get("loop-httpx")
    print(
        f"\nThe batch runner under callgrind: {args.requests:,} requests from a file (and a tenth of "
        f"them), concurrency {args.concurrency:,}, {args.chunks}-chunk answers (raw server, drain per event)"
    )
    slowest = counts.get("openai")
    print("\n| contender | instructions per request | × the loop's | openai's ÷ this | once per run |")
    print("|---|---:|---:|---:|---:|")
    for name in clients:
        per_request, once = counts[name]
        ratio = f"{per_request / base[0]:.2f}×" if base else "–"
        versus = f"{slowest[0] / per_request:.2f}×" if slowest else "–"
        print(f"| {LABELS[name]} | {per_request:,.0f} | {ratio} | {versus} | {once / 1e6:,.0f} M |")


def write_answered(path: Path, lines: int) -> None:
    """What an earlier run left: a 2xx result line for each of the first ``lines`` requests."""
    with path.open("wb") as file:
        for i in range(lines):
            response = {"status_code": 200, "request_id": f"req-{i}", "body": {"object": "chat.completion"}}
            line = {"id": f"batch_req_{i}", "custom_id": f"request-{i}", "response": response, "error": None}
            file.write(msgspec.json.encode(line) + b"\n")


def memory(args: argparse.Namespace, folder: Path) -> None:
    rows = []
    small = folder / "small.jsonl"
    write_input(small, args.lines, 40)
    answered = args.lines - args.send
    write_answered(folder / "small-out.jsonl", answered)
    server = Server(
        [sys.executable, str(HERE / "_stream_server.py"), "--chunks", str(args.chunks), "--drain"]
    )
    try:
        result = run_worker(
            "r9s", server.port, small, folder / "small-out.jsonl", args.concurrency, args.lines, keep=True
        )
        label = f"{args.lines:,} lines ({answered:,} answered before: resumed), short prompts"
        rows.append((label, result, args.send))
    finally:
        server.close()
    small.unlink()
    (folder / "small-out.jsonl").unlink()
    big = folder / "big.jsonl"
    write_input(big, args.big_lines, 5_000)
    server = Server([sys.executable, __file__, "--serve-big"])
    try:
        result = run_worker(
            "r9s", server.port, big, folder / "big-out.jsonl", args.concurrency, args.big_lines
        )
        rows.append((f"{args.big_lines:,} lines, 5 KB prompts, 5 KB answers", result, args.big_lines))
    finally:
        server.close()
    print(f"\nr9s_stream batch_file(), concurrency {args.concurrency:,}: peak RSS of the whole process")
    print("\n| input | seconds | requests sent /s | peak RSS |")
    print("|---|---:|---:|---:|")
    for label, result, sent in rows:
        rate = sent / result["seconds"]
        print(f"| {label} | {result['seconds']:.1f} | {rate:,.0f} | {result['rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
