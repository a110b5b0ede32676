"""What the command needs of one wire kind (``chat --api KIND``, ``replay``): the ``Api`` protocol.

Each kind implements it in its own module (``_chat_api``, ``_completions_api`` …) and is
listed once in ``_apis.APIS``; the command itself never names a kind's types. ``token_text``
is the usage line every kind can share, read by field name (``prompt_tokens`` or
``input_tokens`` …) from a Struct or a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import msgspec

if TYPE_CHECKING:
    import httpx

    from .._client import AsyncClient
    from .._streaming._stream import Stream

__all__ = ["Api", "Printer", "Prompt", "answer_json", "token_text"]


@dataclass(frozen=True)
class Prompt:
    """What ``r9s-stream chat`` was asked: each kind builds its own request body from it."""

    model: str
    text: str
    system: str | None = None


class Printer(Protocol):
    """Shows one stream on the terminal as its events arrive."""

    def event(self, event: Any, stream: Stream[Any, Any]) -> None:
        """Print what one event adds (``stream`` holds the object rebuilt so far)."""
        ...

    def finish(self, stream: Stream[Any, Any]) -> None:
        """End the output (the stream ended, failed or was interrupted)."""
        ...


class Api(Protocol):
    """One wire kind, as the command speaks it."""

    @property
    def path(self) -> str:
        """The endpoint under the base URL (``/chat/completions``, ``/completions`` …)."""
        ...

    @property
    def unit(self) -> str:
        """What the stats line calls the stream's events (``chunks``, ``events``)."""
        ...

    def open(self, client: AsyncClient, prompt: Prompt) -> AbstractAsyncContextManager[Stream[Any, Any]]:
        """The client's stream of this kind for ``prompt``."""
        ...

    def connect(self, http: httpx.AsyncClient, url: str) -> AbstractAsyncContextManager[Stream[Any, Any]]:
        """This kind's ``aconnect_*_stream`` on ``http`` (``replay`` feeds it a recording)."""
        ...

    def printer(self, out: TextIO, *, color: bool) -> Printer:
        """A printer of this kind's events on ``out``."""
        ...

    def describe(self, answer: Any, *, color: bool) -> str:
        """The rebuilt object as text (``replay``): its text, tool calls, finish or stop reason."""
        ...

    def usage_text(self, usage: Any) -> str:
        """The stream's usage in words for the stats line."""
        ...

    def to_json(self, answer: Any) -> str:
        """The rebuilt object as indented JSON (``--json``)."""
        ...

    def finish_note(self, answer: Any, done: bool) -> str:
        """What the stats line adds about how the answer ended (``""``: nothing)."""
        ...


def _field(usage: Any, *names: str) -> int | None:
    for name in names:
        value = usage.get(name) if isinstance(usage, Mapping) else getattr(usage, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def token_text(usage: Any) -> str:
    """``9 prompt + 2 completion = 11 tokens`` from any kind's usage, read by field name."""
    if usage is None:
        return "no usage reported"
    prompt = _field(usage, "prompt_tokens", "input_tokens") or 0
    completion = _field(usage, "completion_tokens", "output_tokens") or 0
    total = _field(usage, "total_tokens")
    if total is None:  # Responses and Messages usage may not sum it up
        total = prompt + completion
    return f"{prompt} prompt + {completion} completion = {total} tokens"


def answer_json(answer: Any) -> str:
    """Any kind's rebuilt object (a Struct or a dict) as indented JSON."""
    return msgspec.json.format(msgspec.json.encode(answer), indent=2).decode()
