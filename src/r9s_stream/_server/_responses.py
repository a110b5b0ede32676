"""``POST /v1/responses`` on the embedded server: the OpenAI Responses API wire format.

The catalogue's models answer here as on chat (``echo``, ``reasoning``, ``tool-call``,
``structured-output``, ``refusal``, ``long``, the faults, ``status-NNN`` …): the request's
``input`` stands in for the messages, ``text.format`` for ``response_format``, its flat
function tools for chat's, ``max_output_tokens`` for ``max_tokens``. The scenario streams
named Responses events as OpenAI sends them — ``response.created``, ``in_progress``, each
output item (reasoning summary, message text or refusal, function calls) with its added /
delta / done events, then ``response.completed`` with the whole response and its usage, or
``response.incomplete`` (``max_output_tokens``) when the answer was cut at the limit. The
``fault-error`` model sends an ``error`` event, then ``response.failed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from .._scripted import ChatScenario, Malformed, MidStreamError, Step, split_tokens
from .._scripted._faults import apply_fault
from ._catalogue import ErrorReply, StreamReply

if TYPE_CHECKING:
    from ._catalogue import Catalogue

__all__ = ["RESPONSES", "ResponseScenario"]


@dataclasses.dataclass(frozen=True)
class ResponseScenario(ChatScenario):
    """A chat scenario's parts, streamed as Responses API events."""

    def _response(
        self, status: str, output: list[dict[str, Any]], usage: dict[str, int] | None
    ) -> dict[str, Any]:
        response: dict[str, Any] = {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "model": self.model,
            "output": output,
            "usage": usage,
        }
        if status == "incomplete":
            response["incomplete_details"] = {"reason": "max_output_tokens"}
        return response

    def _items(self) -> list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]:
        """Each output item: its added form, the events of its content, its done form."""
        items = []
        index = 0
        if self.reasoning:
            pieces = split_tokens(self.reasoning, self.token_size)
            place = {"item_id": "rs_0", "output_index": index, "summary_index": 0}
            part: dict[str, Any] = {"type": "summary_text", "text": self.reasoning}
            events = [
                {"type": "response.reasoning_summary_part.added", **place, "part": {**part, "text": ""}},
                *({"type": "response.reasoning_summary_text.delta", **place, "delta": p} for p in pieces),
                {"type": "response.reasoning_summary_text.done", **place, "text": self.reasoning},
                {"type": "response.reasoning_summary_part.done", **place, "part": part},
            ]
            added = {"type": "reasoning", "id": "rs_0", "summary": []}
            items.append((added, events, {**added, "summary": [part]}))
            index += 1
        if self.text or self.refusal:
            kind, key = ("refusal", "refusal") if self.refusal else ("output_text", "text")
            whole = self.refusal or self.text or ""
            place = {"item_id": "msg_0", "output_index": index, "content_index": 0}
            delta_type = "response.refusal.delta" if self.refusal else "response.output_text.delta"
            done = (
                {"type": "response.refusal.done", **place, "refusal": whole}
                if self.refusal
                else {"type": "response.output_text.done", **place, "text": whole}
            )
            part = {"type": kind, key: whole}
            if not self.refusal:
                part["annotations"] = []
            events = [
                {"type": "response.content_part.added", **place, "part": {**part, key: ""}},
                *({"type": delta_type, **place, "delta": p} for p in split_tokens(whole, self.token_size)),
                done,
                {"type": "response.content_part.done", **place, "part": part},
            ]
            added = {
                "type": "message",
                "id": "msg_0",
                "role": "assistant",
                "status": "in_progress",
                "content": [],
            }
            items.append((added, events, {**added, "status": "completed", "content": [part]}))
            index += 1
        for number, call in enumerate(self.tool_calls):
            item_id = f"fc_{number}"
            arguments = call.arguments_json
            place = {"item_id": item_id, "output_index": index}
            fragments = split_tokens(arguments, max(1, -(-len(arguments) // max(1, call.fragments))))
            events = [
                *({"type": "response.function_call_arguments.delta", **place, "delta": f} for f in fragments),
                {"type": "response.function_call_arguments.done", **place, "arguments": arguments},
            ]
            added = {
                "type": "function_call",
                "id": item_id,
                "call_id": call.id or f"call_{number}",
                "name": call.name,
                "arguments": "",
                "status": "in_progress",
            }
            items.append((added, events, {**added, "arguments": arguments, "status": "completed"}))
            index += 1
        return items

    def _usage(
        self, items: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
    ) -> dict[str, int] | None:
        if not self.usage:
            return None
        output_tokens = sum(
            1 for _, events, _ in items for event in events if event["type"].endswith(".delta")
        )
        return {
            "input_tokens": self.prompt_tokens,
            "output_tokens": output_tokens,
            "total_tokens": self.prompt_tokens + output_tokens,
        }

    def chunks(self) -> list[dict[str, Any]]:
        """Every event payload, in order, numbered (no fault applied)."""
        items = self._items()
        started = self._response("in_progress", [], None)
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": started},
            {"type": "response.in_progress", "response": started},
        ]
        for index, (added, content, done) in enumerate(items):
            events.append({"type": "response.output_item.added", "output_index": index, "item": added})
            events.extend(content)
            events.append({"type": "response.output_item.done", "output_index": index, "item": done})
        events.append(self._terminal(items))
        return [{**event, "sequence_number": number} for number, event in enumerate(events)]

    def _terminal(
        self, items: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
    ) -> dict[str, Any]:
        output = [done for _, _, done in items]
        if self.resolved_finish_reason == "length":
            response = self._response("incomplete", output, self._usage(items))
            return {"type": "response.incomplete", "response": response}
        return {
            "type": "response.completed",
            "response": self._response("completed", output, self._usage(items)),
        }

    def steps(self) -> list[Step]:
        """The named SSE events a server sends, the fault applied (an error as Responses sends one).

        A fault's position counts from the first delta, not from the events that open the
        response and its item, so that ``after=3`` breaks a Responses stream where it breaks chat.
        """
        chunks = self.chunks()
        frames = [_frame(event) for event in chunks]
        opening = next((i for i, event in enumerate(chunks) if event["type"].endswith(".delta")), 0)
        fault = self.fault
        if isinstance(fault, Malformed):
            fault = dataclasses.replace(fault, at=fault.at + opening)
        elif fault is not None:
            fault = dataclasses.replace(fault, after=fault.after + opening)
        if isinstance(fault, MidStreamError):
            error = {"type": fault.type, "code": fault.code, "message": fault.message, "param": None}
            failed = self._response("failed", [], None)
            failed["error"] = {"code": fault.code or fault.type, "message": fault.message}
            return [
                *frames[: fault.after],
                _frame({"type": "error", "sequence_number": fault.after, "error": error}),
                _frame({"type": "response.failed", "sequence_number": fault.after + 1, "response": failed}),
            ]
        return [step for step in apply_fault(frames, b"", fault) if step != b""]

    def whole_response(self) -> dict[str, Any]:
        """The non-streaming ``response`` this scenario stands for."""
        terminal: dict[str, Any] = self._terminal(self._items())["response"]
        return terminal


def _frame(event: Mapping[str, Any]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + msgspec.json.encode(event) + b"\n\n"


def _messages(value: object) -> list[dict[str, Any]]:
    """The request's ``input`` as chat messages (text parts joined)."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    messages = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or "role" not in item:
            continue
        content = item.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        messages.append({"role": item["role"], "content": content if isinstance(content, str) else ""})
    return messages


def _as_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The chat body a Responses body stands for, for the catalogue."""
    chat = {
        key: value
        for key, value in body.items()
        if key not in ("input", "text", "tools", "max_output_tokens")
    }
    chat["messages"] = _messages(body.get("input"))
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        inner = {key: value for key, value in fmt.items() if key != "type"}
        chat["response_format"] = {"type": "json_schema", "json_schema": inner}
    tools = body.get("tools")
    if isinstance(tools, list):
        chat["tools"] = [
            {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}
            if isinstance(tool, dict) and tool.get("type") == "function"
            else tool
            for tool in tools
        ]
    if "max_output_tokens" in body:
        chat["max_tokens"] = body["max_output_tokens"]
    return chat


class _Responses:
    """The endpoint: ``input`` in, Responses events out."""

    def problem(self, body: object) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("input"), str | list):
            return "the body must be a JSON object with an 'input' (a string or a list of items)"
        return None

    def reply(
        self, catalogue: Catalogue, body: dict[str, Any], request: dict[str, Any], request_id: str
    ) -> StreamReply | ErrorReply:
        reply = catalogue.reply(_as_chat(body), request, request_id)
        if isinstance(reply, ErrorReply):
            return reply
        chat = reply.scenario
        fields = {field.name: getattr(chat, field.name) for field in dataclasses.fields(chat)}
        fields["id"] = f"resp_{request_id}"
        fields["n"] = 1  # a response has one answer
        fields["usage"] = fields["usage"] or True  # the terminal response always carries its usage
        return dataclasses.replace(reply, scenario=ResponseScenario(**fields))

    def whole(self, scenario: ChatScenario) -> dict[str, Any]:
        if not isinstance(scenario, ResponseScenario):
            raise TypeError("the responses endpoint answers with its own scenarios")
        return scenario.whole_response()


RESPONSES = _Responses()
