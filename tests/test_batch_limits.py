"""Rate limits of a batch: RPM / TPM spread evenly, large requests never stuck, the server's pauses."""

from __future__ import annotations

import anyio
import pytest

import r9s_stream as rs
from _loops import asyncio_and_trio  # noqa: F401  (the anyio_backend fixture: both loops)
from r9s_stream._batch._limits import TokenBucket, parse_duration, ratelimit_wait


def test_a_bucket_holds_a_seconds_worth_and_refills_evenly() -> None:
    """600 a minute: 10 at once at most, then one every tenth of a second."""
    bucket = TokenBucket(600)
    assert bucket.wait(10, now=100.0) == 0.0
    bucket.take(10)
    assert bucket.wait(1, now=100.0) == pytest.approx(0.1)
    assert bucket.wait(1, now=100.05) == pytest.approx(0.05)
    assert bucket.wait(1, now=100.1) == pytest.approx(0.0, abs=1e-9)
    # an hour idle refills no more than a second's worth
    assert bucket.wait(11, now=3700.0) == pytest.approx(0.0)
    bucket.take(11)
    assert bucket.level == pytest.approx(-1.0)


def test_a_request_bigger_than_the_bucket_goes_alone_once_it_is_full() -> None:
    """3,000 tokens against 60,000 a minute (1,000 a second): sent when full, the next ones wait the debt."""
    bucket = TokenBucket(60_000)
    assert bucket.wait(3_000, now=0.0) == 0.0  # asks for no more than the bucket holds
    bucket.take(3_000)
    assert bucket.wait(1, now=0.0) == pytest.approx(2.001)
    assert bucket.wait(3_000, now=0.0) == pytest.approx(3.0)  # a full bucket again


def test_settling_gives_back_what_the_estimate_took_too_much() -> None:
    """An estimate of 1,000 that used 100 returns 900; one that used more takes the rest."""
    bucket = TokenBucket(60_000)
    bucket.wait(1_000, now=0.0)
    bucket.take(1_000)
    bucket.give_back(900)
    assert bucket.level == pytest.approx(900)
    bucket.give_back(-1_500)
    assert bucket.level == pytest.approx(-600)
    bucket.give_back(10_000)
    assert bucket.level == pytest.approx(1_000)  # never past a second's worth


def test_a_rate_must_be_positive() -> None:
    """rpm=0 is refused with a clear message."""
    with pytest.raises(ValueError, match="positive"):
        rs.LocalLimiter(rpm=0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6m0s", 360.0),
        ("1s", 1.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0.5", 0.5),
        ("7", 7.0),
        (" 2s ", 2.0),
        ("", None),
        ("soon", None),
        ("5x", None),
        ("-1", None),
        ("1s garbage", None),
    ],
)
def test_rate_limit_resets_are_read_as_openai_writes_them(text: str, seconds: float | None) -> None:
    """``x-ratelimit-reset-*`` durations: Go-style units, or plain seconds; nonsense is ignored."""
    assert parse_duration(text) == (None if seconds is None else pytest.approx(seconds))


def test_a_spent_budget_holds_until_its_reset_and_the_longer_one_wins() -> None:
    """Remaining 0 on requests and on tokens: the later reset; a budget left means no hold."""
    assert ratelimit_wait({"x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "1s"}) is None
    assert ratelimit_wait({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}) == 1.0
    both = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "20ms",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "1m0s",
    }
    assert ratelimit_wait(both) == 60.0
    assert ratelimit_wait({}) is None


@pytest.mark.anyio
async def test_requests_are_spread_over_time_not_sent_in_one_burst() -> None:
    """1,200 a minute: the first 20 go at once, the next 10 follow about 50 ms apart."""
    limiter = rs.LocalLimiter(rpm=1_200)
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire(1)
        times.append(anyio.current_time())

    start = anyio.current_time()
    async with anyio.create_task_group() as group:
        for _ in range(30):
            group.start_soon(one)
    times.sort()
    assert len(times) == 30
    # By any moment t, at most a second's worth (20) plus 20 a second have gone: however late
    # a loaded machine wakes the waiters, never more than that.
    for count, at in enumerate(times, start=1):
        assert count <= 20 + 20 * (at - start) + 1e-6
    assert times[-1] - start >= 0.49  # the last ten waited their turn, 50 ms apart


@pytest.mark.anyio
async def test_a_huge_request_goes_alone_and_the_next_waits_for_its_debt() -> None:
    """3,000 tokens against 60,000 a minute is not stuck forever; the request after it waits ≈ 2 s."""
    limiter = rs.LocalLimiter(tpm=60_000)
    with anyio.fail_after(5):
        await limiter.acquire(3_000)
    start = anyio.current_time()
    await limiter.acquire(1)
    assert anyio.current_time() - start >= 1.9


@pytest.mark.anyio
async def test_a_hold_pauses_every_request() -> None:
    """After hold(0.3) no request starts for 0.3 s, whatever tokens are left."""
    limiter = rs.LocalLimiter(tpm=60_000)
    await limiter.acquire(1_000)  # the whole second's worth
    limiter.settle(1_000, 0)
    limiter.hold(0.3)
    start = anyio.current_time()
    await limiter.acquire(1_000)  # refunded: only the hold to wait
    assert anyio.current_time() - start >= 0.28


@pytest.mark.anyio
async def test_without_limits_acquiring_never_waits_but_a_hold_still_applies() -> None:
    """``LocalLimiter()`` counts nothing; the server's pause is honoured all the same."""
    limiter = rs.LocalLimiter()
    for _ in range(1_000):
        await limiter.acquire(10**9)
    limiter.hold(0.2)
    start = anyio.current_time()
    await limiter.acquire(1)
    assert anyio.current_time() - start >= 0.18
    assert isinstance(limiter, rs.Limiter)
