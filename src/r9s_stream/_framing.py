"""SSE framing: response bytes → blocks of complete events. Pure, no I/O.

Line endings are normalised to LF as bytes arrive (CR, LF and CRLF all end a line in SSE,
so the rewrite loses nothing; a CR at the end of one read and an LF at the start of the next
are one line ending). A leading UTF-8 byte order mark is dropped. What is left is split at
the last blank line: everything before it is a block of complete events, everything after
it waits for more bytes.

Blocks go to the chunk decoder, which takes the common ``data: {...}`` shape straight from
the bytes. Anything unusual in a block (comments, ``event:``/``id:``/``retry:`` fields,
multi-line data) is parsed by httpx-sse's ``SSEDecoder``, which stays the authority on the
WHATWG rules: see :func:`parse_event`.
"""

from __future__ import annotations

from httpx_sse._decoders import SSEDecoder

__all__ = ["SSEFramer", "SpecEvent", "parse_event"]

_BOM = b"\xef\xbb\xbf"


class SpecEvent:
    """An event parsed by the spec path: its type and its data lines joined."""

    __slots__ = ("data", "event")

    def __init__(self, event: str, data: str) -> None:
        self.event = event
        self.data = data


def parse_event(decoder: SSEDecoder, raw: bytes) -> SpecEvent | None:
    """Parse one raw event (LF line endings, without its closing blank line).

    Returns ``None`` for what dispatches nothing: comments, ``id:``/``retry:``-only blocks
    and events without data. httpx-sse dispatches an event with empty data after an ``id:``
    field and a comment (the spec says not to); it is dropped here the same way.
    """
    text = raw.decode("utf-8", "replace")
    dispatched: SpecEvent | None = None
    for line in (*text.split("\n"), ""):
        sse = decoder.decode(line)
        if sse is not None and (sse.data or sse.event == "error"):
            # A block may hold a blank line of its own when it started with one; only the
            # last event with data can come from this block, earlier ones were empty.
            dispatched = SpecEvent(sse.event, sse.data)
    return dispatched


class SSEFramer:
    """Buffers response bytes and hands out blocks of complete events."""

    def __init__(self, max_event_size: int) -> None:
        self.max_event_size = max_event_size
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._at_start = True
        self._cr_pending = False

    @property
    def buffered(self) -> int:
        """Bytes of an event that has started but not yet ended."""
        return self._pending_size

    def pending_bytes(self) -> bytes:
        """The bytes of the unfinished event (for error messages)."""
        return b"".join(self._pending)

    def feed(self, data: bytes) -> bytes | None:
        """Add bytes; return the block of events they completed, or ``None``.

        The block holds whole events separated by blank lines, without the final blank
        line. Raises ``OverflowError`` when one unfinished event passes ``max_event_size``.
        """
        if self._at_start:
            data = self._strip_bom(data)
        if self._cr_pending:
            self._cr_pending = False
            if data[:1] == b"\n":
                data = data[1:]
        if b"\r" in data:
            self._cr_pending = data[-1:] == b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if not data:
            return None
        pending = self._pending
        if pending:
            if b"\n\n" not in data and not (data[:1] == b"\n" and pending[-1][-1:] == b"\n"):
                return self._hold(data)
            pending.append(data)
            data = b"".join(pending)
            pending.clear()
            self._pending_size = 0
        end = data.rfind(b"\n\n")
        if end < 0:
            return self._hold(data)
        rest = data[end + 2 :]
        if rest:
            self._hold(rest)
        return data[:end]

    def finish(self) -> bytes | None:
        """At end of input: the unfinished event, treated as if a blank line closed it."""
        if not self._pending:
            return None
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        return data.rstrip(b"\n") or None

    def _hold(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size > self.max_event_size:
            raise OverflowError(self._pending_size)
        return None

    def _strip_bom(self, data: bytes) -> bytes:
        # The BOM may arrive split over reads: hold its first bytes until it is decided.
        if self._pending:
            data = b"".join(self._pending) + data
            self._pending.clear()
            self._pending_size = 0
        if len(data) < len(_BOM) and _BOM.startswith(data):
            if data:
                self._pending.append(data)
                self._pending_size = len(data)
            return b""
        self._at_start = False
        return data[3:] if data.startswith(_BOM) else data
