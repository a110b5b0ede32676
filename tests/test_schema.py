"""``rs.response_format`` and ``rs.tool``: strict JSON schemas from msgspec Structs."""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import msgspec
import pytest

import r9s_stream as rs


class Units(enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


class Place(msgspec.Struct):
    """Where."""

    city: str
    country: str | None = None


class Sunny(msgspec.Struct, tag="sunny"):
    uv_index: int


class Rainy(msgspec.Struct, tag="rainy"):
    millimetres: float


class Forecast(msgspec.Struct):
    """A weather forecast for one place."""

    place: Place
    temperature: Annotated[float, msgspec.Meta(ge=-100, le=100, description="in the units below")]
    units: Units
    kind: Literal["forecast", "observation"]
    sky: Sunny | Rainy
    alternatives: list[Place] = []
    backup: Place | None = None
    issued: datetime.datetime | None = None
    days: int = 1


class Tree(msgspec.Struct):
    """A recursive type: strict mode refers to the root as ``#``."""

    label: str
    children: list[Tree] = []
    parent: Tree | None = None


def _objects(schema: Any) -> Iterator[dict[str, Any]]:
    """Every object schema inside ``schema``, at any depth, ``$defs`` included."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


def _keys(schema: Any) -> set[str]:
    """Every keyword used anywhere in ``schema`` (property names excluded)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in ("properties", "$defs"):
                found.add(key)
                found |= _keys(value)
            else:
                for member in value.values():
                    found |= _keys(member)
    elif isinstance(schema, list):
        for value in schema:
            found |= _keys(value)
    return found


def test_response_format_has_openai_shape_and_the_class_name() -> None:
    """The request field is `{"type": "json_schema", "json_schema": {name, schema, strict}}`."""
    field = rs.response_format(Forecast)
    assert field["type"] == "json_schema"
    assert set(field["json_schema"]) == {"name", "schema", "strict"}
    assert field["json_schema"]["name"] == "Forecast"
    assert field["json_schema"]["strict"] is True
    assert rs.response_format(Forecast, name="weather")["json_schema"]["name"] == "weather"


def test_strict_schema_root_is_the_object_itself() -> None:
    """The root is the Struct's own object schema (OpenAI refuses a root `$ref` or `anyOf`)."""
    schema = rs.response_format(Forecast)["json_schema"]["schema"]
    assert schema["type"] == "object"
    assert "$ref" not in schema
    assert "Forecast" not in schema["$defs"]
    assert set(schema["$defs"]) == {"Place", "Sunny", "Rainy", "Units"}


@pytest.mark.parametrize("type_", [Forecast, Tree, Place])
def test_every_object_is_closed_and_requires_every_property(type_: type[Any]) -> None:
    """Each object, nested ones and `$defs` included, has additionalProperties false and all keys required."""
    schema = rs.response_format(type_)["json_schema"]["schema"]
    objects = list(_objects(schema))
    assert objects
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])


def test_no_default_and_optional_fields_are_nullable() -> None:
    """`default` is gone everywhere; a field typed `X | None` accepts null, others do not."""
    schema = rs.response_format(Forecast)["json_schema"]["schema"]
    assert "default" not in _keys(schema)
    assert "discriminator" not in _keys(schema)
    properties = schema["properties"]
    assert properties["backup"] == {"anyOf": [{"$ref": "#/$defs/Place"}, {"type": "null"}]}
    assert {"type": "null"} in properties["issued"]["anyOf"]
    assert properties["days"] == {"type": "integer"}  # a default, but never null
    assert properties["alternatives"] == {"type": "array", "items": {"$ref": "#/$defs/Place"}}


def test_enums_literals_unions_and_constraints_are_kept() -> None:
    """Enums and Literals become `enum`, a tagged union an `anyOf` of tagged objects, bounds stay."""
    schema = rs.response_format(Forecast)["json_schema"]["schema"]
    properties = schema["properties"]
    assert properties["kind"] == {"enum": ["forecast", "observation"]}
    assert schema["$defs"]["Units"]["enum"] == ["c", "f"]
    assert properties["sky"] == {"anyOf": [{"$ref": "#/$defs/Sunny"}, {"$ref": "#/$defs/Rainy"}]}
    assert schema["$defs"]["Sunny"]["properties"]["type"] == {"enum": ["sunny"]}
    assert properties["temperature"] == {
        "description": "in the units below",
        "type": "number",
        "minimum": -100,
        "maximum": 100,
    }


def test_recursive_type_refers_to_the_root() -> None:
    """A Struct that contains itself refers back with `$ref: "#"`, and has no `$defs`."""
    schema = rs.response_format(Tree)["json_schema"]["schema"]
    assert schema["properties"]["children"]["items"] == {"$ref": "#"}
    assert schema["properties"]["parent"]["anyOf"][0] == {"$ref": "#"}
    assert "$defs" not in schema


def test_tool_shape_name_and_docstring() -> None:
    """`rs.tool` gives a function tool named after the class, described by its docstring."""
    field = rs.tool(Place)
    assert field == {
        "type": "function",
        "function": {
            "name": "Place",
            "description": "Where.",
            "parameters": rs.response_format(Place)["json_schema"]["schema"],
            "strict": True,
        },
    }
    named = rs.tool(Place, name="find_place", description="Find a place.")["function"]
    assert (named["name"], named["description"]) == ("find_place", "Find a place.")


def test_tool_without_docstring_has_no_description() -> None:
    """No docstring, no `description` key (an empty one would only cost tokens)."""

    class NoDoc(msgspec.Struct):
        x: int

    assert "description" not in rs.tool(NoDoc)["function"]


def test_not_strict_keeps_msgspec_schema() -> None:
    """`strict=False` sends msgspec's schema as it is (optional keys stay optional)."""
    field = rs.response_format(Place, strict=False)
    assert field["json_schema"]["strict"] is False
    assert field["json_schema"]["schema"]["required"] == ["city"]
    assert "additionalProperties" not in field["json_schema"]["schema"]


def test_each_call_returns_a_fresh_dict() -> None:
    """Changing a returned dict does not change what the next call (or the client) sends."""
    first = rs.response_format(Place)
    first["json_schema"]["schema"]["properties"].clear()
    assert rs.response_format(Place)["json_schema"]["schema"]["properties"]


class FreeKeys(msgspec.Struct):
    scores: dict[str, int]


class Untyped(msgspec.Struct):
    payload: Any


class Pair(msgspec.Struct):
    point: tuple[int, int]


class Raw(msgspec.Struct):
    data: bytes


class Short(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(min_length=2)]


class Money(msgspec.Struct):
    amount: decimal.Decimal


class Unique(msgspec.Struct):
    tags: frozenset[str]


class Deep(msgspec.Struct):
    rows: list[FreeKeys]


@pytest.mark.parametrize(
    ("type_", "field", "what"),
    [
        (FreeKeys, "FreeKeys.scores", "dict"),
        (Untyped, "Untyped.payload", "any type"),
        (Pair, "Pair.point", "tuple"),
        (Raw, "Raw.data", "bytes"),
        (Short, "Short.code", "minLength"),
        (Money, "Money.amount", "decimal"),
        (Deep, "FreeKeys.scores", "dict"),
    ],
)
def test_what_strict_mode_cannot_express_raises_naming_the_field(
    type_: type[Any], field: str, what: str
) -> None:
    """A type strict mode cannot express fails at schema time with the field's name in the message."""
    with pytest.raises(TypeError, match=rf"field {field}: .*{what}"):
        rs.response_format(type_)
    with pytest.raises(TypeError, match=rf"tool\({type_.__name__}\): field {field}"):
        rs.tool(type_)


def test_a_set_is_an_array() -> None:
    """A set is sent as an array (strict mode has no `uniqueItems`); duplicates collapse when decoded."""
    schema = rs.response_format(Unique)["json_schema"]["schema"]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}


@pytest.mark.parametrize("type_", [int, list[Place], Place | None, dict[str, int]])
def test_root_must_be_an_object(type_: Any) -> None:
    """Only an object type (a Struct) can be a response format or a tool's arguments."""
    with pytest.raises(TypeError):
        rs.response_format(type_)


def test_not_strict_accepts_what_strict_refuses() -> None:
    """With `strict=False` nothing is refused: the schema is only a hint to the model."""
    assert rs.tool(FreeKeys, strict=False)["function"]["strict"] is False
