"""The embedded server's structured answers: JSON for a ``response_format``, tool calls for ``tools``.

Values are made up from the JSON schema alone, deterministically: strings are the prompt's
last word ("Paris" for "What is the weather in Paris?"), integers 21, numbers 21.5 (both kept
within ``minimum``/``maximum``), booleans true, an enum or ``const`` its first value, an
``anyOf`` its first alternative that is not ``null``, arrays one item (or ``minItems``),
objects every property. Known string formats get a valid value of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from .._scripted import ChatScenario, ScriptedToolCall, split_tokens

__all__ = ["example_value", "json_answer", "tool_calls_answer"]

_MAX_DEPTH = 4  # recursive schemas: below this, take null or an empty list where allowed
_FORMATS = {
    "date-time": "2026-01-01T12:00:00Z",
    "date": "2026-01-01",
    "time": "12:00:00",
    "duration": "P1D",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_WORD = re.compile(r"[^\W_][\w-]*")
_CHARACTERS_PER_TOKEN = 8


def subject_of(prompt: str) -> str:
    """The prompt's last word (what most questions are about), or ``example``."""
    words = _WORD.findall(prompt)
    return words[-1] if words else "example"


def example_value(schema: Any, root: Mapping[str, Any], subject: str, depth: int = 0) -> Any:
    """A value valid for ``schema`` (``root`` holds the ``$defs`` and is what ``#`` refers to)."""
    if not isinstance(schema, Mapping):
        return subject
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = root if ref == "#" else root.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
        return example_value(target, root, subject, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    kinds = schema.get("type")
    if isinstance(kinds, list):
        alternatives = [{**schema, "type": kind} for kind in kinds]
    if alternatives:
        ordered = sorted(alternatives, key=lambda alt: (alt.get("type") == "null") != (depth >= _MAX_DEPTH))
        return example_value(ordered[0], root, subject, depth)
    if kinds == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: example_value(value, root, subject, depth + 1) for name, value in properties.items()}
    if kinds == "array":
        count = 0 if depth >= _MAX_DEPTH else max(1, schema.get("minItems", 1))
        count = min(count, schema.get("maxItems", count))
        return [example_value(schema.get("items", {}), root, subject, depth + 1) for _ in range(count)]
    if kinds in ("integer", "number"):
        value: float = 21 if kinds == "integer" else 21.5
        if "minimum" in schema:
            value = max(value, schema["minimum"])
        if "maximum" in schema:
            value = min(value, schema["maximum"])
        return value
    if kinds == "boolean":
        return True
    if kinds == "null":
        return None
    return _FORMATS.get(schema.get("format", ""), subject)


def json_answer(body: Mapping[str, Any], scenario: ChatScenario, prompt: str) -> ChatScenario:
    """The scenario answering with JSON for the request's ``response_format``.

    ``json_schema``: a value of that schema; anything else: ``{"answer": <the prompt>}``.
    With ``max_tokens`` (or ``max_completion_tokens``) smaller than the answer, the JSON is
    cut there and the choice finishes with ``length``, as a real model's would.
    """
    response_format = body.get("response_format")
    json_schema = response_format.get("json_schema") if isinstance(response_format, Mapping) else None
    schema = json_schema.get("schema") if isinstance(json_schema, Mapping) else None
    value = example_value(schema, schema, subject_of(prompt)) if isinstance(schema, Mapping) else None
    if value is None:
        value = {"answer": prompt}
    text = msgspec.json.encode(value).decode()
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    tokens = split_tokens(text, _CHARACTERS_PER_TOKEN)
    if isinstance(limit, int) and 0 < limit < len(tokens):
        return scenario.replace(
            text="".join(tokens[:limit]), token_size=_CHARACTERS_PER_TOKEN, finish_reason="length"
        )
    return scenario.replace(text=text, token_size=_CHARACTERS_PER_TOKEN)


def tool_calls_answer(body: Mapping[str, Any], scenario: ChatScenario, prompt: str) -> ChatScenario:
    """The scenario calling each tool of the request (or the one ``tool_choice`` names) once,
    with arguments valid for its ``parameters``; the echo when no tool was offered."""
    chosen = body.get("tool_choice")
    function = chosen.get("function") if isinstance(chosen, Mapping) else None
    only = function.get("name") if isinstance(function, Mapping) else None
    subject = subject_of(prompt)
    calls: list[ScriptedToolCall] = []
    for tool in body.get("tools") or ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            continue
        if only is not None and function["name"] != only:
            continue
        parameters = function.get("parameters")
        arguments = example_value(parameters, parameters, subject) if isinstance(parameters, Mapping) else {}
        calls.append(ScriptedToolCall(function["name"], arguments, id=f"call_r9s_{len(calls)}", fragments=4))
    if not calls:
        return scenario
    return scenario.replace(text=None, tool_calls=calls)
