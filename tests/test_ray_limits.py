"""The job-wide rate limit r9s_stream.ray's workers share, without Ray: JobLimits and PooledLimiter.

The service is called in-process here (with a delay standing for the round trip to its
actor); what is checked is what the workers of a Ray job rely on: one question for all the
requests waiting in a worker, the rate kept across workers, a pause reaching all of them.
Timings are only ever lower bounds or counts with generous room (a slow machine passes).
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream._batch._shared_limits import JobLimits, PooledLimiter

pytestmark = pytest.mark.anyio


class RoundTrip:
    """A ``LimitsService`` a round trip away: each grant waits ``delay`` first; calls are counted."""

    def __init__(self, limits: JobLimits, delay: float = 0.01) -> None:
        self.limits = limits
        self.delay = delay
        self.asked: list[int] = []
        self.settled: list[tuple[int, int]] = []

    async def grant(self, tokens: Sequence[int]) -> int:
        self.asked.append(len(tokens))
        await anyio.sleep(self.delay)
        return await self.limits.grant(tokens)

    def settle(self, estimated: int, used: int) -> None:
        self.settled.append((estimated, used))
        self.limits.settle(estimated, used)

    def hold(self, seconds: float) -> None:
        self.limits.hold(seconds)


def test_the_pooled_limiter_is_a_limiter() -> None:
    """A worker's PooledLimiter can be given to client.batch(limiter=...) like any Limiter."""
    assert isinstance(PooledLimiter(JobLimits()), rs.Limiter)


async def test_requests_waiting_together_are_asked_for_in_one_round_trip() -> None:
    """A hundred requests waiting in one worker cost a handful of calls to the job's limits, not a hundred."""
    service = RoundTrip(JobLimits(), delay=0.05)  # long enough for all 100 to be waiting
    limiter = PooledLimiter(service)
    async with anyio.create_task_group() as group:
        for _ in range(100):
            group.start_soon(limiter.acquire, 10)
    assert sum(service.asked) == 100
    assert len(service.asked) <= 3


async def test_the_rate_holds_across_workers() -> None:
    """Two workers sharing rpm=600 (10 a second, a second's worth at once) start 30 in 1.6 s or more."""
    service = RoundTrip(JobLimits(rpm=600))
    workers = [PooledLimiter(service), PooledLimiter(service)]
    started: list[float] = []

    async def request(limiter: PooledLimiter) -> None:
        await limiter.acquire(1)
        started.append(anyio.current_time())

    begin = anyio.current_time()
    async with anyio.create_task_group() as group:
        for number in range(30):
            group.start_soon(request, workers[number % 2])
    assert len(started) == 30
    assert max(started) - begin >= 1.6  # 10 at once, then 20 at 10 a second
    within_half_a_second = sum(1 for at in started if at - begin < 0.5)
    assert within_half_a_second <= 16  # the bucket's 10 and half a second's 5, never a burst


async def test_a_pause_heard_by_one_worker_holds_the_others() -> None:
    """A 429's Retry-After told to one worker delays the next request of every other worker."""
    limits = JobLimits()
    heard, other = PooledLimiter(RoundTrip(limits)), PooledLimiter(RoundTrip(limits))
    heard.hold(0.3)
    begin = anyio.current_time()
    await other.acquire(1)
    assert anyio.current_time() - begin >= 0.29


async def test_a_token_estimate_is_corrected_only_when_it_was_wrong() -> None:
    """The real usage is sent to the job's limits when it differs from the estimate, else nothing is."""
    service = RoundTrip(JobLimits(tpm=60_000))
    limiter = PooledLimiter(service)
    await limiter.acquire(100)
    limiter.settle(100, 100)
    limiter.settle(100, 40)
    assert service.settled == [(100, 40)]


async def test_a_cancelled_request_does_not_strand_the_others() -> None:
    """When the request asking for everyone is cancelled mid-question, the others still get their turn."""
    service = RoundTrip(JobLimits(), delay=0.2)
    limiter = PooledLimiter(service)
    granted: list[str] = []

    async def request(name: str) -> None:
        await limiter.acquire(1)
        granted.append(name)

    async def cancelled_asker() -> None:
        with anyio.move_on_after(0.05):
            await request("asker")

    async with anyio.create_task_group() as group:
        group.start_soon(cancelled_asker)
        await anyio.sleep(0.01)  # the asker's question is on its way
        group.start_soon(request, "second")
        group.start_soon(request, "third")
    assert sorted(granted) == ["second", "third"]
