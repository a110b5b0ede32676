"""A stream's optional time limits: how long the next read may wait, and which limit ran out."""

from __future__ import annotations

from time import perf_counter

from ._stats import StreamStats

__all__ = ["Deadlines"]


class Deadlines:
    """``first_token_timeout``, ``idle_timeout`` and ``total_timeout`` of one stream (seconds).

    Built only for a stream that sets at least one: a stream without limits reads with no
    timer at all.
    """

    __slots__ = ("first_token", "idle", "total")

    def __init__(self, first_token: float | None, idle: float | None, total: float | None) -> None:
        self.first_token = first_token
        self.idle = idle
        self.total = total

    def delay(self, stats: StreamStats) -> float | None:
        """How long the next read may wait (``None``: no limit applies any more)."""
        now = perf_counter()
        limits = []
        if self.idle is not None:
            limits.append(self.idle)
        # Until the first token, not the first chunk: servers send the role chunk at once,
        # then may queue the request for a long time.
        if self.first_token is not None and stats.first_token_at is None:
            limits.append(stats.started_at + self.first_token - now)
        if self.total is not None:
            limits.append(stats.started_at + self.total - now)
        return max(0.0, min(limits)) if limits else None

    def message(self, stats: StreamStats) -> str:
        """Which limit a read that timed out ran into, for ``StreamTimeoutError``."""
        elapsed = perf_counter() - stats.started_at
        if self.total is not None and elapsed >= self.total:
            return f"the stream ran past total_timeout={self.total}s"
        if self.first_token is not None and stats.first_token_at is None and elapsed >= self.first_token:
            return f"no token within first_token_timeout={self.first_token}s"
        return f"no data for idle_timeout={self.idle}s"
