"""Anthropic Messages stream events: a msgspec tagged union on the JSON ``type``.

Each class declares its readable ``type`` (the wire's string) as a ``ClassVar``, so
``event.type == "content_block_delta"`` and ``match event: case ContentBlockDeltaEvent(...)``
both work. An event of a type this version does not know is an ``UnknownEvent`` holding its
``type`` and its data; it is never fatal.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

import msgspec

from ._models import ContentBlock, Delta, Message, Usage

__all__ = [
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "ErrorDetail",
    "ErrorEvent",
    "MessageDelta",
    "MessageDeltaEvent",
    "MessageStartEvent",
    "MessageStopEvent",
    "MessageStreamEvent",
    "PingEvent",
    "UnknownEvent",
]


class _Event(msgspec.Struct, kw_only=True, tag_field="type", repr_omit_defaults=True):
    """Every known event: tagged on ``type``."""


class MessageStartEvent(_Event, tag="message_start"):
    """The message begins: its id, model, role and the usage of the input."""

    type: ClassVar[Literal["message_start"]] = "message_start"
    message: Message = msgspec.field(default_factory=Message)


class ContentBlockStartEvent(_Event, tag="content_block_start", kw_only=True):
    """Block ``index`` begins (a tool call's id and name come here; a tool result whole)."""

    type: ClassVar[Literal["content_block_start"]] = "content_block_start"
    index: int = 0
    content_block: ContentBlock


class ContentBlockDeltaEvent(_Event, tag="content_block_delta", kw_only=True, gc=False):
    """More of block ``index``: text, thinking, tool-call JSON, a signature or a citation."""

    type: ClassVar[Literal["content_block_delta"]] = "content_block_delta"
    index: int = 0
    delta: Delta


class ContentBlockStopEvent(_Event, tag="content_block_stop", gc=False):
    """Block ``index`` is complete."""

    type: ClassVar[Literal["content_block_stop"]] = "content_block_stop"
    index: int = 0


class MessageDelta(msgspec.Struct, kw_only=True, repr_omit_defaults=True, gc=False):
    """What a ``message_delta`` changes on the message."""

    stop_reason: str | None = None
    stop_sequence: str | None = None


class MessageDeltaEvent(_Event, tag="message_delta"):
    """Why the message stopped, and the usage so far (each non-null field replaces the last)."""

    type: ClassVar[Literal["message_delta"]] = "message_delta"
    delta: MessageDelta = msgspec.field(default_factory=MessageDelta)
    usage: Usage | None = None


class MessageStopEvent(_Event, tag="message_stop", gc=False):
    """The message is complete: the stream's end."""

    type: ClassVar[Literal["message_stop"]] = "message_stop"


class PingEvent(_Event, tag="ping", gc=False):
    """A keep-alive; the stream never hands it out."""

    type: ClassVar[Literal["ping"]] = "ping"


class ErrorDetail(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """The error an ``error`` event reports (``overloaded_error``, ``api_error`` …)."""

    type: str = ""
    message: str = ""


class ErrorEvent(_Event, tag="error"):
    """The server failed mid-stream; the stream raises ``StreamAPIError`` for it."""

    type: ClassVar[Literal["error"]] = "error"
    error: ErrorDetail = msgspec.field(default_factory=ErrorDetail)
    request_id: str | None = None


class UnknownEvent(msgspec.Struct, kw_only=True):
    """An event of a type this version does not know: its ``type`` and its data as sent."""

    type: str
    data: Any = None


MessageStreamEvent: TypeAlias = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | ErrorEvent
    | UnknownEvent
)
"""Any event of a Messages stream."""

KnownEvent: TypeAlias = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | ErrorEvent
)

EVENT_TYPES = frozenset(
    event.type
    for event in (
        MessageStartEvent,
        ContentBlockStartEvent,
        ContentBlockDeltaEvent,
        ContentBlockStopEvent,
        MessageDeltaEvent,
        MessageStopEvent,
        PingEvent,
        ErrorEvent,
    )
)
