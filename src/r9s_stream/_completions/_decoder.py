"""Completions bytes → ``CompletionChunk`` values, the end (``data: [DONE]``), or a typed error.

A read that is one whole ``data: {...}`` event — what a live server flushing every token
sends — is decoded straight from the read. Anything else is framed (``_sse._framing``); a
block of complete events that are all plain ``data: {...}`` lines (perhaps ending in
``data: [DONE]``), what a fast server or a replay sends, is one msgspec call: rewriting each
separator to a comma makes it a JSON array. Any other block is split into events, each
decoded on its own; comments, fields and data on several lines are read by the WHATWG rules.
Errors keep what came before them: an error object (``data: {"error": …}``, ``event: error``,
or the r9s gateway's bare JSON error line outside any field) is a ``StreamAPIError``; a
payload that does not decode, a ``StreamDecodeError``. Nothing after ``data: [DONE]`` or an
error is decoded.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._exceptions import EventTooLargeError, StreamAPIError, StreamDecodeError, StreamError
from .._sse._error_lines import api_error_from, bare_error_line
from .._sse._framing import DEFAULT_MAX_EVENT_SIZE, SSEFramer, parse_event
from ._models import CompletionChunk

__all__ = ["CompletionDecoder"]

_DATA = b"data: "
_ONE_START = b"data: {"
_DONE = b"[DONE]"
_SEPARATOR = b"\n\ndata: "
_LAST_DONE = b"\n\ndata: [DONE]"
# What a hostile payload can make msgspec raise: bad JSON or types, bad UTF-8, deep nesting.
_UNDECODABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


_decode_chunk = msgspec.json.Decoder(CompletionChunk).decode
_decode_chunks = msgspec.json.Decoder(list[CompletionChunk]).decode


class CompletionDecoder:
    """Turns the bytes of one Completions response into ``CompletionChunk`` values.

    ``feed()`` never raises for bad input: it returns the chunks before the problem and sets
    ``error``. After ``data: [DONE]`` (``done``) or an error, further input is ignored.
    """

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self.done = False
        self.error: StreamError | None = None
        self.events_seen = 0
        self._framer = SSEFramer(max_event_size)
        self._limit = max_event_size
        # The one-event path is open only while the framer holds nothing (no event begun, no
        # CR pending, the BOM decided) and the stream has neither ended nor failed.
        self._idle = False

    @property
    def stopped(self) -> bool:
        """``done`` or ``error``: nothing more will be decoded."""
        return self.done or self.error is not None

    def feed(self, data: bytes) -> list[CompletionChunk]:
        """The chunks that ``data`` completes."""
        if (
            self._idle
            # Its only LFs are the last two and it has no CR: one `data:` line and its blank line.
            and data.find(b"\n") == len(data) - 2
            and data[-1] == 10
            and data[:7] == _ONE_START
            and data.find(b"\r") < 0
            and len(data) <= self._limit + 2
        ):
            try:
                chunk = _decode_chunk(data[6:])  # JSON allows the blank line as whitespace
            except _UNDECODABLE:
                pass  # an error object, bad UTF-8, bad JSON: the careful path says which
            else:
                self.events_seen += 1
                return [chunk]
        if self.done or self.error is not None:
            return []
        try:
            framed = self._framer.feed(data)
        except OverflowError:
            self.error = _too_large(self._framer.pending_bytes(), self._limit, self.events_seen)
            return []
        if framed is None:
            chunks: list[CompletionChunk] = []
        else:
            head, data, end = framed
            block = head + data[:end] if head else data[:end]
            batch = self._decode_batch(block) if len(block) <= self._limit else None
            chunks = self._decode_block(block) if batch is None else batch
        self._idle = self.error is None and not self.done and self._framer.idle
        return chunks

    def finish(self) -> list[CompletionChunk]:
        """At the end of the body: the last event, if the server did not close it with a blank line.

        A last event cut in the middle of its JSON is dropped: the stream is then incomplete
        (no ``[DONE]``), which the engine reports, rather than undecodable.
        """
        if self.done or self.error is not None:
            return []
        block = self._framer.finish()
        if block is None:
            return []
        chunks = self._decode_block(block)
        if isinstance(self.error, StreamDecodeError) and not isinstance(self.error, EventTooLargeError):
            self.error = None
        return chunks

    def missing_end(self, events: int) -> str:
        """What ``IncompleteStreamError`` says of a body that ended without ``data: [DONE]``."""
        return f"the completions stream ended without data: [DONE] after {events} chunks"

    def _decode_batch(self, block: bytes) -> list[CompletionChunk] | None:
        """The chunks of ``block`` if it is nothing but plain ``data: {...}`` events, else ``None``.

        One array decode instead of one per event: in it, any newline is an unusual line (a
        comment, a field, data on two lines), and a count that differs is an empty or doubled
        event; an error object fails to decode (``CompletionChunk``'s trap). Each of those
        gives ``None``, and the careful path reads the block event by event.
        """
        if block[:7] != _ONE_START:
            return None
        done = block.endswith(_LAST_DONE)
        if done:
            block = block[: -len(_LAST_DONE)]
        joined = block.replace(_SEPARATOR, b",")
        if joined.find(b"\n") >= 0:
            return None
        try:
            chunks = _decode_chunks(b"".join((b"[", joined[6:], b"]")))
        except _UNDECODABLE:
            return None
        if len(chunks) != (len(block) - len(joined)) // (len(_SEPARATOR) - 1) + 1:
            return None
        self.events_seen += len(chunks) + done
        self.done = done
        return chunks

    def _decode_block(self, block: bytes) -> list[CompletionChunk]:
        chunks: list[CompletionChunk] = []
        for raw in block.split(b"\n\n"):
            if len(raw) > self._limit:  # it arrived whole in one read, past the framer's check
                self.error = _too_large(raw, self._limit, self.events_seen)
                return chunks
            if raw.startswith(_DATA) and raw.find(b"\n") < 0:
                payload = raw[6:]
                name = ""
            elif not raw:
                continue
            else:
                event = parse_event(raw)
                # A bare JSON error object on a line of its own, outside any field: what the
                # r9s gateway appends when its upstream breaks (the WHATWG rules ignore it).
                bare = bare_error_line(raw) if raw[:1] == b"{" or raw.find(b"\n{") >= 0 else None
                if bare is not None:
                    if event is not None and event.event == "message" and event.data.lstrip()[:1] == "{":
                        self._decode(event.data.encode(), chunks)  # a chunk in the same block comes first
                    if self.error is None:
                        self.error = bare
                    return chunks
                if event is None:
                    continue
                payload = event.data.encode()
                name = "" if event.event == "message" else event.event
            if name == "error":
                self.error = _api_error(payload, named=True)
                return chunks
            if name:
                continue  # a named event of another kind (`event: ping` …): not a chunk
            stripped = payload.strip()
            if stripped == _DONE:
                self.events_seen += 1
                self.done = True
                return chunks
            if not stripped:
                continue
            if not self._decode(payload, chunks):
                return chunks
        return chunks

    def _decode(self, payload: bytes, chunks: list[CompletionChunk]) -> bool:
        """Append the chunk ``payload`` holds; on failure set ``error`` and return ``False``."""
        try:
            chunk = _decode_chunk(payload)
        except _UNDECODABLE as exc:
            retried = _decode_replacing(payload)
            if retried is None:
                self.error = _api_error(payload, named=False) or StreamDecodeError(
                    str(exc), data=payload.decode("utf-8", "replace"), position=self.events_seen
                )
                return False
            chunk = retried
        chunks.append(chunk)
        self.events_seen += 1
        return True


def _decode_replacing(payload: bytes) -> CompletionChunk | None:
    """The chunk of a payload with invalid UTF-8 in a string, read with U+FFFD as httpx-sse would."""
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return _decode_chunk(payload.decode("utf-8", "replace"))
        except _UNDECODABLE:
            return None
    return None  # valid UTF-8: the failure had another cause


def _too_large(raw: bytes, limit: int, position: int) -> EventTooLargeError:
    return EventTooLargeError(limit=limit, data=raw[:200].decode("utf-8", "replace"), position=position)


def _api_error(payload: bytes, *, named: bool) -> StreamAPIError | None:
    """The error a payload reports (``named``: it came as ``event: error``), else ``None``."""
    body = payload.decode("utf-8", "replace")
    try:
        parsed: Any = msgspec.json.decode(body) if body.strip() else None
    except (msgspec.DecodeError, RecursionError):
        parsed = None
    if isinstance(parsed, dict) and parsed.get("error") is not None:
        return api_error_from(parsed["error"], body)
    if named:
        return api_error_from(parsed if parsed is not None else body, body)
    return None
