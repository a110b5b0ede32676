"""The retry policy, line by line: which statuses retry, Retry-After parsing, backoff."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from r9s_stream._http._retry import (
    INITIAL_BACKOFF,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    backoff_delay,
    parse_retry_after,
    retry_delay,
    should_retry_status,
)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529, 599])
def test_transient_statuses_are_retried(status: int) -> None:
    """Timeouts, conflicts, rate limits and every 5xx (529 included) are worth another try."""
    assert should_retry_status(status, {})


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 600])
def test_client_errors_are_not_retried(status: int) -> None:
    """A bad request, a bad key or a missing model fails the same way every time: no retry."""
    assert not should_retry_status(status, {})


def test_x_should_retry_header_overrides_the_status() -> None:
    """``x-should-retry`` from the server wins over the status in both directions."""
    assert should_retry_status(400, {"x-should-retry": "true"})
    assert not should_retry_status(503, {"x-should-retry": "false"})
    assert should_retry_status(503, {"x-should-retry": "maybe"})


def test_retry_after_seconds() -> None:
    """``Retry-After: 3`` and fractional ``Retry-After: 0.25`` are read as seconds."""
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": " 0.25 "}) == 0.25


def test_retry_after_ms_takes_precedence() -> None:
    """``retry-after-ms`` is the more precise header, so it is read before ``Retry-After``."""
    assert parse_retry_after({"retry-after-ms": "150", "retry-after": "9"}) == 0.15


def test_retry_after_http_date() -> None:
    """An HTTP date is turned into the seconds left until it."""
    headers = {"retry-after": format_datetime(NOW + timedelta(seconds=7), usegmt=True)}
    assert parse_retry_after(headers, now=NOW) == 7.0


def test_retry_after_date_in_the_past_means_now() -> None:
    """A date already gone asks for no wait at all."""
    headers = {"retry-after": format_datetime(NOW - timedelta(minutes=5), usegmt=True)}
    assert parse_retry_after(headers, now=NOW) == 0.0


def test_retry_after_date_without_zone_is_utc() -> None:
    """A ``-0000`` date (no zone named) is read as UTC rather than rejected."""
    assert parse_retry_after({"retry-after": "Wed, 25 Nov 2026 12:00:04 -0000"}, now=NOW) == 4.0


@pytest.mark.parametrize("value", ["soon", "", "-1", "nan", "inf", "Wed, 99 Foo 2026"])
def test_nonsense_retry_after_is_ignored(value: str) -> None:
    """A header that is neither a non-negative number nor a date counts as absent."""
    assert parse_retry_after({"retry-after": value}, now=NOW) is None
    assert parse_retry_after({"retry-after-ms": value}, now=NOW) is None


def test_no_retry_after_header() -> None:
    """Without either header the server expressed no wish."""
    assert parse_retry_after({}) is None


def test_backoff_doubles_up_to_the_cap() -> None:
    """Without jitter the waits are 0.5, 1, 2, 4, 8, 8, … seconds."""
    waits = [backoff_delay(n, jitter=0.0) for n in range(7)]
    assert waits[0] == INITIAL_BACKOFF
    assert all(later == min(earlier * 2, MAX_BACKOFF) for earlier, later in itertools.pairwise(waits))
    assert waits[-1] == MAX_BACKOFF
    assert backoff_delay(10_000, jitter=0.0) == MAX_BACKOFF


def test_jitter_shortens_the_wait_by_at_most_a_quarter() -> None:
    """Jitter near 1 takes off almost a quarter of the wait, never more, never adds."""
    assert backoff_delay(2, jitter=0.999) == pytest.approx(2.0 * 0.75, rel=1e-3)
    assert 1.5 < backoff_delay(2, jitter=0.999) < backoff_delay(2, jitter=0.5) < backoff_delay(2, jitter=0.0)


def test_backoff_rejects_negative_retry_count() -> None:
    """A negative retry count is a programming error, reported loudly."""
    with pytest.raises(ValueError, match="retries_done"):
        backoff_delay(-1, jitter=0.0)


def test_retry_delay_prefers_the_server_wish() -> None:
    """When the server names a wait it is used instead of the backoff."""
    assert retry_delay(0, {"retry-after": "0.05"}, jitter=0.0) == 0.05
    assert retry_delay(3, {"retry-after-ms": "0"}, jitter=0.0) == 0.0


def test_retry_delay_caps_the_server_wish() -> None:
    """An absurd ``Retry-After`` (an hour) is cut down to the cap."""
    assert retry_delay(0, {"retry-after": "3600"}, jitter=0.0) == MAX_RETRY_AFTER


def test_retry_delay_falls_back_to_backoff() -> None:
    """Without a usable header the wait is the backoff for that retry."""
    assert retry_delay(1, {"retry-after": "later"}, jitter=0.0) == backoff_delay(1, jitter=0.0)


@given(value=st.text(max_size=60), milliseconds=st.one_of(st.none(), st.text(max_size=20)))
def test_any_header_text_gives_a_usable_wait_or_none(value: str, milliseconds: str | None) -> None:
    """Whatever a server puts in the headers, the wait is None or a finite number of seconds ≥ 0."""
    headers = {"retry-after": value}
    if milliseconds is not None:
        headers["retry-after-ms"] = milliseconds
    wait = parse_retry_after(headers, now=NOW)
    assert wait is None or 0.0 <= wait < float("inf")
    assert 0.0 <= retry_delay(0, headers, jitter=0.5, now=NOW) <= MAX_RETRY_AFTER


@given(
    when=st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(timezone.utc)
    )
)
def test_http_dates_anywhere_in_time(when: datetime) -> None:
    """Any four-digit-year HTTP date, far past or far future, parses to the seconds left (or 0)."""
    headers = {"retry-after": format_datetime(when.replace(microsecond=0), usegmt=True)}
    wait = parse_retry_after(headers, now=NOW)
    assert wait == max(0.0, (when.replace(microsecond=0) - NOW).total_seconds())
