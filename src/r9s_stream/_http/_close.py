"""Closing a response so that what it held goes at once, not at the garbage collector's next pass.

httpx's client binds each streamed response's body to the response itself
(``response.stream`` knows its response, to set ``elapsed`` on close): a reference cycle.
Everything the response reaches — the request, both header sets, the transport's response,
its body reader and connection handler, about 40 objects — then outlives the request until
a cycle collection finds it, and with a thousand streams those pile up into the older
generations that every full pass walks. Once the body is closed (``elapsed`` is set by
then) nothing reads ``response.stream`` again, so it is swapped for an empty one and the
cycle is gone. httpx2 keeps no such back-reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ._types import HTTPResponse

__all__ = ["close_response"]

_RELEASED = httpx.ByteStream(b"")


async def close_response(response: HTTPResponse) -> None:
    """``response.aclose()``, then let go of its body stream (see above)."""
    await response.aclose()
    if isinstance(response, httpx.Response):
        response.stream = _RELEASED
