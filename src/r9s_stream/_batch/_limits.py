"""Rate limits of a batch: the ``Limiter`` protocol, the one-process limiter, the server's limit headers.

Every request asks its limiter first (``acquire``: one request of the RPM budget and its
estimated tokens of the TPM budget), corrects the token count once the real usage is known
(``settle``), and passes on what the server said about its limits (``hold``: a 429's
``Retry-After``, or ``x-ratelimit-remaining-*`` at zero until ``x-ratelimit-reset-*``), which
then holds every request, not only the one that heard it. ``LocalLimiter`` does this for one
event loop (asyncio or trio); a job spread over many processes brings its own ``Limiter``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["Limiter", "LocalLimiter", "TokenBucket", "parse_duration", "ratelimit_wait"]


@runtime_checkable
class Limiter(Protocol):
    """What a batch asks before each request is sent, and tells once it is answered."""

    async def acquire(self, tokens: int) -> None:
        """Wait until one more request, counting for ``tokens`` tokens, may be sent now."""

    def settle(self, estimated: int, used: int) -> None:
        """A request acquired for ``estimated`` tokens really counted ``used`` (prompt + completion)."""

    def hold(self, seconds: float) -> None:
        """The server asked for a pause: no request may start within ``seconds`` from now."""


class TokenBucket:
    """``per_minute`` spread evenly: it fills at ``per_minute / 60`` a second and holds a second's worth.

    A request larger than the whole bucket is let through once the bucket is full, leaving
    it in debt: it goes alone, and the ones after it wait for the debt to be paid back.
    """

    __slots__ = ("capacity", "level", "rate", "updated")

    def __init__(self, per_minute: float) -> None:
        if not per_minute > 0:
            raise ValueError(f"a rate limit must be a positive number per minute, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = max(self.rate, 1.0)
        self.level = self.capacity
        self.updated: float | None = None  # the clock is read at the first request

    def wait(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` may be taken (0: now)."""
        if self.updated is not None:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now
        missing = min(amount, self.capacity) - self.level
        return missing / self.rate if missing > 0 else 0.0

    def take(self, amount: float) -> None:
        """Spend ``amount`` (after ``wait`` said 0); the level may go below zero."""
        self.level -= amount

    def give_back(self, amount: float) -> None:
        """Return ``amount`` (negative: take more) without passing the capacity."""
        self.level = min(self.capacity, self.level + amount)


class LocalLimiter:
    """RPM and TPM limits for the requests of one event loop (asyncio or trio), spread evenly.

    ``rpm`` / ``tpm`` ``None`` leave that budget unlimited; the server's pauses (``hold``)
    apply either way. Waiters are served in turn (first come, first served), so a large
    request is not starved by small ones.
    """

    def __init__(self, rpm: float | None = None, tpm: float | None = None) -> None:
        self._requests = None if rpm is None else TokenBucket(rpm)
        self._tokens = None if tpm is None else TokenBucket(tpm)
        self._held_until = -math.inf
        self._lock = anyio.Lock()

    async def acquire(self, tokens: int) -> None:
        """Wait for a request slot and ``tokens`` tokens, and for any pause the server asked for."""
        requests, budget = self._requests, self._tokens
        if requests is None and budget is None:
            held_until = self._held_until
            if held_until == -math.inf or anyio.current_time() >= held_until:
                return  # nothing to count: no lock to take, and (never held) no clock to read
        async with self._lock:
            while True:
                now = anyio.current_time()
                wait = self._held_until - now
                if requests is not None:
                    wait = max(wait, requests.wait(1, now))
                if budget is not None:
                    wait = max(wait, budget.wait(tokens, now))
                if wait <= 0:
                    break
                await anyio.sleep(wait)
            if requests is not None:
                requests.take(1)
            if budget is not None:
                budget.take(tokens)

    def settle(self, estimated: int, used: int) -> None:
        """Give back what the estimate took too much (or take what it took too little)."""
        if self._tokens is not None:
            self._tokens.give_back(estimated - used)

    def hold(self, seconds: float) -> None:
        """Start no request for ``seconds`` (a later end wins over an earlier one)."""
        self._held_until = max(self._held_until, anyio.current_time() + seconds)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str) -> float | None:
    """Seconds in a rate-limit reset: OpenAI's ``6m0s``, ``1s``, ``20ms``, ``1h2m3.5s``, or plain seconds."""
    text = value.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def ratelimit_wait(headers: Mapping[str, str]) -> float | None:
    """How long to hold when a budget is spent: ``x-ratelimit-remaining-*`` at 0 until its reset.

    ``None`` when neither the requests nor the tokens budget is at zero (or no reset is given).
    """
    wait: float | None = None
    for budget in ("requests", "tokens"):
        remaining = headers.get(f"x-ratelimit-remaining-{budget}")
        if remaining is None or remaining.strip() not in ("0", "0.0"):
            continue
        reset = headers.get(f"x-ratelimit-reset-{budget}")
        seconds = None if reset is None else parse_duration(reset)
        if seconds is not None:
            wait = seconds if wait is None else max(wait, seconds)
    return wait
