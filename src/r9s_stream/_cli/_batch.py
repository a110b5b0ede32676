"""``r9s-stream batch``: a file of OpenAI Batch requests through one client, into a results file.

Exit status: 0 when every request succeeded, 1 when some failed (the summary says how many
and where), 2 when the input has a bad line (each named on stderr; nothing is sent) or the
arguments are wrong, 130 after Ctrl-C (what finished is kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

import httpx

from .._client import AsyncClient
from .._exceptions import BatchInputError, R9sStreamError
from ._batch_progress import make_progress, print_summary

__all__ = ["add_batch_command", "run_batch_command"]

PROG = "r9s-stream"
USAGE_ERROR = 2
INTERRUPTED = 130


def add_batch_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    count: Callable[[int], Callable[[str], int]],
) -> None:
    """Register ``batch`` and its options with the command's subparsers."""
    batch = commands.add_parser(
        "batch",
        help="run a file of OpenAI Batch requests (JSONL) into a results file; rerun to resume",
        description="Send every request of an OpenAI Batch input file, many at once, and write one "
        "result line per custom_id. Running the same command again finishes an interrupted or "
        "partly failed run.",
    )
    batch.add_argument("input", help="OpenAI Batch input lines: custom_id, body (method, url optional)")
    batch.add_argument(
        "--output", "-o", required=True, help="the results file (JSONL), appended to and resumed"
    )
    batch.add_argument("--base-url", help="default: $R9S_BASE_URL, else https://api.r9s.ai/v1")
    batch.add_argument("--api-key", help="default: $R9S_API_KEY")
    batch.add_argument("--concurrency", type=count(1), default=256, help="requests at once (default 256)")
    batch.add_argument("--rpm", type=count(1), help="requests per minute, spread evenly")
    batch.add_argument(
        "--tpm", type=count(1), help="tokens per minute (estimated, then counted), spread evenly"
    )
    batch.add_argument(
        "--max-retries",
        type=count(0),
        default=2,
        help="retries per request after a retryable failure (default 2)",
    )
    batch.add_argument("--ordered", action="store_true", help="write the results in input order")


def run_batch_command(args: argparse.Namespace, argv: Sequence[str] | None, err: TextIO) -> int:
    """Run ``batch``; return the exit status."""
    progress = make_progress(err)
    bad_lines = 0

    def invalid(error: BatchInputError) -> None:
        nonlocal bad_lines
        bad_lines += 1
        if bad_lines <= 50:
            print(f"{args.input}:{error.line}: {error.reason}", file=err)

    async def run() -> int:
        async with AsyncClient(api_key=args.api_key, base_url=args.base_url, max_retries=0) as client:
            print(f"{PROG}: {args.input} → {client.base_url}, results in {args.output}", file=err, flush=True)
            summary = await client.batch_file(
                args.input,
                args.output,
                concurrency=args.concurrency,
                rpm=args.rpm,
                tpm=args.tpm,
                max_retries=args.max_retries,
                ordered=args.ordered,
                progress=progress,
                on_invalid=invalid,
            )
        progress.close()
        print_summary(summary, args.output, err)
        return 0 if summary.failed == 0 else 1

    try:
        return asyncio.run(run())
    except BatchInputError:
        progress.close()
        more = f" (and {bad_lines - 50} more)" if bad_lines > 50 else ""
        print(f"{PROG}: {bad_lines} bad line(s){more} in {args.input}: nothing was sent", file=err)
        return USAGE_ERROR
    except KeyboardInterrupt:
        progress.close()
        summary = progress.last
        done = "" if summary is None else f" after {summary.done} answer(s), written to {args.output}"
        command = shlex.join([PROG, *(sys.argv[1:] if argv is None else argv)])
        print(f"\n{PROG}: interrupted{done}; to finish the job, run the same command again:", file=err)
        print(f"  {command}", file=err)
        return INTERRUPTED
    except (R9sStreamError, httpx.HTTPError, OSError) as error:
        progress.close()
        print(f"{PROG}: error: {error}", file=err)
        return 1
