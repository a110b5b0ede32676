"""The Responses API on the command line (``--api responses``, and ``replay`` of a Responses recording)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TextIO

from .._connect._responses import aconnect_response_stream
from .._responses._events import (
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseTextDeltaEvent,
)
from .._responses._items import ResponseFunctionToolCall, ResponseReasoningItem
from ._api import answer_json, token_text

if TYPE_CHECKING:
    import httpx

    from .._client import AsyncClient
    from .._responses._response import Response
    from .._streaming._stream import Stream
    from ._api import Prompt

__all__ = ["ResponsesApi"]

_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_REASONING = (ResponseReasoningSummaryTextDeltaEvent, ResponseReasoningTextDeltaEvent)


class _ResponsesPrinter:
    """Reasoning (dimmed) and text as they come; each function call once the response is whole."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self._out = out
        self._color = color
        self._dimmed = False
        self._printed = False

    def _write(self, text: str, dim: bool) -> None:
        if self._color and dim != self._dimmed:
            self._out.write(_DIM if dim else _RESET)
            self._dimmed = dim
        self._out.write(text)
        self._out.flush()
        self._printed = True

    def event(self, event: Any, stream: Stream[Any, Any]) -> None:
        if type(event) is ResponseTextDeltaEvent:
            self._write(event.delta, False)
        elif isinstance(event, _REASONING):
            self._write(event.delta, True)

    def finish(self, stream: Stream[Any, Any]) -> None:
        if self._dimmed:
            self._out.write(_RESET)
            self._dimmed = False
        for item in stream.snapshot.output if stream.done else ():
            if type(item) is ResponseFunctionToolCall:
                self._out.write(("\n" if self._printed else "") + _call_line(item))
                self._printed = True
        if self._printed:
            self._out.write("\n")
        self._out.flush()


def _call_line(call: ResponseFunctionToolCall) -> str:
    return f"→ {call.name}({call.arguments})  [{call.call_id}]"


class ResponsesApi:
    """``POST /responses``: the prompt as ``input``, ``--system`` as ``instructions``."""

    path = "/responses"
    unit = "events"

    def open(self, client: AsyncClient, prompt: Prompt) -> AbstractAsyncContextManager[Any]:
        extra: dict[str, Any] = {} if prompt.system is None else {"instructions": prompt.system}
        return client.responses.stream(model=prompt.model, input=prompt.text, text_format=None, **extra)

    def connect(self, http: httpx.AsyncClient, url: str) -> AbstractAsyncContextManager[Any]:
        return aconnect_response_stream(http, "POST", url)

    def printer(self, out: TextIO, *, color: bool) -> _ResponsesPrinter:
        return _ResponsesPrinter(out, color=color)

    def describe(self, answer: Response[Any], *, color: bool) -> str:
        lines: list[str] = []
        for item in answer.output:
            if type(item) is ResponseReasoningItem:
                thought = "\n".join(
                    getattr(part, "text", "") for part in [*item.summary, *(item.content or ())]
                )
                if thought:
                    lines.append(f"{_DIM}{thought}{_RESET}" if color else thought)
            elif type(item) is ResponseFunctionToolCall:
                lines.append(_call_line(item))
        if answer.output_text:
            lines.append(answer.output_text)
        lines.append(f"[status: {self._status(answer)}]")
        return "\n".join(lines)

    @staticmethod
    def _status(answer: Response[Any]) -> str:
        details = answer.incomplete_details
        if answer.status == "incomplete" and details is not None and details.reason:
            return f"incomplete ({details.reason})"
        return answer.status or "none"

    def usage_text(self, usage: Any) -> str:
        return token_text(usage)

    def to_json(self, answer: Response[Any]) -> str:
        return answer_json(answer)

    def finish_note(self, answer: Response[Any], done: bool) -> str:
        if done and answer.status == "incomplete":
            return f"the response is {self._status(answer)}"
        return ""
