"""The HTTP stack: which transport the default client uses, its limits and proxies, and what each
stack's errors become — over real loopback sockets, on every stack (tests/_stacks.py).
"""

from __future__ import annotations

import gc
import gzip
import socket
import struct
import threading
import time
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import pytest

import r9s_stream as rs
from _chat_server import Reply, ScriptedServer, reply_text
from _stacks import error_class, http_client, on_every_stack, rs_client
from r9s_stream import testing
from r9s_stream._http._default import TransportName, environment_proxies

MESSAGES = [{"role": "user", "content": "hi"}]
BODY = {"model": "m", "messages": MESSAGES, "stream": True}

pytestmark = pytest.mark.anyio


# --- the default client's transport --------------------------------------------------------


@pytest.mark.parametrize(
    ("anyio_backend", "transport", "on_httpcore"),
    [("asyncio", "auto", False), ("trio", "auto", True), ("asyncio", "httpx", True), ("trio", "httpx", True)],
)
async def test_the_default_client_sends_through_aiohttp_on_asyncio_and_httpx_elsewhere(
    server: ScriptedServer, transport: TransportName, on_httpcore: bool
) -> None:
    """``transport="auto"``: aiohttp on asyncio, httpx's own on trio; ``"httpx"`` forces httpx's."""
    server.script.append(Reply(pieces=reply_text("ok")))
    async with (
        rs.AsyncClient(base_url=server.url, transport=transport) as client,
        client.stream(model="m", messages=MESSAGES) as stream,
    ):
        assert (await stream.until_done()).choices[0].message.content == "ok"
    # httpcore hands over its connection as a response extension; aiohttp's transport has none.
    assert ("network_stream" in stream.response.extensions) is on_httpcore


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_forcing_aiohttp_on_trio_says_why_it_cannot(server: ScriptedServer) -> None:
    """``transport="aiohttp"`` on trio fails at the first request with a message naming the way out."""
    async with rs.AsyncClient(base_url=server.url, transport="aiohttp", max_retries=0) as client:
        with pytest.raises(RuntimeError, match="asyncio only"):
            await client.complete(model="m", messages=MESSAGES)


def test_transport_settings_are_checked() -> None:
    """An unknown transport, or transport settings beside a caller's own client, are refused at once."""
    with pytest.raises(ValueError, match="transport must be one of"):
        rs.AsyncClient(transport="requests")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="without http_client"):
        rs.AsyncClient(http_client=httpx.AsyncClient(), max_connections=10)


@pytest.mark.parametrize(
    ("anyio_backend", "transport"), [("asyncio", "auto"), ("asyncio", "httpx"), ("trio", "auto")]
)
async def test_the_default_client_holds_more_than_a_hundred_streams_at_once(
    server: ScriptedServer, transport: TransportName
) -> None:
    """101 streams open together through one default client: none waits for a pooled connection."""
    count = 101
    server.script.extend(Reply(pieces=reply_text("a", "b"), stall_after=1) for _ in range(count))
    timeout = httpx.Timeout(10.0, pool=5.0)  # a capped pool would fail the 101st here
    opened = 0
    async with rs.AsyncClient(
        base_url=server.url, transport=transport, timeout=timeout, max_retries=0
    ) as client:

        async def hold(everyone_open: anyio.Event) -> None:
            nonlocal opened
            async with client.stream(model="m", messages=MESSAGES) as stream:
                async for _ in stream:
                    break
                opened += 1
                if opened == count:
                    everyone_open.set()
                await everyone_open.wait()

        everyone_open = anyio.Event()
        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                for _ in range(count):
                    group.start_soon(hold, everyone_open)
    assert opened == count


@pytest.mark.parametrize(("anyio_backend", "transport"), [("asyncio", "auto"), ("trio", "auto")])
async def test_max_connections_caps_the_default_client(
    server: ScriptedServer, transport: TransportName
) -> None:
    """With ``max_connections=1`` a second stream cannot start while the first holds the connection."""
    server.script.append(Reply(pieces=reply_text("a", "b"), stall_after=1))
    timeout = httpx.Timeout(10.0, pool=0.2)
    async with (
        rs.AsyncClient(
            base_url=server.url, transport=transport, max_connections=1, timeout=timeout, max_retries=0
        ) as client,
        client.stream(model="m", messages=MESSAGES) as first,
    ):
        async for _ in first:
            break
        with pytest.raises(rs.StreamTimeoutError):
            await client.complete(model="m", messages=MESSAGES)


@pytest.mark.parametrize(("anyio_backend", "transport"), [("asyncio", "auto"), ("trio", "auto")])
async def test_the_default_client_uses_the_environments_proxy(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, transport: TransportName
) -> None:
    """``HTTP_PROXY`` is honoured as by httpx: a host that does not resolve is reached through the proxy."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url.removesuffix("/v1"))  # the scripted server plays the proxy
    server.script.append(Reply(pieces=reply_text("via proxy")))
    async with rs.AsyncClient(
        base_url="http://upstream.invalid/v1", transport=transport, max_retries=0
    ) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "via proxy"
    assert server.received[0].headers["host"] == "upstream.invalid"


def test_no_proxy_hosts_go_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """``NO_PROXY`` entries (names, suffixes, addresses, URLs, ``*``) become direct routes, as in httpx."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "localhost, 10.1.2.3,::1,.internal.test,http://direct.test")
    assert environment_proxies() == {
        "https://": "http://proxy.test:3128",
        "all://localhost": None,
        "all://10.1.2.3": None,
        "all://[::1]": None,
        "all://*.internal.test": None,
        "http://direct.test": None,
    }
    monkeypatch.setenv("NO_PROXY", "*")
    assert environment_proxies() == {}


# --- compressed bodies over a real socket -----------------------------------------------------


@on_every_stack
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_stream_rebuilds_the_same_completion(
    server: ScriptedServer, stack: str, encoding: str
) -> None:
    """gzip and deflate bodies are inflated once, by us, in bounded pieces, on every stack."""
    plain = testing.load_sse("openai-python_parallel-tool-calls.sse")
    compressed = gzip.compress(plain) if encoding == "gzip" else zlib.compress(plain)
    headers = {"content-type": "text/event-stream", "content-encoding": encoding}
    server.script.append(Reply(headers=headers, pieces=testing.split_pieces(compressed, 97)))
    async with rs_client(stack, base_url=server.url) as client:
        completion = await client.complete(model="m", messages=MESSAGES)
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["GetWeatherArgs", "get_stock_price"]


@on_every_stack
async def test_a_corrupt_gzip_stream_is_incomplete_and_keeps_what_came(
    server: ScriptedServer, stack: str
) -> None:
    """gzip that turns to garbage mid-stream is an IncompleteStreamError with the events before it."""
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    start = compressor.compress(b"".join(reply_text("kept")[:1])) + compressor.flush(zlib.Z_SYNC_FLUSH)
    headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
    # Apart (pause), so that the garbage comes in a read of its own: inflating a read that
    # holds both would fail whole, and that read's good events with it.
    server.script.append(Reply(headers=headers, pieces=[start, b"\x00garbage-not-deflate" * 4], pause=0.1))
    async with rs_client(stack, base_url=server.url) as client:
        with pytest.raises(rs.IncompleteStreamError) as caught:
            await client.complete(model="m", messages=MESSAGES)
    assert isinstance(caught.value.__cause__, httpx.DecodingError)
    assert caught.value.completion is not None
    assert caught.value.completion.choices[0].message.content == "kept"


# --- a connection reset mid-stream ------------------------------------------------------------


CHUNKED_SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


@contextmanager
def raw_server(reply: bytes | None) -> Iterator[tuple[str, list[bytes]]]:
    """A raw HTTP/1.1 server on loopback that sends ``reply`` and then resets the connection.

    ``reply=None``: it closes each connection as soon as the request is in, without a word.
    Yields the chat URL and the list of requests received (grows as they come).
    """
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener was shut down: the test is over
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                while len(body) < length:
                    body += connection.recv(65536)
                received.append(head)
                if reply is None:
                    continue  # closed unanswered
                connection.sendall(reply)
                time.sleep(0.1)  # the client reads the reply before the reset can discard it
                # SO_LINGER on, timeout 0: close() sends RST, not FIN (a proxy or load balancer's cut).
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1/chat/completions", received
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not, on Linux)
        listener.close()
        thread.join(timeout=5)


@on_every_stack
async def test_a_connection_reset_mid_stream_is_incomplete_never_a_timeout(stack: str) -> None:
    """A reset after the first chunk is IncompleteStreamError caused by the stack's error, not a timeout."""
    event = b"".join(reply_text("Hel", "lo")[:1])
    with raw_server(CHUNKED_SSE_HEAD + f"{len(event):x}\r\n".encode() + event + b"\r\n") as (url, _):
        async with http_client(stack) as http:
            with anyio.fail_after(10), pytest.raises(rs.IncompleteStreamError) as caught:
                async with rs.aconnect_chat_stream(http, "POST", url, json=BODY) as stream:
                    await stream.until_done()
    error = caught.value
    assert not isinstance(error, rs.StreamTimeoutError)
    assert isinstance(error.__cause__, error_class(stack, "TransportError"))
    assert not isinstance(error.__cause__, error_class(stack, "TimeoutException"))
    assert error.completion is not None
    assert error.completion.choices[0].message.content == "Hel"
    assert stream.response.is_closed


@on_every_stack
async def test_a_connection_reset_mid_stream_through_the_default_client_is_incomplete(stack: str) -> None:
    """The same through ``rs.AsyncClient``'s own client, whose aiohttp bodies are read from aiohttp itself."""
    event = b"".join(reply_text("Hel", "lo")[:1])
    with raw_server(CHUNKED_SSE_HEAD + f"{len(event):x}\r\n".encode() + event + b"\r\n") as (url, _):
        base_url = url.removesuffix("/chat/completions")
        async with rs_client(stack, base_url=base_url, max_retries=0) as client:
            with anyio.fail_after(10), pytest.raises(rs.IncompleteStreamError) as caught:
                async with client.stream(model="m", messages=MESSAGES) as stream:
                    await stream.until_done()
    error = caught.value
    assert not isinstance(error, rs.StreamTimeoutError)
    assert isinstance(error.__cause__, error_class(stack, "TransportError"))
    assert not isinstance(error.__cause__, error_class(stack, "TimeoutException"))
    cause: Any = error.__cause__
    assert cause.request is stream.response.request  # as httpx attaches it
    assert error.completion is not None
    assert error.completion.choices[0].message.content == "Hel"
    assert stream.response.is_closed


@on_every_stack
async def test_a_cookie_the_server_sets_is_sent_back(server: ScriptedServer, stack: str) -> None:
    """A ``Set-Cookie`` (a load balancer's affinity, say) is kept by the client and sent on the next call."""
    headers = {"content-type": "text/event-stream", "set-cookie": "route=b7; Path=/"}
    server.script.append(Reply(headers=headers, pieces=reply_text("one")))
    server.script.append(Reply(pieces=reply_text("two")))
    async with rs_client(stack, base_url=server.url) as client:
        await client.complete(model="m", messages=MESSAGES)
        await client.complete(model="m", messages=MESSAGES)
    assert "cookie" not in server.received[0].headers
    assert server.received[1].headers["cookie"] == "route=b7"


@on_every_stack
async def test_a_connection_dropped_before_the_answer_is_retried_and_never_a_timeout(stack: str) -> None:
    """A server that hangs up unanswered is tried again, then its stack's protocol error is raised.

    httpx-aiohttp calls this a ``ConnectTimeout``; it must not become a StreamTimeoutError.
    """
    with raw_server(None) as (url, received):
        async with rs_client(stack, base_url=url.removesuffix("/chat/completions"), max_retries=1) as client:
            with anyio.fail_after(10), pytest.raises(error_class(stack, "TransportError")) as caught:
                await client.complete(model="m", messages=MESSAGES)
    assert not isinstance(caught.value, error_class(stack, "TimeoutException"))
    assert len(received) == 2


@on_every_stack
async def test_a_closed_streams_response_is_freed_at_once_not_by_the_cycle_collector(
    server: ScriptedServer, stack: str
) -> None:
    """Nothing of a finished stream waits for a garbage-collector pass (httpx ties its response
    and body into a cycle; with a thousand streams those piles are what the collector walks)."""
    server.script.extend(Reply(pieces=reply_text("ok")) for _ in range(2))
    async with rs_client(stack, base_url=server.url) as client:
        await client.complete(model="m", messages=MESSAGES)  # the connection pool is set up
        gc.collect()
        gc.disable()
        try:
            async with client.stream(model="m", messages=MESSAGES) as stream:
                assert (await stream.until_done()).choices[0].message.content == "ok"
            response = weakref.ref(stream.response)
            del stream
            assert response() is None
        finally:
            gc.enable()
