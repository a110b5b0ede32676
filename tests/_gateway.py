"""The r9s gateway's recorded answers (``tests/fixtures/gateway``), served as it sent them.

``recording(name)`` reads one case: its status, the headers that describe the body (content
type, request id) and the body. ``mock_transport`` answers with it through httpx's
``MockTransport`` (cut into pieces as the tests ask); ``replay_server`` serves every case over a
real loopback socket, one per URL prefix (``/NAME/v1/...``), for the default aiohttp stack and
httpx's own.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from r9s_stream import testing

__all__ = ["CHAT_CASES", "Recording", "mock_transport", "recording", "replay_server"]

FIXTURES = Path(__file__).parent / "fixtures" / "gateway"
# Headers about the connection or the framing of the body as curl received it: never replayed.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "date"})

CHAT_CASES = sorted(
    path.name.removesuffix(".headers")
    for path in FIXTURES.glob("*.headers")
    if path.name.startswith(("chat_", "error_"))
)


@dataclass(frozen=True)
class Recording:
    """One answer of the gateway: status, reason, the headers that matter, the body."""

    name: str
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    @property
    def request_id(self) -> str:
        return self.headers["X-Onr-Request-Id"]


def recording(name: str) -> Recording:
    """Read ``NAME.headers`` and ``NAME.body``."""
    lines = (FIXTURES / f"{name}.headers").read_text().splitlines()
    _, status, reason = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if value and key.strip().lower() not in _FRAMING:
            headers[key.strip()] = value.strip()
    return Recording(name, int(status), reason.strip(), headers, (FIXTURES / f"{name}.body").read_bytes())


def mock_transport(
    case: Recording, *, piece_size: int | None = None, seed: int | None = None
) -> httpx.MockTransport:
    """An httpx transport answering every request with ``case``, its body in pieces."""
    return testing.sse_transport(
        case.body, piece_size=piece_size, seed=seed, status_code=case.status, headers=case.headers
    )


@contextmanager
def replay_server() -> Iterator[str]:
    """A loopback HTTP/1.1 server answering ``/NAME/...`` with recording NAME; yields its address."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                data = connection.recv(65536)
                if not data:
                    return
                request += data
            head, _, body = request.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                body += connection.recv(65536)
            path = head.split(b" ")[1].decode()
            case = recording(path.strip("/").split("/")[0])
            lines = [f"HTTP/1.1 {case.status} {case.reason}"]
            lines += [f"{key}: {value}" for key, value in case.headers.items()]
            lines += [f"Content-Length: {len(case.body)}", "Connection: close", "", ""]
            connection.sendall("\r\n".join(lines).encode() + case.body)

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        host, port = listener.getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        thread.join()
        listener.close()
