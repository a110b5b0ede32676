"""Response bytes → the ``(event name, data)`` of each complete server-sent event. Pure, no I/O.

The decoders of the wire kinds that name their events (Responses, Messages) and of those that
do not (Completions) start here; chat has a decoder of its own, tuned to its one shape. The
two shapes real servers send are split without interpreting lines one by one:

- ``data: {...}`` alone (data-only streams: OpenRouter, LM Studio, the r9s gateway's
  converters, Completions);
- ``event: NAME`` then ``data: {...}`` (OpenAI's and Anthropic's own servers).

Anything else — comments, ``id:`` / ``retry:`` fields, data on several lines, fields without
a space after the colon — is read field by field by the WHATWG rules (``parse_event``). An
event's name is ``""`` when it has no ``event:`` field (the standard's ``message``).
"""

from __future__ import annotations

from .._exceptions import EventTooLargeError
from ._framing import DEFAULT_MAX_EVENT_SIZE, SSEFramer, parse_event

__all__ = ["RawEvent", "SSEEventSplitter"]

RawEvent = tuple[str, bytes]
"""One event: its ``event:`` name (``""`` for none) and its data, lines joined with LF."""

_DATA = b"data: "
_EVENT = b"event: "
_NO_EVENTS: list[RawEvent] = []


class SSEEventSplitter:
    """Buffers response bytes; ``feed()`` returns the events they complete.

    Raises ``EventTooLargeError`` when one event passes ``max_event_size`` (``position`` is
    the number of events handed out before it); after that, or after ``close()``, input is
    ignored. When the complete events of the same read come before the large one, they are
    returned first and the error is raised by the next ``feed()`` or ``finish()``: nothing
    received whole is lost.
    """

    __slots__ = ("_closed", "_deferred", "_framer", "_limit", "events")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._framer = SSEFramer(max_event_size)
        self._limit = max_event_size
        self._closed = False
        self._deferred: EventTooLargeError | None = None  # raised once the events before it are out
        self.events = 0  # events handed out so far

    @property
    def idle(self) -> bool:
        """True when open (no error held back either) and nothing is held: the next bytes start
        a new event on a new line."""
        return not self._closed and self._framer.idle

    def close(self) -> None:
        """Ignore all further input (the stream's end came, or it failed)."""
        self._closed = True

    def feed(self, data: bytes) -> list[RawEvent]:
        """The events that ``data`` completes, in order."""
        if self._closed:
            self._raise_deferred()
            return _NO_EVENTS
        try:
            framed = self._framer.feed(data)
        except OverflowError:
            raise self._too_large() from None
        if framed is None:
            return _NO_EVENTS
        head, data, end = framed
        return self.split(head + data[:end] if head else data[:end])

    def feed_block(self, data: bytes) -> bytes | None:
        """The block of complete events ``data`` completes (joined by blank lines), or ``None``.

        For a decoder that reads a whole block at once when it has its common shape, and
        hands it to ``split()`` when it has not (``feed()`` is the two in one call).
        """
        if self._closed:
            self._raise_deferred()
            return None
        try:
            framed = self._framer.feed(data)
        except OverflowError:
            raise self._too_large() from None
        if framed is None:
            return None
        head, data, end = framed
        return head + data[:end] if head else data[:end]

    def _too_large(self) -> EventTooLargeError:
        """Stop: the event the framer holds passed the limit."""
        self._closed = True
        return EventTooLargeError(
            limit=self._limit,
            data=self._framer.pending_bytes()[:200].decode("utf-8", "replace"),
            position=self.events,
        )

    def finish(self) -> list[RawEvent]:
        """At the end of input: the event the server did not close with a blank line, if any."""
        if self._closed:
            self._raise_deferred()
            return _NO_EVENTS
        self._closed = True
        block = self._framer.finish()
        return _NO_EVENTS if block is None else self.split(block)

    def _raise_deferred(self) -> None:
        error = self._deferred
        if error is not None:
            self._deferred = None
            raise error

    def split(self, block: bytes) -> list[RawEvent]:
        """The events of a block (``feed_block()``'s), in order."""
        found: list[RawEvent] = []
        limit = self._limit
        for raw in block.split(b"\n\n"):
            if len(raw) > limit:  # it arrived whole in one read, past the framer's check
                self._closed = True
                self.events += len(found)
                error = EventTooLargeError(
                    limit=limit, data=raw[:200].decode("utf-8", "replace"), position=self.events
                )
                if not found:
                    raise error
                self._deferred = error
                return found
            if raw.startswith(_DATA):
                if raw.find(b"\n") < 0:
                    found.append(("", raw[6:]))
                    continue
            elif raw.startswith(_EVENT):
                line_end = raw.find(b"\n")
                if line_end > 0 and raw.startswith(_DATA, line_end + 1) and raw.find(b"\n", line_end + 1) < 0:
                    found.append((raw[7:line_end].decode("utf-8", "replace"), raw[line_end + 7 :]))
                    continue
            elif not raw:
                continue
            event = parse_event(raw)
            if event is not None:
                found.append((event.event if event.event != "message" else "", event.data.encode()))
        self.events += len(found)
        return found
