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

from .._output._spec import OutputSpec
from .._output._textparts import FOLD_EVERY
from .._output._typevars import ResponseFormatT
from ._choice_state import PLACEHOLDER, ChoiceState
from ._models import ChatCompletion, ChatCompletionStreamEvent, Usage
from ._parse import parse_finished

if TYPE_CHECKING:
    from ._event_fold import EventFold
    from ._events import StreamEvent

__all__ = ["ChatCompletionAccumulator"]

_NO_EVENTS: tuple[StreamEvent, ...] = ()


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
        self._choices: dict[int, ChoiceState] = {}
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

    @property
    def output_tokens(self) -> int | None:
        """``completion_tokens`` of the last usage seen, or ``None``."""
        return None if self._usage is None else self._usage.completion_tokens

    @property
    def snapshot(self) -> ChatCompletion[ResponseFormatT]:
        """The same as ``completion`` (the name every stream's rebuilt object has)."""
        return self.completion

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
        """Fold one chunk in; return the events it produced (none unless events were asked for).

        The hot path when a live server sends one event per read: the plain fold of
        ``add_many`` without its per-batch set-up, which costs more than the fold of one
        content chunk itself. The two must stay alike (tests compare them).
        """
        if self._fold is not None or self._output is not None:
            return self.add_many((event,))
        if self._missing_metadata:
            self._take_metadata(event)
        if self._system_fingerprint is None:
            self._system_fingerprint = event.system_fingerprint or None
        if self._service_tier is None:
            self._service_tier = event.service_tier or None
        if event.usage is not None:
            self._usage = event.usage
        choices = self._choices
        for choice in event.choices:
            state = choices.get(choice.index)
            if state is None:
                state = choices[choice.index] = ChoiceState(choice.index)
            delta = choice.delta
            if delta is not None:
                if delta.content is not None:
                    state.content.append(delta.content)
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
        self.chunks += 1
        if not self.chunks % FOLD_EVERY:  # see add_many
            for folding in choices.values():
                folding.fold()
        return _NO_EVENTS

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
        state = PLACEHOLDER
        append_content = state.content.append
        finished = False  # a choice finished in this batch: only then is anything parsed
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
                        found = choices[last_index] = ChoiceState(last_index)
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
                    finished = True
                if choice.logprobs is not None:
                    state.add_logprobs(choice.logprobs)
        self._system_fingerprint = fingerprint
        self._service_tier = tier
        chunks = self.chunks
        self.chunks = chunks + len(events)
        # Text pieces fold each time FOLD_EVERY more chunks have come, not at every call: at
        # one event per read, a pass over the choices per call would be a pass per chunk.
        if chunks // FOLD_EVERY != self.chunks // FOLD_EVERY:
            for folding in choices.values():
                folding.fold()
        if finished and self._output is not None:
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

    def state_for(self, index: int) -> ChoiceState:
        """The fold of one choice, started when its first chunk comes (for the events fold)."""
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = ChoiceState(index)
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
