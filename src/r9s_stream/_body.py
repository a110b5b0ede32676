"""The bytes of a response body, read so that a small read can never inflate into a big one.

httpx decompresses each network read whole: 64 KiB of gzip can become 64 MiB before the
stream sees a byte, past any ``max_event_size``. Here gzip and deflate bodies are inflated
by us, at most ``_PIECE`` bytes at a time. Other bodies (identity, br, zstd, stacked
encodings) are read through httpx as usual.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ._transport import HTTPResponse

__all__ = ["body_reader"]

_PIECE = 64 * 1024


def body_reader(response: HTTPResponse) -> AsyncIterator[bytes]:
    """An async iterator over the decoded body of ``response``, in bounded pieces."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return _inflate(response, zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _inflate(response, zlib.MAX_WBITS)
    return response.aiter_bytes()


async def _inflate(response: HTTPResponse, wbits: int) -> AsyncIterator[bytes]:
    inflater = zlib.decompressobj(wbits)
    first = True
    held = b""
    async for data in response.aiter_raw():
        if first and wbits == zlib.MAX_WBITS and len(held) + len(data) < 2:
            # zlib judges its header on two bytes: with one, a raw deflate body is not yet
            # refused, and the fallback below would come a read too late.
            held += data
            continue
        if held:
            data, held = held + data, b""
        try:
            piece = inflater.decompress(data, _PIECE)
        except zlib.error:
            if not (first and wbits == zlib.MAX_WBITS):
                raise httpx.DecodingError("the response body could not be decompressed") from None
            # `deflate` is sent both with and without the zlib header (as httpx allows).
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                piece = inflater.decompress(data, _PIECE)
            except zlib.error:
                raise httpx.DecodingError("the response body could not be decompressed") from None
        first = False
        while True:
            if piece:
                yield piece
            if not inflater.unconsumed_tail:
                break
            try:
                piece = inflater.decompress(inflater.unconsumed_tail, _PIECE)
            except zlib.error:
                raise httpx.DecodingError("the response body could not be decompressed") from None
    if held:  # the whole body was one byte
        piece = inflater.decompress(held)
        if piece:
            yield piece
    tail = inflater.flush()
    if tail:
        yield tail
