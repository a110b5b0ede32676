"""Parsing a finished chat choice into the user's types: content, then each tool call's arguments. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._exceptions import (
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    OutputError,
    OutputValidationError,
)
from .._output._spec import OutputSpec
from ._models import ChatCompletionMessage

__all__ = ["ChoiceParse", "parse_finished"]


class ChoiceParse:
    """The parsed values of one choice (content, then each tool call's arguments), or its error."""

    __slots__ = ("arguments", "content", "error", "raised")

    def __init__(
        self, content: Any = None, arguments: Iterable[Any] = (), error: OutputError | None = None
    ) -> None:
        self.content = content
        self.arguments = list(arguments)
        self.error = error
        self.raised = False  # an error is raised once, by the batch that finished the choice

    @classmethod
    def attempt(cls, output: OutputSpec[Any], message: ChatCompletionMessage[Any]) -> ChoiceParse:
        """Whatever of an unfinished choice already decodes; nothing is raised."""
        parsed = _parse_message(output, message, 0)
        return cls(parsed.content, parsed.arguments)

    def apply(self, message: ChatCompletionMessage[Any]) -> None:
        """Set ``parsed`` on the message and on its tool calls' functions."""
        message.parsed = self.content
        for call, parsed in zip(message.tool_calls or (), self.arguments, strict=False):
            call.function.parsed = parsed


def parse_finished(
    output: OutputSpec[Any], index: int, finish_reason: str, message: ChatCompletionMessage[Any]
) -> ChoiceParse:
    """Parse a finished choice; its finish reason is checked before anything is decoded."""
    if finish_reason == "length":
        return ChoiceParse(error=LengthFinishReasonError(choice=index))
    if finish_reason == "content_filter":
        return ChoiceParse(error=ContentFilterFinishReasonError(choice=index))
    return _parse_message(output, message, index)


def _parse_message(output: OutputSpec[Any], message: ChatCompletionMessage[Any], index: int) -> ChoiceParse:
    error: OutputValidationError | None = None
    content = None
    # A refusal is an answer, not an error: parsed stays None (as in openai-python).
    if output.response_format is not None and message.content and not message.refusal:
        try:
            content = output.parse_content(message.content)
        except OutputValidationError as failed:
            failed.choice = index
            error = failed
    arguments = []
    for call in message.tool_calls or ():
        try:
            arguments.append(output.parse_arguments(call.function.name, call.function.arguments))
        except OutputValidationError as failed:
            failed.choice = index
            error = error or failed
            arguments.append(None)
    return ChoiceParse(content, arguments, error)
