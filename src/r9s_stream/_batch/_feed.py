"""One batch run that keeps taking requests while it runs; callers hand theirs in and get their own back.

A Ray worker receives its rows in many small batches, several at once. Running a separate
batch for each would cap each at its own size and leave streams idle while its slowest
request finishes; one run fed from all of them keeps ``concurrency`` streams busy for as
long as there is work. Each request travels under a ticket of its own (the callers'
``custom_id``s may repeat), and its result comes back to the caller that sent it, renamed.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import msgspec
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._requests import BatchRequest
from ._results import BatchResult

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BatchFeed", "RunStarter"]

RunStarter = Callable[[AsyncIterable[BatchRequest]], AbstractAsyncContextManager[AsyncIterator[BatchResult]]]
"""Starts a batch over the requests given (``lambda requests: client.batch(requests, ...)``)."""


class _Order:
    """One caller's requests: their results in its order, and when the last has come."""

    __slots__ = ("done", "left", "results")

    def __init__(self, count: int) -> None:
        self.results: list[BatchResult | None] = [None] * count
        self.left = count
        self.done = anyio.Event()


class BatchFeed:
    """``async with BatchFeed(start) as feed``: ``await feed.run(requests)`` from any number of tasks."""

    def __init__(self, start: RunStarter) -> None:
        self._start = start
        self._group: TaskGroup | None = None
        self._send: MemoryObjectSendStream[BatchRequest] | None = None
        self._waiting: dict[str, tuple[_Order, int, str]] = {}
        self._tickets = 0
        self._ended = False

    async def __aenter__(self) -> Self:
        send, receive = anyio.create_memory_object_stream[BatchRequest](0)
        self._send = send
        group = self._group = anyio.create_task_group()
        await group.__aenter__()
        ready = anyio.Event()
        group.start_soon(self._deliver, receive, ready)
        await ready.wait()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None
        assert self._send is not None
        self._send.close()  # the run ends once what it has taken is done
        if exc_type is not None:
            self._group.cancel_scope.cancel()
        return await self._group.__aexit__(exc_type, exc, traceback)

    async def run(self, requests: Sequence[BatchRequest]) -> list[BatchResult]:
        """Send ``requests`` through the running batch; their results, in the same order."""
        send = self._send
        if send is None or self._ended:
            raise RuntimeError("the batch feed is not running")
        order = _Order(len(requests))
        tickets: list[str] = []
        try:
            for place, request in enumerate(requests):
                ticket = str(self._tickets)
                self._tickets += 1
                self._waiting[ticket] = (order, place, request.custom_id)
                tickets.append(ticket)
                await send.send(msgspec.structs.replace(request, custom_id=ticket))
            if order.left:
                await order.done.wait()
        finally:
            for ticket in tickets:  # left early: results still coming are dropped
                self._waiting.pop(ticket, None)
        if self._ended and order.left:
            raise RuntimeError("the batch feed stopped before these requests were done")
        return [result for result in order.results if result is not None]

    async def _deliver(self, receive: MemoryObjectReceiveStream[BatchRequest], ready: anyio.Event) -> None:
        try:
            async with receive, self._start(receive) as results:
                ready.set()
                async for result in results:
                    waiter = self._waiting.pop(result.custom_id, None)
                    if waiter is None:
                        continue
                    order, place, custom_id = waiter
                    order.results[place] = msgspec.structs.replace(result, custom_id=custom_id)
                    order.left -= 1
                    if not order.left:
                        order.done.set()
        finally:
            self._ended = True
            ready.set()
            for order, _, _ in self._waiting.values():  # nobody will answer them now
                order.done.set()
