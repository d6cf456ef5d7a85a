"""A list of findings that keeps memory bounded: past a limit, findings go to a temporary file.

At 10^7 records a near-duplicate-heavy dataset has more findings than records (every copy of a text is one),
and a `Finding` costs ~270 bytes in memory: 12M of them are ~3 GiB in the driver, on top of everything a
validator's `finish` needs.  A `FindingLog` holds the first `limit` findings in memory and appends the rest,
in blocks, to a file in a temporary directory (as plain tuples, pickled), so a validator can report ten
million findings in a few hundred MiB.  Reading it (`iter`, `len`, indexing, `==`) is the same as reading a
list, in the order the findings were added; iterating a spilled log reads its blocks back one at a time.

Validators and runners that can produce a finding per record use it (the streaming runner's merges, dedup,
seed_copy, contamination); a plain `list` is still a valid `ValidatorResult.findings`.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, overload

from synthspec.diagnostics import Severity
from synthspec.validate.api import Finding

MEMORY_LIMIT = 250_000  # findings kept in memory per log before it spills (~70 MiB)
BLOCK = 50_000  # findings per spilled block (what one read-back holds at a time)

_Row = tuple[Any, ...]


def _row(f: Finding) -> _Row:
    return (f.validator, f.severity.value, f.message, f.record_index, f.record_id, f.field, f.value,
            f.threshold, f.code)


_SEVERITY = {s.value: s for s in Severity}


def _finding(row: _Row) -> Finding:
    validator, severity, message, index, rid, fld, value, threshold, code = row
    return Finding(validator, _SEVERITY[severity], message, index, rid, fld, value, threshold, code)


class FindingLog(Sequence[Finding]):
    """Findings in the order they were added: the first `limit` in memory, the rest spilled to disk."""

    def __init__(self, items: Iterable[Finding] = (), limit: int | None = None) -> None:
        self.limit = MEMORY_LIMIT if limit is None else limit
        self._head: list[Finding] = []
        self._buffer: list[_Row] = []  # findings past the limit, not yet written
        self._blocks: list[tuple[int, int]] = []  # (offset, length) of each pickled block in the file
        self._spilled = 0  # findings written to the file
        self._file: Any = None
        self._dir: str | None = None
        self.extend(items)

    # -- adding ------------------------------------------------------------------------------------------
    def append(self, finding: Finding) -> None:
        if len(self._head) < self.limit:
            self._head.append(finding)
            return
        self._buffer.append(_row(finding))
        if len(self._buffer) >= BLOCK:
            self._flush()

    def extend(self, findings: Iterable[Finding]) -> None:
        if findings is self:
            findings = list(findings)
        for f in findings:
            self.append(f)

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._file is None:
            self._dir = tempfile.mkdtemp(prefix="synthspec-findings-")
            self._file = open(os.path.join(self._dir, "findings.pickle"), "w+b")  # noqa: SIM115 (kept open)
            weakref.finalize(self, _remove, self._file, self._dir)
        data = pickle.dumps(self._buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, os.SEEK_END)
        self._blocks.append((self._file.tell(), len(data)))
        self._file.write(data)
        self._spilled += len(self._buffer)
        self._buffer = []

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def spilled(self) -> int:
        """How many findings are on disk rather than in memory."""
        return self._spilled + len(self._buffer)

    def __len__(self) -> int:
        return len(self._head) + self._spilled + len(self._buffer)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __reduce__(self) -> tuple[Any, ...]:  # sent to another process: the findings travel, not the file
        return (FindingLog, (list(self), self.limit))

    def __iter__(self) -> Iterator[Finding]:
        yield from self._head
        if self._blocks:
            self._file.flush()
            for offset, length in list(self._blocks):
                self._file.seek(offset)
                for row in pickle.loads(self._file.read(length)):
                    yield _finding(row)
        for row in list(self._buffer):
            yield _finding(row)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...
    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step > 0 and stop <= len(self._head):
                return self._head[index]
            return list(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("finding index out of range")
        if index < len(self._head):
            return self._head[index]
        return next(islice(self, index, None))  # on disk: read up to it

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (list, FindingLog)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def sort(self, *, key: Callable[[Finding], Any] | None = None, reverse: bool = False) -> None:
        """Sort in place (a spilled log is read back whole to sort, then spilled again)."""
        items = sorted(self, key=key, reverse=reverse)  # type: ignore[arg-type]
        self._reset()
        self.extend(items)

    def _reset(self) -> None:
        self._head, self._buffer, self._blocks, self._spilled = [], [], [], 0
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()

    def __repr__(self) -> str:
        return f"FindingLog({len(self)} findings, {self.spilled} on disk)"


def gather(parts: Iterable[Iterable[Finding]]) -> FindingLog:
    """The findings of `parts` in order, as one log (the first part is extended in place when it is a log).

    For `merge`s that concatenate findings: merging the merged log with eight new parts again and again must
    not copy it each time.
    """
    log: FindingLog | None = None
    for part in parts:
        if log is None:
            log = part if isinstance(part, FindingLog) else FindingLog(part)
        else:
            log.extend(part)
    return log if log is not None else FindingLog()


def _remove(handle: Any, directory: str) -> None:
    handle.close()
    shutil.rmtree(directory, ignore_errors=True)


__all__ = ["BLOCK", "MEMORY_LIMIT", "FindingLog", "gather"]
