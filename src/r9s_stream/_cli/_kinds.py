"""Which wire kind a recorded stream is, told from its first events (for ``r9s-stream replay``)."""

from __future__ import annotations

from typing import Literal

import msgspec

from .._exceptions import EventTooLargeError
from .._sse._events import SSEEventSplitter

__all__ = ["KINDS", "Kind", "detect_kind"]

Kind = Literal["chat", "responses", "messages", "completions"]
KINDS: tuple[Kind, ...] = ("chat", "responses", "messages", "completions")

# Anthropic's event types (the payload's `type`, or the `event:` line).
_MESSAGES = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
    }
)
_LOOKED_AT = 8  # events enough to tell: every kind names itself in its first event or two


class _Head(msgspec.Struct):
    type: str | None = None
    object: str | None = None


_head = msgspec.json.Decoder(_Head)


def detect_kind(body: bytes) -> Kind:
    """The kind of the stream ``body`` holds; ``chat`` when nothing says otherwise."""
    splitter = SSEEventSplitter()
    try:
        events = splitter.feed(body[: 64 * 1024]) + splitter.finish()
    except EventTooLargeError:
        return "chat"
    for name, data in events[:_LOOKED_AT]:
        try:
            head = _head.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError):
            head = _Head()
        kind = head.type or name
        if head.object == "chat.completion.chunk":
            return "chat"
        if head.object == "text_completion":
            return "completions"
        if kind.startswith("response."):
            return "responses"
        if kind in _MESSAGES or (kind == "error" and name == "error" and head.type == "error"):
            return "messages"
    return "chat"
