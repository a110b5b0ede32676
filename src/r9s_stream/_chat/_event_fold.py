"""The events fold: what each chunk meant, named as ``rs.StreamEvent`` values. Pure, no I/O.

It drives the accumulator's own per-choice fold (so the completion is the same whether or not
events are asked for) and watches each part of a choice open and close:

- deltas come in wire order; an empty string is no delta;
- a part's ``...Done`` comes right after its last delta: reasoning closes when content, a
  refusal or a tool call of its choice begins; content, refusal and their log probabilities
  close when a tool call begins; a tool call closes when a delta for another call of its
  choice arrives; everything still open closes at the choice's finish reason (then its
  ``ChoiceDone``) or at ``data: [DONE]`` (``finish()``), whichever comes first;
- a part that never had a delta gets no ``Done``; a stream that fails gets none invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .._output._spec import OutputSpec
from .._output._textparts import FOLD_EVERY
from ._choice_state import reasoning_of
from ._events import (
    ChoiceDone,
    ContentDelta,
    ContentDone,
    LogprobsDelta,
    LogprobsDone,
    ReasoningDelta,
    ReasoningDone,
    RefusalDelta,
    RefusalDone,
    StreamEvent,
    TextSoFar,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStart,
    UsageReceived,
)
from ._models import ChatCompletionStreamEvent
from ._parse import parse_finished

if TYPE_CHECKING:
    from ._choice_state import ChoiceState, ToolCallState

__all__ = ["ChoiceStates", "EventFold"]


class ChoiceStates(Protocol):
    """What the events fold drives: the accumulator's per-choice fold (``ChatCompletionAccumulator``)."""

    @property
    def chunks(self) -> int:
        """Chunks folded so far."""
        ...

    def take_headers(self, events: Sequence[ChatCompletionStreamEvent]) -> None:
        """Take what the chunks carry beside their choices (metadata, usage), and count them."""
        ...

    def state_for(self, index: int) -> ChoiceState:
        """The fold of one choice, started when its first chunk comes."""
        ...

    def fold_pieces(self) -> None:
        """Fold the text pieces of every choice."""
        ...


class _CallEvents:
    """One tool call as the events see it: its place, arguments length, and whether it closed."""

    __slots__ = ("done", "length", "position", "tool")

    def __init__(self, tool: ToolCallState, position: int) -> None:
        self.tool = tool
        self.position = position
        self.length = 0
        self.done = False


class _ChoiceEvents:
    """Which parts of one choice are open (had a delta, no ``Done`` yet), and their lengths."""

    __slots__ = (
        "calls",
        "content",
        "content_open",
        "current",
        "done",
        "logprobs_content_open",
        "logprobs_refusal_open",
        "reasoning",
        "reasoning_open",
        "refusal",
        "refusal_open",
    )

    def __init__(self) -> None:
        self.content = self.refusal = self.reasoning = 0
        self.content_open = self.refusal_open = self.reasoning_open = False
        self.logprobs_content_open = self.logprobs_refusal_open = False
        self.calls: dict[int, _CallEvents] = {}  # by id() of the accumulator's call
        self.current: _CallEvents | None = None  # the call the last tool-call delta went to
        self.done = False  # ChoiceDone sent


class EventFold:
    """Folds chunks into the accumulator and returns the events they produced."""

    def __init__(self, accumulator: ChoiceStates, output: OutputSpec[Any] | None = None) -> None:
        self._accumulator = accumulator
        self._output = output
        self._parse_content = output is not None and output.response_format is not None
        self._choices: dict[int, _ChoiceEvents] = {}
        # What a stream reads the events from (None: only returned, as to `acc.add` callers).
        self.sink: list[StreamEvent] | None = None

    def add_many(self, chunks: Sequence[ChatCompletionStreamEvent]) -> list[StreamEvent]:
        """Fold chunks in, in order; return their events."""
        accumulator = self._accumulator
        before = accumulator.chunks
        accumulator.take_headers(chunks)
        out: list[StreamEvent] = []
        emit = out.append
        choices = self._choices
        parse_content = self._parse_content
        # The last choice seen: one-choice streams look nothing up (no index equals None).
        index: int | None = None
        state: ChoiceState | None = None
        seen: _ChoiceEvents | None = None
        for chunk in chunks:
            for choice in chunk.choices:
                if choice.index != index or state is None or seen is None:
                    index = choice.index
                    state = accumulator.state_for(index)
                    seen = choices.get(index)
                    if seen is None:
                        seen = choices[index] = _ChoiceEvents()
                delta = choice.delta
                if delta is not None:
                    content = delta.content
                    if (
                        delta.role is None
                        and delta.tool_calls is None
                        and delta.reasoning_content is None
                        and delta.reasoning is None
                        and delta.refusal is None
                        and delta.function_call is None
                    ):
                        # Most chunks are one more piece of content.
                        if content is not None:
                            state.content.append(content)
                            if content:
                                if seen.reasoning_open:
                                    self._close_reasoning(index, state, seen, emit)
                                seen.content_open = True
                                length = seen.content = seen.content + len(content)
                                emit(
                                    ContentDelta(
                                        index, content, TextSoFar(state.content, length, parse_content)
                                    )
                                )
                    else:
                        self._add_rare(index, state, seen, delta, emit)
                logprobs = choice.logprobs
                if logprobs is not None:
                    state.add_logprobs(logprobs)
                    if logprobs.content:
                        seen.logprobs_content_open = True
                        emit(LogprobsDelta(index, "content", logprobs.content))
                    if logprobs.refusal:
                        seen.logprobs_refusal_open = True
                        emit(LogprobsDelta(index, "refusal", logprobs.refusal))
                if choice.finish_reason:  # some servers send "" on chunks that do not finish
                    state.finish_reason = choice.finish_reason
                    if not seen.done:
                        self._close_choice(index, state, seen, emit)
            if chunk.usage is not None:
                emit(UsageReceived(chunk.usage))
        if before // FOLD_EVERY != accumulator.chunks // FOLD_EVERY:  # as add_many of the accumulator
            accumulator.fold_pieces()
        if self.sink is not None:
            self.sink.extend(out)
        return out

    def finish(self) -> list[StreamEvent]:
        """``data: [DONE]`` came: close every choice still open, in index order."""
        out: list[StreamEvent] = []
        for index in sorted(self._choices):
            seen = self._choices[index]
            if not seen.done:
                self._close_choice(index, self._accumulator.state_for(index), seen, out.append)
        if self.sink is not None:
            self.sink.extend(out)
        return out

    # --- everything but plain content ------------------------------------------------------

    def _add_rare(self, index: int, state: ChoiceState, seen: _ChoiceEvents, delta: Any, emit: Any) -> None:
        state.add_extras(delta)  # role, refusal, reasoning, function_call
        reasoning = reasoning_of(delta)
        if reasoning:
            seen.reasoning_open = True
            length = seen.reasoning = seen.reasoning + len(reasoning)
            emit(ReasoningDelta(index, reasoning, TextSoFar(state.reasoning, length, False)))
        content = delta.content
        if content is not None:
            state.content.append(content)
            if content:
                if seen.reasoning_open:
                    self._close_reasoning(index, state, seen, emit)
                seen.content_open = True
                length = seen.content = seen.content + len(content)
                emit(ContentDelta(index, content, TextSoFar(state.content, length, self._parse_content)))
        refusal = delta.refusal
        if refusal:
            if seen.reasoning_open:
                self._close_reasoning(index, state, seen, emit)
            seen.refusal_open = True
            length = seen.refusal = seen.refusal + len(refusal)
            emit(RefusalDelta(index, refusal, TextSoFar(state.refusal, length, False)))
        for call in delta.tool_calls or ():
            if seen.reasoning_open:
                self._close_reasoning(index, state, seen, emit)
            self._close_text(index, state, seen, emit)
            position = len(state.tool_calls)
            tool = state.add_tool_call(call)
            events = seen.calls.get(id(tool))
            if events is None:  # a new call (llama.cpp's repeated id and name are not)
                self._close_call(index, seen, emit)
                events = seen.calls[id(tool)] = _CallEvents(tool, position)
                emit(ToolCallStart(index, position, tool.id or "", tool.function.name or ""))
            elif events is not seen.current:
                self._close_call(index, seen, emit)
            seen.current = events
            function = call.function
            arguments = None if function is None else function.arguments
            if arguments:
                name = tool.function.name or ""
                length = events.length = events.length + len(arguments)
                parse = self._output is not None and name in self._output.tools
                so_far = TextSoFar(tool.function.arguments, length, parse)
                emit(ToolCallArgumentsDelta(index, events.position, name, arguments, so_far))

    # --- closing parts -----------------------------------------------------------------------

    def _close_reasoning(self, index: int, state: ChoiceState, seen: _ChoiceEvents, emit: Any) -> None:
        seen.reasoning_open = False
        emit(ReasoningDone(index, state.reasoning.text() or ""))

    def _close_text(self, index: int, state: ChoiceState, seen: _ChoiceEvents, emit: Any) -> None:
        """Close content, refusal and their log probabilities (openai-python's order)."""
        if seen.content_open:
            seen.content_open = False
            content = state.content.text() or ""
            emit(ContentDone(index, content, self._parsed_content(state, content)))
        if seen.refusal_open:
            seen.refusal_open = False
            emit(RefusalDone(index, state.refusal.text() or ""))
        logprobs = state.logprobs
        if seen.logprobs_content_open:
            seen.logprobs_content_open = False
            emit(LogprobsDone(index, "content", list(logprobs.content or ()) if logprobs else []))
        if seen.logprobs_refusal_open:
            seen.logprobs_refusal_open = False
            emit(LogprobsDone(index, "refusal", list(logprobs.refusal or ()) if logprobs else []))

    def _close_call(self, index: int, seen: _ChoiceEvents, emit: Any) -> None:
        events = seen.current
        if events is None or events.done:
            return
        events.done = True
        tool_call = events.tool.build()
        parsed = None
        output = self._output
        if output is not None:
            finished = self._accumulator.state_for(index).parse
            if finished is not None and events.position < len(finished.arguments):
                parsed = finished.arguments[events.position]  # decoded once, at the finish
            else:  # closed before its choice finished: errors are raised at the finish
                parsed = output.parse_arguments_quietly(tool_call.function.name, tool_call.function.arguments)
        emit(ToolCallDone(index, events.position, tool_call, parsed))

    def _close_choice(self, index: int, state: ChoiceState, seen: _ChoiceEvents, emit: Any) -> None:
        output = self._output
        if output is not None and state.parse is None and state.finish_reason is not None:
            # Parsed once, here, for the Done events and the message alike; the accumulator
            # raises a failure after the batch (its finish reason is checked before decoding).
            state.parse = parse_finished(output, index, state.finish_reason, state.build().message)
        if seen.reasoning_open:
            self._close_reasoning(index, state, seen, emit)
        self._close_text(index, state, seen, emit)
        self._close_call(index, seen, emit)
        seen.done = True
        emit(ChoiceDone(index, state.finish_reason, state.build(output).message))

    def _parsed_content(self, state: ChoiceState, content: str) -> Any:
        output = self._output
        if output is None or output.response_format is None:
            return None
        if state.parse is not None:
            return state.parse.content
        return output.parse_content_quietly(content)  # closed early (a tool call began)
