"""A batch's output file: what an earlier run left, appended to as results come, made whole at the end.

While a run goes, each result is appended as one line with one ``write`` (``O_APPEND``), so a
``kill -9`` loses at most the requests in flight and can tear only the last line. The next
run repairs that line, keeps every 2xx answer and sends the rest again; when a run ends, the
lines a retry superseded go in one atomic rewrite (``--ordered``: into input order), leaving
exactly one line per input ``custom_id`` — plus lines of ``custom_id``s not in the input,
kept as they were.

Per input ``custom_id`` one small int is kept (``ids``): whether a 2xx line exists, whether
one was kept by the rewrite, and how many lines it has.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from ._results import BatchResult, output_line

__all__ = ["OutputFile", "OutputScan"]

_OK = 1  # a 2xx line exists
_KEPT = 2  # the rewrite kept a line already
_ONE = 4  # one line more (the count is value >> 2)


class _SeenResponse(msgspec.Struct):
    status_code: int | None = None


class _Seen(msgspec.Struct):
    custom_id: str
    response: _SeenResponse | None = None
    error: msgspec.Raw = msgspec.Raw(b"null")  # a union with Raw cannot be decoded


_decoder = msgspec.json.Decoder(_Seen)


def _read(line: bytes) -> tuple[str, bool] | None:
    """A line's custom_id and whether it is a success (a 2xx, no error); ``None`` if unreadable."""
    try:
        seen = _decoder.decode(line)
    except msgspec.DecodeError:
        return None
    status = None if seen.response is None else seen.response.status_code
    failed = bytes(seen.error).strip() != b"null"
    return seen.custom_id, status is not None and 200 <= status < 300 and not failed


@dataclass
class OutputScan:
    """What an earlier run left in the output file."""

    lines: int = 0
    succeeded: int = 0
    failed: int = 0
    foreign: int = 0  # lines of custom_ids not in the input (kept)
    unreadable: int = 0  # lines that are not a result (dropped by the rewrite)
    torn: bool = False  # the last line was cut short (by a kill): removed


class OutputFile:
    """The output file of one run; ``ids`` are the input's ``custom_id``s (from ``check_input_file``)."""

    def __init__(self, path: str | os.PathLike[str], ids: dict[str, int]) -> None:
        self.path = os.fspath(path)
        self.ids = ids
        self._fd: int | None = None
        # lines to drop at the end: superseded by a later one for the same custom_id, or unreadable
        self._superseded = 0
        self._unreadable = 0
        self._earlier = 0

    def done(self, custom_id: str) -> bool:
        """Whether ``custom_id`` has a 2xx line (it is not sent again)."""
        return bool(self.ids.get(custom_id, 0) & _OK)

    def __contains__(self, custom_id: object) -> bool:
        return isinstance(custom_id, str) and self.done(custom_id)

    def scan(self, warn: Callable[[str], None]) -> OutputScan:
        """Read what an earlier run left: repair a torn last line, count what is done."""
        found = OutputScan()
        try:
            file = open(self.path, "r+b")  # noqa: SIM115  (closed below, after truncating)
        except FileNotFoundError:
            return found
        with file:
            offset = 0
            for data in file:
                start, offset = offset, offset + len(data)
                if not data.endswith(b"\n"):  # the last line, cut short by a kill: sent again instead
                    file.truncate(start)
                    found.torn = True
                    break
                seen = _read(data)
                if seen is None:
                    found.unreadable += 1
                    continue
                found.lines += 1
                custom_id, ok = seen
                state = self.ids.get(custom_id)
                if state is None:
                    found.foreign += 1
                    continue
                if state >= _ONE:
                    self._superseded += 1
                self.ids[custom_id] = (state + _ONE) | (_OK if ok else 0)
        self._unreadable = found.unreadable
        self._earlier = found.lines
        found.succeeded = sum(1 for state in self.ids.values() if state & _OK)
        found.failed = sum(1 for state in self.ids.values() if state and not state & _OK)
        if found.foreign:
            warn(f"{self.path} has {found.foreign} line(s) for custom_ids not in the input: kept as they are")
        if found.unreadable:
            warn(f"{self.path} has {found.unreadable} line(s) that are not results: they will be dropped")
        if found.torn:
            warn(f"{self.path} ended in a line cut short (a killed run): removed, its request is sent again")
        return found

    def open(self) -> None:
        """Open for appending (created if missing)."""
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, result: BatchResult) -> None:
        """Append ``result``'s line in one write: whole on disk, or (killed mid-write) torn last."""
        assert self._fd is not None
        os.write(self._fd, output_line(result))
        state = self.ids.get(result.custom_id, 0)
        if state >= _ONE:
            self._superseded += 1
        self.ids[result.custom_id] = (state + _ONE) | (_OK if result.ok else 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def finish(self, *, ordered: bool) -> int:
        """Drop superseded lines (``ordered``: and put the lines in input order); how many were dropped.

        Call it once every input ``custom_id`` has a line. Nothing is rewritten when nothing
        would change.
        """
        dropped = self._superseded + self._unreadable
        if not dropped and not (ordered and self._earlier):
            return 0
        temporary = f"{self.path}.rewrite-{os.getpid()}"
        with open(self.path, "rb") as source, open(temporary, "wb") as target:
            if ordered:
                self._write_ordered(source, target)
            else:
                for data in source:
                    if self._keep(data) is not None:
                        target.write(data)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, self.path)
        return dropped

    def _keep(self, data: bytes) -> str | None:
        """The custom_id of a line the rewrite keeps ("" for a foreign one); ``None`` to drop it."""
        seen = _read(data)
        if seen is None:
            return None
        custom_id, ok = seen
        state = self.ids.get(custom_id)
        if state is None:
            return ""
        if state & _OK:  # the first 2xx line, and no other
            if not ok or state & _KEPT:
                return None
            self.ids[custom_id] = state | _KEPT
            return custom_id
        state -= _ONE  # no 2xx: the last line
        self.ids[custom_id] = state
        return custom_id if state < _ONE else None

    def _write_ordered(self, source: io.BufferedReader, target: io.BufferedWriter) -> None:
        """The kept lines in input order, then the foreign ones in file order."""
        offsets: dict[str, int] = {}
        foreign: list[int] = []
        offset = 0
        for data in source:
            custom_id = self._keep(data)
            if custom_id == "":
                foreign.append(offset)
            elif custom_id is not None:
                offsets[custom_id] = offset
            offset += len(data)
        for custom_id in self.ids:
            at = offsets.get(custom_id)
            if at is not None:
                source.seek(at)
                target.write(source.readline())
        for at in foreign:
            source.seek(at)
            target.write(source.readline())
