"""What the embedded server needs of one endpoint (``/chat/completions``, ``/completions`` …).

The app does what every endpoint shares — the key check, reading the body, streaming a
reply with its faults and pacing, the error answers — and asks the endpoint only what is its
own: whether a body is acceptable, which reply it gets, and the whole answer when the client
did not ask for a stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .._scripted import ChatScenario
    from ._catalogue import Catalogue, ErrorReply, StreamReply

__all__ = ["Endpoint"]


class Endpoint(Protocol):
    """One POST endpoint of the embedded server."""

    def problem(self, body: object) -> str | None:
        """Why ``body`` (the decoded JSON, or ``None``) is refused with a 400, else ``None``."""
        ...

    def reply(
        self, catalogue: Catalogue, body: dict[str, Any], request: dict[str, Any], request_id: str
    ) -> StreamReply | ErrorReply:
        """The reply ``body`` gets: a scenario whose ``steps()`` are this endpoint's wire format."""
        ...

    def whole(self, scenario: ChatScenario) -> dict[str, Any]:
        """The non-streaming answer of ``scenario``, as the endpoint's JSON object."""
        ...
