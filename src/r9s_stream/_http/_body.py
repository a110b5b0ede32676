"""The bytes of a response body, read so that a small read can never inflate into a big one.

httpx decompresses each network read whole: 64 KiB of gzip can become 64 MiB before the
stream sees a byte, past any ``max_event_size``. Here gzip and deflate bodies are inflated
by us, at most ``_PIECE`` bytes at a time. Other bodies (br, zstd, stacked encodings) are
read through httpx as usual.

A response of the default client's aiohttp transport (``_aiohttp.py``) carries aiohttp's
body reader: its raw bytes are read from it directly (``RawBody``), not through httpx's
chain of async generators.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

if TYPE_CHECKING:
    from ._types import HTTPResponse

__all__ = ["BODY_EXTENSION", "RawBody", "body_reader", "known_ended"]

_PIECE = 64 * 1024

# The most one read of aiohttp's buffer hands over (httpx's own transport reads 64 KiB at most).
# Smaller than that: the events of one read are decoded and held together until handed out,
# and with a thousand streams behind on their reads, 64 KiB batches (~300 events) kept the
# garbage collector busy (~50% more young collections over 1,000 streams of 100 chunks).
_READ_SIZE = 8 * 1024

# The response extension in which our aiohttp transport hands over aiohttp's body reader.
BODY_EXTENSION = "r9s_stream.aiohttp_body"

# The encodings inflated here, and their zlib window bits.
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


def body_reader(response: HTTPResponse) -> AsyncIterator[bytes]:
    """An async iterator over the decoded body of ``response``, in bounded pieces."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    wbits = _WBITS.get(encoding, 0)
    direct = _direct(response)
    if wbits:
        return _inflate(response.aiter_raw() if direct is None else direct, wbits)
    if direct is not None and encoding in ("", "identity"):  # what httpx would not decode either
        return direct
    return response.aiter_bytes()


def known_ended(reader: AsyncIterator[bytes]) -> bool:
    """Whether ``reader`` is known, without waiting, to have nothing left (aiohttp's reader at its end)."""
    return isinstance(reader, RawBody) and reader.at_end()


def _direct(response: HTTPResponse) -> RawBody | None:
    """The raw body read from aiohttp, for a response of our own aiohttp transport."""
    if isinstance(response, httpx.Response):
        content = response.extensions.get(BODY_EXTENSION)
        if content is not None:
            return RawBody(content, response.request)
    return None


class RawBody:
    """The raw body from aiohttp's reader, one call a read: what ``response.aiter_raw()`` yields.

    aiohttp's reads as they come, up to ``_READ_SIZE`` each; its errors renamed by
    httpx-aiohttp's map and given the request, as that chain would raise them. Closing stays
    the response's.
    """

    __slots__ = ("_content", "_request")

    def __init__(self, content: Any, request: httpx.Request) -> None:
        self._content = content  # aiohttp.StreamReader (aiohttp is imported only on asyncio)
        self._request = request

    def __aiter__(self) -> RawBody:
        return self

    def at_end(self) -> bool:
        """Whether the whole body has been read: nothing buffered, and the end received."""
        ended: bool = self._content.at_eof()
        return ended

    async def __anext__(self) -> bytes:
        try:
            data: bytes = await self._content.read(_READ_SIZE)
        except Exception as error:
            _rename(error, self._request)
        if not data:
            raise StopAsyncIteration
        return data


def _rename(error: Exception, request: httpx.Request) -> NoReturn:
    from httpx_aiohttp.transport import map_aiohttp_exceptions

    try:
        with map_aiohttp_exceptions():
            raise error
    except httpx.RequestError as renamed:
        renamed.request = request  # as httpx's request_context() does around each read
        raise


async def _inflate(raw: AsyncIterator[bytes], wbits: int) -> AsyncIterator[bytes]:
    inflater = zlib.decompressobj(wbits)
    first = True
    held = b""
    async for data in raw:
        if first and wbits == zlib.MAX_WBITS and len(held) + len(data) < 2:
            # zlib judges its header on two bytes: with one, a raw deflate body is not yet
            # refused, and the fallback below would come a read too late.
            held += data
            continue
        if held:
            data, held = held + data, b""
        before = inflater.copy()  # ~0.2 µs: what the read inflated to before a corrupt byte
        try:
            piece = inflater.decompress(data, _PIECE)
        except zlib.error:
            if not (first and wbits == zlib.MAX_WBITS):
                for piece in _until_corrupt(before.decompress, data):
                    yield piece
                raise _corrupt() from None
            # `deflate` is sent both with and without the zlib header (as httpx allows).
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                piece = inflater.decompress(data, _PIECE)
            except zlib.error:
                raise _corrupt() from None
        first = False
        while True:
            if piece:
                yield piece
            tail = inflater.unconsumed_tail
            if not tail:
                break
            before = inflater.copy()
            try:
                piece = inflater.decompress(tail, _PIECE)
            except zlib.error:
                for piece in _until_corrupt(before.decompress, tail):
                    yield piece
                raise _corrupt() from None
    if held:  # the whole body was one byte
        piece = inflater.decompress(held)
        if piece:
            yield piece
    tail = inflater.flush()
    if tail:
        yield tail


def _until_corrupt(decompress: Callable[[bytes], bytes], data: bytes) -> Iterator[bytes]:
    """What ``data`` inflates to up to its first corrupt byte (``decompress``: of the inflater
    as it was before ``data``), in pieces of about ``_PIECE``.

    A failed ``decompress`` returns nothing, so the events of a read before the garbage in it
    would be lost; fed again a byte at a time (only ever on this error path), they are not.
    """
    pieces: list[bytes] = []
    size = 0
    for start in range(len(data)):
        try:
            piece = decompress(data[start : start + 1])  # one byte inflates to ≤ ~1 KiB
        except zlib.error:
            break
        pieces.append(piece)
        size += len(piece)
        if size >= _PIECE:
            yield b"".join(pieces)
            pieces, size = [], 0
    if pieces:
        yield b"".join(pieces)


def _corrupt() -> httpx.DecodingError:
    return httpx.DecodingError("the response body could not be decompressed")
