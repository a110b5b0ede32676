"""A whole ``response`` object sent instead of a stream, as the stream it would have been. Pure.

A server that ignores ``stream: true`` answers with the response itself as JSON: it is taken
as the one ``response.completed`` event its stream would have ended with, so the stream, its
response, usage and stats come out as for a streamed answer.
"""

from __future__ import annotations

import msgspec

__all__ = ["whole_response_body"]


class _Whole(msgspec.Struct):
    object: str = ""
    status: str | None = None


_decode = msgspec.json.Decoder(_Whole).decode
_TERMINAL = {
    "completed": b"response.completed",
    "incomplete": b"response.incomplete",
    "failed": b"response.failed",
}


def whole_response_body(body: bytes) -> bytes | None:
    """The event stream ``body`` (a whole ``response`` JSON object) stands for; ``None``: not one."""
    try:
        whole = _decode(body)
    except msgspec.DecodeError:
        return None
    kind = _TERMINAL.get(whole.status or "completed")
    if whole.object != "response" or kind is None:
        return None
    return b'data: {"type":"' + kind + b'","response":' + body.strip() + b"}\n\n"
