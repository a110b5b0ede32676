"""Messages bytes → events, the stream's end and its errors.

Each event is one msgspec decode into the tagged union (dispatch on the payload's ``type``).
Only when that fails does the slow path look closer (``_lenient``): a payload without a
``type`` takes its ``event:`` name (the gateway's converters may drop either); a block or
delta of an unknown type is kept whole; an event of an unknown type is an ``UnknownEvent``.

The end: ``message_stop``. A stream that never had a ``message_start`` — the r9s gateway's
form from a chat upstream, data-only, with no ``message_stop`` either — is complete when its
body ends cleanly after a ``message_delta`` carrying a ``stop_reason``. ``ping`` events are
not handed out; an ``error`` event is a ``StreamAPIError``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from .._exceptions import EventTooLargeError, StreamAPIError, StreamDecodeError, StreamError
from .._sse._events import RawEvent, SSEEventSplitter
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._events import (
    EVENT_TYPES,
    ContentBlockDeltaEvent,
    ErrorEvent,
    KnownEvent,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    MessageStreamEvent,
    PingEvent,
    UnknownEvent,
)
from ._models import CONTENT_BLOCK_TYPES, DELTA_TYPES, UNKNOWN_TAG

__all__ = ["MessageDecoder"]

_decode = msgspec.json.Decoder(KnownEvent).decode
_decode_any = msgspec.json.Decoder().decode
_decode_many = msgspec.json.Decoder(list[KnownEvent]).decode
# The payload of each plain named event of a block (an event starts the block or follows a blank line).
_NAMED = re.compile(rb"(?:\A|\n\n)event: [^\n]*\ndata: ([^\n]*)")
_EVENT = b"event: "
_DATA = b"data: "


class MessageDecoder:
    """Turns the bytes of a Messages stream into its events; never raises for bad input.

    ``done`` once the end has come; ``error`` when a payload does not decode, an event is
    too large, or the server sent an ``error`` event.
    """

    __slots__ = (
        "_fast",
        "_idle",
        "_one_event_limit",
        "_split",
        "_started",
        "_stop_reason",
        "done",
        "error",
        "events",
    )

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._split = SSEEventSplitter(max_event_size)
        self._started = False  # a message_start came: the stream must end with message_stop
        self._stop_reason = False  # a message_delta carried a stop_reason
        # A read may take the one-event path only while the splitter holds nothing (no event
        # begun, no CR pending, the BOM decided: not before the first read), see feed().
        self._idle = False
        self._fast = 0  # events decoded on that path, which the splitter did not count
        self._one_event_limit = max_event_size + 2  # the event and its blank line
        self.done = False
        self.error: StreamError | None = None
        self.events = 0  # events decoded so far (pings included)

    @property
    def stopped(self) -> bool:
        """``done`` or ``error``: nothing more will be decoded."""
        return self.done or self.error is not None

    def feed(self, data: bytes) -> list[MessageStreamEvent]:
        """The events that ``data`` completes."""
        if self._idle:
            # A live server's read: one whole `event: NAME` + `data: {...}` event (or a data-only
            # one) and nothing else. Its only LFs end its lines and it has no CR, so the framing
            # rules have nothing to add: decoded straight from the read (each C call ≈ 1,000
            # instructions; these are the fewest that decide it).
            first = data.find(b"\n")
            if data[:7] == _EVENT:
                start = first + 7 if data[first + 1 : first + 7] == _DATA else -1
            else:
                start = 6 if data[:6] == _DATA else -1
            if (
                start > 0
                and data.find(b"\n", start) == len(data) - 2
                and data[-1] == 10
                and data.find(b"\r") < 0
                and len(data) <= self._one_event_limit
            ):
                payload = data[start:]  # JSON takes the blank line's LFs as whitespace
                try:
                    event: MessageStreamEvent = _decode(payload)
                except msgspec.DecodeError:
                    pass  # an unknown type, bad JSON …: the careful path says which
                else:
                    self.events += 1
                    self._fast += 1
                    if type(event) is ContentBlockDeltaEvent:
                        return [event]
                    out: list[MessageStreamEvent] = []
                    if self._accept(event, payload, out):
                        return out
                    self._idle = False
                    return out
        split = self._split
        try:
            block = split.feed_block(data)
        except EventTooLargeError as error:
            self._too_large(error)
            return []
        if block is None:
            events: list[MessageStreamEvent] = []
        else:
            batch = self._decode_batch(block)
            events = self._decode_all(split.split(block)) if batch is None else batch
        self._idle = split.idle and not self.stopped
        return events

    def _decode_batch(self, block: bytes) -> list[MessageStreamEvent] | None:
        """A block of plain named events (`event: NAME` + one `data:` line each) in one decode.

        The payloads are found by one regular expression and decoded as one JSON array; the
        counts prove the shape (each event is its two lines and nothing else). ``None`` for
        any other block, or one that does not decode: ``split()`` and the careful path then
        take it event by event.
        """
        if len(block) > self._one_event_limit:  # an event in it may pass max_event_size
            return None
        payloads = _NAMED.findall(block)
        count = len(payloads)
        if count < 2 or block.count(b"\n\n") != count - 1 or block.count(b"\n") != 3 * count - 2:
            return None
        try:
            decoded = _decode_many(b"[" + b",".join(payloads) + b"]")
        except msgspec.DecodeError:
            return None
        if len(decoded) != count:  # a payload of two values: bad JSON, which the careful path reports
            return None
        self._fast += count
        out: list[MessageStreamEvent] = []
        for index, event in enumerate(decoded):
            if type(event) is ContentBlockDeltaEvent:
                out.append(event)
            elif not self._accept(event, payloads[index], out):
                self.events += index + 1
                return out
        self.events += count
        return out

    def finish(self) -> list[MessageStreamEvent]:
        """At the body's clean end: the last unterminated event; done for the gateway's form."""
        if self.stopped:
            return []
        try:
            raw = self._split.finish()
        except EventTooLargeError as error:  # held back while the events before it went out
            self._too_large(error)
            return []
        events = self._decode_all(raw)
        if not self.stopped and not self._started and self._stop_reason:
            self.done = True
        return events

    def _too_large(self, error: EventTooLargeError) -> None:
        # Its position counts every event before it, the splitter's and the fast paths'.
        position = error.position + self._fast
        self.error = EventTooLargeError(limit=error.limit, data=error.data, position=position)
        self._idle = False

    def missing_end(self, events: int) -> str:
        """What ``IncompleteStreamError`` says of a body that ended early."""
        if self._started:
            return f"the Messages stream ended after {events} events without message_stop"
        return (
            f"the Messages stream ended after {events} events without message_stop "
            "or a message_delta carrying a stop_reason"
        )

    def _decode_all(self, raw: list[RawEvent]) -> list[MessageStreamEvent]:
        out: list[MessageStreamEvent] = []
        for name, payload in raw:
            try:
                event: MessageStreamEvent = _decode(payload)
            except msgspec.DecodeError:
                if payload == b"[DONE]":  # some proxies close every stream so
                    continue
                try:
                    event = _lenient(name, payload)
                except (msgspec.DecodeError, UnicodeDecodeError) as error:
                    self.error = StreamDecodeError(
                        f"a Messages event that does not decode: {error}",
                        data=payload[:200].decode("utf-8", "replace"),
                        position=self.events,
                    )
                    self._split.close()
                    return out
            self.events += 1
            if type(event) is ContentBlockDeltaEvent:  # most events: checked first
                out.append(event)
            elif not self._accept(event, payload, out):
                return out
        return out

    def _accept(self, event: MessageStreamEvent, payload: bytes, out: list[MessageStreamEvent]) -> bool:
        """Hand out ``event`` (not a ping) and note the end; False once nothing more is decoded."""
        if type(event) is PingEvent:
            return True
        if type(event) is MessageStopEvent:
            out.append(event)
            self.done = True
            self._split.close()  # nothing after the end is decoded
            return False
        if type(event) is ErrorEvent:
            self.error = _api_error(event, payload)
            self._split.close()
            return False
        if type(event) is MessageStartEvent:
            self._started = True
        elif type(event) is MessageDeltaEvent and event.delta.stop_reason is not None:
            self._stop_reason = True
        out.append(event)
        return True


def _api_error(event: ErrorEvent, payload: bytes) -> StreamAPIError:
    """The ``StreamAPIError`` an ``error`` event stands for, with the server's request id."""
    detail = event.error
    message = detail.message or f"the server sent an error event ({detail.type or 'no type'})"
    error = StreamAPIError(message, error_type=detail.type or None, body=payload.decode("utf-8", "replace"))
    error.request_id = event.request_id
    return error


def _lenient(name: str, payload: bytes) -> MessageStreamEvent:
    """The slow path: a payload the tagged union refused, read field by field.

    Raises ``msgspec.DecodeError`` (a ``ValidationError`` included) when it is not JSON, or a
    known event whose fields have the wrong types.
    """
    data: Any = _decode_any(payload)
    if not isinstance(data, dict):
        raise msgspec.ValidationError("a Messages event must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        kind = data["type"] = name  # only a payload without a type goes by its event: name
    if kind not in EVENT_TYPES:
        return UnknownEvent(type=kind, data=data)
    if kind == "content_block_start":
        data["content_block"] = _known_or_kept(data.get("content_block"), CONTENT_BLOCK_TYPES)
    elif kind == "content_block_delta":
        data["delta"] = _known_or_kept(data.get("delta"), DELTA_TYPES)
    elif kind == "message_start":
        message = data.get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            message["content"] = [_known_or_kept(block, CONTENT_BLOCK_TYPES) for block in message["content"]]
    event: KnownEvent = msgspec.convert(data, KnownEvent)
    return event


def _known_or_kept(value: Any, known: frozenset[str]) -> Any:
    """A block or delta as it is when its type is known; else wrapped to become an Unknown… one."""
    if isinstance(value, dict) and value.get("type") not in known:
        return {"type": UNKNOWN_TAG, "data": value}
    return value
