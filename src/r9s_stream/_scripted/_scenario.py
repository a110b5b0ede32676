"""``ChatScenario``: a chat-completion stream described by Python values, and its wire form."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from .._chat._models import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    FunctionCall,
    ToolCall,
    Usage,
)
from ._faults import Fault, Step, apply_fault
from ._transport import steps_transport

__all__ = ["ChatScenario", "ScriptedToolCall", "split_tokens"]

DONE_FRAME = b"data: [DONE]\n\n"
_TOKEN = re.compile(r"\s*\S+")


def split_tokens(text: str, size: int | None = None) -> list[str]:
    """Cut text into token-like pieces: words with their leading space, or ``size`` characters.

    ``"Hello big world"`` → ``["Hello", " big", " world"]``. The pieces join back to ``text``.
    """
    if size is not None:
        if size < 1:
            raise ValueError(f"token size must be at least 1, got {size}")
        return [text[i : i + size] for i in range(0, len(text), size)]
    tokens = _TOKEN.findall(text)
    rest = len(text) - sum(map(len, tokens))
    if rest:  # trailing whitespace (or a text of whitespace only) is a token of its own
        tokens.append(text[len(text) - rest :])
    return tokens


def _fragments(text: str, count: int) -> list[str]:
    """Cut text into ``count`` pieces of nearly equal length (fewer if it is shorter)."""
    count = max(1, min(count, len(text)))
    bounds = [round(i * len(text) / count) for i in range(count + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def _without_nulls(value: Any) -> Any:
    """A dict with its ``None`` members left out, at every depth (usage is sent that way)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


@dataclass(frozen=True)
class ScriptedToolCall:
    """One tool call of a scenario: its arguments stream in ``fragments`` pieces.

    ``arguments`` may be a mapping (encoded as compact JSON) or a string sent as it is.
    """

    name: str
    arguments: Mapping[str, Any] | str = dataclasses.field(default_factory=dict)
    id: str | None = None
    fragments: int = 3

    @property
    def arguments_json(self) -> str:
        """The arguments exactly as they go on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return msgspec.json.encode(self.arguments).decode()


@dataclass(frozen=True)
class ChatScenario:
    """A streamed chat completion described by its parts, in the order they are sent.

    Each choice streams a role chunk, then ``reasoning``, ``refusal`` and ``text`` token by
    token, then each tool call (id and name first, then its argument fragments), then a
    finish chunk. With ``usage`` a usage-only final chunk (``choices: []``) follows, then
    ``data: [DONE]``. ``n`` choices are interleaved chunk by chunk, as OpenAI sends them.
    ``fault`` breaks the stream on purpose (see ``Truncate``, ``Malformed``, …).
    """

    text: str | None = None
    reasoning: str | None = None
    refusal: str | None = None
    tool_calls: Sequence[ScriptedToolCall] = ()
    n: int = 1
    finish_reason: str | None = None
    """``None`` picks ``"tool_calls"`` when there are tool calls, else ``"stop"``."""
    usage: Usage | bool = True
    """``True``: counted (one completion token per streamed piece); ``False``: no usage chunk."""
    prompt_tokens: int = 8
    token_size: int | None = None
    """``None`` streams word by word; a number streams that many characters per chunk."""
    model: str = "r9s-test"
    id: str = "chatcmpl-r9s-test"
    created: int = 1_700_000_000
    system_fingerprint: str | None = None
    fault: Fault | None = None
    delay: float = 0.0
    """Seconds to wait before each read the transport or server hands out."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"a scenario needs at least one choice, got n={self.n}")

    def replace(self, **changes: Any) -> ChatScenario:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    # --- the chunks --------------------------------------------------------------------

    def _deltas(self) -> list[dict[str, Any]]:
        """The deltas of one choice, role first, without the finish."""
        role: dict[str, Any] = {"role": "assistant"}
        if self.text:
            role["content"] = ""
        deltas = [role]
        for key, value in (
            ("reasoning_content", self.reasoning),
            ("refusal", self.refusal),
            ("content", self.text),
        ):
            if value:
                deltas.extend({key: token} for token in split_tokens(value, self.token_size))
        for index, call in enumerate(self.tool_calls):
            call_id = call.id or f"call_{index}"
            opening = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            deltas.append({"tool_calls": [opening]})
            deltas.extend(
                {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
                for fragment in _fragments(call.arguments_json, call.fragments)
            )
        return deltas

    @property
    def resolved_finish_reason(self) -> str:
        """The finish reason the stream ends with."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"

    @property
    def resolved_usage(self) -> Usage | None:
        """The usage the final chunk carries, or ``None`` without one."""
        if isinstance(self.usage, Usage):
            return self.usage
        if not self.usage:
            return None
        completion_tokens = (len(self._deltas()) - 1) * self.n
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=self.prompt_tokens + completion_tokens,
        )

    def _envelope(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }
        if self.system_fingerprint is not None:
            chunk["system_fingerprint"] = self.system_fingerprint
        chunk["choices"] = choices
        return chunk

    def chunks(self) -> list[dict[str, Any]]:
        """Every chunk payload, in order, as plain dicts (no fault applied, no ``[DONE]``)."""
        deltas = self._deltas()
        chunks: list[dict[str, Any]] = []
        for delta in [*deltas, {}]:
            finish = None if delta else self.resolved_finish_reason
            for index in range(self.n):
                choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
                chunks.append(self._envelope([choice]))
        usage = self.resolved_usage
        if usage is not None:
            chunks.append({**self._envelope([]), "usage": _without_nulls(msgspec.to_builtins(usage))})
        return chunks

    # --- the wire ------------------------------------------------------------------------

    def steps(self) -> list[Step]:
        """What a server does, in order: SSE frames to send, with the fault applied."""
        frames = [b"data: " + msgspec.json.encode(chunk) + b"\n\n" for chunk in self.chunks()]
        return apply_fault(frames, DONE_FRAME, self.fault)

    def encode(self) -> bytes:
        """The exact bytes of the response body (up to a disconnect; a stall takes no time)."""
        return b"".join(step for step in self.steps() if isinstance(step, bytes))

    def completion(self) -> ChatCompletion:
        """The ``ChatCompletion`` this scenario's stream rebuilds to when it is not broken."""
        calls = [
            ToolCall(id=c.id or f"call_{i}", function=FunctionCall(name=c.name, arguments=c.arguments_json))
            for i, c in enumerate(self.tool_calls)
        ]
        message = ChatCompletionMessage(
            content=self.text or None,
            refusal=self.refusal or None,
            reasoning_content=self.reasoning or None,
            tool_calls=calls or None,
        )
        choices = [
            ChatCompletionChoice(index=i, message=message, finish_reason=self.resolved_finish_reason)
            for i in range(self.n)
        ]
        return ChatCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            system_fingerprint=self.system_fingerprint,
            choices=choices,
            usage=self.resolved_usage,
        )

    def transport(
        self,
        *,
        piece_size: int | None = None,
        seed: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` streaming this scenario to every request.

        Each SSE event is one read, unless ``piece_size`` or ``seed`` re-cut the bytes (see
        ``split_pieces``); ``delay`` seconds pass before each read.
        """
        return steps_transport(
            self.steps(), piece_size=piece_size, seed=seed, delay=self.delay, headers=headers
        )
