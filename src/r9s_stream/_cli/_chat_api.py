"""The chat-completions kind on the command line (``--api chat``, the default)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TextIO

from .._connect._chat import aconnect_chat_stream
from ._render import LiveRenderer, completion_json, describe_message, finish_note, usage_text

if TYPE_CHECKING:
    import httpx

    from .._chat._models import ChatCompletionStreamEvent
    from .._client import AsyncClient
    from .._streaming._stream import Stream
    from ._api import Prompt

__all__ = ["ChatApi"]


class _ChatPrinter:
    """Reasoning, content, refusal and each tool call of choice 0, as they come."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self._renderer = LiveRenderer(out, color=color)

    def event(self, event: ChatCompletionStreamEvent, stream: Stream[Any, Any]) -> None:
        # The rebuilt completion is read only for a tool-call delta: a call is shown once whole.
        self._renderer.event(event, stream.snapshot if event.choices and _has_tool_delta(event) else None)

    def finish(self, stream: Stream[Any, Any]) -> None:
        self._renderer.finish(stream.snapshot)


def _has_tool_delta(event: ChatCompletionStreamEvent) -> bool:
    return any(c.delta is not None and c.delta.tool_calls for c in event.choices)


class ChatApi:
    """``POST /chat/completions``: messages in, a ``ChatCompletion`` rebuilt."""

    path = "/chat/completions"
    unit = "chunks"

    def open(self, client: AsyncClient, prompt: Prompt) -> AbstractAsyncContextManager[Any]:
        messages = [{"role": "system", "content": prompt.system}] if prompt.system else []
        messages.append({"role": "user", "content": prompt.text})
        return client.stream(model=prompt.model, messages=messages)

    def connect(self, http: httpx.AsyncClient, url: str) -> AbstractAsyncContextManager[Any]:
        return aconnect_chat_stream(http, "POST", url)

    def printer(self, out: TextIO, *, color: bool) -> _ChatPrinter:
        return _ChatPrinter(out, color=color)

    def describe(self, answer: Any, *, color: bool) -> str:
        return describe_message(answer, color=color)

    def usage_text(self, usage: Any) -> str:
        return usage_text(usage)

    def to_json(self, answer: Any) -> str:
        return completion_json(answer)

    def finish_note(self, answer: Any, done: bool) -> str:
        return finish_note(answer, done)
