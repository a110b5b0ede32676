"""Legacy Completions per event, counted by callgrind: r9s_stream's full path, the limit, openai-python.

Each contender reads one stream of legacy ``text_completion`` chunks from memory
(``httpx.MockTransport``) in a child process under callgrind, once with ``--n`` text chunks
and once with three times as many; the difference over the extra chunks is one event's cost.

    python benchmarks/completions_bench.py                  # both read shapes, every contender
    python benchmarks/completions_bench.py --pieces event --n 2000

- ``r9s``: ``rs.aconnect_completion_stream``, every chunk iterated, the ``Completion`` rebuilt;
- ``limit``: split the bytes on blank lines, one msgspec decode per event into the same
  ``CompletionChunk`` type, nothing else (no framing rules, no errors, no rebuild);
- ``openai``: openai-python's ``completions.create(stream=True)``, every chunk iterated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import msgspec

HERE = Path(__file__).resolve().parent
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
_WORDS = ["streams", "arrive", "as", "many", "small", "chunks", "and", "a", "careful", "client", "rebuilds"]
URL = "http://bench.memory/v1/completions"


def make_body(chunks: int) -> tuple[bytes, str]:
    """``chunks`` text chunks, a finish chunk, a usage chunk and ``[DONE]``; and the whole text."""
    texts = [(" " if i else "") + _WORDS[i % len(_WORDS)] for i in range(chunks)]
    head = {"id": "cmpl-bench", "object": "text_completion", "created": 1770934485}
    events = []
    for text in [*texts, ""]:
        finish = None if text else "length"
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
        events.append({**head, "choices": [choice], "model": "gpt-3.5-turbo-instruct", "usage": None})
    usage = {"prompt_tokens": 5, "completion_tokens": chunks, "total_tokens": chunks + 5}
    events.append({**head, "model": "gpt-3.5-turbo-instruct", "usage": usage, "choices": []})
    body = b"".join(b"data: " + msgspec.json.encode(e) + b"\n\n" for e in events) + b"data: [DONE]\n\n"
    return body, "".join(texts)


def cut(body: bytes, pieces: str) -> list[bytes]:
    """One event per read, or seeded 1–4 KiB reads."""
    sys.path.insert(0, str(HERE))
    from _payloads import cut as cut_pieces

    result: list[bytes] = cut_pieces(body, pieces, 0)
    return result


class _Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> Any:
        for piece in self._pieces:
            yield piece


def _client(pieces: list[bytes]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Pieces(pieces))

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def run_r9s(http: httpx.AsyncClient, openai: Any) -> tuple[int, str]:
    import r9s_stream as rs

    count = 0
    async with rs.aconnect_completion_stream(http, "POST", URL, json={"stream": True}) as stream:
        async for _ in stream:
            count += 1
        completion = stream.snapshot
    return count, completion.text


async def run_limit(http: httpx.AsyncClient, openai: Any) -> tuple[int, str]:
    from r9s_stream.completions import CompletionChunk

    decode = msgspec.json.Decoder(CompletionChunk).decode
    count = 0
    buffer = b""
    texts: list[str] = []
    async with http.stream("POST", URL, json={"stream": True}) as response:
        async for data in response.aiter_bytes():
            *blocks, buffer = (buffer + data).split(b"\n\n")
            for block in blocks:
                payload = block[6:]
                if payload == b"[DONE]":
                    break
                chunk = decode(payload)
                count += 1
                texts.append(chunk.choices[0].text if chunk.choices else "")
    return count, "".join(texts)


async def run_openai(http: httpx.AsyncClient, openai: Any) -> tuple[int, str]:
    count = 0
    texts: list[str] = []
    async with await openai.completions.create(model="m", prompt="p", stream=True) as chunks:
        async for chunk in chunks:
            count += 1
            texts.extend(choice.text for choice in chunk.choices if choice.index == 0)
    return count, "".join(texts)


Run = Callable[[httpx.AsyncClient, Any], Coroutine[Any, Any, tuple[int, str]]]
CONTENDERS: dict[str, tuple[str, Run]] = {
    "limit": ("limit: split bytes + msgspec", run_limit),
    "r9s": ("r9s_stream (iterate + rebuild)", run_r9s),
    "openai": ("openai-python completions stream", run_openai),
}


def inner(key: str, pieces: str, n: int) -> None:
    """In the child: read one stream of ``n`` text chunks, collecting instructions only around it."""
    run = CONTENDERS[key][1]

    def context(chunks: int) -> tuple[httpx.AsyncClient, Any, str]:
        body, text = make_body(chunks)
        http = _client(cut(body, pieces))
        openai = None
        if key == "openai":
            from openai import AsyncOpenAI

            legacy: Any = http  # openai 3 annotates httpx2's client; it reads an httpx one as well
            openai = AsyncOpenAI(api_key="sk-bench", base_url="http://bench.memory/v1", http_client=legacy)
        return http, openai, text

    def check(result: tuple[int, str], chunks: int, text: str) -> None:
        if result != (chunks + 2, text):
            raise SystemExit(
                f"{key} read {result[0]} chunks and {len(result[1])} characters, not {chunks + 2}"
            )

    warm_http, warm_openai, warm_text = context(200)
    check(asyncio.run(run(warm_http, warm_openai)), 200, warm_text)
    http, openai, text = context(n)
    result = sys.call_tracing(asyncio.run, (run(http, openai),))
    check(result, n, text)


def count(key: str, pieces: str, n: int) -> int:
    """Instructions callgrind collected for one read of ``n`` chunks."""
    command = [
        shutil.which("valgrind") or "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--collect-atstart=no",
        "--toggle-collect=_PyEval_CallTracing",
        sys.executable,
        __file__,
        *("--inner", key, "--pieces", pieces, "--n", str(n)),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for {key}/{pieces}:\n{done.stdout}\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_event(key: str, pieces: str, n: int) -> float:
    """Instructions per event: the cost of the extra ``2n`` chunks of the longer stream."""
    if key == "openai":
        n = max(1, n // 5)  # 50–150× the cost per chunk: a shorter stream is as precise
    return (count(key, pieces, 3 * n) - count(key, pieces, n)) / (2 * n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(CONTENDERS), help="contenders (default: all)")
    parser.add_argument("--pieces", choices=["event", "burst", "all"], default="all")
    parser.add_argument(
        "--n", type=int, default=1000, help="text chunks of the shorter stream (default 1000)"
    )
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        inner(args.inner, args.pieces, args.n)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    keys = [key for key in args.only.split(",") if key]
    regimes = ["event", "burst"] if args.pieces == "all" else [args.pieces]
    costs = {(key, regime): per_event(key, regime, args.n) for key in keys for regime in regimes}
    names = {"event": "one event per read", "burst": "1–4 KiB reads"}
    sizes = f"n={args.n} vs {3 * args.n}"
    print(f"legacy Completions, instructions per event (callgrind, memory transport, {sizes})\n")
    print("| contender | " + " | ".join(names[r] for r in regimes) + " |")
    print("|---|" + "---:|" * len(regimes))
    for key in keys:
        cells = []
        for regime in regimes:
            mine, limit = costs[key, regime], costs.get(("limit", regime))
            cells.append(f"{mine:,.0f}" + (f" ({mine / limit:.2f}× the limit)" if limit else ""))
        print(f"| {CONTENDERS[key][0]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
