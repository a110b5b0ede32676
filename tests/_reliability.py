"""Helpers for the reliability tests: loopback servers, ports, open sockets, chunk bytes.

Used by test_faults_llmock, test_bad_input, test_fuzz, test_cancellation, test_soak and
test_security. Every server started here listens on 127.0.0.1 only, on a free port, and is
stopped when its ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

__all__ = [
    "HOST",
    "IGNORE_HTTPCORE_BODY_GENERATOR",
    "chunk",
    "free_port",
    "open_sockets",
    "running_llmock",
    "running_llmocks",
    "running_loopback_app",
    "running_process",
    "sockets_settle_to",
    "sse",
    "wait_for_port",
]

HOST = "127.0.0.1"

# pyproject ignores trio's warning for httpx's body generators that nobody can close when a
# stream is left early (encode/httpx#3686); over a real HTTP/1.1 socket httpcore adds one
# more generator to that chain. Same cause, same treatment: apply as ``pytestmark``.
IGNORE_HTTPCORE_BODY_GENERATOR = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <async_generator object AsyncHTTP(11|2)Connection\\._receive_response_body"
    ":pytest.PytestUnraisableExceptionWarning"
)
_TESTS = Path(__file__).resolve().parent
_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll until something accepts connections on ``port``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {HOST}:{port} within {timeout}s")


def _start(command: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def running_process(command: Sequence[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server command that listens on ``port``; yield its root URL; stop it afterwards."""
    process = _start(command, env)
    try:
        wait_for_port(port, process)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(process)


def _llmock_command(port: int, arguments: Sequence[str]) -> list[str]:
    # llmock is a test peer, absent from the lowest-versions pass: its tests skip there.
    pytest.importorskip("llmock")
    executable = _BIN / "llmock"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "llmock.cli"]
    return [*command, "serve", "--host", HOST, "--port", str(port), "--log-level", "warning", *arguments]


@contextlib.contextmanager
def running_llmock(*arguments: str) -> Iterator[str]:
    """Run ``llmock serve`` on a free loopback port; yield its root URL."""
    port = free_port()
    with running_process(_llmock_command(port, arguments), port) as url:
        yield url


@contextlib.contextmanager
def running_llmocks(configurations: Mapping[str, Sequence[str]]) -> Iterator[dict[str, str]]:
    """Start several ``llmock serve`` at once (name → arguments); yield name → root URL."""
    started: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        ports = {}
        for name, arguments in configurations.items():
            port = ports[name] = free_port()
            started.append(_start(_llmock_command(port, arguments)))
        for process, (name, port) in zip(started, ports.items(), strict=True):
            wait_for_port(port, process)
            urls[name] = f"http://{HOST}:{port}"
        yield urls
    finally:
        for process in started:
            _stop(process)


@contextlib.contextmanager
def running_loopback_app(*, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Run tests/_reliability_app.py under uvicorn on a free loopback port; yield its URL.

    ``tls`` is ``(certificate, key)``: the server then speaks HTTPS.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(_TESTS),
        "_reliability_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--lifespan",
        "off",
    ]
    if tls is not None:
        command += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
    with running_process(command, port) as url:
        yield url if tls is None else url.replace("http://", "https://", 1)


def open_sockets() -> int:
    """How many sockets this process has open (Linux: counted in /proc/self/fd)."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                count += 1
    return count


def sockets_settle_to(expected: int, timeout: float = 2.0) -> int:
    """Wait until this process has ``expected`` sockets open (a server thread in this process
    closes its side of a connection a moment after the client); return the final count."""
    deadline = time.monotonic() + timeout
    count = open_sockets()
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.02)
        count = open_sockets()
    return count


def chunk(content: str | None = None, *, finish: str | None = None, index: int = 0) -> dict[str, object]:
    """A chat.completion.chunk payload with one choice."""
    delta: dict[str, object] = {} if content is None else {"content": content}
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def sse(*payloads: object, done: bool = True) -> bytes:
    """The wire bytes of ``data: …`` events for the payloads, then ``data: [DONE]``."""
    events = [f"data: {json.dumps(p, separators=(',', ':'))}\n\n".encode() for p in payloads]
    if done:
        events.append(b"data: [DONE]\n\n")
    return b"".join(events)
