"""A raw asyncio SSE server for many simultaneous streams: one event per write, little CPU.

Run by ``concurrency.py`` in a subprocess (its own GIL and core). Every request, whatever
its path and body, is answered with the same pre-generated content stream of ``--chunks``
chunks. All open streams are written by one pump, in ticks: each tick writes the next event
of every open stream (one ``write`` each, as a live server that flushes every token) and
then yields to the loop; a busy client still finds several events in one read (see
``concurrency.py``). The body is
close-delimited (``Connection: close``), so the server, not the client, keeps the closed
sockets' TIME_WAIT and the client never runs out of ephemeral ports between rounds.

``--drain``: each request is answered by its own coroutine instead, one ``write`` per event
with ``await drain()`` after each (the way an ``asyncio.start_server`` handler streams), so a
stream is written as fast as its socket takes it; this is the per-request shape of
``concurrency.py --per-request``.

Prints ``PORT <port>`` once listening; on SIGTERM prints ``CPU <seconds>`` and exits.

    python benchmarks/_stream_server.py --chunks 100
    python benchmarks/_stream_server.py --chunks 10 --drain
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import socket
import time
from collections.abc import Awaitable, Callable

from _payloads import make_payload, split_events

_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\nconnection: close\r\n\r\n"
)


def raise_file_limit(wanted: int) -> int:
    """Raise the soft limit on open files towards ``wanted`` (as far as the hard limit allows)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class Pump:
    """Writes the next event of every open stream, one tick at a time."""

    def __init__(self, events: list[bytes]) -> None:
        self.events = events
        self.streams: dict[asyncio.Transport, int] = {}  # → index of the next event
        self.wake = asyncio.Event()

    def start(self, transport: asyncio.Transport) -> None:
        transport.write(_HEAD)
        self.streams[transport] = 0
        self.wake.set()

    async def run(self) -> None:
        events, last = self.events, len(self.events) - 1
        while True:
            if not self.streams:
                self.wake.clear()
                await self.wake.wait()
            finished = []
            for transport, index in self.streams.items():
                if transport.is_closing():
                    finished.append(transport)
                    continue
                transport.write(events[index])
                if index == last:
                    finished.append(transport)
                    transport.close()
                else:
                    self.streams[transport] = index + 1
            for transport in finished:
                del self.streams[transport]
            await asyncio.sleep(0)  # let the loop send, accept and read between ticks


class Request(asyncio.Protocol):
    """Reads one request (headers and a Content-Length body), then hands the stream to the pump."""

    def __init__(self, pump: Pump) -> None:
        self.pump = pump
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.started = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.started or self.transport is None:
            return
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = 0
        for line in self.buffer[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if len(self.buffer) - end - 4 >= length:
            self.started = True
            self.pump.start(self.transport)


def drained_handler(
    events: list[bytes],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A ``start_server`` handler: read one request, then one write and ``drain()`` per event."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            await reader.readexactly(length)
            writer.write(_HEAD)
            for event in events:
                writer.write(event)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away: nothing to answer
        finally:
            writer.close()

    return handle


async def serve(chunks: int, port: int, drain: bool = False) -> None:
    body = make_payload("content", chunks, 0).body
    events = split_events(body)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16384)
    loop = asyncio.get_running_loop()
    task: asyncio.Future[None] | None = None
    server: asyncio.AbstractServer
    if drain:
        server = await asyncio.start_server(drained_handler(events), sock=sock, backlog=16384)
    else:
        pump = Pump(events)
        server = await loop.create_server(lambda: Request(pump), sock=sock, backlog=16384)
        task = asyncio.ensure_future(pump.run())
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await stop.wait()
    if task is not None:
        task.cancel()
    server.close()
    print(f"CPU {time.process_time():.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--drain", action="store_true", help="one handler per request, drain() per event")
    args = parser.parse_args()
    raise_file_limit(65536)
    asyncio.run(serve(args.chunks, args.port, args.drain))


if __name__ == "__main__":
    main()
