"""A raw asyncio chat-completions server that takes ``--delay`` seconds per reply (keep-alive HTTP/1.1).

Run by ``ray_bench.py`` in a subprocess (its own GIL). ``POST`` anything: after the delay it
answers a small chat completion — as an event stream when the body says ``"stream": true``
(a role chunk, three words, a finish, a usage chunk, ``[DONE]``, written at once), else as
one JSON object, as the non-streaming endpoint does. ``GET /stats`` answers ``{"count",
"first", "last"}`` (requests received, and the monotonic times of the first request and the
last reply) and starts counting afresh, so a run's rate leaves out its workers' start-up.

Prints ``PORT <port>`` once listening.

    python benchmarks/_slow_server.py --delay 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import time
from typing import Any

import msgspec

_WORDS = ["Hello", " from", " Ray"]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}


_USAGE = {"prompt_tokens": 8, "completion_tokens": len(_WORDS), "total_tokens": 8 + len(_WORDS)}
_STREAM = (
    b"".join(
        b"data: " + msgspec.json.encode(event) + b"\n\n"
        for event in [
            _chunk({"role": "assistant", "content": ""}),
            *(_chunk({"content": word}) for word in _WORDS),
            _chunk({}, "stop"),
            {**_chunk({}), "choices": [], "usage": _USAGE},
        ]
    )
    + b"data: [DONE]\n\n"
)
_WHOLE = msgspec.json.encode(
    {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from Ray"},
                "finish_reason": "stop",
            }
        ],
        "usage": _USAGE,
    }
)


def _response(content_type: bytes, body: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type + b"\r\ncontent-length: "
    return head + str(len(body)).encode() + b"\r\n\r\n" + body


class Stats:
    def __init__(self) -> None:
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None

    def take(self) -> bytes:
        body = msgspec.json.encode({"count": self.count, "first": self.first, "last": self.last})
        self.count, self.first, self.last = 0, None, None
        return body


async def handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float, stats: Stats
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length) if length else b""
            if head.startswith(b"GET /stats"):
                writer.write(_response(b"application/json", stats.take()))
                continue
            stats.count += 1
            if stats.first is None:
                stats.first = time.monotonic()
            request = msgspec.json.decode(body) if body else {}
            await asyncio.sleep(delay)
            if isinstance(request, dict) and request.get("stream"):
                writer.write(_response(b"text/event-stream", _STREAM))
            else:
                writer.write(_response(b"application/json", _WHOLE))
            stats.last = time.monotonic()
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(delay: float, port: int) -> None:
    stats = Stats()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = await asyncio.start_server(
        lambda reader, writer: handle(reader, writer, delay, stats), sock=sock, backlog=4096
    )
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.delay, arguments.port))


if __name__ == "__main__":
    main()
