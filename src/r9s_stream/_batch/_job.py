"""A batch from file to file: check the input, resume from the output, run, make the output whole.

``run_batch_file`` is what ``r9s-stream batch`` runs (``AsyncClient.batch_file`` hands it the
client's ``batch``): nothing is sent unless every input line is valid; lines already answered
with a 2xx are not sent again; results are appended as they come; at the end the output
holds one line per input ``custom_id``. A cancelled run (Ctrl-C) keeps what finished and
leaves the rest to the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import anyio

from .._exceptions import BatchInputError
from ._input import check_input_file, read_requests
from ._output import OutputFile
from ._requests import BatchRequest
from ._run import BatchRun
from ._summary import BatchSummary

__all__ = ["BatchProgress", "run_batch_file"]

StartBatch = Callable[..., BatchRun]
"""``client.batch``: starts a run of requests with the options given."""


class BatchProgress(Protocol):
    """Shown while a batch file runs: a live view, a line every few seconds, or nothing."""

    interval: float
    """Seconds between two ``update`` calls."""

    def warn(self, message: str) -> None:
        """Something the user should know (a torn line repaired, foreign lines kept …)."""

    def update(self, summary: BatchSummary, in_flight: int) -> None:
        """The run so far."""


async def run_batch_file(
    start_batch: StartBatch,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    ordered: bool = False,
    progress: BatchProgress | None = None,
    on_invalid: Callable[[BatchInputError], None] | None = None,
    **options: Any,
) -> BatchSummary:
    """Run the requests of ``input_path`` into ``output_path``; return the run's summary.

    ``options`` go to ``start_batch`` (``concurrency``, ``rpm``, ``tpm``, ``max_retries`` …).
    Raises ``BatchInputError`` (each bad line handed to ``on_invalid`` first) before sending
    anything if a line is not valid.
    """
    ids = check_input_file(input_path, on_invalid)
    output = OutputFile(output_path, ids)
    scan = output.scan(progress.warn if progress is not None else _ignore)
    summary = BatchSummary(total=len(ids), skipped=scan.succeeded)
    requests: Iterable[BatchRequest] = read_requests(input_path, output)
    output.open()
    try:
        async with (
            start_batch(requests, ordered=ordered, **options) as run,
            anyio.create_task_group() as group,
        ):
            if progress is not None:
                group.start_soon(_show, progress, summary, run)
            async for result in run:
                output.write(result)
                summary.add(result)
            group.cancel_scope.cancel()
    except BaseException:
        summary.interrupted = True
        raise
    finally:
        output.close()
        summary.end()
    output.finish(ordered=ordered)
    return summary


async def _show(progress: BatchProgress, summary: BatchSummary, run: BatchRun) -> None:
    while True:
        progress.update(summary, run.in_flight)
        await anyio.sleep(progress.interval)


def _ignore(message: str) -> None:
    pass
