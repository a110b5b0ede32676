"""The fold of one choice: its text, tool calls, function call and log probabilities. Pure, no I/O.

``ChatCompletionAccumulator`` keeps one ``ChoiceState`` per choice index and drives it on its
hot path; the events fold (``_event_fold``) drives the same states, one delta at a time.
"""

from __future__ import annotations

from typing import Any

from .._output._spec import OutputSpec
from .._output._textparts import TextParts
from ._models import (
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionStreamDelta,
    ChoiceLogprobs,
    FunctionCall,
    FunctionDelta,
    TokenLogprob,
    ToolCall,
    ToolCallDelta,
)
from ._parse import ChoiceParse

__all__ = ["PLACEHOLDER", "ChoiceState", "FunctionState", "ToolCallState", "reasoning_of"]


def reasoning_of(delta: ChatCompletionStreamDelta) -> str | None:
    """The reasoning text of a delta, from ``reasoning_content`` or ``reasoning``."""
    # Some servers send the same text as both `reasoning` and `reasoning_content`.
    # An empty one of the two must not hide text in the other.
    reasoning = delta.reasoning_content or delta.reasoning
    if reasoning is None:
        reasoning = delta.reasoning_content
    return reasoning


class FunctionState:
    """A function call being rebuilt: its name (taken once) and its arguments in pieces."""

    __slots__ = ("arguments", "name")

    def __init__(self) -> None:
        self.name: str | None = None
        self.arguments = TextParts()

    def add(self, delta: FunctionDelta) -> None:
        # The name comes once (llama.cpp repeats it in every chunk: never concatenate it).
        if self.name is None and delta.name:
            self.name = delta.name
        if delta.arguments:
            self.arguments.append(delta.arguments)

    def build(self) -> FunctionCall:
        return FunctionCall(name=self.name or "", arguments=self.arguments.text() or "")


class ToolCallState:
    """A tool call being rebuilt: id and type taken once, and its function."""

    __slots__ = ("function", "id", "type")

    def __init__(self) -> None:
        self.id: str | None = None
        self.type: str | None = None
        self.function = FunctionState()

    def add(self, delta: ToolCallDelta) -> None:
        if self.id is None and delta.id:
            self.id = delta.id
        if self.type is None and delta.type:
            self.type = delta.type
        if delta.function is not None:
            self.function.add(delta.function)

    def build(self) -> ToolCall:
        return ToolCall(id=self.id or "", type=self.type or "function", function=self.function.build())


_NO_INDEX = object()
# The arguments before any tool call: never written, since no delta's index is _NO_INDEX
# (a TextParts of its own would be one more object per choice for the garbage collector).
_NO_CALL_YET = TextParts()


class ChoiceState:
    """One choice being rebuilt: role, text parts, tool calls, finish reason, log probabilities."""

    __slots__ = (
        "content",
        "finish_reason",
        "function_call",
        "index",
        "last_arguments",
        "last_tool_index",
        "logprobs",
        "parse",
        "reasoning",
        "refusal",
        "role",
        "tool_calls",
        "tool_slots",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: str | None = None
        self.content = TextParts()
        self.refusal = TextParts()
        self.reasoning = TextParts()
        self.tool_calls: list[ToolCallState] = []
        self.tool_slots: dict[int, ToolCallState] = {}
        # The arguments of the last tool-call delta's call, and its index: where most
        # fragments go.
        self.last_arguments = _NO_CALL_YET
        self.last_tool_index: object = _NO_INDEX  # equal to no delta's index
        self.function_call: FunctionState | None = None
        self.finish_reason: str | None = None
        self.logprobs: ChoiceLogprobs | None = None
        self.parse: ChoiceParse | None = None  # set once parsed (only with an OutputSpec)

    def add_rare(self, delta: ChatCompletionStreamDelta) -> None:
        """Everything but content: role, refusal, reasoning, tool and function calls."""
        calls = delta.tool_calls
        if (
            calls is not None
            and len(calls) == 1
            and delta.role is None
            and delta.refusal is None
            and delta.reasoning_content is None
            and delta.reasoning is None
            and delta.function_call is None
        ):
            # Most tool-call chunks are one more arguments fragment for the call the last
            # one named: that case is worth a path of its own (the general one below gives
            # the same result, looking the call up).
            call = calls[0]
            function = call.function
            if (
                call.index == self.last_tool_index
                and call.id is None
                and call.type is None
                and (function is None or function.name is None)
            ):
                if function is not None and function.arguments:
                    self.last_arguments.append(function.arguments)
                return
        self.add_extras(delta)
        if calls:
            for call in calls:
                self.add_tool_call(call)

    def add_extras(self, delta: ChatCompletionStreamDelta) -> None:
        """Role, refusal, reasoning and the legacy function call of a delta."""
        if self.role is None and delta.role:
            self.role = delta.role
        if delta.refusal is not None:
            self.refusal.append(delta.refusal)
            self.refusal.fold()
        reasoning = reasoning_of(delta)
        if reasoning is not None:
            self.reasoning.append(reasoning)
            self.reasoning.fold()
        if delta.function_call is not None:
            if self.function_call is None:
                self.function_call = FunctionState()
            self.function_call.add(delta.function_call)

    def add_tool_call(self, call: ToolCallDelta) -> ToolCallState:
        """Fold one tool-call delta into its call; return that call."""
        tool = self._tool_call_for(call)
        tool.add(call)
        self.last_arguments = tool.function.arguments
        # Deltas without an index follow the documented rule, never the shortcut.
        self.last_tool_index = _NO_INDEX if call.index is None else call.index
        return tool

    def _tool_call_for(self, delta: ToolCallDelta) -> ToolCallState:
        """Find the call a tool-call delta continues, or start a new one.

        With an ``index``: the call at that index, unless it already has a different ``id``
        (servers that number every parallel call 0): then the call with that ``id``, or a new
        one, which later fragments at that index continue. Without an index: the call with the
        same ``id``; else a new call when the delta has an ``id`` or a function name; else
        the latest call (a bare arguments fragment continues it).
        """
        calls = self.tool_calls
        index = delta.index
        call: ToolCallState | None = None
        if index is not None:
            call = self.tool_slots.get(index)
            if call is not None and not (delta.id and call.id and delta.id != call.id):
                return call
        elif not delta.id and calls and not (delta.function is not None and delta.function.name):
            return calls[-1]
        if delta.id:
            call = next((known for known in calls if known.id == delta.id), None)
        if call is None:
            call = ToolCallState()
            calls.append(call)
        if index is not None:
            self.tool_slots[index] = call
        return call

    def fold(self) -> None:
        """Fold the text pieces that came in since the last fold (see TextParts)."""
        self.content.fold()
        for tool in self.tool_calls:
            tool.function.arguments.fold()
        if self.function_call is not None:
            self.function_call.arguments.fold()

    def add_logprobs(self, logprobs: ChoiceLogprobs) -> None:
        mine = self.logprobs
        if mine is None:
            mine = self.logprobs = ChoiceLogprobs()
        mine.content = _extended(mine.content, logprobs.content)
        mine.refusal = _extended(mine.refusal, logprobs.refusal)

    def build(self, output: OutputSpec[Any] | None = None) -> ChatCompletionChoice[Any]:
        logprobs = self.logprobs
        if logprobs is not None:
            logprobs = ChoiceLogprobs(
                content=None if logprobs.content is None else list(logprobs.content),
                refusal=None if logprobs.refusal is None else list(logprobs.refusal),
            )
        message: ChatCompletionMessage[Any] = ChatCompletionMessage(
            role=self.role or "assistant",
            content=self.content.text(),
            refusal=self.refusal.text(),
            reasoning_content=self.reasoning.text(),
            tool_calls=[call.build() for call in self.tool_calls] or None,
            function_call=None if self.function_call is None else self.function_call.build(),
        )
        if output is not None:
            (self.parse or ChoiceParse.attempt(output, message)).apply(message)
        return ChatCompletionChoice(
            index=self.index, message=message, finish_reason=self.finish_reason, logprobs=logprobs
        )


def _extended(mine: list[TokenLogprob] | None, more: list[TokenLogprob] | None) -> list[TokenLogprob] | None:
    if more is None:
        return mine
    if mine is None:
        return list(more)
    mine.extend(more)
    return mine


PLACEHOLDER = ChoiceState(-1)  # never written to: see add_many
