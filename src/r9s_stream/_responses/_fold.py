"""Responses events → the response rebuilt so far (a dict shaped like the wire's ``response``).

Text deltas are kept as pieces per output index and joined only on ``snapshot``; an output
item the server sends whole (``response.output_item.done``) replaces what the deltas built,
and ``response.completed``'s own ``response`` is the base when it carries output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._decoder import ResponseEvent

__all__ = ["ResponsesFold"]


class ResponsesFold:
    """Folds ``ResponseEvent`` values into the response rebuilt so far."""

    def __init__(self) -> None:
        self._base: dict[str, Any] = {}
        self._texts: dict[int, list[str]] = {}
        self._items: dict[int, dict[str, Any]] = {}
        self._pieces = 0

    def add(self, event: ResponseEvent) -> None:
        """Fold one event in."""
        kind = event.type
        if kind == "response.output_text.delta" and event.delta is not None:
            self._texts.setdefault(event.output_index or 0, []).append(event.delta)
            self._pieces += 1
        elif event.delta is not None:
            self._pieces += 1
        elif kind in ("response.output_item.added", "response.output_item.done") and event.item is not None:
            self._items[event.output_index or 0] = event.item
        if event.response is not None:
            self._base = event.response

    def add_many(self, events: Sequence[ResponseEvent]) -> None:
        """Fold events in, in order."""
        for event in events:
            self.add(event)

    def has_output(self) -> bool:
        """Whether any output piece has arrived."""
        return self._pieces > 0

    def output_pieces(self) -> int:
        """How many output pieces arrived."""
        return self._pieces

    @property
    def usage(self) -> Any:
        """The usage the server reported, or ``None``."""
        return self._base.get("usage")

    @property
    def output_tokens(self) -> int | None:
        """The output tokens of the reported usage."""
        usage = self.usage
        return usage.get("output_tokens") if isinstance(usage, dict) else None

    @property
    def output_text(self) -> str:
        """Every text delta so far, in output order."""
        return "".join("".join(self._texts[i]) for i in sorted(self._texts))

    @property
    def snapshot(self) -> dict[str, Any]:
        """The response so far: the server's last ``response`` with the rebuilt output."""
        result = dict(self._base)
        if not result.get("output"):
            output: list[Any] = []
            for index in sorted(set(self._items) | set(self._texts)):
                item = dict(self._items.get(index) or {"type": "message", "role": "assistant"})
                if index in self._texts and item.get("type") == "message" and not item.get("content"):
                    item["content"] = [{"type": "output_text", "text": "".join(self._texts[index])}]
                output.append(item)
            result["output"] = output
        result["output_text"] = self.output_text or _text_of(result["output"])
        return result


def _text_of(output: list[Any]) -> str:
    """The text of a finished response's message items."""
    return "".join(
        part.get("text", "")
        for item in output
        if isinstance(item, dict) and item.get("type") == "message"
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )
