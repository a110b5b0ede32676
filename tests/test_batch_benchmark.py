"""benchmarks/batch.py still runs (a smoke run: speed and memory are never asserted here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "batch.py"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.skipif(importlib.util.find_spec("openai") is None, reason="openai-python (bench extra) missing")
def test_the_batch_benchmark_quick_run_checks_every_contenders_output() -> None:
    """`batch.py --quick`: each contender writes one line per request, without errors; the table prints."""
    out = _run("--quick")
    assert "| contender | seconds | requests/s |" in out
    for label in (
        "r9s_stream client.batch_file()",
        "hand-rolled loop, httpx + httpx-aiohttp",
        "openai-python AsyncOpenAI + Semaphore + gather",
    ):
        assert f"| {label} |" in out


def test_the_memory_benchmark_quick_run_finishes() -> None:
    """`batch.py --quick --memory`: the resumed input and the 5 KB one go through; the table prints."""
    out = _run("--quick", "--memory")
    assert "| 2,000 lines (1,500 answered before: resumed), short prompts" in out
    assert "| 300 lines, 5 KB prompts, 5 KB answers" in out
