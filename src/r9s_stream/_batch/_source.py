"""The input of a batch run: taken one request at a time by any number of workers, in input order.

The workers take from the input themselves when they are free, with no task in between: a
plain iterable is advanced with ``next()`` (nothing else runs meanwhile), an async one under
a lock (an async generator must not be advanced twice at once), taken without a wait when
free. An input that raises ends the taking: the error is kept for the run to report after
the requests before it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import anyio

from ._requests import BatchRequest, parse_request

__all__ = ["RequestSource", "RequestTaker"]

RequestSource = Iterable[BatchRequest | Mapping[str, Any]] | AsyncIterable[BatchRequest | Mapping[str, Any]]
"""What a batch takes: ``BatchRequest``s or OpenAI Batch input lines as dicts, sync or async."""


class RequestTaker:
    """Hands out the requests of ``requests`` with their place in the input; ``None`` once done.

    ``window`` (ordered runs) is acquired for each request taken; the reader releases it as
    results are handed out in order, so the input runs at most that far ahead of them.
    """

    def __init__(self, requests: RequestSource, window: anyio.Semaphore | None = None) -> None:
        self._sync: Iterator[BatchRequest | Mapping[str, Any]] | None = None
        self._async: AsyncIterator[BatchRequest | Mapping[str, Any]] | None = None
        if isinstance(requests, AsyncIterable):
            self._async = aiter(requests)
            self._lock = anyio.Lock()
        else:
            self._sync = iter(requests)
        self._window = window
        self._ended = False
        self.taken = 0
        """Requests taken so far."""
        self.error: Exception | None = None
        """What the input raised (a line that is not a valid request, say), if it did."""

    async def take(self) -> tuple[int, BatchRequest] | None:
        """The next request and its index, or ``None``: the input is used up (or raised)."""
        window = self._window
        if window is not None:
            await window.acquire()
        try:
            if self._ended:
                raise StopIteration
            if self._sync is not None:
                value = next(self._sync)
            else:
                value = await self._next_async()
            request = parse_request(value)
        except (StopIteration, StopAsyncIteration):
            self._end(None)
            return None
        except Exception as error:  # reported after the results of the requests before it
            self._end(error)
            return None
        index = self.taken
        self.taken += 1
        return index, request

    async def _next_async(self) -> BatchRequest | Mapping[str, Any]:
        assert self._async is not None
        lock = self._lock
        # Uncontended unless the source itself waits: then taking it costs no turn of the loop.
        try:
            lock.acquire_nowait()
        except anyio.WouldBlock:
            await lock.acquire()
        try:
            if self._ended:  # ended while this worker waited for the lock
                raise StopAsyncIteration
            return await anext(self._async)
        finally:
            lock.release()

    def _end(self, error: Exception | None) -> None:
        if not self._ended:
            self._ended = True
            self.error = error
        if self._window is not None:  # nothing was taken with it: the next waiter sees the end
            self._window.release()
