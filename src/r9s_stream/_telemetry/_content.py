"""Messages in the GenAI conventions' shape, for ``gen_ai.input.messages`` / ``gen_ai.output.messages``.

Only used when the caller opted in to content capture. Each message is ``{"role", "parts"}``
with parts ``text``, ``reasoning``, ``tool_call``, ``tool_call_response``, ``uri`` (images)
or a generic part carrying the OpenAI part's own type; the attribute is that list as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

__all__ = ["input_messages", "output_messages"]

_encoder = msgspec.json.Encoder()

# Finish and stop reasons → the conventions' names (the others are the same words).
_FINISH_REASONS = {
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "tool_use": "tool_call",
    "end_turn": "stop",
    "max_tokens": "length",
    "completed": "stop",
}


def input_messages(body: Mapping[str, Any]) -> str:
    """The request's input as the ``gen_ai.input.messages`` JSON string, whatever the wire kind.

    Chat and Messages send ``messages`` (Messages its ``system`` beside them), Responses
    ``instructions`` and ``input`` (a string or a list of items), Completions ``prompt``.
    """
    converted: list[dict[str, Any]] = []
    for system in (body.get("system"), body.get("instructions")):
        if isinstance(system, str) and system:
            converted.append({"role": "system", "parts": [{"type": "text", "content": system}]})
        elif isinstance(system, list):  # Messages' system as text blocks
            parts = [_content_part(part) for part in system if isinstance(part, Mapping)]
            converted.append({"role": "system", "parts": parts})
    for field in ("messages", "input", "prompt"):
        value = body.get(field)
        if isinstance(value, str):
            converted.append({"role": "user", "parts": [{"type": "text", "content": value}]})
        elif isinstance(value, Iterable) and not isinstance(value, bytes):
            for message in value:
                if isinstance(message, Mapping):
                    converted.append(_input_message(message))
                elif isinstance(message, str):  # a list of prompts
                    converted.append({"role": "user", "parts": [{"type": "text", "content": message}]})
    return _encode(converted)


def output_messages(snapshot: Any, *, failed: bool) -> str:
    """The answer rebuilt (any kind) as the ``gen_ai.output.messages`` JSON string."""
    choices = getattr(snapshot, "choices", None)
    if isinstance(choices, list) and choices and hasattr(choices[0], "message"):
        return _chat_messages(choices, failed)
    return _encode(_other_messages(snapshot, failed))


def _other_messages(snapshot: Any, failed: bool) -> list[dict[str, Any]]:
    """Completions' choices, a Message's content blocks, a Response's output items, as parts."""
    choices = getattr(snapshot, "choices", None)
    if isinstance(choices, list):  # legacy completions: text per choice
        return [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": getattr(choice, "text", "") or ""}],
                "finish_reason": _reason(getattr(choice, "finish_reason", None), failed),
            }
            for choice in choices
        ]
    parts: list[dict[str, Any]] = []
    blocks = getattr(snapshot, "content", None)  # messages
    items = getattr(snapshot, "output", None)  # responses
    for block in blocks if isinstance(blocks, list) else items if isinstance(items, list) else ():
        parts.extend(_block_parts(block))
    reasons = [getattr(snapshot, "stop_reason", None) or getattr(snapshot, "status", None)]
    return [{"role": "assistant", "parts": parts, "finish_reason": _reason(reasons[0], failed)}]


def _block_parts(block: Any) -> list[dict[str, Any]]:
    """One content block or output item as parts: text, reasoning, tool calls."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return [{"type": "text", "content": getattr(block, "text", "")}]
    if kind in ("thinking", "reasoning"):
        text = getattr(block, "thinking", None) or _joined(getattr(block, "summary", None))
        return [{"type": "reasoning", "content": text or ""}]
    if kind in ("tool_use", "server_tool_use"):
        return [
            {
                "type": "tool_call",
                "id": getattr(block, "id", None),
                "name": getattr(block, "name", ""),
                "arguments": getattr(block, "input", None),
            }
        ]
    if kind == "function_call":
        return [
            {
                "type": "tool_call",
                "id": getattr(block, "call_id", None),
                "name": getattr(block, "name", ""),
                "arguments": _arguments(getattr(block, "arguments", None)),
            }
        ]
    if kind == "message":  # a Response's message item: its output_text parts
        return [
            {"type": "text", "content": getattr(part, "text", "")}
            for part in getattr(block, "content", None) or ()
            if getattr(part, "type", None) == "output_text"
        ]
    return [{"type": str(kind or "unknown")}]


def _joined(parts: object) -> str:
    if not isinstance(parts, list):
        return ""
    return "".join(str(getattr(part, "text", "")) for part in parts)


def _reason(reason: object, failed: bool) -> str:
    if reason:
        return _FINISH_REASONS.get(str(reason), str(reason))
    return "error" if failed else ""


def _chat_messages(choices: list[Any], failed: bool) -> str:
    """Each chat choice as a message."""
    converted = []
    for choice in choices:
        message = choice.message
        parts: list[dict[str, Any]] = []
        if message.reasoning_content:
            parts.append({"type": "reasoning", "content": message.reasoning_content})
        if message.content:
            parts.append({"type": "text", "content": message.content})
        if message.refusal:
            parts.append({"type": "refusal", "content": message.refusal})
        for call in message.tool_calls or ():
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.id or None,
                    "name": call.function.name,
                    "arguments": _arguments(call.function.arguments),
                }
            )
        reason = choice.finish_reason
        converted.append(
            {
                "role": message.role or "assistant",
                "parts": parts,
                "finish_reason": _FINISH_REASONS.get(reason, reason) if reason else "error" if failed else "",
            }
        )
    return _encode(converted)


def _input_message(message: Mapping[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    parts: list[dict[str, Any]] = []
    content = message.get("content")
    if role == "tool":
        parts.append({"type": "tool_call_response", "id": message.get("tool_call_id"), "response": content})
    elif isinstance(content, str):
        parts.append({"type": "text", "content": content})
    elif isinstance(content, Iterable):
        parts.extend(_content_part(part) for part in content if isinstance(part, Mapping))
    for call in message.get("tool_calls") or ():
        if not isinstance(call, Mapping):
            continue
        function = call.get("function")
        function = function if isinstance(function, Mapping) else {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name", ""),
                "arguments": _arguments(function.get("arguments")),
            }
        )
    converted: dict[str, Any] = {"role": role, "parts": parts}
    if isinstance(message.get("name"), str):
        converted["name"] = message["name"]
    return converted


def _content_part(part: Mapping[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "content": part.get("text", "")}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        return {"type": "uri", "modality": "image", "uri": url}
    return {"type": kind or "unknown"}  # audio, files: named, their data left out


def _arguments(arguments: object) -> object:
    """Tool-call arguments as the JSON value they spell, or the raw string when they are not JSON."""
    if isinstance(arguments, str):
        try:
            return msgspec.json.decode(arguments)
        except msgspec.DecodeError:
            return arguments
    return arguments


def _encode(value: object) -> str:
    try:
        return _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError):  # a caller's object msgspec cannot encode
        return _encoder.encode(msgspec.to_builtins(value, str_keys=True, enc_hook=repr)).decode()
