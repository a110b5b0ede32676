"""A whole Messages answer (``application/json``, a server that ignored ``stream: true``) as its stream.

The message becomes the events that would have streamed it: ``message_start`` (without its
content), each block started whole and stopped, ``message_delta`` with the stop reason and
usage, ``message_stop``. Anything that is not a ``message`` object is not taken.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["whole_message_body"]

_encode = msgspec.json.encode


def whole_message_body(body: bytes) -> bytes | None:
    """The event-stream body a whole ``message`` JSON object stands for, or ``None``."""
    try:
        message: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(message, dict) or message.get("type") != "message":
        return None
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(blocks):
        events.append({"type": "content_block_start", "index": index, "content_block": block})
        events.append({"type": "content_block_stop", "index": index})
    delta = {"stop_reason": message.get("stop_reason"), "stop_sequence": message.get("stop_sequence")}
    events.append({"type": "message_delta", "delta": delta, "usage": message.get("usage")})
    events.append({"type": "message_stop"})
    return b"".join(b"event: %s\ndata: %s\n\n" % (e["type"].encode(), _encode(e)) for e in events)
