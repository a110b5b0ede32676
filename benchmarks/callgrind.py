"""Instructions per chunk, counted by valgrind's callgrind: the figure that load cannot blur.

Timings on a shared machine drift by tens of per cent; instruction counts do not. Each
contender of ``stream.py`` reads a stream from memory (``httpx.MockTransport``) in a child
process under callgrind, once with ``--n`` chunks and once with three times as many; only
the read itself is counted (collection is switched on around it, so start-up, imports and
payload generation are not), and the difference over the extra chunks is the cost of one
chunk, with the per-request cost cancelled out.

    python benchmarks/callgrind.py                                 # content, both regimes
    python benchmarks/callgrind.py --pieces event --only r9s,limit --n 2000
    python benchmarks/callgrind.py --kind tools --pieces burst

Regimes (``--pieces``): ``event`` — one event per read, as a live server that flushes every
token sends it; ``burst`` — seeded 1–4 KiB reads (about ten events each), as a fast server or
a replay. The counts depend on the CPython build; compare contenders within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = "limit,limit-iter,r9s,r9s-noacc,sse-msgspec,openai,openai-helper"
# openai-python spends 50–150× as much per chunk: a smaller stream gives the same precision.
SLOW = {"openai", "openai-helper", "sse-json"}
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def inner(key: str, kind: str, pieces: str, n: int) -> None:
    """In the child: read one stream of ``n`` chunks, collecting instructions only around it."""
    import httpx
    from _payloads import make_payload
    from stream import CONTENDERS, Context, Outcome, _openai_client, check, memory_transport

    contender = next(c for c in CONTENDERS if c.key == key)

    def context(chunks: int) -> Context:
        payload = make_payload(kind, chunks, 0)
        http = httpx.AsyncClient(transport=memory_transport(payload, 0, pieces))
        base_url = "http://bench.memory/v1"
        # openai-python takes most of a minute to import under valgrind: only when it runs.
        openai = _openai_client(base_url, http) if contender.needs_openai else None
        return Context(payload, base_url, http, openai)

    async def once(context: Context, collect: bool) -> Outcome:
        return await contender.run(context, collect)

    warm, ctx = context(200), context(n)
    # Warm-up outside the count: imports done lazily, specialised bytecode, first-use caches.
    check(contender.label, warm.payload, asyncio.run(once(warm, True)), full=True)
    asyncio.run(once(warm, False))
    # callgrind counts only inside _PyEval_CallTracing (--toggle-collect), i.e. this call.
    outcome = sys.call_tracing(asyncio.run, (once(ctx, False),))
    check(contender.label, ctx.payload, outcome, full=contender.accumulates)


def count(key: str, kind: str, pieces: str, n: int, script: str = __file__) -> int:
    """Instructions callgrind collected for one read of ``n`` chunks (``script --inner`` reads it)."""
    command = [
        shutil.which("valgrind") or "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--collect-atstart=no",
        "--toggle-collect=_PyEval_CallTracing",
        sys.executable,
        script,
        *("--inner", key, "--kind", kind, "--pieces", pieces, "--n", str(n)),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    found = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"callgrind run of {key} ({kind}, {pieces}, n={n}) failed:\n{done.stderr[-3000:]}")
    return int(found[-1])


def per_chunk(
    key: str, kind: str, pieces: str, n: int, script: str = __file__, slow: frozenset[str] | set[str] = SLOW
) -> float:
    """Instructions per chunk: the difference between ``n`` and ``3n`` chunks, over ``2n``."""
    n = max(200, n // 5) if key in slow else n
    small, large = count(key, kind, pieces, n, script), count(key, kind, pieces, 3 * n, script)
    return (large - small) / (2 * n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=DEFAULT, help=f"contenders (default {DEFAULT})")
    parser.add_argument("--kind", choices=["content", "tools", "all"], default="content")
    parser.add_argument("--pieces", choices=["event", "burst", "all"], default="all")
    parser.add_argument("--n", type=int, default=1000, help="chunks of the smaller stream (default 1000)")
    parser.add_argument("--jobs", type=int, default=1, help="callgrind runs at once (default 1)")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        sys.path.insert(0, str(HERE))
        inner(args.inner, args.kind, args.pieces, args.n)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    from stream import CONTENDERS

    labels = {c.key: c.label for c in CONTENDERS}
    keys = [k for k in args.only.split(",") if k]
    unknown = set(keys) - set(labels)
    if unknown:
        raise SystemExit(f"unknown contenders: {', '.join(sorted(unknown))}")
    if "openai" in ",".join(keys):
        try:
            import openai  # noqa: F401
        except ImportError:
            keys = [k for k in keys if not k.startswith("openai")]
    kinds = ["content", "tools"] if args.kind == "all" else [args.kind]
    regimes = ["event", "burst"] if args.pieces == "all" else [args.pieces]
    columns = [(kind, pieces) for pieces in regimes for kind in kinds]
    jobs = [(key, kind, pieces) for key in keys for kind, pieces in columns]
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        measured = pool.map(lambda job: per_chunk(job[0], job[1], job[2], args.n), jobs)
        counts = dict(zip(jobs, measured, strict=True))
    names = {"event": "one event per read", "burst": "1–4 KiB reads"}
    header = " | ".join(f"{kind}, {names[pieces]}" for kind, pieces in columns)
    print(f"instructions per chunk (callgrind, memory transport, n={args.n} vs {3 * args.n}; × the limit)\n")
    print(f"| contender | {header} |")
    print("|---|" + "---:|" * len(columns))
    for key in keys:
        cells = []
        for kind, pieces in columns:
            mine = counts[key, kind, pieces]
            limit = counts.get(("limit", kind, pieces))
            cells.append(f"{mine:,.0f}" + (f" ({mine / limit:.2f}×)" if limit else ""))
        print(f"| {labels[key]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
