"""Responses events → the ``Response`` rebuilt so far, and its usage. Pure, no I/O.

Output is keyed by ``output_index`` (then ``content_index`` / ``summary_index``), so items
that interleave (OpenRouter closes its reasoning item after the message) and deltas for an
item never ``added`` rebuild alike. The lifecycle events' ``response`` is the base; at the
terminal event the server's ``response`` is taken, and where its ``output`` is empty (a slim
terminal event) the streamed output stays. Usage comes from the terminal response.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic

import msgspec

from .._output._spec import OutputSpec
from .._output._typevars import ResponseFormatT
from ._events import (
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseQueuedEvent,
    ResponseReasoningPartAddedEvent,
    ResponseReasoningPartDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from ._items import ResponseFunctionToolCall, ResponseOutputRefusal
from ._output_state import OutputState, PartState
from ._parse import ParsedOutput, parse_response
from ._response import Response, ResponseUsage

__all__ = ["ResponsesFold"]

_DELTAS = (
    ResponseTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
)


class ResponsesFold(Generic[ResponseFormatT]):
    """Folds Responses events into the response rebuilt so far.

    With an ``output`` spec (``text_format=`` / ``tools=`` given as types), the terminal
    event parses the answer: ``output_parsed`` and each function call's ``parsed``, or one of
    the parse errors (``LengthFinishReasonError`` for ``incomplete`` at ``max_output_tokens``
    …) raised by ``add_many`` after the batch, carrying the response.
    """

    def __init__(self, output: OutputSpec[ResponseFormatT] | None = None) -> None:
        self._output = output
        self._base: Response[Any] | None = None
        self._terminal = False  # the base is the terminal event's response
        self._states: dict[int, OutputState] = {}
        self._pieces = 0
        self._parsed: ParsedOutput | None = None
        # The part the last text delta went to: a run of deltas skips the two dict lookups.
        self._last_output = -1
        self._last_content = -1
        self._last_pieces: list[str] = []
        handlers: dict[type[Any], Callable[[Any], None]] = {
            ResponseTextDoneEvent: self._text_done,
            ResponseRefusalDeltaEvent: self._refusal_delta,
            ResponseRefusalDoneEvent: self._refusal_done,
            ResponseFunctionCallArgumentsDeltaEvent: self._arguments_delta,
            ResponseFunctionCallArgumentsDoneEvent: self._arguments_done,
            ResponseReasoningSummaryTextDeltaEvent: self._summary_delta,
            ResponseReasoningSummaryTextDoneEvent: self._summary_done,
            ResponseReasoningSummaryPartAddedEvent: self._summary_part,
            ResponseReasoningTextDeltaEvent: self._reasoning_delta,
            ResponseReasoningTextDoneEvent: self._reasoning_done,
            ResponseReasoningPartAddedEvent: self._reasoning_part,
            ResponseReasoningPartDoneEvent: self._reasoning_part,
            ResponseOutputItemAddedEvent: self._item_added,
            ResponseOutputItemDoneEvent: self._item_done,
            ResponseContentPartAddedEvent: self._content_part,
            ResponseContentPartDoneEvent: self._content_part,
            ResponseOutputTextAnnotationAddedEvent: self._annotation,
            ResponseCreatedEvent: self._lifecycle,
            ResponseQueuedEvent: self._lifecycle,
            ResponseInProgressEvent: self._lifecycle,
            ResponseCompletedEvent: self._terminal_event,
            ResponseIncompleteEvent: self._terminal_event,
            ResponseFailedEvent: self._terminal_event,
        }
        self._handlers = handlers

    # --- folding -------------------------------------------------------------------------

    def add(self, event: ResponseStreamEvent) -> None:
        """Fold one event in."""
        if type(event) is ResponseTextDeltaEvent:  # most events of most streams
            if event.output_index != self._last_output or event.content_index != self._last_content:
                self._text_part(event)
            self._last_pieces.append(event.delta)
            self._pieces += 1
            return
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def add_many(self, events: Sequence[ResponseStreamEvent]) -> None:
        """Fold events in, in order; a parse failure of the terminal event is raised after them all."""
        handlers = self._handlers
        pieces = 0
        for event in events:
            if type(event) is ResponseTextDeltaEvent:  # add()'s fast path, without the call
                if event.output_index != self._last_output or event.content_index != self._last_content:
                    self._text_part(event)
                self._last_pieces.append(event.delta)
                pieces += 1
                continue
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
        self._pieces += pieces
        parsed = self._parsed
        if parsed is not None and parsed.error is not None and not parsed.raised:
            parsed.raised = True
            error = parsed.error
            error.completion = self.snapshot
            raise error

    def _text_part(self, event: ResponseTextDeltaEvent) -> None:
        """Make the part of ``event`` the one text deltas go to until another part's come."""
        state = self._state(event.output_index, "message", event.item_id)
        self._last_pieces = state.part(event.content_index).pieces
        self._last_output = event.output_index
        self._last_content = event.content_index

    def _state(self, index: int, kind: str, item_id: str | None) -> OutputState:
        state = self._states.get(index)
        if state is None:
            state = self._states[index] = OutputState(kind)
            state.item_id = item_id
        return state

    def _text_done(self, event: ResponseTextDoneEvent) -> None:
        self._done_text(
            self._state(event.output_index, "message", event.item_id).part(event.content_index), event.text
        )

    def _refusal_delta(self, event: ResponseRefusalDeltaEvent) -> None:
        part = self._state(event.output_index, "message", event.item_id).part(event.content_index)
        if part.part is None:
            part.part = ResponseOutputRefusal()
        part.pieces.append(event.delta)
        self._pieces += 1

    def _refusal_done(self, event: ResponseRefusalDoneEvent) -> None:
        part = self._state(event.output_index, "message", event.item_id).part(event.content_index)
        if part.part is None:
            part.part = ResponseOutputRefusal()
        self._done_text(part, event.refusal)

    def _arguments_delta(self, event: ResponseFunctionCallArgumentsDeltaEvent) -> None:
        state = self._state(event.output_index, "function_call", event.item_id)
        if state.arguments is None:
            state.arguments = PartState()
        state.arguments.pieces.append(event.delta)
        self._pieces += 1

    def _arguments_done(self, event: ResponseFunctionCallArgumentsDoneEvent) -> None:
        state = self._state(event.output_index, "function_call", event.item_id)
        if state.arguments is None:
            state.arguments = PartState()
        self._done_text(state.arguments, event.arguments)

    def _summary_delta(self, event: ResponseReasoningSummaryTextDeltaEvent) -> None:
        state = self._state(event.output_index, "reasoning", event.item_id)
        state.summary_part(event.summary_index).pieces.append(event.delta)
        self._pieces += 1

    def _summary_done(self, event: ResponseReasoningSummaryTextDoneEvent) -> None:
        state = self._state(event.output_index, "reasoning", event.item_id)
        self._done_text(state.summary_part(event.summary_index), event.text)

    def _summary_part(self, event: ResponseReasoningSummaryPartAddedEvent) -> None:
        self._state(event.output_index, "reasoning", event.item_id).summary_part(event.summary_index)

    def _reasoning_delta(self, event: ResponseReasoningTextDeltaEvent) -> None:
        state = self._state(event.output_index, "reasoning", event.item_id)
        state.part(event.content_index).pieces.append(event.delta)
        self._pieces += 1

    def _reasoning_done(self, event: ResponseReasoningTextDoneEvent) -> None:
        state = self._state(event.output_index, "reasoning", event.item_id)
        self._done_text(state.part(event.content_index), event.text)

    def _reasoning_part(
        self, event: ResponseReasoningPartAddedEvent | ResponseReasoningPartDoneEvent
    ) -> None:
        self._state(event.output_index, "reasoning", event.item_id).part(event.content_index)

    def _item_added(self, event: ResponseOutputItemAddedEvent) -> None:
        state = self._state(event.output_index, event.item.type, None)
        state.item = event.item

    def _item_done(self, event: ResponseOutputItemDoneEvent) -> None:
        state = self._state(event.output_index, event.item.type, None)
        state.final = event.item
        if not state.parts and state.arguments is None and not state.summary:
            self._pieces += 1  # an item that came whole (a web search …): output all the same

    def _content_part(self, event: ResponseContentPartAddedEvent | ResponseContentPartDoneEvent) -> None:
        state = self._state(event.output_index, "message", event.item_id).part(event.content_index)
        state.part = event.part

    def _annotation(self, event: ResponseOutputTextAnnotationAddedEvent) -> None:
        part = self._state(event.output_index, "message", event.item_id).part(event.content_index)
        if part.annotations is None:
            part.annotations = []
        part.annotations.append(event.annotation)

    def _done_text(self, part: PartState, text: str) -> None:
        # LM Studio sends a `.done` with no delta before it: the text is output all the same.
        if not part.pieces:
            self._pieces += 1
        part.text = text

    def _lifecycle(self, event: ResponseCreatedEvent | ResponseQueuedEvent | ResponseInProgressEvent) -> None:
        if not self._terminal:
            self._base = event.response

    def _terminal_event(
        self, event: ResponseCompletedEvent | ResponseIncompleteEvent | ResponseFailedEvent
    ) -> None:
        self._base = event.response
        self._terminal = True
        if self._output is not None and type(event) is not ResponseFailedEvent:
            self._parsed = parse_response(self._output, self._rebuilt())

    # --- reading -------------------------------------------------------------------------

    def has_output(self) -> bool:
        """Whether any output (text, reasoning, arguments, a whole item) has arrived."""
        return self._pieces > 0

    def output_pieces(self) -> int:
        """How many pieces of output arrived."""
        return self._pieces

    @property
    def usage(self) -> ResponseUsage | None:
        """The usage the server reported (in the terminal response), or ``None``."""
        base = self._base
        return None if base is None else base.usage

    @property
    def output_tokens(self) -> int | None:
        """The output tokens of the reported usage."""
        usage = self.usage
        return None if usage is None else usage.output_tokens

    @property
    def snapshot(self) -> Response[ResponseFormatT]:
        """The response rebuilt from every event so far (a fresh value)."""
        response = self._rebuilt()
        parsed = self._parsed
        if parsed is None:
            return response
        output = [
            msgspec.structs.replace(item, parsed=parsed.arguments.get(index))
            if type(item) is ResponseFunctionToolCall and index in parsed.arguments
            else item
            for index, item in enumerate(response.output)
        ]
        return msgspec.structs.replace(response, output=output, output_parsed=parsed.content)

    def _rebuilt(self) -> Response[Any]:
        """The base response with the streamed output, unless the terminal one carries its own."""
        base = self._base
        if base is None:
            base = Response(status="in_progress")
        if self._terminal and base.output:
            return msgspec.structs.replace(base)
        states = self._states
        return msgspec.structs.replace(base, output=[states[index].built() for index in sorted(states)])
