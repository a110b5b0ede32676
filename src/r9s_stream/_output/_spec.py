"""Parsing what the model produced into the user's types. Pure, no I/O.

(Partial JSON while a text streams is ``_partial.partial_json``, loaded only when read.)

``request_fields`` turns the ``response_format`` and ``tools`` a caller gave into request
fields and, when any of them was a type (or a dict made from one by ``rs.response_format`` /
``rs.tool``), the ``OutputSpec`` that parses the answer. Plain dicts are sent unchanged and
never parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic

import msgspec

from .._exceptions import OutputValidationError
from ._schema import StructSchema, cached, function_schema, response_format_schema
from ._typevars import ResponseFormatT

__all__ = ["OutputSpec", "request_fields", "type_name"]


@cached
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    # Building a Decoder costs far more than one decode: one per type, shared.
    return msgspec.json.Decoder(type_)


class OutputSpec(Generic[ResponseFormatT]):
    """What to parse in one request's answer: the content into ``response_format``, and the
    arguments of each tool offered as a type into that type.

    Built once per request (``request_fields`` does it); ``parse_content`` and
    ``parse_arguments`` raise ``OutputValidationError`` for text that does not decode.
    """

    __slots__ = ("response_format", "tools")

    def __init__(
        self,
        response_format: type[ResponseFormatT] | None = None,
        tools: Mapping[str, type[Any]] | None = None,
    ) -> None:
        self.response_format = response_format
        self.tools: Mapping[str, type[Any]] = dict(tools or {})

    def parse_content(self, content: str) -> ResponseFormatT:
        """``content`` decoded into ``response_format`` (which must be set)."""
        type_ = self.response_format
        if type_ is None:
            raise TypeError("this OutputSpec has no response_format to parse content into")
        try:
            value: ResponseFormatT = _decoder(type_).decode(content)
        except msgspec.DecodeError as error:  # ValidationError included
            raise OutputValidationError(str(error), raw=content, type_name=type_name(type_)) from None
        return value

    def parse_arguments(self, name: str, arguments: str) -> Any | None:
        """The arguments of a call to tool ``name``, decoded; ``None`` for a tool not offered as a type."""
        type_ = self.tools.get(name)
        if type_ is None:
            return None
        try:
            return _decoder(type_).decode(arguments)
        except msgspec.DecodeError as error:
            raise OutputValidationError(
                str(error), raw=arguments, type_name=type_name(type_), tool_name=name
            ) from None

    def parse_content_quietly(self, content: str) -> ResponseFormatT | None:
        """``parse_content``, or ``None`` when the content does not decode (or there is no format)."""
        if self.response_format is None:
            return None
        try:
            return self.parse_content(content)
        except OutputValidationError:
            return None

    def parse_arguments_quietly(self, name: str, arguments: str) -> Any | None:
        """``parse_arguments``, or ``None`` when the arguments do not decode."""
        try:
            return self.parse_arguments(name, arguments)
        except OutputValidationError:
            return None

    def __repr__(self) -> str:
        shown = None if self.response_format is None else type_name(self.response_format)
        return f"OutputSpec(response_format={shown}, tools={sorted(self.tools)})"


def request_fields(
    response_format: type[ResponseFormatT] | Mapping[str, Any] | None,
    tools: Iterable[type[Any] | Mapping[str, Any]] | None,
) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]] | None, OutputSpec[ResponseFormatT] | None]:
    """The request's ``response_format`` and ``tools`` fields, and the spec that parses the answer.

    Types become strict schemas (``rs.response_format`` / ``rs.tool``); mappings go as they
    are. The spec is ``None`` when nothing was given as a type: then nothing is parsed.
    """
    format_field: Mapping[str, Any] | None
    parsed_format: type[ResponseFormatT] | None = None
    if isinstance(response_format, StructSchema):  # rs.response_format(T): sent as made, parsed into T
        format_field = response_format
        parsed_format = response_format.struct
    elif response_format is None or isinstance(response_format, Mapping):
        format_field = response_format
    else:
        format_field = response_format_schema(response_format, None, True)
        parsed_format = response_format
    tool_fields: list[Mapping[str, Any]] | None = None
    parsed_tools: dict[str, type[Any]] = {}
    if tools is not None:
        tool_fields = []
        for tool in tools:
            if isinstance(tool, StructSchema):  # rs.tool(T, name=...): sent as made, parsed into T
                field: Mapping[str, Any] = tool
                struct = tool.struct
            elif isinstance(tool, Mapping):
                tool_fields.append(tool)
                continue
            else:
                field = function_schema(tool, None, None, True)
                struct = tool
            name = field["function"]["name"]
            if name in parsed_tools:
                raise ValueError(f"two tools are named {name!r}: give one a name with rs.tool(T, name=...)")
            parsed_tools[name] = struct
            tool_fields.append(field)
    if parsed_format is None and not parsed_tools:
        return format_field, tool_fields, None
    return format_field, tool_fields, OutputSpec(parsed_format, parsed_tools)


def type_name(type_: Any) -> str:
    """A type's name for error messages."""
    return str(getattr(type_, "__name__", type_))
