"""Responses bytes → events, and the kind's end (``response.completed`` / ``incomplete`` / ``failed``).

A first, lean shape: every event decodes into one ``ResponseEvent`` struct holding the fields
the fold reads; everything else in the payload is skipped by msgspec. The ``type`` comes from
the payload, or from the ``event:`` name when the payload has none (Azure's converters).
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._exceptions import StreamAPIError, StreamDecodeError, StreamError
from .._sse._events import SSEEventSplitter

__all__ = ["ResponseEvent", "ResponsesDecoder"]

_ENDS = frozenset({"response.completed", "response.incomplete"})


class ResponseEvent(msgspec.Struct, kw_only=True, gc=False):
    """One Responses event: its ``type`` and the fields a rebuild needs."""

    type: str = ""
    delta: str | None = None
    output_index: int | None = None
    item: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    error: dict[str, Any] | None = None


_decode = msgspec.json.Decoder(ResponseEvent).decode


class ResponsesDecoder:
    """Turns bytes into ``ResponseEvent`` values; never raises for bad input."""

    def __init__(self, max_event_size: int | None = None) -> None:
        self._split = SSEEventSplitter() if max_event_size is None else SSEEventSplitter(max_event_size)
        self.done = False
        self.error: StreamError | None = None
        self._seen = 0

    @property
    def stopped(self) -> bool:
        """``done`` or ``error``: nothing more will be decoded."""
        return self.done or self.error is not None

    def feed(self, data: bytes) -> list[ResponseEvent]:
        """The events that ``data`` completes."""
        if self.stopped:
            return []
        try:
            raw = self._split.feed(data)
        except StreamDecodeError as error:
            self.error = error
            return []
        return self._decode_all(raw)

    def finish(self) -> list[ResponseEvent]:
        """The last event, if the body ended without closing it."""
        if self.stopped:
            return []
        return self._decode_all(self._split.finish())

    def missing_end(self, events: int) -> str:
        """What an incomplete stream's error says."""
        return f"the Responses stream ended after {events} events without response.completed"

    def _decode_all(self, raw: list[tuple[str, bytes]]) -> list[ResponseEvent]:
        out: list[ResponseEvent] = []
        for name, payload in raw:
            if payload == b"[DONE]":
                continue
            try:
                event = _decode(payload)
            except msgspec.DecodeError as error:
                self.error = StreamDecodeError(
                    str(error), data=payload.decode("utf-8", "replace"), position=self._seen
                )
                self._split.close()
                return out
            if not event.type:
                event.type = name
            self._seen += 1
            out.append(event)
            kind = event.type
            if kind in _ENDS:
                self.done = True
                self._split.close()
                return out
            if kind == "error" or kind == "response.failed":
                self.error = _api_error(event)
                self._split.close()
                return out
        return out


def _api_error(event: ResponseEvent) -> StreamAPIError:
    """The ``StreamAPIError`` an ``error`` or ``response.failed`` event stands for."""
    fields: dict[str, Any] = dict(event.error or {})
    if event.response is not None and isinstance(event.response.get("error"), dict):
        fields = {**event.response["error"], **fields}
    message = event.message or fields.get("message") or f"the server sent {event.type}"
    return StreamAPIError(
        str(message),
        error_type=fields.get("type"),
        code=event.code or fields.get("code"),
        param=event.param or fields.get("param"),
        body=msgspec.to_builtins(event),
    )
