"""Strict JSON schemas from msgspec types: ``response_format()`` and ``tool()``. Pure, no I/O.

The schema comes from ``msgspec.json.schema()`` and is then made to follow OpenAI's strict
mode: the root is the type's own object schema (not a ``$ref``), every object has
``additionalProperties: false`` and lists every property in ``required``, ``default`` is
dropped (a field whose type admits ``None`` stays nullable; any other field must be sent),
and msgspec's ``discriminator`` hint for tagged unions is dropped (the ``anyOf`` and each
member's tag remain). What strict mode cannot say (a ``dict`` with free keys, ``Any``, a
tuple, ``bytes``, ``Decimal``, length limits) raises ``TypeError`` naming the field,
here rather than as a 400 from the server.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec

__all__ = ["StructSchema", "cached", "function_schema", "response_format", "response_format_schema", "tool"]

# Keywords strict mode accepts (OpenAI's "supported schemas"), besides the structural ones.
_ANNOTATIONS = frozenset({"title", "description"})
_KEYWORDS = {
    "string": frozenset({"pattern", "format"}),
    "number": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "integer": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "boolean": frozenset(),
    "null": frozenset(),
}
_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
# Keywords strict mode rejects whose absence loses nothing once the answer is decoded:
# `uniqueItems` (a set) — duplicates collapse when the array is decoded into the set.
_DROPPED = frozenset({"default", "discriminator", "uniqueItems"})


class StructSchema(dict[str, Any]):
    """A request dict made by ``rs.response_format(T)`` or ``rs.tool(T)`` that remembers ``T``.

    It is sent as the dict it is; given to ``client.stream()`` it also says what to parse the
    answer into, under the name it carries (so ``rs.tool(GetWeather, name="get_weather")`` is
    parsed like ``GetWeather``). A plain dict is never parsed.
    """

    __slots__ = ("struct",)

    def __init__(self, field: Mapping[str, Any], struct: type[Any]) -> None:
        super().__init__(field)
        self.struct = struct


def response_format(type_: type[Any], *, name: str | None = None, strict: bool = True) -> dict[str, Any]:
    """The ``response_format`` request field asking for JSON of ``type_`` (a msgspec Struct).

    ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``; ``name`` defaults to
    the class name. Raises ``TypeError`` for a type strict mode cannot express.
    """
    field = msgspec.json.encode(response_format_schema(type_, name, strict))
    return StructSchema(msgspec.json.decode(field), type_)  # a copy: the cached one is shared


def tool(
    type_: type[Any], *, name: str | None = None, description: str | None = None, strict: bool = True
) -> dict[str, Any]:
    """A ``tools`` entry whose arguments are ``type_`` (a msgspec Struct).

    ``{"type": "function", "function": {"name", "description", "parameters", "strict"}}``;
    ``name`` defaults to the class name and ``description`` to its docstring (left out when
    there is none). Raises ``TypeError`` for a type strict mode cannot express.
    """
    field = msgspec.json.encode(function_schema(type_, name, description, strict))
    return StructSchema(msgspec.json.decode(field), type_)  # a copy: the cached one is shared


# The cached forms below are shared: the client only encodes them, never changes them.

_F = TypeVar("_F", bound=Callable[..., Any])
_CACHE_SIZE = 256


def cached(function: _F) -> _F:
    """``function`` remembering its last results by arguments (types included, which
    ``functools.lru_cache``'s typing refuses as not ``Hashable``)."""
    results: dict[tuple[Any, ...], Any] = {}

    def wrapper(*args: Any) -> Any:
        try:
            return results[args]
        except KeyError:
            pass
        if len(results) >= _CACHE_SIZE:
            results.clear()
        result = results[args] = function(*args)
        return result

    wrapper.__doc__ = function.__doc__
    return wrapper  # type: ignore[return-value]


@cached
def response_format_schema(type_: Any, name: str | None, strict: bool) -> Mapping[str, Any]:
    """``response_format()``, cached per type; the result must not be modified."""
    name = name or _type_name(type_)
    schema = _object_schema(type_, strict, f"response_format({name})")
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}}


@cached
def function_schema(type_: Any, name: str | None, description: str | None, strict: bool) -> Mapping[str, Any]:
    """``tool()``, cached per type; the result must not be modified."""
    name = name or _type_name(type_)
    function: dict[str, Any] = {"name": name}
    if description is None:
        doc = type_.__doc__ if isinstance(type_, type) else None
        description = inspect.cleandoc(doc) if doc else None
    if description:
        function["description"] = description
    function["parameters"] = _object_schema(type_, strict, f"tool({name})")
    function["strict"] = strict
    return {"type": "function", "function": function}


def _type_name(type_: Any) -> str:
    name = getattr(type_, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"give a name= for {type_!r}: it has no class name to default to")
    return name


def _object_schema(type_: Any, strict: bool, where: str) -> dict[str, Any]:
    """The root object schema of ``type_``, made strict when asked."""
    try:
        schema = msgspec.json.schema(type_)
    except TypeError as error:
        raise TypeError(f"{where}: msgspec cannot describe {type_!r}: {error}") from None
    defs: dict[str, Any] = schema.pop("$defs", {})
    root_ref = schema.get("$ref")
    root_name = root_ref.rsplit("/", 1)[-1] if isinstance(root_ref, str) and len(schema) == 1 else None
    root = defs.pop(root_name) if root_name is not None else schema
    if root.get("type") != "object":
        raise TypeError(f"{where}: the schema's root must be an object (a msgspec Struct), not {type_!r}")
    if root_name is not None:
        # A recursive type refers to itself: the root is now "#".
        _replace_refs(root, defs, f"#/$defs/{root_name}")
    if strict:
        try:
            root = _strict(root, defs, root_name or _type_name(type_))
            defs = {key: _strict(value, defs, key) for key, value in defs.items()}
        except TypeError as error:
            raise TypeError(f"{where}: {error}") from None
    if defs:
        root["$defs"] = defs
    return root


def _replace_refs(root: dict[str, Any], defs: dict[str, Any], ref: str) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == ref:
                node["$ref"] = "#"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(root)
    walk(defs)


def _strict(node: dict[str, Any], defs: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``node`` that follows strict mode; ``path`` names it in errors."""
    node = {key: value for key, value in node.items() if key not in _DROPPED}
    if "$ref" in node:
        if len(node) > 1:
            # Strict mode takes a $ref alone: other keywords beside it are merged into the
            # referenced definition, inlined here.
            target = node.pop("$ref")
            if target == "#":
                return {"$ref": "#"}  # the root itself: annotations beside it are only hints
            return _strict({**defs[target.rsplit("/", 1)[-1]], **node}, defs, path)
        return node
    if "anyOf" in node:
        alternatives: list[dict[str, Any]] = []
        for alternative in node.pop("anyOf"):
            made = _strict(alternative, defs, path)
            # msgspec nests a tagged union inside an Optional: flatten it.
            if set(made) == {"anyOf"}:
                alternatives.extend(made["anyOf"])
            else:
                alternatives.append(made)
        extra = set(node) - _ANNOTATIONS
        if extra:
            raise _unsupported(path, f"keywords {sorted(extra)} beside anyOf")
        # null last, whichever order the msgspec release lists it in (0.18 puts it first).
        alternatives.sort(key=lambda alternative: alternative.get("type") == "null")
        return {**node, "anyOf": alternatives}
    if "enum" in node or "const" in node:
        extra = set(node) - _ANNOTATIONS - {"enum", "const", "type"}
        if extra:
            raise _unsupported(path, f"keywords {sorted(extra)}")
        return node
    kind = node.get("type")
    if kind is None:
        raise _unsupported(path, "a value of any type (Any, object): give it a concrete type")
    if not isinstance(kind, str) or kind not in _KEYWORDS:
        raise _unsupported(path, f"type {kind!r}")
    extra = set(node) - _ANNOTATIONS - {"type"} - _KEYWORDS[kind]
    if extra:
        raise _unsupported(path, _explain(kind, extra))
    if kind == "string" and "format" in node and node["format"] not in _FORMATS:
        raise _unsupported(path, f"string format {node['format']!r}")
    if kind == "array":
        items = node.get("items")
        if not isinstance(items, dict):
            raise _unsupported(path, "an array without one item type")
        node["items"] = _strict(items, defs, f"{path}[]")
    elif kind == "object":
        properties = node.get("properties")
        if node.get("additionalProperties", False) is not False or properties is None:
            raise _unsupported(path, "a mapping with free keys (dict): use a Struct with named fields")
        node["properties"] = {key: _strict(value, defs, f"{path}.{key}") for key, value in properties.items()}
        node["required"] = list(properties)
        node["additionalProperties"] = False
    return node


def _explain(kind: str, extra: set[str]) -> str:
    if "prefixItems" in extra:
        return "a tuple (fixed positions): use a Struct or a list"
    if "contentEncoding" in extra:
        return "bytes: use str"
    return f"{kind} keywords {sorted(extra)}"


def _unsupported(path: str, what: str) -> TypeError:
    return TypeError(f"field {path}: OpenAI strict mode cannot express {what}")
