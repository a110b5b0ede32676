"""Chunk decoding: response bytes → typed chunks, the end, or a typed error. Pure, no I/O.

A read that is one whole ``data: {...}`` event and nothing else — what a live server that
flushes every token sends — is decoded straight from the read, with a few C checks around
one msgspec call. The common read of many events — nothing but ``data: {...}`` events,
perhaps ending in ``data: [DONE]`` — is decoded in one msgspec call: a single
``bytes.replace`` turns its events into a JSON array.
Anything else (comments, named events, multi-line data, an error object), or a read whose
fast decode fails, takes the careful path: events are parsed one by one (field by field,
by the WHATWG rules, where they are unusual), so the events before a bad one are still delivered and the
error names the bad one.
"""

from __future__ import annotations

import re

import msgspec

from .._exceptions import (
    EventTooLargeError,
    StreamAPIError,
    StreamDecodeError,
    StreamError,
)
from .._sse._error_lines import api_error_from, bare_error_line, decode_error_envelope
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE, SSEFramer, parse_event
from ._models import ChatCompletionStreamEvent

__all__ = ["ChunkDecoder"]

_DATA = b"data: "
_ONE_START = b"data: {"
_SEPARATOR = b"\n\ndata: "
_DONE = b"\n\ndata: [DONE]"
_SHRINK = len(_SEPARATOR) - 1  # bytes saved by each separator → comma rewrite
# `"error"` may be a token or a content word; only a key (`"error":`) is worth a closer look.
_ERROR_KEY = re.compile(rb'"error"\s*:')
# How many names of skipped events the end's message shows.
_SKIPPED_SHOWN = 3


# What a hostile payload can make msgspec raise: bad JSON or types, bad UTF-8, deep nesting.
_UNDECODABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)

_chunk_decoder = msgspec.json.Decoder(ChatCompletionStreamEvent)
_batch_decoder = msgspec.json.Decoder(list[ChatCompletionStreamEvent])


class ChunkDecoder:
    """Turns the bytes of one SSE response into ``ChatCompletionStreamEvent`` values.

    ``feed()`` never raises for bad input: it returns the chunks decoded before the problem
    and sets ``error``. After ``data: [DONE]`` (``done`` is true) or an error, further input
    is ignored.
    """

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self.done = False
        self.error: StreamError | None = None
        self.events_seen = 0
        # The first names of events skipped for being named (`event: response.created` …):
        # a stream of another wire kind is all of them, and the end's message says so.
        self._skipped: list[str] = []
        self._framer = SSEFramer(max_event_size)
        # A read may take the one-event path only while the framer holds nothing (no event
        # begun, no CR pending, the BOM decided) and the stream has neither ended nor failed.
        self._idle = False
        self._one_event_limit = max_event_size + 2  # the event and its blank line

    @property
    def stopped(self) -> bool:
        """True once the stream has ended or failed: nothing more will be decoded."""
        return self.done or self.error is not None

    def feed(self, data: bytes) -> list[ChatCompletionStreamEvent]:
        """Decode the events that ``data`` completes."""
        if (
            self._idle
            # Its only LFs are the last two and it has no CR: one `data:` line and the blank
            # line that ends the event, so the framer's rules have nothing to add. (Each C
            # method call here costs ~1,000 instructions: the fewest that decide it.)
            and data.find(b"\n") == len(data) - 2
            and data[-1] == 10
            and data[:7] == _ONE_START
            and data.find(b"\r") < 0
            and len(data) <= self._one_event_limit
        ):
            try:
                # JSON allows the trailing blank line as whitespace: one slice, one decode.
                event = _chunk_decoder.decode(data[6:])
            except _UNDECODABLE:
                pass  # an error object, bad UTF-8, bad JSON: the careful path says which
            else:
                self.events_seen += 1
                return [event]
        events = self._feed(data)
        self._idle = self.error is None and not self.done and self._framer.idle
        return events

    def _feed(self, data: bytes) -> list[ChatCompletionStreamEvent]:
        if self.done or self.error is not None:
            return []
        try:
            framed = self._framer.feed(data)
        except OverflowError:
            self._too_large()
            return []
        if framed is None:
            return []
        head, data, end = framed
        if len(head) + end <= self._framer.max_event_size:  # else the careful path checks each
            events = self._decode_fast(head, data, end)
            if events is not None:
                return events
        return self._decode_events(head + data[:end])

    def _decode_fast(self, head: bytes, data: bytes, end: int) -> list[ChatCompletionStreamEvent] | None:
        """The events of ``head + data[:end]`` if every one is a plain chunk, else ``None``.

        The first event may have begun in an earlier read (``head``); the others are all in
        ``data``, where rewriting each `\n\ndata: ` to a comma makes the rest of a JSON array
        (slices cut off the unfinished event and the prefixes). Any newline left
        in it is an unusual line (a comment, a field, data on two lines), and a count that
        differs is an empty or doubled event: both give ``None``, as do error objects, which
        fail to decode (see ChatCompletionStreamEvent._error).
        """
        start = data.find(b"\n\n")
        first = head + data[:start] if head else data[:start]
        # find() rather than `in`: bytes.__contains__ raises and clears a TypeError inside
        # CPython before searching (it first tries the needle as an int), on every call.
        if not first.startswith(_DATA) or first.find(b"\n") >= 0:
            return None
        # The last read of a stream ends in `data: [DONE]`: that one stays on this path too.
        # A chunk ends in `}`: only a read whose events end in `]` can end in [DONE].
        ends_done = (
            end - len(_DONE) >= start and data[end - 1] == 93 and data.startswith(_DONE, end - len(_DONE))
        )
        if ends_done:
            end -= len(_DONE)
        joined = data.replace(_SEPARATOR, b",")
        count = (len(data) - len(joined)) // _SHRINK - data.startswith(_SEPARATOR, end)
        stop = end - _SHRINK * count
        if joined.find(b"\n", start, stop) >= 0:
            return None
        try:
            # One array of all the events: the first one's payload, then the rest, which
            # starts at the comma that replaced the separator after the first.
            # Slices, not memoryviews: copying a few KiB costs less than making two views.
            events = _batch_decoder.decode(b"".join((b"[", first[len(_DATA) :], joined[start:stop], b"]")))
        except _UNDECODABLE:
            return None
        if len(events) != count + 1:
            return None
        self.events_seen += count + 1 + ends_done
        self.done = ends_done
        return events

    def finish(self) -> list[ChatCompletionStreamEvent]:
        """At end of input: decode an event left without its closing blank line.

        A final event the server did not terminate is still delivered when it is complete
        (``data: [DONE]`` without a blank line ends the stream cleanly). A truncated one is
        dropped: the stream is then incomplete, which the caller reports.
        """
        if self.done or self.error is not None:
            return []
        block = self._framer.finish()
        if block is None:
            return []
        events = self._decode_events(block)
        if isinstance(self.error, StreamDecodeError):
            self.error = None
        return events

    def missing_end(self, events: int) -> str:
        """What ``IncompleteStreamError`` says of a body that ended after ``events`` chunks without [DONE]."""
        message = f"the stream ended without data: [DONE] after {events} chunks"
        if events == 0 and self._skipped:
            seen = ", ".join(f"`event: {name}`" for name in self._skipped)
            message += f"; it sent only named events ({seen} …): not a chat-completions stream"
        return message

    # --- the careful path ----------------------------------------------------------------

    def _decode_events(self, block: bytes) -> list[ChatCompletionStreamEvent]:
        payloads: list[bytes] = []
        limit = self._framer.max_event_size
        for raw in block.split(b"\n\n"):
            if len(raw) > limit:  # it arrived whole in one read, past the framer's check
                return self._stop(payloads, _too_large(raw, limit, self.events_seen + len(payloads)))
            if raw.startswith(b"data:") and b"\n" not in raw:
                payload = raw[6:] if raw[5:6] == b" " else raw[5:]
                event_type = "message"
            elif raw:
                # A bare JSON error object on a line of its own, outside any field: what the r9s
                # gateway appends when its upstream breaks (the WHATWG rules would ignore it).
                bare = bare_error_line(raw) if raw[:1] == b"{" or raw.find(b"\n{") >= 0 else None
                event = parse_event(raw)
                if bare is not None:
                    if event is not None and event.event == "message" and event.data.lstrip()[:1] == "{":
                        payloads.append(event.data.encode())  # a chunk in the same block comes first
                    return self._stop(payloads, bare)
                if event is None:
                    continue
                payload = event.data.encode()
                event_type = event.event
            else:
                continue
            stripped = payload.strip()
            if not stripped and event_type != "error":
                continue
            if stripped == b"[DONE]":
                return self._stop(payloads, None)
            if event_type == "error" or (b'"error"' in payload and _ERROR_KEY.search(payload)):
                error = _stream_api_error(payload, named=event_type == "error")
                if error is not None:
                    return self._stop(payloads, error)
            if event_type != "message":
                if len(self._skipped) < _SKIPPED_SHOWN and event_type not in self._skipped:
                    self._skipped.append(event_type)
                continue  # named events other than `error` are not chunks
            payloads.append(payload)
        return self._decode_payloads(payloads)

    def _stop(self, payloads: list[bytes], error: StreamError | None) -> list[ChatCompletionStreamEvent]:
        """Decode the chunks before the end: ``[DONE]`` (no error) or ``error``."""
        events = self._decode_payloads(payloads)
        if self.error is None:  # a bad chunk before the end is the error to report
            self.events_seen += 1
            if error is None:
                self.done = True
            else:
                self.error = error
        return events

    def _decode_payloads(self, payloads: list[bytes]) -> list[ChatCompletionStreamEvent]:
        if not payloads:
            return []
        if len(payloads) > 1:
            try:
                events = _batch_decoder.decode(b"[" + b",".join(payloads) + b"]")
            except _UNDECODABLE:
                pass
            else:
                if len(events) == len(payloads):
                    self.events_seen += len(events)
                    return events
        events = []
        for payload in payloads:
            try:
                event = _decode_one(payload)
            except (msgspec.DecodeError, RecursionError) as exc:
                self.error = StreamDecodeError(
                    str(exc), data=payload.decode("utf-8", "replace"), position=self.events_seen
                )
                return events
            self.events_seen += 1
            events.append(event)
        return events

    def _too_large(self) -> None:
        self.error = _too_large(self._framer.pending_bytes(), self._framer.max_event_size, self.events_seen)


def _too_large(raw: bytes, limit: int, position: int) -> EventTooLargeError:
    return EventTooLargeError(limit=limit, data=raw[:200].decode("utf-8", "replace"), position=position)


def _decode_one(payload: bytes) -> ChatCompletionStreamEvent:
    try:
        return _chunk_decoder.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # Invalid UTF-8 inside a string decodes as httpx-sse would, with U+FFFD. msgspec
        # < 0.23 raises UnicodeDecodeError for it and 0.23 a DecodeError, so the payload
        # itself decides: if it is valid UTF-8, the error had another cause.
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            return _chunk_decoder.decode(payload.decode("utf-8", "replace"))
        raise


def _stream_api_error(payload: bytes, *, named: bool) -> StreamAPIError | None:
    """The error a payload reports, or ``None`` when it is an ordinary chunk."""
    body = payload.decode("utf-8", "replace")
    try:
        # From the text: invalid UTF-8 in the message must not hide the error.
        error = decode_error_envelope(body).error if not named else None
    except (msgspec.DecodeError, RecursionError):
        return None  # not JSON: decoded as a chunk, it raises StreamDecodeError
    if named:
        try:
            parsed = msgspec.json.decode(body) if body.strip() else None
        except (msgspec.DecodeError, RecursionError):
            parsed = None
        error = parsed.get("error", parsed) if isinstance(parsed, dict) else (body or None)
    elif error is None:
        return None
    return api_error_from(error, body)
