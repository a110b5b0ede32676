"""The figures of a batch run: counts, tokens, time-to-first-token and duration percentiles, retries.

Kept compactly, whatever the number of requests: two arrays of 4-byte floats for the
percentiles, counters for the rest, and the first few failed ``custom_id``s.
"""

from __future__ import annotations

import math
import time
from array import array
from collections import Counter, deque

from ._results import BatchResult

__all__ = ["BatchSummary", "percentile"]

# The live view's time-to-first-token percentiles are over the latest results only.
_RECENT = 1000
_NAMED_FAILURES = 10


def percentile(values: array[float] | list[float] | deque[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values`` by nearest rank; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return float(ordered[rank])


class BatchSummary:
    """What a batch run did: ``total`` requests in the input, ``skipped`` already answered before it."""

    def __init__(self, total: int = 0, skipped: int = 0) -> None:
        self.total = total
        self.skipped = skipped
        self.succeeded = 0
        self.failed = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.retries: Counter[str] = Counter()
        self.failed_ids: list[str] = []  # the first few
        self.failures: Counter[str] = Counter()  # by error code
        self.started_at = time.monotonic()
        self.ended_at: float | None = None
        self.interrupted = False
        self._ttft = array("f")
        self._durations = array("f")
        self._recent_ttft: deque[float] = deque(maxlen=_RECENT)

    def add(self, result: BatchResult) -> None:
        """Count one result."""
        if result.ok:
            self.succeeded += 1
        else:
            self.failed += 1
            if len(self.failed_ids) < _NAMED_FAILURES:
                self.failed_ids.append(result.custom_id)
            self.failures[(result.error or {}).get("code", "unknown")] += 1
        stats = result.stats
        self.prompt_tokens += stats.prompt_tokens or 0
        self.completion_tokens += stats.completion_tokens or 0
        if stats.time_to_first_token is not None:
            self._ttft.append(stats.time_to_first_token)
            self._recent_ttft.append(stats.time_to_first_token)
        if stats.duration is not None:
            self._durations.append(stats.duration)
        for cause in result.retries:
            self.retries[cause] += 1

    @property
    def done(self) -> int:
        """Requests answered in this run (success or failure)."""
        return self.succeeded + self.failed

    @property
    def elapsed(self) -> float:
        """Seconds since the run started (to its end, once ended)."""
        return (self.ended_at if self.ended_at is not None else time.monotonic()) - self.started_at

    @property
    def remaining(self) -> int:
        """Requests of the input not answered yet (by this run or an earlier one)."""
        return max(0, self.total - self.skipped - self.done)

    def rate(self) -> float:
        """Requests answered per second so far."""
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Seconds until the rest is answered at the rate so far; ``None`` before any answer."""
        rate = self.rate()
        return self.remaining / rate if rate > 0 else None

    def time_to_first_token(self, q: float, *, recent: bool = False) -> float | None:
        """A percentile of the time to first token (``recent``: of the latest results only)."""
        return percentile(self._recent_ttft if recent else self._ttft, q)

    def duration(self, q: float) -> float | None:
        """A percentile of the requests' durations."""
        return percentile(self._durations, q)

    def end(self) -> None:
        """Stop the clock."""
        self.ended_at = time.monotonic()
