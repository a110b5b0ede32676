"""The Responses stream's events: a msgspec tagged union on the JSON ``type``. Pure, no I/O.

Each class declares ``type`` (a class attribute equal to the wire's string: a msgspec tag
alone is not an attribute), so ``event.type == "response.output_text.delta"`` reads as on
the wire and ``match event: case ResponseTextDeltaEvent(delta=text)`` works. An event of a
type not listed here is handed out as ``UnknownResponseEvent`` with its ``type`` and the raw
payload; unknown fields are skipped. ``sequence_number`` is optional: older OpenAI servers,
llama.cpp and LiteLLM send none.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Union

import msgspec

from ._items import ContentPart, OutputItem, ReasoningSummary, UnknownContentPart
from ._response import Response

__all__ = [
    "EVENT_TYPES",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFileSearchCallCompletedEvent",
    "ResponseFileSearchCallInProgressEvent",
    "ResponseFileSearchCallSearchingEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputTextAnnotationAddedEvent",
    "ResponseQueuedEvent",
    "ResponseReasoningPartAddedEvent",
    "ResponseReasoningPartDoneEvent",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseWebSearchCallCompletedEvent",
    "ResponseWebSearchCallInProgressEvent",
    "ResponseWebSearchCallSearchingEvent",
    "UnknownResponseEvent",
]


class _Event(msgspec.Struct, kw_only=True, tag_field="type", gc=False, repr_omit_defaults=True):
    """Base of every known event: tagged on ``type``, keyword-only, not GC-tracked (no cycles)."""

    sequence_number: int | None = None


# --- the response's life -------------------------------------------------------------------


class ResponseCreatedEvent(_Event, kw_only=True, tag="response.created"):
    """The response was created (status ``in_progress``, no output yet)."""

    type: ClassVar[Literal["response.created"]] = "response.created"
    response: Response[Any]


class ResponseQueuedEvent(_Event, kw_only=True, tag="response.queued"):
    """The response waits in a queue (background mode; a resumed stream may start here)."""

    type: ClassVar[Literal["response.queued"]] = "response.queued"
    response: Response[Any]


class ResponseInProgressEvent(_Event, kw_only=True, tag="response.in_progress"):
    """The model is working on the response."""

    type: ClassVar[Literal["response.in_progress"]] = "response.in_progress"
    response: Response[Any]


class ResponseCompletedEvent(_Event, kw_only=True, tag="response.completed"):
    """The end: the response is whole (its ``output`` may be empty on slim servers)."""

    type: ClassVar[Literal["response.completed"]] = "response.completed"
    response: Response[Any]


class ResponseIncompleteEvent(_Event, kw_only=True, tag="response.incomplete"):
    """The end of a response that stopped early (``response.incomplete_details.reason``)."""

    type: ClassVar[Literal["response.incomplete"]] = "response.incomplete"
    response: Response[Any]


class ResponseFailedEvent(_Event, kw_only=True, tag="response.failed"):
    """The end of a response that failed (``response.error``); the stream raises ``StreamAPIError``."""

    type: ClassVar[Literal["response.failed"]] = "response.failed"
    response: Response[Any]


class ErrorDetail(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """The nested ``error`` object of an ``error`` event."""

    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None


class ResponseErrorEvent(_Event, kw_only=True, tag="error"):
    """An error inside the stream; the fields are nested in ``error`` or (older docs) top level."""

    type: ClassVar[Literal["error"]] = "error"
    code: str | None = None
    message: str | None = None
    param: str | None = None
    error: ErrorDetail | None = None


# --- output items and content parts --------------------------------------------------------


class ResponseOutputItemAddedEvent(_Event, kw_only=True, tag="response.output_item.added"):
    """An output item starts (as it is so far: empty content, no arguments)."""

    type: ClassVar[Literal["response.output_item.added"]] = "response.output_item.added"
    output_index: int = 0
    item: OutputItem


class ResponseOutputItemDoneEvent(_Event, kw_only=True, tag="response.output_item.done"):
    """An output item is whole: the server's own copy, which replaces what the deltas built."""

    type: ClassVar[Literal["response.output_item.done"]] = "response.output_item.done"
    output_index: int = 0
    item: OutputItem


class ResponseContentPartAddedEvent(_Event, kw_only=True, tag="response.content_part.added"):
    """A content part of a message starts."""

    type: ClassVar[Literal["response.content_part.added"]] = "response.content_part.added"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    part: ContentPart


class ResponseContentPartDoneEvent(_Event, kw_only=True, tag="response.content_part.done"):
    """A content part of a message is whole."""

    type: ClassVar[Literal["response.content_part.done"]] = "response.content_part.done"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    part: ContentPart


class ResponseTextDeltaEvent(_Event, kw_only=True, tag="response.output_text.delta"):
    """A piece of text."""

    type: ClassVar[Literal["response.output_text.delta"]] = "response.output_text.delta"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    delta: str = ""
    logprobs: list[dict[str, Any]] | None = None


class ResponseTextDoneEvent(_Event, kw_only=True, tag="response.output_text.done"):
    """A text part is whole: ``text`` is all of it."""

    type: ClassVar[Literal["response.output_text.done"]] = "response.output_text.done"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    text: str = ""


class ResponseOutputTextAnnotationAddedEvent(
    _Event, kw_only=True, tag="response.output_text.annotation.added"
):
    """An annotation (a citation, a file path …) of a text part, as the wire has it."""

    type: ClassVar[Literal["response.output_text.annotation.added"]] = "response.output_text.annotation.added"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    annotation_index: int = 0
    annotation: dict[str, Any] = msgspec.field(default_factory=dict)


class ResponseRefusalDeltaEvent(_Event, kw_only=True, tag="response.refusal.delta"):
    """A piece of a refusal."""

    type: ClassVar[Literal["response.refusal.delta"]] = "response.refusal.delta"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    delta: str = ""


class ResponseRefusalDoneEvent(_Event, kw_only=True, tag="response.refusal.done"):
    """A refusal is whole."""

    type: ClassVar[Literal["response.refusal.done"]] = "response.refusal.done"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    refusal: str = ""


class ResponseFunctionCallArgumentsDeltaEvent(
    _Event, kw_only=True, tag="response.function_call_arguments.delta"
):
    """A piece of a function call's JSON arguments."""

    type: ClassVar[Literal["response.function_call_arguments.delta"]] = (
        "response.function_call_arguments.delta"
    )
    item_id: str | None = None
    output_index: int = 0
    delta: str = ""


class ResponseFunctionCallArgumentsDoneEvent(
    _Event, kw_only=True, tag="response.function_call_arguments.done"
):
    """A function call's arguments are whole."""

    type: ClassVar[Literal["response.function_call_arguments.done"]] = "response.function_call_arguments.done"
    item_id: str | None = None
    output_index: int = 0
    name: str | None = None
    arguments: str = ""


# --- reasoning -----------------------------------------------------------------------------


class ResponseReasoningSummaryPartAddedEvent(
    _Event, kw_only=True, tag="response.reasoning_summary_part.added"
):
    """A part of a reasoning summary starts."""

    type: ClassVar[Literal["response.reasoning_summary_part.added"]] = "response.reasoning_summary_part.added"
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    part: ReasoningSummary | UnknownContentPart | None = None


class ResponseReasoningSummaryPartDoneEvent(_Event, kw_only=True, tag="response.reasoning_summary_part.done"):
    """A part of a reasoning summary is whole."""

    type: ClassVar[Literal["response.reasoning_summary_part.done"]] = "response.reasoning_summary_part.done"
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    part: ReasoningSummary | UnknownContentPart | None = None


class ResponseReasoningSummaryTextDeltaEvent(
    _Event, kw_only=True, tag="response.reasoning_summary_text.delta"
):
    """A piece of a reasoning summary's text."""

    type: ClassVar[Literal["response.reasoning_summary_text.delta"]] = "response.reasoning_summary_text.delta"
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    delta: str = ""


class ResponseReasoningSummaryTextDoneEvent(_Event, kw_only=True, tag="response.reasoning_summary_text.done"):
    """A reasoning summary's text is whole."""

    type: ClassVar[Literal["response.reasoning_summary_text.done"]] = "response.reasoning_summary_text.done"
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0
    text: str = ""


class ResponseReasoningTextDeltaEvent(_Event, kw_only=True, tag="response.reasoning_text.delta"):
    """A piece of shown reasoning text."""

    type: ClassVar[Literal["response.reasoning_text.delta"]] = "response.reasoning_text.delta"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    delta: str = ""


class ResponseReasoningTextDoneEvent(_Event, kw_only=True, tag="response.reasoning_text.done"):
    """Shown reasoning text is whole."""

    type: ClassVar[Literal["response.reasoning_text.done"]] = "response.reasoning_text.done"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    text: str = ""


class ResponseReasoningPartAddedEvent(_Event, kw_only=True, tag="response.reasoning_part.added"):
    """vLLM's start of a reasoning text part."""

    type: ClassVar[Literal["response.reasoning_part.added"]] = "response.reasoning_part.added"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    part: ContentPart | None = None


class ResponseReasoningPartDoneEvent(_Event, kw_only=True, tag="response.reasoning_part.done"):
    """vLLM's end of a reasoning text part."""

    type: ClassVar[Literal["response.reasoning_part.done"]] = "response.reasoning_part.done"
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0
    part: ContentPart | None = None


# --- server-side tools ---------------------------------------------------------------------


class ResponseWebSearchCallInProgressEvent(_Event, kw_only=True, tag="response.web_search_call.in_progress"):
    """A web search starts."""

    type: ClassVar[Literal["response.web_search_call.in_progress"]] = "response.web_search_call.in_progress"
    item_id: str | None = None
    output_index: int = 0


class ResponseWebSearchCallSearchingEvent(_Event, kw_only=True, tag="response.web_search_call.searching"):
    """A web search is searching."""

    type: ClassVar[Literal["response.web_search_call.searching"]] = "response.web_search_call.searching"
    item_id: str | None = None
    output_index: int = 0


class ResponseWebSearchCallCompletedEvent(_Event, kw_only=True, tag="response.web_search_call.completed"):
    """A web search finished (its item comes whole in ``response.output_item.done``)."""

    type: ClassVar[Literal["response.web_search_call.completed"]] = "response.web_search_call.completed"
    item_id: str | None = None
    output_index: int = 0


class ResponseFileSearchCallInProgressEvent(
    _Event, kw_only=True, tag="response.file_search_call.in_progress"
):
    """A file search starts."""

    type: ClassVar[Literal["response.file_search_call.in_progress"]] = "response.file_search_call.in_progress"
    item_id: str | None = None
    output_index: int = 0


class ResponseFileSearchCallSearchingEvent(_Event, kw_only=True, tag="response.file_search_call.searching"):
    """A file search is searching."""

    type: ClassVar[Literal["response.file_search_call.searching"]] = "response.file_search_call.searching"
    item_id: str | None = None
    output_index: int = 0


class ResponseFileSearchCallCompletedEvent(_Event, kw_only=True, tag="response.file_search_call.completed"):
    """A file search finished (its item comes whole in ``response.output_item.done``)."""

    type: ClassVar[Literal["response.file_search_call.completed"]] = "response.file_search_call.completed"
    item_id: str | None = None
    output_index: int = 0


class UnknownResponseEvent(msgspec.Struct, kw_only=True, gc=False):
    """An event of a type not known here: its wire ``type`` and the whole payload."""

    type: str
    data: dict[str, Any] = msgspec.field(default_factory=dict)


KnownResponseEvent = Union[  # noqa: UP007
    ResponseCreatedEvent,
    ResponseQueuedEvent,
    ResponseInProgressEvent,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseFailedEvent,
    ResponseErrorEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseReasoningPartAddedEvent,
    ResponseReasoningPartDoneEvent,
    ResponseWebSearchCallInProgressEvent,
    ResponseWebSearchCallSearchingEvent,
    ResponseWebSearchCallCompletedEvent,
    ResponseFileSearchCallInProgressEvent,
    ResponseFileSearchCallSearchingEvent,
    ResponseFileSearchCallCompletedEvent,
]
"""Every event type decoded into its own class."""

ResponseStreamEvent = Union[KnownResponseEvent, UnknownResponseEvent]  # noqa: UP007
"""What a Responses stream hands out."""

EVENT_TYPES: dict[str, type[Any]] = {
    cls.type: cls
    for cls in KnownResponseEvent.__args__  # type: ignore[attr-defined]
}
"""Each known wire ``type`` → its class."""
