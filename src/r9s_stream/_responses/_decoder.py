"""Responses bytes → typed events, and the kind's end. Pure, no I/O.

Each payload is decoded once, by msgspec, straight into its event class (a tagged union on
the JSON ``type``); only a payload that decode refuses — an unknown type, an unknown item
inside, no ``type`` at all — takes the careful path (``_lenient``). The ``event:`` line is
read only when the payload has no ``type``. The stream ends at ``response.completed`` or
``response.incomplete``; ``response.failed`` and the ``error`` event end it with a
``StreamAPIError`` at once (the ``response.failed`` that follows an ``error`` is not waited
for). A ``data: [DONE]`` (OpenRouter) is passed over; nothing after the end is decoded.
"""

from __future__ import annotations

import re
from typing import Any, cast

import msgspec

from .._exceptions import StreamAPIError, StreamDecodeError, StreamError
from .._sse._events import RawEvent, SSEEventSplitter
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE
from ._events import (
    KnownResponseEvent,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseStreamEvent,
)
from ._lenient import lenient_event

__all__ = ["ResponsesDecoder"]

_decode = msgspec.json.Decoder(KnownResponseEvent).decode
_decode_any = msgspec.json.Decoder().decode
_decode_many = msgspec.json.Decoder(list[KnownResponseEvent]).decode
# The payload of each plain named event of a block (an event starts the block or follows a blank line).
_NAMED = re.compile(rb"(?:\A|\n\n)event: [^\n]*\ndata: ([^\n]*)")
_ENDS = (ResponseCompletedEvent, ResponseIncompleteEvent)
_FAILS = (ResponseErrorEvent, ResponseFailedEvent)
_STOP_TYPES = frozenset((*_ENDS, *_FAILS))
_NO_EVENTS: list[Any] = []
_EVENT = b"event: "
_DATA = b"data: "


class ResponsesDecoder:
    """Turns the bytes of a Responses stream into its events; never raises for bad input.

    ``feed()`` returns the events the bytes complete. Bad input (a payload that is not JSON,
    an event past ``max_event_size``) and the server's errors set ``error`` and stop
    decoding; the kind's end sets ``done``.
    """

    __slots__ = ("_idle", "_one_event_limit", "_split", "done", "error")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._split = SSEEventSplitter(max_event_size)
        self._one_event_limit = max_event_size + 2  # the event and its blank line
        self.done = False
        self.error: StreamError | None = None
        # The one-event path is open only while the splitter holds nothing (no event begun, no
        # CR pending, the BOM decided, no error deferred) and the stream has neither ended nor failed.
        self._idle = False

    @property
    def stopped(self) -> bool:
        """``done`` or ``error``: nothing more will be decoded."""
        return self.done or self.error is not None

    def feed(self, data: bytes) -> list[ResponseStreamEvent]:
        """The events that ``data`` completes."""
        if self._idle:
            # A live server's read: one whole `event: NAME` + `data: {...}` event (or a data-only
            # one) and nothing else. Its only LFs end its lines and it has no CR, so the framing
            # rules have nothing to add: decoded straight from the read, the name unread (the
            # payload's type decides; one without a type fails here and goes the careful way).
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
                try:
                    event = _decode(data[start:])  # JSON takes the blank line's LFs as whitespace
                except msgspec.DecodeError:
                    pass  # unknown types, no type, [DONE], bad JSON: the careful path says which
                else:
                    if type(event) not in _STOP_TYPES:  # the end and the errors: the careful path
                        self._split.events += 1
                        return [event]
        events = self._feed_split(data)
        self._idle = self.error is None and not self.done and self._split.idle
        return events

    def _feed_split(self, data: bytes) -> list[ResponseStreamEvent]:
        split = self._split
        try:
            block = split.feed_block(data)
            if block is None:
                return _NO_EVENTS
            batch = self._decode_batch(block)
            if batch is not None:
                return batch
            raw = split.split(block)
        except StreamDecodeError as error:
            self.error = error
            return _NO_EVENTS
        if not raw:
            return _NO_EVENTS
        # The common case inline: each payload decodes into a known event that is not the end.
        out: list[ResponseStreamEvent] = []
        append = out.append
        decode = _decode
        for index, (_, payload) in enumerate(raw):
            try:
                event = decode(payload)
            except msgspec.DecodeError:  # unknown types, no type, [DONE], bad JSON: the careful path
                return out + self._decode_all(raw[index:], len(raw) - index)
            if type(event) in _STOP_TYPES:
                return out + self._decode_all(raw[index:], len(raw) - index)
            append(event)
        return out

    def _decode_batch(self, block: bytes) -> list[ResponseStreamEvent] | None:
        """A block of plain named events (`event: NAME` + one `data:` line each) in one decode.

        The payloads are found by one regular expression and decoded as one JSON array; the
        counts prove the shape (each event is its two lines and nothing else, each payload one
        value). ``None`` for any other block, one that does not decode, or one holding the end
        or an error: ``split()`` and the careful path then take it event by event.
        """
        if len(block) > self._one_event_limit:  # an event in it may pass max_event_size
            return None
        payloads = _NAMED.findall(block)
        count = len(payloads)
        if count < 2 or block.count(b"\n\n") != count - 1 or block.count(b"\n") != 3 * count - 2:
            return None
        try:
            decoded = cast("list[ResponseStreamEvent]", _decode_many(b"[" + b",".join(payloads) + b"]"))
        except msgspec.DecodeError:
            return None
        if len(decoded) != count or not _STOP_TYPES.isdisjoint(map(type, decoded)):
            return None
        self._split.events += count
        return decoded

    def finish(self) -> list[ResponseStreamEvent]:
        """At the body's end: the last event, if the server did not close it with a blank line."""
        self._idle = False
        try:
            raw = self._split.finish()
            return self._decode_all(raw, len(raw))
        except StreamDecodeError as error:
            self.error = error
            return _NO_EVENTS

    def missing_end(self, events: int) -> str:
        """What ``IncompleteStreamError`` says of a body that ended without the kind's end."""
        return f"the Responses stream ended after {events} events without response.completed"

    def _decode_all(self, raw: list[RawEvent], left: int) -> list[ResponseStreamEvent]:
        """Decode events (the last ``left`` the splitter handed out), stopping at the end or an error."""
        out: list[ResponseStreamEvent] = []
        position = self._split.events - left
        for index, (name, payload) in enumerate(raw):
            if payload == b"[DONE]":
                continue
            try:
                event = self._one(name, payload)
            except msgspec.DecodeError as error:  # ValidationError included
                self.error = StreamDecodeError(
                    str(error), data=payload.decode("utf-8", "replace"), position=position + index
                )
                self._split.close()
                return out
            out.append(event)
            if isinstance(event, _ENDS):
                self.done = True
                self._split.close()
                return out
            if isinstance(event, _FAILS):
                self.error = api_error(event)
                self._split.close()
                return out
        return out

    @staticmethod
    def _one(name: str, payload: bytes) -> ResponseStreamEvent:
        try:
            return _decode(payload)
        except msgspec.ValidationError:
            pass  # not malformed JSON: a type, item or part not known here, or no type at all
        return cast("ResponseStreamEvent", lenient_event(_decode_any(payload), name))


def api_error(event: ResponseErrorEvent | ResponseFailedEvent) -> StreamAPIError:
    """The ``StreamAPIError`` an ``error`` or ``response.failed`` event stands for."""
    if isinstance(event, ResponseFailedEvent):
        error = event.response.error
        message = error.message if error is not None and error.message else "the response failed"
        return StreamAPIError(
            message,
            error_type=None if error is None else error.type,
            code=None if error is None else error.code,
            param=None if error is None else error.param,
            body=msgspec.json.encode(event).decode(),
        )
    nested = event.error
    message = event.message or (nested.message if nested is not None else None) or "the server sent an error"
    return StreamAPIError(
        message,
        error_type=None if nested is None else nested.type,
        code=event.code or (None if nested is None else nested.code),
        param=event.param or (None if nested is None else nested.param),
        body=msgspec.json.encode(event).decode(),
    )
