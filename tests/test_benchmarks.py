"""The benchmark scripts still run (a tiny smoke run; speed is never asserted here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# The per-request contenders' labels, as concurrency.py prints them.
LABELS = {
    "loop-httpx": "hand-rolled loop on httpx + httpx-aiohttp (aiter_bytes)",
    "r9s-complete": "r9s_stream client.complete(), default rs.AsyncClient()",
    "aconnect": "r9s_stream aconnect_chat_stream on httpx + httpx-aiohttp",
}


def _run(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_stream_benchmark_quick_prints_the_table() -> None:
    """`stream.py --quick` reads both kinds in both read regimes with every contender; the tables print."""
    out = _run("stream.py", "--quick", "--no-memory")
    assert "| contender | µs/event |" in out
    for kind in ("content", "tools"):
        for pieces in ("one event per read", "1–4 KiB reads"):
            assert f"### {kind} stream, N=200 chunks" in out
            assert f"memory, {pieces}" in out
    labels = [
        "r9s_stream (iterate + accumulate)",
        "r9s_stream accumulate=False",
        "httpx-sse + json.loads",
        "httpx-sse + msgspec",
        "limit: split bytes + msgspec",
    ]
    if importlib.util.find_spec("openai") is not None:  # the bench extra (also in dev)
        labels += ["openai-python AsyncStream", "openai-python .stream() helper"]
    for label in labels:
        assert out.count(f"| {label} |") == 4, label
    assert "× the limit" in out


def test_concurrency_benchmark_quick_run_has_no_errors() -> None:
    """`concurrency.py --quick`: the server starts, every stream through one client checks out."""
    out = _run("concurrency.py", "--quick", "--clients", "r9s,limit")
    assert "| client | wall s | events/s | CPU s |" in out
    for label in ("r9s_stream, default rs.AsyncClient()", "hand-rolled limit on aiohttp"):
        assert f"| {label} |" in out
    assert out.count("| 0 of 20 |") == 2


def test_concurrency_per_request_quick_run_has_no_errors() -> None:
    """`concurrency.py --per-request --quick`: complete(), aconnect and the hand-rolled loop all check out."""
    out = _run("concurrency.py", "--per-request", "--quick")
    assert "| client | best of rounds, each run (s) | median s |" in out
    for key in ("loop-httpx", "r9s-complete", "aconnect"):
        assert out.count(f"| {LABELS[key]} |") == 1, key
    assert out.count("| 0 of 20 |") == 3


def test_events_benchmark_quick_prints_the_table() -> None:
    """`events.py --quick` runs the plain, events and snapshot rows in both read shapes."""
    out = _run("events.py", "--quick")
    assert "| N | reads | plain | events |" in out
    assert "| 200 | burst |" in out
    assert "| 200 | live |" in out


def test_parse_benchmark_quick_prints_both_rows() -> None:
    """`parse.py --quick` streams one JSON answer plain and parsed, in both read shapes."""
    out = _run("parse.py", "--quick")
    assert "| N chunks | reads | plain µs/chunk | parsed µs/chunk | parse × plain |" in out
    assert out.count("| 208 |") == 2


def test_telemetry_benchmark_quick_prints_the_table() -> None:
    """`telemetry.py --quick` reads a stream with each telemetry set-up in both read shapes."""
    pytest.importorskip("opentelemetry.sdk", reason="the SDK (a dev dependency) is not in the lowest pass")
    out = _run("telemetry.py", "--quick")
    assert "| set-up | read shape | µs/chunk |" in out
    for setup in ("absent", "idle", "sdk", "sdk+content"):
        assert out.count(f"| {setup} |") == 2, setup


@pytest.mark.parametrize("pieces", ["event", "burst"])
def test_kinds_benchmark_contenders_rebuild_the_text(pieces: str) -> None:
    """`kinds.py`: each contender of each kind reads its stream and rebuilds the text (no valgrind)."""
    listed = _run("kinds.py", "--list").split()
    assert "responses:r9s" in listed
    assert "responses:limit" in listed
    assert {"messages:r9s", "messages:limit", "messages:anthropic"} <= set(listed)
    for entry in listed:
        kind, key = entry.split(":")
        if key.startswith(("openai", "anthropic")) and importlib.util.find_spec(key.split("-")[0]) is None:
            continue
        _run("kinds.py", "--inner", key, "--kind", kind, "--pieces", pieces, "--n", "60")
