"""A whole ``text_completion`` sent instead of a stream, as the stream it would have been. Pure.

An upstream that ignores ``stream: true`` answers with one JSON object; a legacy completion
has the very shape of a chunk (``choices[].text``, ``usage``), so it is one chunk followed by
``[DONE]``, and the stream, its completion, usage and stats come out as for a streamed answer.
"""

from __future__ import annotations

import msgspec

from ._models import CompletionChunk

__all__ = ["whole_completion_body"]

_decoder = msgspec.json.Decoder(CompletionChunk)
_DONE = b"\n\ndata: [DONE]\n\n"


def whole_completion_body(body: bytes) -> bytes | None:
    """The event-stream body of a whole ``text_completion`` JSON body, or ``None`` if it is not one."""
    try:
        whole = _decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None  # not JSON, or an error object (the chunk's trap): not an answer
    if whole.object != "text_completion" or not whole.choices:
        return None
    return b"data: " + msgspec.json.encode(whole) + _DONE
