"""The benchmarks' loopback server: pre-generated SSE bodies over real sockets on 127.0.0.1.

Run by the benchmarks in a subprocess, so the server has its own interpreter (and GIL) and
the client's numbers are not distorted by serving. Bodies are generated once at start-up
(``--bodies content:10000,tools:10000``, the same seeded generator as the client's check),
cut into reads (1–4 KiB pieces, and one event per piece) and sent as they are, one write
each: the server does no per-request work beyond writing them.
``POST /{kind}/{n}/v1/chat/completions`` answers with the 1–4 KiB pieces and
``POST /{kind}/{n}/event/v1/chat/completions`` with one event per write, whatever the request
says. Prints ``PORT <port>`` once listening. With ``--embedded`` it runs r9s_stream's
own embedded server instead (``r9s-stream serve`` with no token delay), which generates
every stream per request and sends one event per write.

    python benchmarks/_server.py --bodies content:200 --port 8123
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from _payloads import PIECES, cut, make_payload

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
]


class App:
    """A minimal ASGI app: one route per pre-generated body."""

    def __init__(self, bodies: dict[tuple[str, int, str], list[bytes]]) -> None:
        self.bodies = bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:  # read (and ignore) the request body
            message = await receive()
            more = bool(message.get("more_body", False))
        parts = scope["path"].strip("/").split("/")
        pieces = None
        if len(parts) >= 2 and parts[1].isdigit():
            regime = parts[2] if len(parts) >= 3 and parts[2] in PIECES else "burst"
            pieces = self.bodies.get((parts[0], int(parts[1]), regime))
        if pieces is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such stream"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        for piece in pieces:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", default="", help="kind:n,… to serve")
    parser.add_argument(
        "--embedded", action="store_true", help="serve r9s_stream's embedded server (token delay 0) instead"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    bodies: dict[tuple[str, int, str], list[bytes]] = {}
    for spec in filter(None, args.bodies.split(",")):
        kind, n = spec.split(":")
        body = make_payload(kind, int(n), args.seed).body
        for regime in PIECES:
            bodies[kind, int(n), regime] = cut(body, regime, args.seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(4096)
    app: Any = App(bodies)
    if args.embedded:
        from r9s_stream._server import ChatServerApp

        app = ChatServerApp(token_delay=0.0)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        backlog=4096,
        timeout_keep_alive=60,
    )
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
