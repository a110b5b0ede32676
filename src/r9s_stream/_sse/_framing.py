"""SSE framing: response bytes → blocks of complete events. Pure, no I/O.

Line endings are normalised to LF as bytes arrive (CR, LF and CRLF all end a line in SSE,
so the rewrite loses nothing; a CR at the end of one read and an LF at the start of the next
are one line ending). A leading UTF-8 byte order mark is dropped. What is left is split at
the last blank line: everything before it is a block of complete events, everything after
it waits for more bytes.

Blocks go to the chunk decoder, which takes the common ``data: {...}`` shape straight from
the bytes. Anything unusual in a block (comments, ``event:``/``id:``/``retry:`` fields,
multi-line data) is interpreted field by field by the WHATWG rules: see :func:`parse_event`
(the tests hold it to httpx-sse's public ``EventSource``, which follows the same rules).
"""

from __future__ import annotations

from httpx_sse import ServerSentEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEFramer", "parse_event"]

# The largest one server-sent event may grow to by default (max_event_size=).
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = frozenset(b" \t\n\x0b\x0c\r")  # what bytes.strip() removes
# Bytes of an oversized event kept for its error message.
_ERROR_HEAD = 256


def parse_event(raw: bytes) -> ServerSentEvent | None:
    """Interpret one raw event (LF line endings, without its closing blank line).

    Returns the last event of the block that has data (or is named ``error``, which a
    server may send without data), or ``None`` for what dispatches nothing: comments,
    ``id:``/``retry:``-only blocks and events without data. ``id`` and ``retry`` mean
    nothing to a chat stream (it is never resumed), so they are read past; unknown fields
    are ignored, as the standard says.
    """
    dispatched: ServerSentEvent | None = None
    event = ""
    data: list[str] = []
    # The closing blank line dispatches; a block may hold blank lines of its own when it
    # started with one: only the last event with data can come from it.
    for line in (*raw.decode("utf-8", "replace").split("\n"), ""):
        if not line:
            if data or event:
                joined = "\n".join(data)
                if joined or event == "error":
                    dispatched = ServerSentEvent(event=event, data=joined)
                event, data = "", []
            continue
        if line[0] == ":":  # a comment
            continue
        name, _, value = line.partition(":")  # a line without a colon is a field with no value
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    return dispatched


class SSEFramer:
    """Buffers response bytes and hands out the events they complete.

    ``feed()`` does not join the unfinished event with the new bytes: it returns both, so
    the decoder can take most events straight out of the new bytes without a copy.
    """

    def __init__(self, max_event_size: int) -> None:
        self.max_event_size = max_event_size
        self._held: list[bytes] = []  # the unfinished event, in the pieces it came in
        self._held_size = 0
        self._at_start = True
        self._bom_prefix = b""
        self._cr_pending = False

    @property
    def idle(self) -> bool:
        """True when nothing is held: the next bytes start a new event on a new line."""
        return not (self._held or self._cr_pending or self._at_start)

    @property
    def buffered(self) -> int:
        """Bytes of an event that has started but not yet ended."""
        return self._held_size

    def pending_bytes(self) -> bytes:
        """The start of the unfinished event (for error messages)."""
        return b"".join(self._held)[:_ERROR_HEAD]

    def feed(self, data: bytes) -> tuple[bytes, bytes, int] | None:
        """Add bytes; return ``(head, data, end)`` when they complete events, else ``None``.

        ``head + data[:end]`` is the block of complete events (without the blank line after
        the last one): ``head`` is the start of an event held from earlier reads, ``data``
        the new bytes with line endings normalised. Raises ``OverflowError`` when one
        unfinished event passes ``max_event_size``.
        """
        if self._at_start:
            data = self._strip_bom(data)
        if self._cr_pending:
            self._cr_pending = False
            if data[:1] == b"\n":
                data = data[1:]
        if data.find(b"\r") >= 0:  # not `in`: see _decoder._decode_fast
            self._cr_pending = data[-1:] == b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if not data:
            return None
        held = self._held
        # Only the new bytes are searched: a long event is joined once, when it ends.
        end = data.rfind(b"\n\n")
        straddles = data[0] == 10 and bool(held) and held[-1][-1:] == b"\n"  # 10: LF
        if end < 0 and not straddles:
            self._hold(data)
            return None
        head = (held[0] if len(held) == 1 else b"".join(held)) if held else b""
        if end < 0:  # the blank line is split between the held bytes and these
            data, head = head + data, b""
            end = data.rfind(b"\n\n")
        tail = data[end + 2 :]
        self._held = [tail] if tail else []
        self._held_size = len(tail)
        # Only blank lines so far? Asked of the bytes only when they start with whitespace.
        if not head and data[0] in _WHITESPACE and not data[:end].strip():
            return None
        return head, data, end

    def finish(self) -> bytes | None:
        """At end of input: the unfinished event, as a block (as if a blank line ended it)."""
        block = b"".join(self._held).rstrip(b"\n")
        self._held = []
        self._held_size = 0
        return block if block.strip() else None

    def _hold(self, data: bytes) -> None:
        self._held.append(data)
        self._held_size += len(data)
        # The held bytes may end with the newline of the event's last line, which is not
        # part of the event: an event of exactly max_event_size bytes is allowed.
        if self._held_size > self.max_event_size and (
            self._held_size - (data[-1:] == b"\n") > self.max_event_size
        ):
            # Let the event go at once, keeping only its start for the error message: the
            # limit bounds memory, so neither a join nor the held parts may outlive it.
            size = self._held_size
            head = b""
            for part in self._held:
                head += part[: _ERROR_HEAD - len(head)]
                if len(head) >= _ERROR_HEAD:
                    break
            self._held = [head]
            self._held_size = len(head)
            raise OverflowError(size)

    def _strip_bom(self, data: bytes) -> bytes:
        # The BOM may arrive split over reads: hold its first bytes until it is decided.
        data = self._bom_prefix + data
        if len(data) < len(_BOM) and _BOM.startswith(data):
            self._bom_prefix = data
            return b""
        self._bom_prefix = b""
        self._at_start = False
        return data[3:] if data.startswith(_BOM) else data
