"""The legacy Completions kind on the command line (``--api completions``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TextIO

from .._connect._completions import aconnect_completion_stream
from ._api import answer_json, token_text

if TYPE_CHECKING:
    import httpx

    from .._client import AsyncClient
    from .._completions._models import Completion, CompletionChunk
    from .._streaming._stream import Stream
    from ._api import Prompt

__all__ = ["CompletionsApi"]


class _CompletionsPrinter:
    """The text of choice 0 as it comes."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._printed = False

    def event(self, event: CompletionChunk, stream: Stream[Any, Any]) -> None:
        for choice in event.choices:
            if choice.index == 0 and choice.text:
                self._out.write(choice.text)
                self._out.flush()
                self._printed = True

    def finish(self, stream: Stream[Any, Any]) -> None:
        if self._printed:
            self._out.write("\n")
        self._out.flush()


class CompletionsApi:
    """``POST /completions``: a prompt in, a ``Completion`` rebuilt (``--system`` goes before the prompt)."""

    path = "/completions"
    unit = "chunks"

    def open(self, client: AsyncClient, prompt: Prompt) -> AbstractAsyncContextManager[Any]:
        # The legacy endpoint has no roles: a system text can only lead the prompt.
        text = f"{prompt.system}\n\n{prompt.text}" if prompt.system else prompt.text
        return client.completions.stream(model=prompt.model, prompt=text)

    def connect(self, http: httpx.AsyncClient, url: str) -> AbstractAsyncContextManager[Any]:
        return aconnect_completion_stream(http, "POST", url)

    def printer(self, out: TextIO, *, color: bool) -> _CompletionsPrinter:
        return _CompletionsPrinter(out)

    def describe(self, answer: Completion, *, color: bool) -> str:
        lines: list[str] = []
        for choice in answer.choices:
            if len(answer.choices) > 1:
                lines.append(f"── choice {choice.index}")
            if choice.text:
                lines.append(choice.text)
            lines.append(f"[finish_reason: {choice.finish_reason or 'none'}]")
        return "\n".join(lines)

    def usage_text(self, usage: Any) -> str:
        return token_text(usage)

    def to_json(self, answer: Completion) -> str:
        return answer_json(answer)

    def finish_note(self, answer: Completion, done: bool) -> str:
        return ""
