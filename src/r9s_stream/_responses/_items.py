"""The Responses output: items (message, function call, reasoning, tool calls) and their parts.

Items and parts are msgspec tagged unions on the wire's ``type``. Each class declares
``type`` as a class attribute equal to the wire's string, so ``item.type`` reads as on the
wire and ``match`` works on the classes. An item or part of a type this module does not know
is kept whole as ``UnknownOutputItem`` / ``UnknownContentPart`` (its ``data`` is the wire
object, its ``type`` the wire's); unknown fields are skipped and every enum-like field
(``status``, ``role`` …) is a plain ``str``, so a new value is never fatal. Pure, no I/O.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Union

import msgspec

__all__ = [
    "ContentPart",
    "OutputItem",
    "ReasoningSummary",
    "ReasoningText",
    "ResponseFileSearchToolCall",
    "ResponseFunctionToolCall",
    "ResponseFunctionWebSearch",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseOutputText",
    "ResponseReasoningItem",
    "UnknownContentPart",
    "UnknownOutputItem",
]

# The tag an unknown item or part is filed under inside the unions; its real type is in `data`.
UNKNOWN_TAG = "__unknown__"


class _Tagged(msgspec.Struct, kw_only=True, tag_field="type", repr_omit_defaults=True):
    """Base of every item and part: tagged on ``type``, keyword-only, compact repr."""


# --- content parts -------------------------------------------------------------------------


class ResponseOutputText(_Tagged, kw_only=True, tag="output_text"):
    """Text the model wrote, with its annotations (citations, file paths …) as the wire has them."""

    type: ClassVar[Literal["output_text"]] = "output_text"
    text: str = ""
    annotations: list[dict[str, Any]] = msgspec.field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None


class ResponseOutputRefusal(_Tagged, kw_only=True, tag="refusal"):
    """The model's refusal to answer."""

    type: ClassVar[Literal["refusal"]] = "refusal"
    refusal: str = ""


class ReasoningText(_Tagged, kw_only=True, tag="reasoning_text"):
    """Reasoning the model shows (``reasoning_text``: gpt-oss, vLLM, OpenRouter)."""

    type: ClassVar[Literal["reasoning_text"]] = "reasoning_text"
    text: str = ""


class ReasoningSummary(_Tagged, kw_only=True, tag="summary_text"):
    """One part of a reasoning item's summary."""

    type: ClassVar[Literal["summary_text"]] = "summary_text"
    text: str = ""


class UnknownContentPart(_Tagged, kw_only=True, tag=UNKNOWN_TAG):
    """A content part of a type not known here, kept as the wire object it was."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def type(self) -> str:
        """The wire's ``type`` of the part."""
        return str(self.data.get("type", ""))


ContentPart = Union[ResponseOutputText, ResponseOutputRefusal, ReasoningText, UnknownContentPart]  # noqa: UP007
"""A part of a message's or a reasoning item's content."""

# --- output items --------------------------------------------------------------------------


class ResponseOutputMessage(_Tagged, kw_only=True, tag="message"):
    """An assistant message: its text and refusal parts."""

    type: ClassVar[Literal["message"]] = "message"
    id: str = ""
    role: str = "assistant"
    status: str | None = None
    content: list[ContentPart] = msgspec.field(default_factory=list)


class ResponseFunctionToolCall(_Tagged, kw_only=True, tag="function_call"):
    """A call of one of the request's function tools; ``parsed`` holds the arguments decoded
    into the tool's type when the tool was given as one (``tools=[GetWeather]``)."""

    type: ClassVar[Literal["function_call"]] = "function_call"
    id: str | None = None
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    status: str | None = None
    parsed: Any = None


class ResponseReasoningItem(_Tagged, kw_only=True, tag="reasoning"):
    """The model's reasoning: a summary, the reasoning text where shown, the encrypted form."""

    type: ClassVar[Literal["reasoning"]] = "reasoning"
    id: str = ""
    summary: list[ReasoningSummary | UnknownContentPart] = msgspec.field(default_factory=list)
    content: list[ContentPart] | None = None
    encrypted_content: str | None = None
    status: str | None = None


class ResponseFunctionWebSearch(_Tagged, kw_only=True, tag="web_search_call"):
    """A web search the server ran; ``action`` as the wire has it (query, sources …)."""

    type: ClassVar[Literal["web_search_call"]] = "web_search_call"
    id: str = ""
    status: str | None = None
    action: dict[str, Any] | None = None


class ResponseFileSearchToolCall(_Tagged, kw_only=True, tag="file_search_call"):
    """A file search the server ran: its queries and results as the wire has them."""

    type: ClassVar[Literal["file_search_call"]] = "file_search_call"
    id: str = ""
    status: str | None = None
    queries: list[str] = msgspec.field(default_factory=list)
    results: list[dict[str, Any]] | None = None


class UnknownOutputItem(_Tagged, kw_only=True, tag=UNKNOWN_TAG):
    """An output item of a type not known here (MCP, code interpreter, …), kept as the wire object."""

    data: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def type(self) -> str:
        """The wire's ``type`` of the item."""
        return str(self.data.get("type", ""))

    @property
    def id(self) -> str:
        """The wire's ``id`` of the item, or ``""``."""
        return str(self.data.get("id") or "")


OutputItem = Union[  # noqa: UP007
    ResponseOutputMessage,
    ResponseFunctionToolCall,
    ResponseReasoningItem,
    ResponseFunctionWebSearch,
    ResponseFileSearchToolCall,
    UnknownOutputItem,
]
"""One item of a response's ``output``."""
