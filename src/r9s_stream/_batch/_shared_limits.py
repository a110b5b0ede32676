"""One rate limit for requests spread over many processes: a limits service and its local proxies.

The service (``JobLimits``, run once per job, e.g. in a Ray actor) holds the RPM / TPM
buckets and the server's pauses, as ``LocalLimiter`` does for one loop. Each process talks
to it through a ``PooledLimiter``: the requests waiting in that process at one moment are
asked for in one round trip (``grant``), so the traffic is one call per handful of requests,
never one per request or per token. The service grants a prefix of what was asked — the
first request whenever it may go, then the others only as fast as the buckets let them —
so a process never holds a lease it would spend in a burst later, and the job's rate stays
as even as one process's. A pause (``hold``) reaches the service, so every process waits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import anyio

from ._limits import LocalLimiter

__all__ = ["GRANT_WINDOW", "JobLimits", "LimitsService", "PooledLimiter"]

GRANT_WINDOW = 0.05
"""Seconds the service keeps granting the rest of a call once its first request went."""


class LimitsService(Protocol):
    """The job-wide limits as a process sees them (the service itself, or a remote handle to it)."""

    async def grant(self, tokens: Sequence[int]) -> int:
        """Wait until the first request (``tokens[0]`` tokens) may start; how many of them may start now."""
        ...

    def settle(self, estimated: int, used: int) -> None:
        """A request granted for ``estimated`` tokens really counted ``used``."""

    def hold(self, seconds: float) -> None:
        """No request of the job may start within ``seconds``."""


class JobLimits:
    """The service: one ``LocalLimiter`` for the whole job, granting requests in small runs."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None) -> None:
        self._limiter = LocalLimiter(rpm=rpm, tpm=tpm)

    async def grant(self, tokens: Sequence[int]) -> int:
        if not tokens:
            return 0
        await self._limiter.acquire(tokens[0])
        granted = 1
        # The rest only while they come within the window: a cancelled acquire takes nothing,
        # so what is not granted here is asked for again, and nobody is given a burst to spend.
        with anyio.move_on_after(GRANT_WINDOW):
            for amount in tokens[1:]:
                await self._limiter.acquire(amount)
                granted += 1
        return granted

    def settle(self, estimated: int, used: int) -> None:
        self._limiter.settle(estimated, used)

    def hold(self, seconds: float) -> None:
        self._limiter.hold(seconds)


class _Ticket:
    __slots__ = ("granted", "tokens")

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens
        self.granted = False


class PooledLimiter:
    """A process's ``Limiter`` on the job's ``LimitsService``: the waiting requests ask together.

    One request at a time carries the question for everyone waiting (up to ``max_asked``
    requests, in arrival order); the others wait for its answer, and the next question goes
    as soon as it comes back.
    """

    def __init__(self, service: LimitsService, *, max_asked: int = 256) -> None:
        if max_asked < 1:
            raise ValueError(f"max_asked must be >= 1, got {max_asked}")
        self._service = service
        self._max_asked = max_asked
        self._waiting: list[_Ticket] = []
        self._asking = False
        self._answered: anyio.Event | None = None  # made on the loop, by the first asker

    async def acquire(self, tokens: int) -> None:
        ticket = _Ticket(tokens)
        self._waiting.append(ticket)
        try:
            while not ticket.granted:
                if self._asking and self._answered is not None:
                    await self._answered.wait()
                else:
                    await self._ask()
        finally:
            if not ticket.granted:  # cancelled while waiting: nobody asks for it any more
                self._waiting.remove(ticket)

    async def _ask(self) -> None:
        self._asking = True
        self._answered = answered = anyio.Event()
        asked = self._waiting[: self._max_asked]
        try:
            granted = await self._service.grant([ticket.tokens for ticket in asked])
            for ticket in asked[:granted]:
                ticket.granted = True
            self._waiting = [ticket for ticket in self._waiting if not ticket.granted]
        finally:
            self._asking = False
            answered.set()

    def settle(self, estimated: int, used: int) -> None:
        if estimated != used:
            self._service.settle(estimated, used)

    def hold(self, seconds: float) -> None:
        self._service.hold(seconds)
