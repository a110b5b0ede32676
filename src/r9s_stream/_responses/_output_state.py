"""One output item as its events build it: the pieces of its texts, and the item they make. Pure.

Pieces are kept in ``TextParts`` and joined only when the item is read (``item()``), so a
stream of deltas costs O(its total length) however often the snapshot is read. A ``.done``
event's whole text replaces the pieces; the server's ``response.output_item.done`` item
replaces everything (it is the server's own copy). An item whose deltas came without an
``output_item.added`` (the r9s gateway's passthrough) is made from what the deltas say.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._output._textparts import TextParts
from ._items import (
    ContentPart,
    OutputItem,
    ReasoningSummary,
    ReasoningText,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseReasoningItem,
    UnknownContentPart,
)

__all__ = ["OutputState", "PartState"]


class PartState:
    """One content part (text, refusal, reasoning text, summary): its pieces and its whole form."""

    __slots__ = ("annotations", "part", "pieces", "text")

    def __init__(self, part: Any = None) -> None:
        self.part: Any = part  # the server's part (content_part.added / .done), if it sent one
        self.pieces = TextParts()
        self.text: str | None = None  # the whole text of a `.done` event
        self.annotations: list[dict[str, Any]] | None = None

    def joined(self) -> str:
        """The part's text: the ``.done`` text, else the pieces joined."""
        if self.text is not None:
            return self.text
        return self.pieces.text() or ""


class OutputState:
    """The events of one ``output_index``, and the item they rebuild."""

    __slots__ = ("arguments", "final", "item", "item_id", "kind", "parts", "summary")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # what the first event said it is: "message", "function_call", "reasoning", …
        self.item: Any = None  # the item of output_item.added
        self.final: Any = None  # the item of output_item.done: the server's whole copy
        self.item_id: str | None = None
        self.parts: dict[int, PartState] = {}  # message content / reasoning text, by content_index
        self.summary: dict[int, PartState] = {}  # reasoning summary, by summary_index
        self.arguments: PartState | None = None

    def part(self, index: int) -> PartState:
        """The content part at ``index``, made on its first event."""
        state = self.parts.get(index)
        if state is None:
            state = self.parts[index] = PartState()
        return state

    def summary_part(self, index: int) -> PartState:
        """The summary part at ``index``, made on its first event."""
        state = self.summary.get(index)
        if state is None:
            state = self.summary[index] = PartState()
        return state

    def built(self, parsed: Any = None) -> OutputItem:
        """The item as received so far (a fresh value: the server's pieces stay as they are)."""
        item = self.final
        if item is None:
            item = self._from_pieces()
        if parsed is not None and type(item) is ResponseFunctionToolCall:
            item = msgspec.structs.replace(item, parsed=parsed)
        return item  # type: ignore[no-any-return]

    def _from_pieces(self) -> OutputItem:
        item = self.item
        kind = self.kind if item is None else item.type
        if kind == "function_call":
            arguments = "" if self.arguments is None else self.arguments.joined()
            if type(item) is ResponseFunctionToolCall:
                return msgspec.structs.replace(item, arguments=arguments)
            return ResponseFunctionToolCall(id=self.item_id, arguments=arguments)
        if kind == "reasoning":
            summary: list[ReasoningSummary | UnknownContentPart] = [
                ReasoningSummary(text=self.summary[i].joined()) for i in sorted(self.summary)
            ]
            content: list[ContentPart] | None = [
                ReasoningText(text=self.parts[i].joined()) for i in sorted(self.parts)
            ] or None
            if type(item) is ResponseReasoningItem:
                return msgspec.structs.replace(
                    item, summary=summary or item.summary, content=content or item.content
                )
            return ResponseReasoningItem(id=self.item_id or "", summary=summary, content=content)
        if kind == "message":
            parts = [_part(self.parts[i]) for i in sorted(self.parts)]
            if type(item) is ResponseOutputMessage:
                return msgspec.structs.replace(item, content=parts or item.content)
            return ResponseOutputMessage(id=self.item_id or "", status="in_progress", content=parts)
        return item  # type: ignore[no-any-return]  # a tool call or an unknown item: as added


def _part(state: PartState) -> ContentPart:
    """A message's content part from its pieces, keeping what the server's own part said."""
    part = state.part
    if type(part) is ResponseOutputRefusal:
        return ResponseOutputRefusal(refusal=state.joined())
    if part is None or type(part) is ResponseOutputText:
        annotations = state.annotations
        if annotations is None:
            annotations = [] if part is None else list(part.annotations)
        return ResponseOutputText(
            text=state.joined(), annotations=annotations, logprobs=None if part is None else part.logprobs
        )
    return part  # type: ignore[no-any-return]
