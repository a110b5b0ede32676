"""The end of a stream's body: reading its tail after ``[DONE]``, and naming one that ended early."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from .._http._body import known_ended
from .._http._errors import is_transport_error
from ._stats import StreamStats

__all__ = ["drain", "incomplete_message"]

# How long and how much to read after [DONE] before closing.
_DRAIN_TIMEOUT = 0.25
_DRAIN_MAX_BYTES = 65536


async def drain(reader: AsyncIterator[bytes]) -> None:
    """After ``[DONE]``, read the (normally empty) rest of the body, briefly.

    A fully read response returns its connection to the pool, and httpx's chain of async
    generators finishes: trio warns about every one garbage-collected unfinished. A body
    known to be read to its end already (aiohttp's, most often: the end comes with the
    ``[DONE]`` read) needs no read, and no timer (≈ 14 µs a request).
    """
    if known_ended(reader):
        return
    left = _DRAIN_MAX_BYTES
    with anyio.move_on_after(_DRAIN_TIMEOUT):
        try:
            async for data in reader:
                left -= len(data)
                if left <= 0:
                    break
        except Exception as exc:
            if not is_transport_error(exc):
                raise
            # the completion is already whole; a broken tail changes nothing


def incomplete_message(stats: StreamStats, missing_end: str) -> str:
    """What ``IncompleteStreamError`` says of a body that ended before the kind's end.

    ``missing_end`` is the kind's own account (see ``Decoder.missing_end``).
    """
    if stats.chunks == 0 and stats.first_byte_at is None:
        return (
            "the server closed the stream without sending anything (an empty 200 body); "
            "the likely cause is a prompt longer than the model's context window, "
            "which llama.cpp answers this way"
        )
    return missing_end
