"""Accumulation: chunks → a ``ChatCompletion``, for every choice. Pure, no I/O.

Text arrives in many small pieces; they are kept in lists and joined only when a snapshot
is asked for, so rebuilding a message costs O(total length). Nothing else of a chunk is
kept, so memory grows with the message, not with the number of chunks.

Given an ``OutputSpec``, each choice is parsed once, in the batch where it finishes (see
``_parse.py``); without one nothing of that is run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, overload

from ._models import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionStreamDelta,
    ChatCompletionStreamEvent,
    ChoiceLogprobs,
    FunctionCall,
    FunctionDelta,
    ResponseFormatT,
    TokenLogprob,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._parse import ChoiceParse, OutputSpec, parse_finished
from ._textparts import TextParts

if TYPE_CHECKING:
    from ._event_fold import EventFold
    from ._events import StreamEvent

__all__ = ["ChatCompletionAccumulator"]

_NO_EVENTS: tuple[StreamEvent, ...] = ()


def reasoning_of(delta: ChatCompletionStreamDelta) -> str | None:
    """The reasoning text of a delta, from ``reasoning_content`` or ``reasoning``."""
    # Some servers send the same text as both `reasoning` and `reasoning_content`.
    # An empty one of the two must not hide text in the other.
    reasoning = delta.reasoning_content or delta.reasoning
    if reasoning is None:
        reasoning = delta.reasoning_content
    return reasoning


class _FunctionState:
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


class _ToolCallState:
    __slots__ = ("function", "id", "type")

    def __init__(self) -> None:
        self.id: str | None = None
        self.type: str | None = None
        self.function = _FunctionState()

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


class _ChoiceState:
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
        self.tool_calls: list[_ToolCallState] = []
        self.tool_slots: dict[int, _ToolCallState] = {}
        # The arguments of the last tool-call delta's call, and its index: where most
        # fragments go.
        self.last_arguments = TextParts()
        self.last_tool_index: object = _NO_INDEX  # equal to no delta's index
        self.function_call: _FunctionState | None = None
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
                self.function_call = _FunctionState()
            self.function_call.add(delta.function_call)

    def add_tool_call(self, call: ToolCallDelta) -> _ToolCallState:
        """Fold one tool-call delta into its call; return that call."""
        tool = self._tool_call_for(call)
        tool.add(call)
        self.last_arguments = tool.function.arguments
        # Deltas without an index follow the documented rule, never the shortcut.
        self.last_tool_index = _NO_INDEX if call.index is None else call.index
        return tool

    def _tool_call_for(self, delta: ToolCallDelta) -> _ToolCallState:
        """Find the call a tool-call delta continues, or start a new one.

        With an ``index``: the call at that index, unless it already has a different ``id``
        (servers that number every parallel call 0): then the call with that ``id``, or a new
        one, which later fragments at that index continue. Without an index: the call with the
        same ``id``; else a new call when the delta has an ``id`` or a function name; else
        the latest call (a bare arguments fragment continues it).
        """
        calls = self.tool_calls
        index = delta.index
        call: _ToolCallState | None = None
        if index is not None:
            call = self.tool_slots.get(index)
            if call is not None and not (delta.id and call.id and delta.id != call.id):
                return call
        elif not delta.id and calls and not (delta.function is not None and delta.function.name):
            return calls[-1]
        if delta.id:
            call = next((known for known in calls if known.id == delta.id), None)
        if call is None:
            call = _ToolCallState()
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


_PLACEHOLDER = _ChoiceState(-1)  # never written to: see add_many


class ChatCompletionAccumulator(Generic[ResponseFormatT]):
    """Folds ``ChatCompletionStreamEvent`` chunks into a ``ChatCompletion``.

    ``completion`` is a fresh snapshot at any time; ``usage`` is the last usage sent (never
    summed: servers send running or final totals, not increments). With ``events=True``,
    ``add`` / ``add_many`` return the semantic events (``rs.StreamEvent``) the chunks
    produced, and ``finish()`` the ones ``data: [DONE]`` completes.

    With ``output`` (an ``OutputSpec``), each choice is parsed in the ``add`` that brings its
    finish reason: ``message.parsed`` and each tool call's ``function.parsed`` are set, and
    ``LengthFinishReasonError``, ``ContentFilterFinishReasonError`` or
    ``OutputValidationError`` is raised after the whole batch is folded in (its events
    included), carrying the completion. A choice that never gets a finish reason is parsed
    when ``completion`` is read, quietly (``parsed`` stays ``None`` if it does not decode).
    """

    @overload
    def __init__(
        self: ChatCompletionAccumulator[None], output: None = None, *, events: bool = False
    ) -> None: ...

    @overload
    def __init__(self, output: OutputSpec[ResponseFormatT] | None, *, events: bool = False) -> None: ...

    def __init__(self, output: OutputSpec[ResponseFormatT] | None = None, *, events: bool = False) -> None:
        self._output = output
        self._choices: dict[int, _ChoiceState] = {}
        self._usage: Usage | None = None
        self._id = ""
        self._model = ""
        self._created: int | float = 0
        self._system_fingerprint: str | None = None
        self._service_tier: str | None = None
        self._missing_metadata = True
        self.chunks = 0
        self._fold: EventFold | None = None
        if events:
            self.enable_events()

    @property
    def usage(self) -> Usage | None:
        """The last non-null usage seen, or ``None``."""
        return self._usage

    def enable_events(self, output: OutputSpec[Any] | None = None) -> EventFold:
        """Name the semantic events of every chunk from now on (before the first chunk only).

        ``output`` (by default the accumulator's own) parses content and tool arguments for
        the ``parsed`` of the events.
        """
        if self._fold is None:
            if self.chunks:
                raise RuntimeError("events must be asked for before the first chunk is added")
            from ._event_fold import EventFold  # loaded only by those who ask for events

            self._fold = EventFold(self, output if output is not None else self._output)
        return self._fold

    def add(self, event: ChatCompletionStreamEvent) -> Sequence[StreamEvent]:
        """Fold one chunk in; return the events it produced (none unless events were asked for)."""
        return self.add_many((event,))

    def finish(self) -> Sequence[StreamEvent]:
        """The stream ended with ``data: [DONE]``: the ``...Done`` events still pending."""
        return _NO_EVENTS if self._fold is None else self._fold.finish()

    def add_many(self, events: Sequence[ChatCompletionStreamEvent]) -> Sequence[StreamEvent]:
        """Fold chunks in, in order: the stream's hot path, so every line here counts."""
        if self._fold is not None:
            produced = self._fold.add_many(events)
            if self._output is not None:
                self._parse_finished(self._output)  # raises after the batch: its events are in a sink
            return produced
        if self._missing_metadata:
            self._take_metadata_from(events)
        # Each taken from the first chunk that has it (it may come late, or never): a local
        # test costs two bytecodes a chunk once found, where a scan in C cost ~10× more.
        fingerprint = self._system_fingerprint
        tier = self._service_tier
        choices = self._choices
        # The state of the last choice seen: one-choice streams skip the dict lookup. The
        # placeholder is replaced at the first choice (no index equals None).
        last_index: int | None = None
        state = _PLACEHOLDER
        append_content = state.content.append
        for event in events:
            if fingerprint is None:
                fingerprint = event.system_fingerprint or None
            if tier is None:
                tier = event.service_tier or None
            if event.usage is not None:
                self._usage = event.usage
            for choice in event.choices:
                if choice.index != last_index:
                    last_index = choice.index
                    found = choices.get(last_index)
                    if found is None:
                        found = choices[last_index] = _ChoiceState(last_index)
                    state = found
                    append_content = state.content.append
                delta = choice.delta
                if delta is not None:
                    if delta.content is not None:
                        append_content(delta.content)
                    if (
                        delta.role is not None
                        or delta.tool_calls is not None
                        or delta.reasoning_content is not None
                        or delta.reasoning is not None
                        or delta.refusal is not None
                        or delta.function_call is not None
                    ):
                        state.add_rare(delta)
                if choice.finish_reason:  # some servers send "" on chunks that do not finish
                    state.finish_reason = choice.finish_reason
                if choice.logprobs is not None:
                    state.add_logprobs(choice.logprobs)
        self._system_fingerprint = fingerprint
        self._service_tier = tier
        for folding in choices.values():  # once a batch, not once a chunk
            folding.fold()
        self.chunks += len(events)
        if self._output is not None:
            self._parse_finished(self._output)
        return _NO_EVENTS

    def take_headers(self, events: Sequence[ChatCompletionStreamEvent]) -> None:
        """What ``add_many`` takes from the chunks beside their choices (for the events fold)."""
        if self._missing_metadata:
            self._take_metadata_from(events)
        for event in events:
            if self._system_fingerprint is None:
                self._system_fingerprint = event.system_fingerprint or None
            if self._service_tier is None:
                self._service_tier = event.service_tier or None
            if event.usage is not None:
                self._usage = event.usage
        self.chunks += len(events)

    def state_for(self, index: int) -> _ChoiceState:
        """The fold of one choice, started when its first chunk comes (for the events fold)."""
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _ChoiceState(index)
        return state

    def fold_pieces(self) -> None:
        """Fold the text pieces of every choice (once a batch; for the events fold)."""
        for folding in self._choices.values():
            folding.fold()

    def _parse_finished(self, output: OutputSpec[ResponseFormatT]) -> None:
        """Parse each choice that finished in this batch; raise the first failure, with the completion."""
        failure = None
        for state in self._choices.values():
            if state.finish_reason is None:
                continue
            parse = state.parse  # the events fold may have parsed it already, for its Done events
            if parse is None:
                parse = state.parse = parse_finished(
                    output, state.index, state.finish_reason, state.build().message
                )
            if parse.error is not None and not parse.raised:
                parse.raised = True
                failure = failure or parse.error
        if failure is not None:
            failure.completion = self.completion
            raise failure

    @property
    def completion(self) -> ChatCompletion[ResponseFormatT]:
        """The completion rebuilt from every chunk added so far."""
        output = self._output
        return ChatCompletion(
            id=self._id,
            created=self._created,
            model=self._model,
            system_fingerprint=self._system_fingerprint,
            service_tier=self._service_tier,
            choices=[self._choices[i].build(output) for i in sorted(self._choices)],
            usage=self._usage,
        )

    def has_output(self) -> bool:
        """Whether any content, refusal, reasoning or tool call has arrived yet."""
        return any(
            any(s.content) or any(s.refusal) or any(s.reasoning) or s.tool_calls or s.function_call
            for s in self._choices.values()
        )

    def output_pieces(self) -> int:
        """How many pieces of output arrived: text pieces, tool calls and their arguments fragments.

        A server that sends no usage streams about one token a piece; role-only, finish and
        usage chunks carry none, so they do not count.
        """
        total = 0
        for state in self._choices.values():
            total += state.content.pieces() + state.refusal.pieces() + state.reasoning.pieces()
            for call in state.tool_calls:
                total += 1 + call.function.arguments.pieces()
            if state.function_call is not None:
                total += 1 + state.function_call.arguments.pieces()
        return total

    def _take_metadata_from(self, events: Sequence[ChatCompletionStreamEvent]) -> None:
        # Azure's first chunk has empty id, model and created: each comes from the first
        # chunk that has it.
        for event in events:
            self._take_metadata(event)
            if not self._missing_metadata:
                break

    def _take_metadata(self, event: ChatCompletionStreamEvent) -> None:
        if not self._id and event.id:
            self._id = event.id
        if not self._model and event.model:
            self._model = event.model
        if not self._created and event.created:
            self._created = event.created
        self._missing_metadata = not (self._id and self._model and self._created)
