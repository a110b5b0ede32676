"""The Responses request's ``text.format`` and ``tools`` from the user's types. Pure, no I/O.

The schemas are chat's (``rs.response_format`` / ``rs.tool``: strict, from msgspec types),
in the Responses API's flat shape: ``{"type": "json_schema", "name", "schema", "strict"}``
and ``{"type": "function", "name", "description", "parameters", "strict"}``. A type (or a
dict made from one by ``rs.response_format`` / ``rs.tool``) is parsed into at the end; a
plain mapping is sent unchanged and not parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._output._schema import StructSchema, function_schema, response_format_schema
from .._output._spec import OutputSpec

__all__ = ["request_fields"]


def request_fields(
    text_format: type[Any] | Mapping[str, Any] | None,
    tools: Iterable[type[Any] | Mapping[str, Any]] | None,
) -> tuple[dict[str, Any] | None, list[Mapping[str, Any]] | None, OutputSpec[Any] | None]:
    """The request's ``text.format`` and ``tools`` fields, and the spec that parses the answer."""
    format_field: dict[str, Any] | None = None
    parsed_format: type[Any] | None = None
    if isinstance(text_format, StructSchema):  # rs.response_format(T): its schema, flattened
        format_field = _flat_format(text_format)
        parsed_format = text_format.struct
    elif isinstance(text_format, Mapping):
        format_field = dict(text_format)
    elif text_format is not None:
        format_field = _flat_format(response_format_schema(text_format, None, True))
        parsed_format = text_format
    tool_fields: list[Mapping[str, Any]] | None = None
    parsed_tools: dict[str, type[Any]] = {}
    if tools is not None:
        tool_fields = []
        for tool in tools:
            if isinstance(tool, StructSchema):
                field, struct = _flat_tool(tool), tool.struct
            elif isinstance(tool, Mapping):
                tool_fields.append(tool)
                continue
            else:
                field, struct = _flat_tool(function_schema(tool, None, None, True)), tool
            name = field["name"]
            if name in parsed_tools:
                raise ValueError(f"two tools are named {name!r}: give one a name with rs.tool(T, name=...)")
            parsed_tools[name] = struct
            tool_fields.append(field)
    if parsed_format is None and not parsed_tools:
        return format_field, tool_fields, None
    return format_field, tool_fields, OutputSpec(parsed_format, parsed_tools)


def _flat_format(field: Mapping[str, Any]) -> dict[str, Any]:
    """Chat's ``response_format`` → the Responses ``text.format`` (the ``json_schema`` lifted up)."""
    inner = field.get("json_schema")
    return {"type": "json_schema", **inner} if isinstance(inner, Mapping) else dict(field)


def _flat_tool(field: Mapping[str, Any]) -> dict[str, Any]:
    """Chat's function tool → the Responses one (the ``function`` lifted up)."""
    inner = field.get("function")
    return {"type": "function", **inner} if isinstance(inner, Mapping) else dict(field)
