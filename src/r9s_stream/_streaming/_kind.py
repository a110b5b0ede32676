"""What a wire kind hands the stream engine: two pure parts, a decoder and a fold.

The engine (``_stream.Stream``) owns the I/O: it reads the body, runs the deadlines, notices
the body's end, turns failures into ``StreamError`` values carrying the object rebuilt so
far, closes on every exit path, and keeps the stats. Everything that depends on the wire
format is in these two objects, which are plain synchronous state machines (h11's shape):

- the **decoder** turns bytes into the kind's typed events and knows when the kind's end has
  come (``data: [DONE]``, ``response.completed`` / ``failed`` / ``incomplete``,
  ``message_stop``, …) and what went wrong (a decode error, an error event);
- the **fold** turns those events into the object rebuilt so far (a ``ChatCompletion``, a
  ``Response``, a ``Message``, a ``Completion``) and its usage.

Each kind's folder implements them (``_chat``, ``_responses``, ``_messages``,
``_completions``); they need not import this module — the protocols are structural.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from .._exceptions import StreamError

__all__ = ["Decoder", "Fold"]

EventT = TypeVar("EventT")
EventT_contra = TypeVar("EventT_contra", contravariant=True)
SnapshotT_co = TypeVar("SnapshotT_co", covariant=True)


class Decoder(Protocol[EventT]):
    """Bytes of one response → the kind's events. Never raises for bad input.

    ``feed()`` returns the events the bytes complete; on bad input it returns the events
    before the problem and sets ``error``. Once ``done`` (the kind's end arrived) or
    ``error`` is set, further input is ignored.
    """

    @property
    def done(self) -> bool:
        """True once the kind's end has been received: the answer is whole."""
        ...

    @property
    def error(self) -> StreamError | None:
        """What went wrong (a payload that does not decode, an error event), if anything."""
        ...

    @property
    def stopped(self) -> bool:
        """``done`` or ``error``: nothing more will be decoded."""
        ...

    def feed(self, data: bytes) -> list[EventT]:
        """The events that ``data`` completes."""
        ...

    def finish(self) -> list[EventT]:
        """At the end of the body: the last event, if the server did not close it with a
        blank line; may also set ``done`` where a kind's end is the body's clean end."""
        ...

    def missing_end(self, events: int) -> str:
        """What ``IncompleteStreamError`` says of a body that ended after ``events`` events
        without the kind's end (naming what was seen when it was not this kind at all)."""
        ...


class Fold(Protocol[EventT_contra, SnapshotT_co]):
    """The kind's events → the object rebuilt so far, and the usage the server reported.

    ``add`` and ``add_many`` fold events in order (``add`` is the one-event path a live
    server's reads take); ``add_many`` may raise one of the output-parsing errors after the
    whole batch is folded, which the engine raises at the next read.
    """

    def add(self, event: EventT_contra) -> object:
        """Fold one event in."""
        ...

    def add_many(self, events: Sequence[EventT_contra]) -> object:
        """Fold events in, in order."""
        ...

    def has_output(self) -> bool:
        """Whether any output (text, reasoning, a tool call …) has arrived: the first token."""
        ...

    def output_pieces(self) -> int:
        """How many pieces of output arrived (a token each, roughly, without usage)."""
        ...

    @property
    def output_tokens(self) -> int | None:
        """The output tokens the server's usage reports, or ``None`` without usage."""
        ...

    @property
    def usage(self) -> Any:
        """The kind's usage value, or ``None`` if none came."""
        ...

    @property
    def snapshot(self) -> SnapshotT_co:
        """The object rebuilt from every event so far (a fresh value)."""
        ...
