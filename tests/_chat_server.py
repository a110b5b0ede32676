"""A scripted OpenAI-compatible server on a real loopback socket, for the client's tests.

Each test queues the replies the server gives, in order (status, headers, body pieces,
pauses, a stall or a cut connection), then reads back the requests it received. uvicorn runs
the app in a background thread with its own event loop, so the client under test sees real
TCP, real chunked transfer, and works the same on asyncio and trio.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# How long a stalled reply waits for the client to give up before the server gives up.
STALL_LIMIT = 5.0


@dataclass
class Reply:
    """One scripted answer: status, headers, then the body pieces with ``pause`` between them."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/event-stream"})
    pieces: list[bytes] = field(default_factory=list)
    pause: float = 0.0
    header_delay: float = 0.0
    stall_after: int | None = None
    break_after: int | None = None


@dataclass
class ReceivedRequest:
    """What the server got: path, headers (lower-case names), the JSON body, when, every header name sent."""

    path: str
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)
    header_names: list[str] = field(default_factory=list)  # in order, repeats kept


class ServerCutConnection(Exception):
    """Raised inside the app to make uvicorn drop the connection mid-body."""


class ScriptedServer:
    """The app and its script; ``url`` is the ``/v1`` base URL once the server runs."""

    def __init__(self) -> None:
        self.url = ""
        self.script: list[Reply] = []
        self.received: list[ReceivedRequest] = []

    def reset(self) -> None:
        self.script.clear()
        self.received.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        names = [name.decode("latin-1").lower() for name, _ in scope["headers"]]
        self.received.append(
            ReceivedRequest(
                scope["path"], headers, msgspec.json.decode(body) if body else None, header_names=names
            )
        )
        reply = self.script.pop(0) if self.script else Reply(500, {}, [b"the test script ran out of replies"])
        if reply.header_delay and await _client_left_within(receive, reply.header_delay):
            return
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()],
            }
        )
        for number, piece in enumerate(reply.pieces):
            if reply.stall_after == number:
                await _client_left_within(receive, STALL_LIMIT)
                return
            if reply.break_after == number:
                raise ServerCutConnection
            if number and reply.pause:
                await asyncio.sleep(reply.pause)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        if reply.stall_after is not None and reply.stall_after >= len(reply.pieces):
            await _client_left_within(receive, STALL_LIMIT)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _client_left_within(receive: Receive, seconds: float) -> bool:
    """Wait up to ``seconds``; True if the client disconnected meanwhile."""

    async def disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnect(), seconds)
    except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
        return False
    return True


@contextmanager
def serve() -> Iterator[ScriptedServer]:
    """Run a ``ScriptedServer`` on 127.0.0.1 and a free port for the duration of the block."""
    app = ScriptedServer()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="critical",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.005)
    app.url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def sse(*payloads: object) -> list[bytes]:
    """Body pieces, one ``data:`` event each: JSON for objects, verbatim for strings."""
    return [
        b"data: " + (p.encode() if isinstance(p, str) else msgspec.json.encode(p)) + b"\n\n" for p in payloads
    ]


def chunk(
    content: str | None = None, *, finish: str | None = None, usage: dict[str, int] | None = None
) -> object:
    """A ``chat.completion.chunk`` with one content delta, a finish reason, or only usage."""
    choices = (
        [] if usage is not None else [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]
    )
    event: dict[str, object] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": choices,
    }
    if usage is not None:
        event["usage"] = usage
    return event


def reply_text(*parts: str, prompt_tokens: int = 3) -> list[bytes]:
    """The body of a whole streamed reply: the parts, a stop, usage, ``[DONE]``."""
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(parts),
        "total_tokens": prompt_tokens + len(parts),
    }
    return sse(*(chunk(p) for p in parts), chunk(finish="stop"), chunk(usage=usage), "[DONE]")


def unused_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, read, released): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class RefusedFirst(httpx.AsyncHTTPTransport):
    """A real transport that sends its first ``misses`` requests to a port nobody listens on."""

    def __init__(self, misses: int) -> None:
        super().__init__()
        self.misses = misses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.misses:
            self.misses -= 1
            request.url = request.url.copy_with(port=unused_port())
        return await super().handle_async_request(request)


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A listening port whose accept queue is full: a new connection hangs in connect."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # Linux takes backlog + 1 connections; the rest wait for a SYN-ACK.
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
