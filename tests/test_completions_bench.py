"""benchmarks/completions_bench.py still measures what it says (its inner run, without valgrind)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "completions_bench.py"


@pytest.mark.parametrize("contender", ["limit", "r9s", "openai"])
@pytest.mark.parametrize("pieces", ["event", "burst"])
def test_each_contender_reads_every_chunk_and_the_whole_text(contender: str, pieces: str) -> None:
    """Each contender's measured run reads every chunk and rebuilds the text (else the script fails)."""
    if contender == "openai":
        pytest.importorskip("openai", reason="openai-python (a dev dependency) is not installed")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--inner", contender, "--pieces", pieces, "--n", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
