"""The Anthropic Messages kind on the command line (``--api messages``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TextIO

from .._connect._messages import aconnect_message_stream
from .._messages._events import ContentBlockDeltaEvent, ContentBlockStopEvent, MessageStreamEvent
from .._messages._models import (
    Message,
    ServerToolUseBlock,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
)
from ._api import answer_json, token_text

if TYPE_CHECKING:
    import httpx

    from .._client import AsyncClient
    from .._streaming._stream import Stream
    from ._api import Prompt

__all__ = ["MessagesApi"]

_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
# The CLI's own default: Anthropic requires max_tokens on every request.
MAX_TOKENS = 4096


def _tool_line(block: ToolUseBlock | ServerToolUseBlock) -> str:
    return f"→ tool call {block.name}({block.partial_json or '{}'})  [{block.id}]"


class _MessagesPrinter:
    """Thinking (dimmed on a terminal), text, and each tool call once its block stops."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self._out = out
        self._color = color
        self._thinking = False  # the last thing printed was thinking
        self._line_open = False  # something was printed on the current line

    def _write(self, text: str, *, thinking: bool) -> None:
        if thinking != self._thinking and self._line_open:
            self._out.write("\n")
        if thinking and self._color:
            text = _DIM + text + _RESET
        self._out.write(text)
        self._out.flush()
        self._thinking = thinking
        self._line_open = not text.endswith("\n")

    def event(self, event: MessageStreamEvent, stream: Stream[Any, Any]) -> None:
        if type(event) is ContentBlockDeltaEvent:
            delta = event.delta
            if type(delta) is TextDelta:
                self._write(delta.text, thinking=False)
            elif type(delta) is ThinkingDelta:
                self._write(delta.thinking, thinking=True)
        elif type(event) is ContentBlockStopEvent:
            content = stream.snapshot.content
            block = content[event.index] if event.index < len(content) else None
            if isinstance(block, ToolUseBlock | ServerToolUseBlock):
                self._write(("\n" if self._line_open else "") + _tool_line(block) + "\n", thinking=False)

    def finish(self, stream: Stream[Any, Any]) -> None:
        if self._line_open:
            self._out.write("\n")
            self._line_open = False


def describe(message: Message) -> str:
    """The message as text: thinking, text and tool calls in order, then its stop reason."""
    parts: list[str] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            parts.append(block.text)
        elif isinstance(block, ThinkingBlock):
            parts.append(f"[thinking] {block.thinking}")
        elif isinstance(block, ToolUseBlock | ServerToolUseBlock):
            parts.append(_tool_line(block))
        else:
            parts.append(f"[{block.type} block]")
    parts.append(f"stop reason: {message.stop_reason or 'none'}")
    return "\n".join(parts)


class MessagesApi:
    """``POST /messages``: Anthropic Messages in, an ``rs.messages.Message`` rebuilt."""

    path = "/messages"
    unit = "events"

    def open(self, client: AsyncClient, prompt: Prompt) -> AbstractAsyncContextManager[Any]:
        fields: dict[str, Any] = {"system": prompt.system} if prompt.system else {}
        messages = [{"role": "user", "content": prompt.text}]
        return client.messages.stream(model=prompt.model, max_tokens=MAX_TOKENS, messages=messages, **fields)

    def connect(self, http: httpx.AsyncClient, url: str) -> AbstractAsyncContextManager[Any]:
        return aconnect_message_stream(http, "POST", url)

    def printer(self, out: TextIO, *, color: bool) -> _MessagesPrinter:
        return _MessagesPrinter(out, color=color)

    def describe(self, answer: Any, *, color: bool) -> str:
        return describe(answer)

    def usage_text(self, usage: Any) -> str:
        return token_text(usage)

    def to_json(self, answer: Any) -> str:
        return answer_json(answer)

    def finish_note(self, answer: Any, done: bool) -> str:
        return "" if not done or answer.stop_reason else " · the message ended without a stop reason"
