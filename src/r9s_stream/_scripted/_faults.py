"""Faults: the ways a scenario's stream can break on purpose, and what each does on the wire.

A stream is a list of steps: SSE frames (bytes) to send, a ``Pause`` to wait, or a
``Disconnect`` that ends the body with a transport error. ``after=N`` counts chunks: the
fault happens once N chunk frames have gone out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import httpx
import msgspec

__all__ = [
    "Disconnect",
    "Fault",
    "Malformed",
    "MidStreamError",
    "Pause",
    "Stall",
    "Step",
    "Truncate",
    "apply_fault",
]


@dataclass(frozen=True)
class Truncate:
    """The body ends cleanly after ``after`` chunks, without ``data: [DONE]``."""

    after: int


@dataclass(frozen=True)
class Malformed:
    """Chunk number ``at`` (from 0) is replaced by ``payload``, which is not a valid chunk."""

    at: int
    payload: bytes = b'{"id":"chatcmpl-r9s-test","choices":[{"index":0,"delta":{"content":"oops"'


@dataclass(frozen=True)
class MidStreamError:
    """After ``after`` chunks the server sends ``data: {"error": …}`` and ends the body."""

    after: int
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None

    def frame(self) -> bytes:
        """The error event as it goes on the wire."""
        error = {"message": self.message, "type": self.type, "param": None, "code": self.code}
        return b"data: " + msgspec.json.encode({"error": error}) + b"\n\n"


@dataclass(frozen=True)
class Stall:
    """After ``after`` chunks nothing comes for ``seconds``, then the stream goes on."""

    after: int
    seconds: float = 3600.0


@dataclass(frozen=True)
class Disconnect:
    """After ``after`` chunks the connection breaks: reading the body raises ``error``."""

    after: int
    error: type[httpx.TransportError] = httpx.RemoteProtocolError
    message: str = "peer closed connection without sending complete message body (incomplete chunked read)"


Fault: TypeAlias = Truncate | Malformed | MidStreamError | Stall | Disconnect


@dataclass(frozen=True)
class Pause:
    """A step: send nothing for ``seconds``."""

    seconds: float


Step: TypeAlias = bytes | Pause | Disconnect


def apply_fault(frames: list[bytes], done: bytes, fault: Fault | None) -> list[Step]:
    """The steps of a stream of ``frames`` (then ``done``) broken by ``fault``."""
    if fault is None:
        return [*frames, done]
    if isinstance(fault, Malformed):
        broken = b"data: " + fault.payload + b"\n\n"
        at = min(fault.at, len(frames))
        return [*frames[:at], broken, *frames[at + 1 :], done]
    before, rest = frames[: fault.after], frames[fault.after :]
    if isinstance(fault, Truncate):
        return list(before)
    if isinstance(fault, MidStreamError):
        return [*before, fault.frame()]
    if isinstance(fault, Stall):
        return [*before, Pause(fault.seconds), *rest, done]
    return [*before, fault]
