"""Messages in the GenAI conventions' shape, for ``gen_ai.input.messages`` / ``gen_ai.output.messages``.

Only used when the caller opted in to content capture. Each message is ``{"role", "parts"}``
with parts ``text``, ``reasoning``, ``tool_call``, ``tool_call_response``, ``uri`` (images)
or a generic part carrying the OpenAI part's own type; the attribute is that list as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from .._chat._models import ChatCompletion

__all__ = ["input_messages", "output_messages"]

_encoder = msgspec.json.Encoder()

# OpenAI finish reasons → the conventions' names (the others are the same words).
_FINISH_REASONS = {"tool_calls": "tool_call", "function_call": "tool_call"}


def input_messages(messages: object) -> str:
    """The request's messages as the ``gen_ai.input.messages`` JSON string."""
    converted = []
    if isinstance(messages, Iterable) and not isinstance(messages, (str, bytes)):
        for message in messages:
            if isinstance(message, Mapping):
                converted.append(_input_message(message))
    return _encode(converted)


def output_messages(completion: ChatCompletion, *, failed: bool) -> str:
    """Each choice of ``completion`` as the ``gen_ai.output.messages`` JSON string."""
    converted = []
    for choice in completion.choices:
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
