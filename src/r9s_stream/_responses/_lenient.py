"""The careful path: a payload the strict tagged-union decode refused, made into an event.

The strict decode (one msgspec call per event) fails only on what is rare: an event type not
known here, an item or part of an unknown type somewhere inside a known event, or a payload
with no ``type`` (the gateway's Azure converter names its events only on the ``event:``
line). Here the payload is taken as plain JSON, every unknown item and part is wrapped as
``UnknownOutputItem`` / ``UnknownContentPart``, and the event is built from that. Pure.
"""

from __future__ import annotations

import msgspec

from ._events import EVENT_TYPES, UnknownResponseEvent
from ._items import ContentPart, OutputItem, UnknownContentPart, UnknownOutputItem

__all__ = ["lenient_event"]


def lenient_event(data: object, name: str) -> object:
    """The event ``data`` (decoded JSON) stands for; ``name`` is its ``event:`` line, if any.

    Raises ``msgspec.ValidationError`` for a known event whose fields have the wrong types.
    """
    if not isinstance(data, dict):
        raise msgspec.ValidationError(f"an event must be a JSON object, not {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        # No `type`: the event: line names it; a bare `{"error": …}` (chat's shape) is an error.
        kind = name or ("error" if "error" in data else "")
        data = {**data, "type": kind}
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        return UnknownResponseEvent(type=kind, data=data)
    fixed = dict(data)
    if isinstance(fixed.get("item"), dict):
        fixed["item"] = _item(fixed["item"])
    if isinstance(fixed.get("part"), dict):
        fixed["part"] = _part(fixed["part"])
    response = fixed.get("response")
    if isinstance(response, dict) and isinstance(response.get("output"), list):
        fixed["response"] = {**response, "output": [_item(item) for item in response["output"]]}
    if kind == "error" and not isinstance(fixed.get("error"), dict | None):
        fixed["error"] = None  # a string in place of the object: the top-level fields still say it
    return msgspec.convert(fixed, cls)


def _item(data: object) -> object:
    """An output item: typed when its type is known (parts made lenient), else kept whole."""
    if not isinstance(data, dict):
        return data
    try:
        return msgspec.convert(data, OutputItem)
    except msgspec.ValidationError:
        pass
    fixed = dict(data)
    for field in ("content", "summary"):
        if isinstance(fixed.get(field), list):
            fixed[field] = [_part(part) for part in fixed[field]]
    try:
        return msgspec.convert(fixed, OutputItem)
    except msgspec.ValidationError:
        return UnknownOutputItem(data=data)


def _part(data: object) -> object:
    """A content part: typed when its type is known, else kept whole."""
    if not isinstance(data, dict):
        return data
    try:
        return msgspec.convert(data, ContentPart)
    except msgspec.ValidationError:
        return UnknownContentPart(data=data)
