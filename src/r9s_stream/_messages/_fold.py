"""Messages events → the message rebuilt so far. Pure, O(total length).

Blocks are keyed by their ``index``. The text of ``text`` and ``thinking`` blocks and the
JSON of tool calls are kept as pieces (``TextParts``) and joined only when a snapshot is
read; a ``signature_delta`` replaces the signature, citations are appended. A block the
server never started (the r9s gateway's form from a chat upstream) is made from its first
delta. Usage is ``message_start``'s with every non-null field of each ``message_delta``'s
usage written over it (proxies send the real ``input_tokens`` only there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jiter
import msgspec

from .._output._textparts import FOLD_EVERY, TextParts
from ._events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStreamEvent,
)
from ._models import (
    CitationsDelta,
    ContentBlock,
    Delta,
    InputJSONDelta,
    Message,
    ServerToolUseBlock,
    SignatureDelta,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    UnknownDelta,
    Usage,
)

__all__ = ["MessageFold"]

_replace = msgspec.structs.replace
_NO_PARTS = TextParts()  # never appended to: `current` is -1 while it is the one held


class _BlockState:
    """One block being rebuilt: how it started, and the pieces its deltas brought."""

    __slots__ = ("citations", "parsed", "parsed_from", "parts", "signature", "start")

    def __init__(self, start: ContentBlock) -> None:
        self.start = start
        self.parts = TextParts()  # text, thinking or tool-call JSON, whichever the block has
        self.signature: str | None = None
        self.citations: list[dict[str, Any]] | None = None
        self.parsed: Any = None  # the tool input parsed from `parsed_from` characters of JSON
        self.parsed_from = -1

    def block(self) -> ContentBlock:
        """The block as it stands (a fresh value)."""
        start = self.start
        if isinstance(start, TextBlock):
            text = self.parts.text()
            citations = start.citations
            if self.citations is not None:
                citations = [*(citations or ()), *self.citations]
            joined = start.text if text is None else start.text + text
            return _replace(start, text=joined, citations=citations)
        if isinstance(start, ThinkingBlock):
            thinking = self.parts.text()
            return _replace(
                start,
                thinking=start.thinking if thinking is None else start.thinking + thinking,
                signature=start.signature if self.signature is None else self.signature,
            )
        if isinstance(start, ToolUseBlock | ServerToolUseBlock):
            raw = self.parts.text()
            if raw is None:
                return _replace(start)
            if self.parsed_from != len(raw):
                self.parsed = _parse_input(raw, start.input)
                self.parsed_from = len(raw)
            return _replace(start, input=self.parsed, partial_json=raw)
        return start  # redacted thinking, tool results, unknown blocks: kept whole


def _parse_input(raw: str, default: Any) -> Any:
    """A tool call's input: the JSON parsed, or as much of it as arrived; never an exception."""
    if not raw:
        return default
    try:
        return jiter.from_json(raw.encode(), partial_mode=True)
    except ValueError:
        return default  # not JSON at all: `partial_json` keeps what the server sent


def _block_for(delta: Delta) -> ContentBlock:
    """The block a delta implies when the server never started one (the gateway's form)."""
    kind = type(delta)
    if kind is ThinkingDelta or kind is SignatureDelta:
        return ThinkingBlock()
    if kind is InputJSONDelta:
        return ToolUseBlock()
    return TextBlock()


class MessageFold:
    """Folds Messages events into the message rebuilt so far, and its usage."""

    __slots__ = ("_blocks", "_message", "_pieces", "_usage")

    def __init__(self) -> None:
        self._message = Message()
        self._blocks: dict[int, _BlockState] = {}
        self._usage: Usage | None = None
        self._pieces = 0

    def add(self, event: MessageStreamEvent) -> None:
        """Fold one event in."""
        if type(event) is not ContentBlockDeltaEvent:
            self._add_other(event)
            return
        # The per-event path: deltas are final classes, so `type(x) is C`, not isinstance.
        delta = event.delta
        state = self._blocks.get(event.index)
        if state is None:
            if type(delta) is UnknownDelta:
                return
            state = self._blocks[event.index] = _BlockState(_block_for(delta))
        parts = state.parts
        if type(delta) is TextDelta:
            parts.append(delta.text)
        elif type(delta) is InputJSONDelta:
            parts.append(delta.partial_json)
        elif type(delta) is ThinkingDelta:
            parts.append(delta.thinking)
        elif type(delta) is SignatureDelta:
            state.signature = delta.signature
        elif type(delta) is CitationsDelta:
            if state.citations is None:
                state.citations = []
            state.citations.append(delta.citation)
        else:
            return
        self._pieces += 1
        if len(parts) - parts.folded >= FOLD_EVERY:  # fold()'s own test, without its call
            parts.fold()

    def add_many(self, events: Sequence[MessageStreamEvent]) -> None:
        """Fold events in, in order.

        A run of text deltas of one block (most of a read of many events) is appended here,
        one list append each, without a call of ``add`` per delta.
        """
        add = self.add
        current = -1  # the block whose text deltas are appended inline, if any
        parts = _NO_PARTS
        inline = 0
        for event in events:
            if type(event) is ContentBlockDeltaEvent and event.index == current:
                delta = event.delta
                if type(delta) is TextDelta:
                    parts.append(delta.text)
                    inline += 1
                    continue
            if current >= 0 and len(parts) - parts.folded >= FOLD_EVERY:
                parts.fold()  # the run ended: what add() does for each delta, once for the run
            add(event)
            if type(event) is ContentBlockDeltaEvent and type(event.delta) is TextDelta:
                current = event.index
                parts = self._blocks[current].parts
            else:
                current = -1  # a block may start again at the same index
        self._pieces += inline
        if current >= 0 and len(parts) - parts.folded >= FOLD_EVERY:
            parts.fold()

    def _add_other(self, event: MessageStreamEvent) -> None:
        if type(event) is ContentBlockStartEvent:
            self._blocks[event.index] = _BlockState(event.content_block)
        elif type(event) is MessageDeltaEvent:
            delta = event.delta
            message = self._message
            if delta.stop_reason is not None:
                message.stop_reason = delta.stop_reason
            if delta.stop_sequence is not None:
                message.stop_sequence = delta.stop_sequence
            if event.usage is not None:
                self._usage = _merged(self._usage, event.usage)
        elif type(event) is MessageStartEvent:
            start = event.message
            self._message = _replace(start, content=[], usage=None)
            self._usage = None if start.usage is None else _replace(start.usage)
            for index, block in enumerate(start.content):  # a server may start with blocks
                self._blocks[index] = _BlockState(block)
        # content_block_stop, message_stop and unknown events change nothing

    def has_output(self) -> bool:
        """Whether any output (text, thinking, tool-call JSON …) has arrived: the first token."""
        return self._pieces > 0

    def output_pieces(self) -> int:
        """How many deltas of output arrived."""
        return self._pieces

    @property
    def usage(self) -> Usage | None:
        """The usage reported so far, or ``None`` if no event carried any."""
        return self._usage

    @property
    def output_tokens(self) -> int | None:
        """The output tokens of the usage reported so far."""
        usage = self._usage
        return None if usage is None else usage.output_tokens

    @property
    def snapshot(self) -> Message:
        """The message rebuilt from every event so far (a fresh value)."""
        blocks = self._blocks
        content = [blocks[index].block() for index in sorted(blocks)]
        usage = self._usage
        return _replace(self._message, content=content, usage=None if usage is None else _replace(usage))


def _merged(usage: Usage | None, update: Usage) -> Usage:
    """``usage`` with every non-null field of ``update`` written over it (a new value)."""
    if usage is None:
        return _replace(update)
    changes = {
        name: value for name in Usage.__struct_fields__ if (value := getattr(update, name)) is not None
    }
    return _replace(usage, **changes)
