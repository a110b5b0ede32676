"""Shared by the benchmarks: the loopback server process and a description of the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import msgspec

import r9s_stream as rs

__all__ = ["REQUEST", "LoopbackServer", "machine"]

HERE = Path(__file__).resolve().parent

# What every contender sends (the servers ignore it).
REQUEST: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Write a long answer."}],
    "stream": True,
}


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Stop a server process (SIGTERM, then SIGKILL after 10 s) and close its stdout pipe."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


class LoopbackServer:
    """``_server.py`` in a subprocess (its own GIL and core), serving pre-generated bodies."""

    def __init__(self, specs: list[tuple[str, int]], seed: int, *, embedded: bool = False) -> None:
        bodies = ",".join(f"{kind}:{n}" for kind, n in specs)
        command = [sys.executable, str(HERE / "_server.py"), "--bodies", bodies, "--seed", str(seed)]
        self.embedded = embedded
        self.process = subprocess.Popen(
            [*command, "--embedded"] if embedded else command,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise SystemExit(f"the loopback server did not start: {line!r}")
        self.port = int(line.split()[1])

    def base_url(self, kind: str, n: int, pieces: str = "burst") -> str:
        if self.embedded:
            return f"http://127.0.0.1:{self.port}/v1"
        return f"http://127.0.0.1:{self.port}/{kind}/{n}/{pieces}/v1"

    def close(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """Python, CPUs, CPU model, load average and the versions of the clients measured."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    versions = [
        f"r9s_stream {rs.__version__}",
        f"httpx {httpx.__version__}",
        f"msgspec {msgspec.__version__}",
    ]
    try:
        import openai

        versions.append(f"openai {openai.__version__}")
    except ImportError:
        pass
    return (
        f"{platform.python_implementation()} {platform.python_version()} · {os.cpu_count()} CPUs · "
        f"{cpu_model()} · load average {load} · " + ", ".join(versions) + f" · {source_state()}"
    )


def source_state() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    root = HERE.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {head}" + (" + uncommitted changes in src/" if dirty else "")
