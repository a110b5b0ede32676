"""Which answer each model name gets: a scenario to stream, or an HTTP error.

Models (any other name behaves like ``echo``, under its own name):

==========================  ==================================================================
``echo``                    the last user message, word by word (the default)
``reasoning``               ``reasoning_content`` first, then the echo
``tool-call``               one call of the request's first tool (else ``get_weather``), with
                            ``{"query": <the prompt>}`` streamed in fragments
``parallel-tool-calls``     two calls, indexes 0 and 1
``structured-output``       JSON valid for the request's ``response_format`` json_schema (else
                            ``{"answer": <the prompt>}``), 8 characters a chunk; cut off with
                            finish reason ``length`` at ``max_tokens``
``schema-tool-calls``       one call of each tool in the request (or of ``tool_choice``'s), the
                            arguments valid for its ``parameters`` (see ``_structured``)
``refusal``                 a refusal instead of content
``long``                    1,000 words of text (a thousand chunks)
``inspect-request``         the request it received (method, path, headers, body) as JSON text
``fault-truncate``          ends after half the chunks, without ``data: [DONE]``
``fault-malformed``         chunk 3 is invalid JSON
``fault-error``             ``data: {"error": …}`` after 3 chunks, then the end
``fault-stall``             after 3 chunks nothing for ``stall`` seconds (30 by default)
``fault-stall-start``       headers at once, then nothing for ``stall`` seconds
``fault-slow-headers``      nothing at all (not even headers) for ``stall`` seconds
``fault-disconnect``        the connection is cut after 3 chunks (chunked body incomplete)
``fault-empty``             a 200 event stream with an empty body
``fault-content-type``      a 200 ``text/html`` page instead of an event stream
``status-NNN``              HTTP NNN (400–599) with an OpenAI-shaped JSON error body; 429 and
                            503 carry ``retry-after`` (whole seconds) and ``retry-after-ms``
``status-NNN-xK``           the first K requests for this exact name get NNN, then ``echo``
``fault-…-xK``              the first K requests for this exact name get the fault, then ``echo``
``NAME@TAG``                answers as ``NAME``; ``TAG`` keeps its ``-xK`` count apart (one
                            count per request of a batch, say)
==========================  ==================================================================

Every model honours ``n`` and, when streaming, ``stream_options.include_usage``.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .._scripted import (
    ChatScenario,
    Disconnect,
    Fault,
    Malformed,
    MidStreamError,
    ScriptedToolCall,
    Stall,
    Truncate,
)
from ._structured import json_answer, tool_calls_answer

__all__ = ["MODELS", "Catalogue", "ErrorReply", "StreamReply"]

MODELS = (
    "echo",
    "reasoning",
    "tool-call",
    "parallel-tool-calls",
    "structured-output",
    "schema-tool-calls",
    "refusal",
    "long",
    "inspect-request",
    "fault-truncate",
    "fault-malformed",
    "fault-error",
    "fault-stall",
    "fault-stall-start",
    "fault-slow-headers",
    "fault-disconnect",
    "fault-empty",
    "fault-content-type",
    "status-429",
    "status-500",
    "status-503",
)

MAX_CHOICES = 16
GREETING = "Hello! This is the r9s-stream local server: it echoes what you say, word by word."
_STATUS = re.compile(r"status-(\d{3})(?:-x(\d+))?")
_FAULT_TIMES = re.compile(r"(fault-[a-z-]+)-x(\d+)")
_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
_LONG_TEXT = (
    "streams arrive as many small chunks and a careful client rebuilds every message from them "
    "without losing a byte when the connection breaks halfway through a long answer"
)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer."""

    status: int
    message: str
    type: str
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        error = {"message": self.message, "type": self.type, "param": None, "code": self.code}
        return msgspec.json.encode({"error": error})


@dataclass(frozen=True)
class StreamReply:
    """A scenario to answer with; ``content_type``/``empty`` bend the 200 answer itself."""

    scenario: ChatScenario
    before_headers: float = 0.0
    content_type: str = "text/event-stream; charset=utf-8"
    empty: bool = False


def prompt_of(body: dict[str, Any]) -> str:
    """The text of the last user message (content parts of type ``text`` joined)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content if isinstance(content, str) else ""
    return ""


def _count_prompt_tokens(body: dict[str, Any]) -> int:
    words = 0
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        words += len(str(content or "").split()) + 3  # role and framing, roughly as tokenisers count
    return words


def _first_tool_name(body: dict[str, Any]) -> str:
    for tool in body.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str):
            return name
    return "get_weather"


class Catalogue:
    """Turns a request into a reply; counts requests for the ``status-NNN-xK`` models."""

    def __init__(self, *, stall_seconds: float = 30.0, retry_after: float = 0.05) -> None:
        self.stall_seconds = stall_seconds
        self.retry_after = retry_after
        self._failures: dict[str, int] = {}

    def reply(
        self, body: dict[str, Any], request: dict[str, Any], request_id: str
    ) -> StreamReply | ErrorReply:
        """What to answer ``body`` with; ``request`` describes it for ``inspect-request``."""
        model = str(body.get("model") or "echo")
        name = model.partition("@")[0]  # a tag after "@" only keeps one request's counts apart
        status = _STATUS.fullmatch(name)
        if status is not None:
            code, times = int(status.group(1)), status.group(2)
            if not 400 <= code <= 599:
                return ErrorReply(400, f"status models take 400-599, not {code}", "invalid_request_error")
            served = self._failures.get(model, 0)
            if times is None or served < int(times):
                self._failures[model] = served + 1
                return self._status_error(code)
        fault = _FAULT_TIMES.fullmatch(name)
        if fault is not None:
            served = self._failures.get(model, 0)
            self._failures[model] = served + 1
            name = fault.group(1) if served < int(fault.group(2)) else "echo"
        n = body.get("n", 1)
        if n is None:
            n = 1
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_CHOICES:
            return ErrorReply(
                400, f"'n' must be an integer from 1 to {MAX_CHOICES}, got {n!r}", "invalid_request_error"
            )
        prompt = prompt_of(body)
        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))
        scenario = ChatScenario(
            text=prompt or GREETING,
            n=n,
            model=model,
            id=f"chatcmpl-{request_id}",
            created=int(time.time()),
            usage=include_usage or not body.get("stream"),
            prompt_tokens=_count_prompt_tokens(body),
        )
        return self._shape(name, scenario, body, request)

    def _shape(
        self, model: str, scenario: ChatScenario, body: dict[str, Any], request: dict[str, Any]
    ) -> StreamReply:
        stall = self.stall_seconds
        faults: dict[str, Fault] = {
            "fault-truncate": Truncate(after=max(1, len(scenario.chunks()) // 2)),
            "fault-malformed": Malformed(at=3),
            "fault-error": MidStreamError(after=3),
            "fault-stall": Stall(after=3, seconds=stall),
            "fault-stall-start": Stall(after=0, seconds=stall),
            "fault-disconnect": Disconnect(after=3),
        }
        if model in faults:
            return StreamReply(scenario.replace(fault=faults[model]))
        text = scenario.text or ""
        if model == "reasoning":
            count = len(text.split())
            said = "one word; I will repeat it" if count == 1 else f"{count} words; I will repeat them"
            thought = f"The user said {said} back."
            return StreamReply(scenario.replace(reasoning=thought))
        if model in ("tool-call", "parallel-tool-calls"):
            calls = [ScriptedToolCall(_first_tool_name(body), {"query": text}, id="call_r9s_0", fragments=5)]
            if model == "parallel-tool-calls":
                calls.append(ScriptedToolCall("get_time", {"timezone": "UTC"}, id="call_r9s_1", fragments=3))
            return StreamReply(scenario.replace(text=None, tool_calls=calls))
        if model == "structured-output":
            return StreamReply(json_answer(body, scenario, text))
        if model == "schema-tool-calls":
            return StreamReply(tool_calls_answer(body, scenario, text))
        if model == "refusal":
            return StreamReply(scenario.replace(text=None, refusal="I'm sorry, I can't help with that."))
        if model == "long":
            vocabulary = _LONG_TEXT.split()
            words = [vocabulary[i % len(vocabulary)] for i in range(1000)]
            return StreamReply(scenario.replace(text=" ".join(words)))
        if model == "inspect-request":
            return StreamReply(scenario.replace(text=msgspec.json.encode(request).decode(), token_size=16))
        if model == "fault-slow-headers":
            return StreamReply(scenario, before_headers=stall)
        if model == "fault-empty":
            return StreamReply(scenario, empty=True)
        if model == "fault-content-type":
            return StreamReply(scenario, content_type="text/html; charset=utf-8")
        return StreamReply(scenario)

    def _status_error(self, code: int) -> ErrorReply:
        headers = {}
        if code in (429, 503):
            headers["retry-after"] = str(max(1, math.ceil(self.retry_after)))
            headers["retry-after-ms"] = str(round(self.retry_after * 1000))
        error_type = _STATUS_TYPES.get(code, "invalid_request_error" if code < 500 else "server_error")
        message = f"Simulated HTTP {code} from the r9s-stream local server"
        return ErrorReply(code, message, error_type, code=f"simulated_{code}", headers=headers)
