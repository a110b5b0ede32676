"""``r9s_stream.ray``: a Ray dataset of OpenAI Batch requests, streamed by many streams on every worker.

```python
import ray, r9s_stream.ray
ds = ray.data.read_json("requests.jsonl")          # custom_id, body (method, url optional)
out = r9s_stream.ray.complete(ds, base_url=URL, api_key=KEY, workers=8,
                              streams_per_worker=256, rpm=10_000, tpm=2_000_000)
out.write_json("results/")
```

Each worker is an actor of a Ray Data actor pool (``map_batches`` with a callable class,
so the client and its connections live as long as the actor, not one batch). It runs its
own event loop in a thread with ONE ``AsyncClient`` and one batch run (``client.batch``)
that every batch Ray hands it feeds, so up to ``streams_per_worker`` streams stay busy while
Ray's batches come and go. Its ``__call__`` is asynchronous and the actor takes several
blocks at once, so Ray hands it many batches together. A worker reserves a quarter of a CPU:
the waiting is network, and two workers on a 2-CPU machine must not starve Ray Data's own
read tasks.

The rate limit is the job's: one small actor holds the RPM / TPM buckets and the server's
pauses, and each worker asks it for the requests waiting in that worker together
(``_batch/_shared_limits.py``), so the limit holds across all workers, spread evenly, and a
429's wait reaches every one of them. Output rows have the columns of ``OUTPUT_COLUMNS``; a
request that failed is a row with its error, and the job goes on.

This module is the only one that imports ``ray`` (the ``ray`` extra); nothing imports it.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio.from_thread
import pyarrow as pa
import ray
import ray.data

from ._batch._feed import BatchFeed
from ._batch._ray_rows import OUTPUT_COLUMNS, input_error_row, request_of_row, result_row
from ._batch._requests import BatchRequest
from ._batch._run import BatchRun
from ._batch._shared_limits import JobLimits, PooledLimiter
from ._client._client import AsyncClient
from ._exceptions import BatchInputError

__all__ = ["OUTPUT_COLUMNS", "WORKER_CPUS", "complete"]

WORKER_CPUS = 0.25
"""The CPU each worker reserves: its work is waiting on the network."""

_BLOCKS_AT_ONCE = 16

_TYPES = {
    "custom_id": pa.string(),
    "status_code": pa.int64(),
    "body": pa.string(),
    "error": pa.string(),
    "prompt_tokens": pa.int64(),
    "completion_tokens": pa.int64(),
    "time_to_first_token": pa.float64(),
    "duration": pa.float64(),
}
# Stated, not inferred: a block whose rows all lack a value still has the same column types.
_SCHEMA = pa.schema([(name, _TYPES[name]) for name in OUTPUT_COLUMNS])


def complete(
    dataset: ray.data.Dataset,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    workers: int = 1,
    streams_per_worker: int = 256,
    rpm: float | None = None,
    tpm: float | None = None,
    max_retries: int = 2,
    **client_options: Any,
) -> ray.data.Dataset:
    """Stream every request of ``dataset``; a dataset of one output row per input row (lazy, as Ray's are).

    ``dataset`` rows are OpenAI Batch input lines: ``custom_id``, ``body`` (a struct or JSON
    text; a struct's null-valued keys are dropped), optionally ``method`` (POST) and ``url``
    (the endpoint). ``workers`` actors each run up to ``streams_per_worker`` streams at once
    on one ``AsyncClient(api_key=..., base_url=..., **client_options)``; ``rpm`` / ``tpm``
    hold for the whole job. A request is sent again up to ``max_retries`` times after a
    connect error, a 408/409/429/5xx answer or a stream that broke. The output's columns are
    ``OUTPUT_COLUMNS``: ``custom_id``, ``status_code``, ``body`` (JSON text of the rebuilt
    completion, of the partial one, or the server's error body), ``error`` (JSON text
    ``{"code", "message"}`` or null), ``prompt_tokens``, ``completion_tokens``,
    ``time_to_first_token`` and ``duration`` (seconds). Row order is not kept.
    """
    for name, value in (("workers", workers), ("streams_per_worker", streams_per_worker)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {max_retries}")
    for name, limit in (("rpm", rpm), ("tpm", tpm)):
        if limit is not None and not limit > 0:
            raise ValueError(f"{name} must be a positive number per minute or None, got {limit}")
    # A wrong option fails here, on the driver, not later inside every worker.
    inspect.signature(AsyncClient).bind(api_key, base_url, **client_options)
    settings = _Settings(
        # The workers may run on other machines, whose environment is not the driver's.
        base_url=base_url if base_url is not None else os.environ.get("R9S_BASE_URL"),
        api_key=api_key if api_key is not None else os.environ.get("R9S_API_KEY"),
        streams=streams_per_worker,
        max_retries=max_retries,
        client_options=client_options,
    )
    limits = ray.remote(num_cpus=0)(_LimitsActor).remote(rpm, tpm)
    return dataset.map_batches(
        _Worker,
        fn_constructor_kwargs={"settings": settings, "limits": limits},
        # Within one block Ray runs a few batches of an async callable at once; half the
        # streams each keeps them all busy while one batch waits for its slowest request.
        batch_size=max(1, streams_per_worker // 2),
        batch_format="pyarrow",
        num_cpus=WORKER_CPUS,
        **_actor_pool(workers),
    )


def _actor_pool(workers: int) -> dict[str, Any]:
    """``workers`` actors, each taking several blocks at once (small blocks would leave streams idle).

    Ray 2.5x names the actor's concurrency ``max_concurrent_calls_per_actor``; older Rays
    take it as the ``max_concurrency`` remote argument, which newer ones deprecate.
    """
    parameters = inspect.signature(ray.data.ActorPoolStrategy).parameters
    if "max_concurrent_calls_per_actor" in parameters:
        strategy = ray.data.ActorPoolStrategy(size=workers, max_concurrent_calls_per_actor=_BLOCKS_AT_ONCE)
        return {"compute": strategy}
    return {"compute": ray.data.ActorPoolStrategy(size=workers), "max_concurrency": _BLOCKS_AT_ONCE}


@dataclass(frozen=True)
class _Settings:
    """What each worker builds its client and batch from (sent to the actors)."""

    base_url: str | None
    api_key: str | None = field(repr=False)
    streams: int
    max_retries: int
    client_options: dict[str, Any]


class _LimitsActor:
    """The job's one ``JobLimits``, in an actor of its own (asynchronous: grants wait side by side)."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self._rpm = rpm
        self._tpm = tpm
        self._limits: JobLimits | None = None

    def _job_limits(self) -> JobLimits:
        # Made on the actor's event loop, where its waits run.
        if self._limits is None:
            self._limits = JobLimits(rpm=self._rpm, tpm=self._tpm)
        return self._limits

    async def grant(self, tokens: list[int]) -> int:
        return await self._job_limits().grant(tokens)

    async def settle(self, estimated: int, used: int) -> None:
        self._job_limits().settle(estimated, used)

    async def hold(self, seconds: float) -> None:
        self._job_limits().hold(seconds)


class _RemoteLimits:
    """The limits actor as a worker's ``LimitsService`` (settle and hold are sent, not waited for)."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    async def grant(self, tokens: Sequence[int]) -> int:
        granted: int = await self._actor.grant.remote(list(tokens))
        return granted

    def settle(self, estimated: int, used: int) -> None:
        self._actor.settle.remote(estimated, used)

    def hold(self, seconds: float) -> None:
        self._actor.hold.remote(seconds)


@asynccontextmanager
async def _serve(settings: _Settings, limits: Any) -> AsyncIterator[BatchFeed]:
    """A worker's client and its one batch, fed by every batch of rows Ray hands the worker."""
    limiter = PooledLimiter(_RemoteLimits(limits))
    async with AsyncClient(settings.api_key, settings.base_url, **settings.client_options) as client:

        def start(requests: Any) -> BatchRun:
            return client.batch(
                requests, concurrency=settings.streams, max_retries=settings.max_retries, limiter=limiter
            )

        async with BatchFeed(start) as feed:
            yield feed


class _Worker:
    """One actor of the pool: an event loop in a thread, one client, one batch fed by every call."""

    def __init__(self, settings: _Settings, limits: Any) -> None:
        self._exit = ExitStack()
        portal = self._exit.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        self._feed = self._exit.enter_context(portal.wrap_async_context_manager(_serve(settings, limits)))
        self._portal = portal

    async def __call__(self, batch: pa.Table) -> AsyncIterator[pa.Table]:
        rows: list[dict[str, Any]] = batch.to_pylist()
        out: list[dict[str, Any]] = []
        requests: list[BatchRequest] = []
        places: list[int] = []
        for row in rows:
            try:
                requests.append(request_of_row(row))
            except BatchInputError as error:
                out.append(input_error_row(row, error))
            else:
                places.append(len(out))
                out.append({})
        if requests:
            # Ray awaits on its own loop; the streams run on this worker's loop.
            results = await asyncio.wrap_future(self._portal.start_task_soon(self._feed.run, requests))
            for place, result in zip(places, results, strict=True):
                out[place] = result_row(result)
        yield pa.Table.from_pylist(out, schema=_SCHEMA)

    def __del__(self) -> None:
        # Ray Data drops the actor's callable when the pool shuts down: end the streams, close the client.
        self._exit.close()
