"""The Responses ``Response`` object (what the stream rebuilds) and its usage. Pure, no I/O."""

from __future__ import annotations

from typing import Any, Generic

import msgspec

from .._output._typevars import ResponseFormatT
from ._items import OutputItem, ResponseOutputMessage, ResponseOutputText

__all__ = [
    "IncompleteDetails",
    "InputTokensDetails",
    "OutputTokensDetails",
    "Response",
    "ResponseError",
    "ResponseUsage",
]


class _Wire(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """Base of the response's parts: keyword-only, compact repr, unknown fields skipped."""


class InputTokensDetails(_Wire, kw_only=True):
    """Input tokens served from the prompt cache."""

    cached_tokens: int | None = None


class OutputTokensDetails(_Wire, kw_only=True):
    """Output tokens spent on reasoning."""

    reasoning_tokens: int | None = None


class ResponseUsage(_Wire, kw_only=True):
    """Token usage, as the terminal event's response reports it."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: InputTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None


class ResponseError(_Wire, kw_only=True):
    """Why a response failed (``response.error``)."""

    code: str | None = None
    message: str = ""
    type: str | None = None
    param: str | None = None


class IncompleteDetails(_Wire, kw_only=True):
    """Why a response stopped early (``reason``: ``max_output_tokens``, ``content_filter`` …)."""

    reason: str | None = None


class Response(_Wire, Generic[ResponseFormatT], kw_only=True):
    """A Responses API response: its output items, status, usage and error.

    ``output_text`` joins the text of every ``output_text`` part, as openai-python's does.
    ``output_parsed`` is that text decoded into the ``text_format`` type when one was asked
    for (``client.responses.stream(text_format=Location)``), else ``None``.
    """

    id: str = ""
    object: str = "response"
    created_at: float | None = None
    status: str | None = None
    model: str = ""
    output: list[OutputItem] = msgspec.field(default_factory=list)
    usage: ResponseUsage | None = None
    error: ResponseError | None = None
    incomplete_details: IncompleteDetails | None = None
    instructions: Any = None
    previous_response_id: str | None = None
    service_tier: str | None = None
    metadata: dict[str, Any] | None = None
    output_parsed: ResponseFormatT | None = None

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message, joined."""
        return "".join(
            part.text
            for item in self.output
            if type(item) is ResponseOutputMessage
            for part in item.content
            if type(part) is ResponseOutputText
        )
