"""Parsing a finished response into the user's types: the text, then each function call's arguments. Pure."""

from __future__ import annotations

from typing import Any

from .._exceptions import (
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    OutputError,
    OutputValidationError,
)
from .._output._spec import OutputSpec
from ._items import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputRefusal
from ._response import Response

__all__ = ["ParsedOutput", "parse_response"]


class ParsedOutput:
    """What a finished response parsed into: ``content`` (``output_parsed``), the arguments
    of each function call by output index, or the error to raise (once)."""

    __slots__ = ("arguments", "content", "error", "raised")

    def __init__(self) -> None:
        self.content: Any = None
        self.arguments: dict[int, Any] = {}
        self.error: OutputError | None = None
        self.raised = False


def parse_response(output: OutputSpec[Any], response: Response[Any]) -> ParsedOutput:
    """Parse a terminal response; an incomplete one is refused before anything is decoded."""
    parsed = ParsedOutput()
    details = response.incomplete_details
    if response.status == "incomplete":
        reason = None if details is None else details.reason
        if reason == "content_filter":
            parsed.error = ContentFilterFinishReasonError()
        else:  # max_output_tokens, or a reason not known here: the JSON is cut off either way
            parsed.error = LengthFinishReasonError()
        return parsed
    refused = any(
        type(part) is ResponseOutputRefusal
        for item in response.output
        if type(item) is ResponseOutputMessage
        for part in item.content
    )
    text = response.output_text
    # A refusal is an answer, not an error: output_parsed stays None (as in openai-python).
    if output.response_format is not None and text and not refused:
        try:
            parsed.content = output.parse_content(text)
        except OutputValidationError as failed:
            parsed.error = failed
    for index, item in enumerate(response.output):
        if type(item) is ResponseFunctionToolCall:
            try:
                parsed.arguments[index] = output.parse_arguments(item.name, item.arguments)
            except OutputValidationError as failed:
                parsed.error = parsed.error or failed
    return parsed
