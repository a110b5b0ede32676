"""Semantic stream events: what each chunk meant (content, refusal, reasoning, tool calls, …).

Every event is a frozen ``msgspec.Struct`` tagged by ``type`` (openai-python's names where it
has the event) and carries the ``choice`` it belongs to, so ``match`` works on them::

    match event:
        case rs.ContentDelta(delta=text): ...
        case rs.ToolCallDone(tool_call=call): ...

``snapshot``, ``arguments`` and ``parsed`` of the delta events are computed when read, from the
text buffer the accumulator already keeps, so streaming events costs O(total length) for a
user who never reads them; a read costs one copy of the text it returns. They are keywords
for ``match`` (``case rs.ContentDelta(snapshot=text)``), not positions.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Union

import msgspec

from .._output._textparts import TextParts
from ._models import ChatCompletionMessage, TokenLogprob, ToolCall, Usage

__all__ = [
    "ChoiceDone",
    "ContentDelta",
    "ContentDone",
    "LogprobsDelta",
    "LogprobsDone",
    "ReasoningDelta",
    "ReasoningDone",
    "RefusalDelta",
    "RefusalDone",
    "StreamEvent",
    "TextSoFar",
    "ToolCallArgumentsDelta",
    "ToolCallDone",
    "ToolCallStart",
    "UsageReceived",
]


class TextSoFar(msgspec.Struct, frozen=True, gc=False, eq=False):
    """A part's text as of one event: the part's growing buffer and its length then.

    Events of one part share the buffer; nothing is copied until ``text()`` is called. Two are
    equal when their texts are (events compare by what they say, not by where they keep it).
    A Struct, not a class: made once per delta event, and msgspec builds it in C.
    """

    parts: TextParts
    length: int
    parse: bool

    def text(self) -> str:
        """The text as of the event: one copy of it (later reads start from it)."""
        return self.parts.prefix(self.length)

    def parsed(self) -> Any:
        """The partial JSON value of the text (``None`` unless parsing was asked for)."""
        if not self.parse:
            return None
        from .._output._partial import partial_json  # jiter is loaded only by users who parse

        return partial_json(self.text())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextSoFar):
            return NotImplemented
        return self.parse == other.parse and self.text() == other.text()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __repr__(self) -> str:
        return repr(self.text())


class _Event(msgspec.Struct, frozen=True, gc=False, tag_field="type", repr_omit_defaults=True):
    """Base of every event: frozen, tagged by ``type``, not tracked by the GC (no cycles)."""


# --- content, refusal, reasoning ---------------------------------------------------------


class ContentDelta(_Event, frozen=True, tag="content.delta", rename={"_snapshot": "snapshot"}):
    """More content text of a choice; ``snapshot`` is all of it so far."""

    type: ClassVar[Literal["content.delta"]] = "content.delta"
    choice: int
    delta: str
    _snapshot: TextSoFar

    @property
    def snapshot(self) -> str:
        """The content so far, including this delta."""
        return self._snapshot.text()

    @property
    def parsed(self) -> Any:
        """The content so far as partial JSON (a dict, or ``None``) when parsing was asked for."""
        return self._snapshot.parsed()


class ContentDone(_Event, frozen=True, tag="content.done"):
    """A choice's content is complete; ``parsed`` is it decoded into the response format."""

    type: ClassVar[Literal["content.done"]] = "content.done"
    choice: int
    content: str
    parsed: Any = None


class RefusalDelta(_Event, frozen=True, tag="refusal.delta", rename={"_snapshot": "snapshot"}):
    """More refusal text of a choice."""

    type: ClassVar[Literal["refusal.delta"]] = "refusal.delta"
    choice: int
    delta: str
    _snapshot: TextSoFar

    @property
    def snapshot(self) -> str:
        """The refusal so far, including this delta."""
        return self._snapshot.text()


class RefusalDone(_Event, frozen=True, tag="refusal.done"):
    """A choice's refusal is complete."""

    type: ClassVar[Literal["refusal.done"]] = "refusal.done"
    choice: int
    refusal: str


class ReasoningDelta(_Event, frozen=True, tag="reasoning.delta", rename={"_snapshot": "snapshot"}):
    """More reasoning text (``reasoning_content`` / ``reasoning``) of a choice."""

    type: ClassVar[Literal["reasoning.delta"]] = "reasoning.delta"
    choice: int
    delta: str
    _snapshot: TextSoFar

    @property
    def snapshot(self) -> str:
        """The reasoning so far, including this delta."""
        return self._snapshot.text()


class ReasoningDone(_Event, frozen=True, tag="reasoning.done"):
    """A choice's reasoning is complete (its content or a tool call began, or it finished)."""

    type: ClassVar[Literal["reasoning.done"]] = "reasoning.done"
    choice: int
    reasoning: str


# --- tool calls --------------------------------------------------------------------------


class ToolCallStart(_Event, frozen=True, tag="tool_calls.function.start"):
    """A new tool call began; ``index`` is its place in the message's ``tool_calls``."""

    type: ClassVar[Literal["tool_calls.function.start"]] = "tool_calls.function.start"
    choice: int
    index: int
    id: str
    name: str


class ToolCallArgumentsDelta(
    _Event, frozen=True, tag="tool_calls.function.arguments.delta", rename={"_arguments": "arguments"}
):
    """More arguments of a tool call; ``arguments`` is all of them so far."""

    type: ClassVar[Literal["tool_calls.function.arguments.delta"]] = "tool_calls.function.arguments.delta"
    choice: int
    index: int
    name: str
    delta: str
    _arguments: TextSoFar

    @property
    def arguments(self) -> str:
        """The arguments so far, including this delta."""
        return self._arguments.text()

    @property
    def parsed(self) -> Any:
        """The arguments so far as partial JSON when the tool was given as a Struct, else ``None``."""
        return self._arguments.parsed()


class ToolCallDone(_Event, frozen=True, tag="tool_calls.function.arguments.done"):
    """A tool call is complete; ``parsed`` is its arguments decoded into the tool's Struct."""

    type: ClassVar[Literal["tool_calls.function.arguments.done"]] = "tool_calls.function.arguments.done"
    choice: int
    index: int
    tool_call: ToolCall
    parsed: Any = None

    @property
    def name(self) -> str:
        """The function's name (as openai-python's event has it)."""
        return self.tool_call.function.name

    @property
    def arguments(self) -> str:
        """The function's JSON arguments (as openai-python's event has it)."""
        return self.tool_call.function.arguments


# --- log probabilities, the end of a choice, usage -----------------------------------------


class LogprobsDelta(_Event, frozen=True, tag="logprobs.delta"):
    """Log probabilities of the tokens a chunk added to a choice's content or refusal."""

    choice: int
    kind: Literal["content", "refusal"]
    tokens: list[TokenLogprob]

    @property
    def type(self) -> str:  # openai-python names the two kinds apart
        """``"logprobs.content.delta"`` or ``"logprobs.refusal.delta"``."""
        return f"logprobs.{self.kind}.delta"


class LogprobsDone(_Event, frozen=True, tag="logprobs.done"):
    """All the log probabilities of a choice's content or refusal."""

    choice: int
    kind: Literal["content", "refusal"]
    tokens: list[TokenLogprob]

    @property
    def type(self) -> str:
        """``"logprobs.content.done"`` or ``"logprobs.refusal.done"``."""
        return f"logprobs.{self.kind}.done"


class ChoiceDone(_Event, frozen=True, tag="choice.done"):
    """A choice finished (``finish_reason`` is ``None`` when the stream ended without one)."""

    type: ClassVar[Literal["choice.done"]] = "choice.done"
    choice: int
    finish_reason: str | None
    message: ChatCompletionMessage


class UsageReceived(_Event, frozen=True, tag="usage"):
    """A chunk carried token usage (the totals so far; normally once, near the end)."""

    type: ClassVar[Literal["usage"]] = "usage"
    usage: Usage


StreamEvent = Union[  # noqa: UP007  # a runtime alias: msgspec and isinstance need the Union
    ContentDelta,
    ContentDone,
    RefusalDelta,
    RefusalDone,
    ReasoningDelta,
    ReasoningDone,
    ToolCallStart,
    ToolCallArgumentsDelta,
    ToolCallDone,
    LogprobsDelta,
    LogprobsDone,
    ChoiceDone,
    UsageReceived,
]
"""Any event ``stream.events()`` yields (a tagged union: ``match`` on it)."""
