"""When to retry a request and how long to wait first. Pure: no I/O, no clock, no randomness.

A retry is only ever decided before the body of a response is read: on a transport error
raised while connecting or sending, or on a status that says "try again" (408, 409, 429,
5xx). The wait is the server's ``retry-after-ms`` / ``Retry-After`` when it sent one, else
exponential backoff with jitter; both are capped, so a confused server cannot park the
caller for an hour.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = [
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "Retries",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
    "should_retry_status",
]

# The first backoff, doubled on every retry up to MAX_BACKOFF (the figures openai-python uses).
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
# The longest wait a server's Retry-After can impose.
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Retries:
    """Send again, at most ``max_retries`` times, what failed before the first byte of the stream.

    Connect errors and 408/409/429/5xx answers are retried with backoff (or the server's
    ``Retry-After``), never past the first-token or total deadline; a transport timeout that
    ends the attempts is raised as ``StreamTimeoutError``.
    """

    max_retries: int = 2


# Request Timeout, Conflict (a lock held by a concurrent request), Too Many Requests.
_RETRYABLE_STATUSES = frozenset({408, 409, 429})


def should_retry_status(status_code: int, headers: Mapping[str, str]) -> bool:
    """Whether an answer with this status is worth sending again.

    ``x-should-retry: true|false`` (sent by OpenAI's servers) overrides the status.
    """
    override = headers.get("x-should-retry", "").strip().lower()
    if override == "true":
        return True
    if override == "false":
        return False
    # 5xx covers 529 "overloaded", which some servers send with an empty reason phrase.
    return status_code in _RETRYABLE_STATUSES or 500 <= status_code <= 599


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait, or ``None`` when it did not say (or said nonsense).

    Reads ``retry-after-ms`` (milliseconds) first, then ``Retry-After`` as seconds or as an
    HTTP date (compared with ``now``, default the current UTC time). A date in the past
    means "now": 0.
    """
    milliseconds = _number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" in the date: UTC by RFC 5322
        when = when.replace(tzinfo=timezone.utc)
    reference = now if now is not None else datetime.now(timezone.utc)
    return max(0.0, (when - reference).total_seconds())


def backoff_delay(retries_done: int, jitter: float) -> float:
    """The wait before retry number ``retries_done + 1`` when the server named none.

    ``INITIAL_BACKOFF`` doubled per retry, capped at ``MAX_BACKOFF``, then shortened by up
    to a quarter: ``jitter`` in [0, 1) (``random.random()``) spreads out clients that failed
    together so they do not all come back at the same instant.
    """
    if retries_done < 0:
        raise ValueError(f"retries_done must be >= 0, got {retries_done}")
    base = min(INITIAL_BACKOFF * 2.0 ** min(retries_done, 32), MAX_BACKOFF)
    return base * (1.0 - 0.25 * jitter)


def retry_delay(
    retries_done: int, headers: Mapping[str, str], jitter: float, now: datetime | None = None
) -> float:
    """The wait before the next retry: the server's wish, capped, else backoff with jitter."""
    asked = parse_retry_after(headers, now)
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER)
    return backoff_delay(retries_done, jitter)


def _number(value: str | None) -> float | None:
    """A header's value as a non-negative finite number, or ``None``."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
