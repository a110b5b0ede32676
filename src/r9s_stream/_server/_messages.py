"""``POST /v1/messages`` on the embedded server: Anthropic's Messages stream, in its exact wire form.

``event:`` and ``data:`` lines, ``message_start`` … ``message_stop``, a ``ping`` after the
first block starts, usage in ``message_start`` and the final ``message_delta``. The
catalogue's models answer here as on chat, in Anthropic's shapes: ``echo`` (the last user
message, one ``text`` block), ``reasoning`` (a ``thinking`` block with its
``signature_delta``, then the text), ``tool-call`` / ``parallel-tool-calls`` (``tool_use``
blocks whose input streams as ``input_json_delta`` pieces), ``long``, the faults
(``fault-error`` sends ``event: error`` with an ``overloaded_error``; a cut stream has no
``message_stop``) and ``status-NNN`` (Anthropic's error body). ``max_tokens`` cuts the text
with ``stop_reason: "max_tokens"``; without ``stream: true`` the whole message is one JSON
object.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import TYPE_CHECKING, Any

import msgspec

from .._scripted import ChatScenario, Malformed, MidStreamError, Step, split_tokens
from .._scripted._faults import apply_fault
from ._catalogue import ErrorReply, StreamReply

if TYPE_CHECKING:
    from ._catalogue import Catalogue

__all__ = ["MESSAGES", "AnthropicErrorReply", "MessagesScenario"]

# Chat's finish reasons in Anthropic's words.
_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
_SIGNATURE = "c2lnbmVkIGJ5IHRoZSByOXMtc3RyZWFtIGxvY2FsIHNlcnZlcg=="


@dataclasses.dataclass(frozen=True)
class AnthropicErrorReply(ErrorReply):
    """An HTTP error with Anthropic's body: ``{"type": "error", "error": {"type", "message"}}``."""

    def body(self) -> bytes:
        return msgspec.json.encode({"type": "error", "error": {"type": self.type, "message": self.message}})


def _frame(event: dict[str, Any]) -> bytes:
    name = str(event["type"]).encode()
    return b"event: " + name + b"\ndata: " + msgspec.json.encode(event) + b"\n\n"


@dataclasses.dataclass(frozen=True)
class MessagesScenario(ChatScenario):
    """A chat scenario's parts (thinking, text or refusal, tool calls), streamed as Anthropic events."""

    def blocks(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Each content block: how it starts, and its deltas."""
        blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        if self.reasoning:
            deltas = [{"type": "thinking_delta", "thinking": t} for t in split_tokens(self.reasoning)]
            deltas.append({"type": "signature_delta", "signature": _SIGNATURE})
            blocks.append(({"type": "thinking", "thinking": "", "signature": ""}, deltas))
        text = self.text or self.refusal
        if text:
            pieces = split_tokens(text, self.token_size)
            blocks.append(({"type": "text", "text": ""}, [{"type": "text_delta", "text": p} for p in pieces]))
        for index, call in enumerate(self.tool_calls):
            start = {"type": "tool_use", "id": call.id or f"toolu_{index}", "name": call.name, "input": {}}
            arguments = call.arguments_json
            count = max(1, min(call.fragments, len(arguments)))
            bounds = [round(i * len(arguments) / count) for i in range(count + 1)]
            deltas = [{"type": "input_json_delta", "partial_json": ""}]
            deltas += [
                {"type": "input_json_delta", "partial_json": arguments[a:b]}
                for a, b in itertools.pairwise(bounds)
            ]
            blocks.append((start, deltas))
        return blocks

    @property
    def stop_reason(self) -> str:
        """Why the message stopped, in Anthropic's words."""
        if self.refusal and not self.text:
            return "refusal"
        return _STOP_REASONS.get(self.resolved_finish_reason, self.resolved_finish_reason)

    def _output_tokens(self, blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> int:
        return sum(len(deltas) for _, deltas in blocks)

    def events(self) -> list[dict[str, Any]]:
        """Every event payload, in order (no fault applied)."""
        blocks = self.blocks()
        usage = {"input_tokens": self.prompt_tokens, "output_tokens": 1}
        start: dict[str, Any] = {"id": self.id, "type": "message", "role": "assistant", "model": self.model}
        start |= {"content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}
        events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
        for index, (block, deltas) in enumerate(blocks):
            events.append({"type": "content_block_start", "index": index, "content_block": block})
            if index == 0:
                events.append({"type": "ping"})
            events += [{"type": "content_block_delta", "index": index, "delta": delta} for delta in deltas]
            events.append({"type": "content_block_stop", "index": index})
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        events.append(
            {"type": "message_delta", "delta": delta, "usage": {"output_tokens": self._output_tokens(blocks)}}
        )
        events.append({"type": "message_stop"})
        return events

    def steps(self) -> list[Step]:
        """The stream's frames, with the fault applied (an error fault is Anthropic's error event)."""
        events = self.events()
        *frames, stop = [_frame(event) for event in events]
        fault = self.fault
        if fault is None:
            return [*frames, stop]
        # A fault's count is of deltas, as chat's is of chunks: the events before the first don't count.
        first = next((i for i, e in enumerate(events) if e["type"] == "content_block_delta"), len(frames))
        if isinstance(fault, Malformed):
            fault = dataclasses.replace(fault, at=fault.at + first)
        else:
            fault = dataclasses.replace(fault, after=fault.after + first)
        if isinstance(fault, MidStreamError):
            error = {"type": "overloaded_error", "message": "Overloaded"}
            return [
                *frames[: fault.after],
                _frame({"type": "error", "error": error, "request_id": self.id.removeprefix("msg_")}),
            ]
        return apply_fault(frames, stop, fault)

    def whole_message(self) -> dict[str, Any]:
        """The non-streaming ``message`` this scenario stands for."""
        blocks = self.blocks()
        content = []
        for block, deltas in blocks:
            whole = dict(block)
            if block["type"] == "text":
                whole["text"] = "".join(d["text"] for d in deltas)
            elif block["type"] == "thinking":
                whole["thinking"] = "".join(d.get("thinking", "") for d in deltas)
                whole["signature"] = _SIGNATURE
            else:
                whole["input"] = msgspec.json.decode("".join(d["partial_json"] for d in deltas) or "{}")
            content.append(whole)
        usage = {"input_tokens": self.prompt_tokens, "output_tokens": self._output_tokens(blocks)}
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": self.stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }


class _Messages:
    """The endpoint: Anthropic's ``messages`` in, its stream events out."""

    def problem(self, body: object) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return "the body must be a JSON object with a 'messages' list"
        return None

    def reply(
        self, catalogue: Catalogue, body: dict[str, Any], request: dict[str, Any], request_id: str
    ) -> StreamReply | ErrorReply:
        tools = [  # Anthropic's tools name themselves at the top level; chat's inside `function`
            {"type": "function", "function": tool}
            for tool in body.get("tools") or ()
            if isinstance(tool, dict) and isinstance(tool.get("name"), str)
        ]
        as_chat = {k: v for k, v in body.items() if k not in ("tools", "stream_options", "n", "max_tokens")}
        reply = catalogue.reply({**as_chat, "tools": tools}, request, request_id)
        if isinstance(reply, ErrorReply):
            return AnthropicErrorReply(reply.status, reply.message, reply.type, reply.code, reply.headers)
        chat = reply.scenario
        fields = {field.name: getattr(chat, field.name) for field in dataclasses.fields(chat)}
        fields["id"] = f"msg_{request_id}"
        limit = body.get("max_tokens")
        if isinstance(limit, int) and chat.text and not chat.tool_calls:
            tokens = split_tokens(chat.text, chat.token_size)
            if len(tokens) > limit:
                fields["text"] = "".join(tokens[:limit])
                fields["finish_reason"] = "length"
        return dataclasses.replace(reply, scenario=MessagesScenario(**fields))

    def whole(self, scenario: ChatScenario) -> dict[str, Any]:
        if not isinstance(scenario, MessagesScenario):
            raise TypeError("the messages endpoint answers with its own scenarios")
        return scenario.whole_message()


MESSAGES = _Messages()
