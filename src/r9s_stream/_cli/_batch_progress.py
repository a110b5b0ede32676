"""What ``r9s-stream batch`` shows: a live view on a terminal, a line every few seconds otherwise, a summary.

The live view and the summary table are drawn with rich (imported here only, when drawing):
it redraws a block of lines in place without flicker, degrades to plain text when stderr
is not a terminal, and is already how most Python CLIs draw tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from .._batch._summary import BatchSummary

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

__all__ = ["LiveProgress", "PlainProgress", "make_progress", "print_summary"]

PROG = "r9s-stream"


def make_progress(err: TextIO) -> LiveProgress | PlainProgress:
    """The live view when ``err`` is a terminal, else a plain line every five seconds."""
    return LiveProgress(err) if err.isatty() else PlainProgress(err)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s" if value < 100 else f"{value:.0f}s"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _count(value: float) -> str:
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.1f}{unit}"
    return f"{value:.0f}"


def progress_parts(summary: BatchSummary, in_flight: int) -> tuple[str, str, str]:
    """The run so far: counts, rates, times (each short enough for a narrow terminal)."""
    elapsed = summary.elapsed or 1e-9
    finished = summary.skipped + summary.done
    return (
        f"{finished}/{summary.total} done · {summary.failed} failed · {in_flight} in flight",
        f"{summary.rate():.1f} req/s · tokens/s in {_count(summary.prompt_tokens / elapsed)} "
        f"out {_count(summary.completion_tokens / elapsed)}",
        f"ttft p50 {_seconds(summary.time_to_first_token(50, recent=True))} "
        f"p95 {_seconds(summary.time_to_first_token(95, recent=True))} · "
        f"{_clock(summary.elapsed)} elapsed · ETA {_clock(summary.eta())}",
    )


def progress_line(summary: BatchSummary, in_flight: int) -> str:
    """The run so far in one line."""
    return " · ".join(progress_parts(summary, in_flight))


class PlainProgress:
    """A line on stderr every five seconds (a log, a pipe, CI)."""

    interval = 5.0

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self.last: BatchSummary | None = None
        self._first = True

    def warn(self, message: str) -> None:
        print(f"{PROG}: warning: {message}", file=self._err, flush=True)

    def update(self, summary: BatchSummary, in_flight: int) -> None:
        self.last = summary
        if self._first:  # the first call comes at the start: nothing to say yet
            self._first = False
            return
        print(f"{PROG}: {progress_line(summary, in_flight)}", file=self._err, flush=True)

    def close(self) -> None:
        pass


class LiveProgress:
    """A block redrawn in place four times a second on a terminal."""

    interval = 0.25

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._live: Live | None = None
        self.last: BatchSummary | None = None

    def warn(self, message: str) -> None:
        console = self._console()
        console.print(f"[yellow]{PROG}: warning:[/] {message}", highlight=False)

    def _console(self) -> Console:
        if self._live is not None:
            return self._live.console
        from rich.console import Console

        return Console(file=self._err)

    def update(self, summary: BatchSummary, in_flight: int) -> None:
        self.last = summary
        if self._live is None:
            from rich.live import Live

            self._live = Live(console=self._console(), auto_refresh=False, transient=False)
            self._live.start()
        self._live.update(_view(summary, in_flight), refresh=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _view(summary: BatchSummary, in_flight: int) -> Any:
    from rich.console import Group
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    finished = summary.skipped + summary.done
    counts, rates, times = progress_parts(summary, in_flight)
    first = Table.grid(padding=(0, 1))
    first.add_row(ProgressBar(total=max(summary.total, 1), completed=finished, width=30), Text(counts))
    return Group(first, Text(rates), Text(times))


def print_summary(summary: BatchSummary, output: str, err: TextIO) -> None:
    """The table at the end: counts, tokens, percentiles, retries by cause; then where the failures are."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=err, highlight=False)
    table = Table(title=f"{PROG} batch: {output}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("requests", f"{summary.total} in the input")
    table.add_row("answered before", str(summary.skipped))
    table.add_row("succeeded", str(summary.succeeded))
    table.add_row("failed", str(summary.failed) + _by(summary.failures))
    table.add_row("tokens", f"{summary.prompt_tokens} prompt · {summary.completion_tokens} completion")
    table.add_row("time", f"{_clock(summary.elapsed)} · {summary.rate():.1f} requests/s")
    for name, percentile in (
        ("time to first token", summary.time_to_first_token),
        ("duration", summary.duration),
    ):
        table.add_row(name, " · ".join(f"p{q} {_seconds(percentile(q))}" for q in (50, 90, 95, 99)))
    table.add_row("retries", str(sum(summary.retries.values())) + _by(summary.retries))
    console.print(table)
    if summary.failed:
        named = ", ".join(summary.failed_ids) + (" …" if summary.failed > len(summary.failed_ids) else "")
        console.print(
            f"{summary.failed} request(s) failed: their lines in {output} have an error ({named}); "
            "run the same command again to retry them."
        )


def _by(counts: Any) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{cause}: {n}" for cause, n in counts.most_common()) + ")"
