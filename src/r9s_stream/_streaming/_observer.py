"""What the engine tells whoever watches a call (OpenTelemetry, in ``_telemetry``).

The protocols live here, below the telemetry that implements them, so that the engine and
the connection never import it: a call is watched by whatever object the client hands in.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import httpx

from ._stats import StreamStats

__all__ = ["CallObserver", "ClosedStream", "Observer"]


class ClosedStream(Protocol):
    """What an observer reads of a stream that has just closed."""

    @property
    def stats(self) -> StreamStats: ...

    @property
    def done(self) -> bool: ...

    @property
    def usage(self) -> Any: ...


class CallObserver(Protocol):
    """One call, watched from its request to the close of its stream."""

    def current(self) -> AbstractContextManager[object]:
        """A context in which the call's span is the current one (while the request is sent)."""
        ...

    def retrying(self, error: BaseException, delay: float) -> None:
        """One attempt failed; another follows after ``delay`` seconds."""
        ...

    def opened(self, stream: object) -> None:
        """The stream is handed to the user."""
        ...

    def failed(self, error: BaseException) -> None:
        """The call failed before a stream was handed over."""
        ...

    def stream_closed(self, stream: ClosedStream, snapshot: object, error: BaseException | None) -> None:
        """The stream closed: ``snapshot`` is the object rebuilt (``None`` without one)."""
        ...


class Observer(Protocol):
    """What starts watching a call (``None``: nobody watches this one)."""

    def start(
        self, body: object, url: httpx.URL | str, secret: str | None, operation: str
    ) -> CallObserver | None:
        """Start watching a call of ``operation`` (``chat``, ``text_completion``) to ``url``."""
        ...
