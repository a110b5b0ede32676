"""What ``r9s-stream batch`` shows while it runs and at its end: the live view, the plain line, the table."""

from __future__ import annotations

import io

from r9s_stream import BatchResult, BatchStats, BatchSummary
from r9s_stream._cli._batch_progress import LiveProgress, PlainProgress, make_progress, print_summary


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def summary_of_two() -> BatchSummary:
    """A run of 10 requests, 2 answered before, then one success and one failure after a retry."""
    summary = BatchSummary(total=10, skipped=2)
    stats = BatchStats(time_to_first_token=0.25, duration=0.5, prompt_tokens=5, completion_tokens=7)
    summary.add(BatchResult(custom_id="a", status_code=200, stats=stats))
    failure = {"code": "server_error", "message": "boom"}
    summary.add(BatchResult(custom_id="b", status_code=500, error=failure, retries=("500",)))
    return summary


def test_a_terminal_gets_the_live_view_anything_else_a_plain_line() -> None:
    """The kind of view follows whether stderr is a terminal."""
    assert isinstance(make_progress(Terminal()), LiveProgress)
    assert isinstance(make_progress(io.StringIO()), PlainProgress)


def test_the_live_view_shows_counts_rates_and_time_to_first_token() -> None:
    """Redrawn in place: done of total, failures, in flight, p50 time to first token; warnings too."""
    out = Terminal()
    view = LiveProgress(out)
    summary = summary_of_two()
    view.update(summary, 3)
    view.warn("a torn line was repaired")
    view.update(summary, 2)
    view.close()
    text = out.getvalue()
    assert "4/10 done" in text
    assert "1 failed" in text
    assert "2 in flight" in text
    assert "p50 0.25s" in text
    assert "a torn line was repaired" in text
    assert view.last is summary


def test_the_plain_line_says_the_same_without_escape_codes() -> None:
    """Without a terminal: one line per update after the first, no cursor movement."""
    out = io.StringIO()
    view = PlainProgress(out)
    summary = summary_of_two()
    view.update(summary, 3)  # the start: nothing to say yet
    view.update(summary, 1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("r9s-stream: 4/10 done · 1 failed · 1 in flight")
    assert "\x1b" not in out.getvalue()


def test_the_summary_table_counts_tokens_percentiles_retries_and_names_failures() -> None:
    """The end of a run: every figure, retries by cause, and where the failed requests are."""
    out = io.StringIO()
    print_summary(summary_of_two(), "results.jsonl", out)
    text = out.getvalue()
    for expected in (
        "10 in the input",
        "answered before",
        "succeeded",
        "1 (server_error: 1)",
        "5 prompt · 7 completion",
        "p50 0.25s",
        "p50 0.50s",
        "1 (500: 1)",
        "1 request(s) failed",
        "results.jsonl",
        "(b)",
    ):
        assert expected in text, expected
