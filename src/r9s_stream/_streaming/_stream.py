"""The stream engine: one async stream of typed events, for any wire kind.

It reads the body, runs the three deadlines, notices the body's end, turns every failure into
a ``StreamError`` carrying the object rebuilt so far, closes on every exit path (``async
with``, ``break``, an error, a cancellation), keeps the stats and tells the observer. What
the bytes mean is the kind's: a ``Decoder`` and a ``Fold`` (see ``_kind``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Sequence
from time import perf_counter
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, cast

import anyio

from .._exceptions import OUTPUT_ERRORS, IncompleteStreamError, OutputError, StreamError, StreamTimeoutError
from .._http._body import body_reader
from .._http._checks import request_id_of
from .._http._close import close_response
from .._http._errors import stream_failure
from .._http._redact import redact_error
from ._body_end import drain, incomplete_message
from ._deadlines import Deadlines
from ._stats import StreamStats

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._http._types import HTTPResponse
    from ._kind import Decoder, Fold
    from ._observer import CallObserver

__all__ = ["PROBE_COMMENT", "PROBE_HEADER", "Stream"]

# The r9s gateway's probe: this request header asks for this comment (r9s-python's stream_timing).
PROBE_HEADER = "X-NextRouter-SSE-Probe"
PROBE_COMMENT = b": R9S PROCESSING"

EventT = TypeVar("EventT")
SnapshotT = TypeVar("SnapshotT")

_NO_EVENTS: list[Any] = []


class Stream(Generic[EventT, SnapshotT]):
    """Typed events of one streamed answer, rebuilt into ``snapshot`` as they come.

    Use it as ``async with … as stream: async for event in stream``: leaving the block (at
    the end, on ``break``, on an error or on cancellation) closes the response. Every error
    raised after the stream started is a ``StreamError`` whose ``partial`` holds what had
    arrived.
    """

    def __init__(
        self,
        response: HTTPResponse,
        decoder: Decoder[EventT],
        fold: Fold[EventT, SnapshotT],
        *,
        accumulate: bool = True,
        parses: bool = False,
        first_token_timeout: float | None = None,
        idle_timeout: float | None = None,
        total_timeout: float | None = None,
        started_at: float | None = None,
        secret: str | None = None,
        telemetry: CallObserver | None = None,
    ) -> None:
        self.response = response
        self.stats = StreamStats(started_at)
        self._decoder = decoder
        self._fold = fold
        self._accumulate = accumulate  # else the fold only counts: there is no snapshot
        # A fold that parses may raise after a batch: it never takes the one-event path.
        self._parses = parses
        self._secret = secret
        self._telemetry = telemetry
        self._exit_error: BaseException | None = None  # what left the `async with` block, if anything
        self._iterator = self._new_iterator()
        self._reader: AsyncIterator[bytes] | None = None
        self._failure: StreamError | OutputError | None = None
        self._closed = False
        self._timed = not (first_token_timeout is None and idle_timeout is None and total_timeout is None)
        self._deadlines = Deadlines(first_token_timeout, idle_timeout, total_timeout) if self._timed else None
        # The r9s gateway answers its probe header with a `: R9S PROCESSING` comment before the
        # upstream's first byte: its time is looked for in the careful reads until data comes.
        self._probing = _asks_probe(response)
        self._careful = self._timed or self._probing  # the loops' short path is not for these reads
        self._tracked: list[AsyncGeneratorType[Any, None]] = []  # closed by aclose()

    # --- what the user reads -------------------------------------------------------------

    @property
    def snapshot(self) -> SnapshotT:
        """The object rebuilt from every event received so far."""
        if not self._accumulate:
            raise RuntimeError("this stream was opened with accumulate=False")
        return self._fold.snapshot

    @property
    def usage(self) -> Any:
        """Token usage as the server reported it, or ``None`` if it has not (yet)."""
        return self._fold.usage

    @property
    def done(self) -> bool:
        """True once the stream's end has been received: the answer is whole."""
        return self._decoder.done

    async def until_done(self) -> SnapshotT:
        """Read the rest of the stream; return the whole rebuilt object."""
        async for _ in self:
            pass
        return self.snapshot

    # --- iteration -----------------------------------------------------------------------

    def __aiter__(self) -> AsyncGeneratorType[EventT, None]:
        # One async generator for the stream's life: resuming a generator costs about half
        # of calling an `async def __anext__`, and a second `async for` (after a `break`)
        # continues where the first stopped. It holds no resource: closing is aclose()'s job.
        iterator = self._iterator
        if iterator.ag_frame is None:
            # It ended: a new one ends at once, or raises the stream's failure again.
            iterator = self._iterator = self._new_iterator()
        return iterator

    def __anext__(self) -> Awaitable[EventT]:
        return self.__aiter__().__anext__()

    def _new_iterator(self) -> AsyncGeneratorType[EventT, None]:
        # typeshed's AsyncGenerator lacks ag_frame / ag_running, which the real object has.
        return cast("AsyncGeneratorType[EventT, None]", self._iterate())

    async def _iterate(self) -> AsyncGenerator[EventT, None]:
        # The common read (the body open, no timeout set, nothing pending) is made here, not
        # through _next_events() and _read(): two coroutine layers per read cost ~2,600
        # instructions, an eighth of what the hand-rolled limit spends on a one-event read.
        decoder = self._decoder
        feed = decoder.feed
        stats = self.stats
        add = None if self._parses else self._fold.add
        while True:
            reader = self._reader
            if reader is None or self._careful or self._failure is not None or decoder.done or self._closed:
                events = await self._next_events()
                if events is None:
                    return
            else:
                events = _NO_EVENTS  # not kept alive over the wait
                try:
                    data = await reader.__anext__()
                except StopAsyncIteration:
                    events = self._body_ended()
                except Exception as exc:
                    await self._read_failed(exc)
                else:
                    events = feed(data)
                if decoder.error is not None:
                    self._failure = decoder.error
                if not events:
                    continue
                if add is not None and len(events) == 1 and stats.first_token_at is not None:
                    # One event, after the first token: all _take() would do is count and fold.
                    stats.chunks += 1
                    add(events[0])
                    yield events[0]
                    continue
                self._take(events)
            for event in events:
                yield event

    def _track(self, iterator: AsyncGenerator[Any, None]) -> AsyncGeneratorType[Any, None]:
        """Keep an iterator over this stream so that aclose() closes it, not the garbage collector."""
        generator = cast("AsyncGeneratorType[Any, None]", iterator)
        self._tracked.append(generator)
        return generator

    def _take(self, events: Sequence[EventT]) -> None:
        """Count and fold the events of one read; note the first event and the first token."""
        stats = self.stats
        stats.chunks += len(events)
        if stats.first_chunk_at is None:
            stats.first_chunk_at = perf_counter()
        fold = self._fold
        if not self._parses:
            if len(events) == 1:  # one event per read, as live servers send: no batch set-up
                fold.add(events[0])
            else:
                fold.add_many(events)
        else:
            try:
                fold.add_many(events)
            except OUTPUT_ERRORS as error:
                # Raised at the next read: this read's events are handed out first.
                if self._failure is None:
                    self._failure = error
        if stats.first_token_at is None and fold.has_output():
            stats.first_token_at = perf_counter()

    async def _next_events(self) -> list[EventT] | None:
        """The next batch of events (folded), or ``None`` at the end; raises a pending failure."""
        decoder = self._decoder
        while True:
            if self._failure is not None:
                await self._fail(self._failure)
            if decoder.done or self._closed:
                if not self._closed and self._reader is not None:
                    await drain(self._reader)
                await self.aclose()
                return None
            data = await self._read()
            events = self._body_ended() if data is None else decoder.feed(data)
            if decoder.error is not None:
                self._failure = decoder.error
            if events:
                self._take(events)
                return events

    def _body_ended(self) -> list[EventT]:
        """At the end of the body: a last unterminated event, and the failure if the end never came."""
        decoder = self._decoder
        events = decoder.finish()
        if not decoder.stopped:
            self._failure = IncompleteStreamError(
                incomplete_message(self.stats, decoder.missing_end(self.stats.chunks + len(events)))
            )
        return events

    async def _read(self) -> bytes | None:
        """The next bytes of the body, or ``None`` at its end."""
        reader = self._reader
        if reader is None:
            reader = self._reader = body_reader(self.response)
        try:
            if self._deadlines is not None:
                with anyio.fail_after(self._deadlines.delay(self.stats)):
                    data = await reader.__anext__()
            else:
                data = await reader.__anext__()
        except StopAsyncIteration:
            return None
        except Exception as exc:
            await self._read_failed(exc)
        if self.stats.first_byte_at is None:
            self.stats.first_byte_at = perf_counter()
        if self._probing:
            self._probe(data)
        return data

    def _probe(self, data: bytes) -> None:
        """Note when the gateway's probe comment came; stop looking once data has."""
        if data.find(PROBE_COMMENT) >= 0:
            self.stats.gateway_at = perf_counter()
        elif data.find(b"data:") < 0:
            return  # keep-alive comments, headers of events: the probe may still come
        self._probing = False
        self._careful = self._timed

    async def _read_failed(self, exc: Exception) -> NoReturn:
        """Raise what a failed read means: a timeout or a broken stream, else ``exc`` itself."""
        if isinstance(exc, TimeoutError):  # a limit of ours ran out, or the stack's own read timeout
            deadlines = self._deadlines
            message = (
                f"the server stopped sending: {exc!r}" if deadlines is None else deadlines.message(self.stats)
            )
            await self._fail(StreamTimeoutError(message))
        failure = stream_failure(exc)  # whichever HTTP stack raised it: mapped in _http
        if failure is not None:
            await self._fail(*failure)
        raise exc

    # --- closing -------------------------------------------------------------------------

    def _attach(self, error: StreamError | OutputError) -> None:
        """Give a stream error the object rebuilt so far (a kind may name it once more)."""
        if isinstance(error, StreamError):
            if error.partial is None and self._accumulate:
                error.partial = self._fold.snapshot
            if error.request_id is None:
                error.request_id = request_id_of(self.response.headers)

    async def _fail(self, error: StreamError | OutputError, cause: BaseException | None = None) -> NoReturn:
        """Close, attach what was received, and raise ``error``."""
        self._failure = error
        await self.aclose()
        self._attach(error)
        redact_error(error, self._secret)  # a server may echo the API key in what it sends
        if cause is not None:
            raise error from cause
        raise error

    async def aclose(self) -> None:
        """Close the response (and its connection, unless fully read). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        fold = self._fold
        if self.stats.finished_at is None:
            self.stats.finish(fold.output_tokens, fold.output_pieces())
        if self._telemetry is not None:
            snapshot = fold.snapshot if self._accumulate else None
            self._telemetry.stream_closed(self, snapshot, self._failure or self._exit_error)
        # Shielded: closing must finish even when we are here because of a cancellation.
        with anyio.CancelScope(shield=True):
            if not self._iterator.ag_running:  # not when the iterator itself is closing us
                await self._iterator.aclose()
            for iterator in self._tracked:
                if not iterator.ag_running:
                    await iterator.aclose()
            reader = self._reader
            if reader is not None:
                aclose = getattr(reader, "aclose", None)
                if aclose is not None:
                    await aclose()
            await close_response(self.response)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._exit_error = exc
        await self.aclose()

    def __repr__(self) -> str:
        state = "done" if self.done else "closed" if self._closed else "open"
        return f"<{type(self).__name__} {state} events={self.stats.chunks} url={self.response.url}>"


def _asks_probe(response: HTTPResponse) -> bool:
    """Whether the request of ``response`` carried the r9s gateway's probe header."""
    try:
        request = response.request
    except RuntimeError:  # a response made by hand, without its request
        return False
    return PROBE_HEADER in request.headers
