"""Durable, append-only files of a build: the journal of finished records and the rejects ledger.

The journal (`<out>.journal.jsonl`) is the build's source of truth: one line
per finished record with its values, provenance and what it cost in tokens.
Lines are appended a batch at a time with one write, then flushed and fsynced,
so a crash loses at most the batch in flight.  A crash *during* the write can
leave a torn last line; `load` cuts it off, so a resumed build never reads half
a record.  If a write fails (disk full, permissions) the file is cut back to
its last good size and a SynthspecError says why: records already written stay.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from synthspec.diagnostics import SynthspecError


def write_error(path: Path, exc: OSError) -> SynthspecError:
    """A user-facing error for a failed write of a build file."""
    reason = exc.strerror or str(exc)
    return SynthspecError(
        f"cannot write {path}: {reason}",
        code="B010",
        hint="free disk space or choose a writable --out; records already written are kept, "
        "and re-running the same command resumes",
    )


def read_jsonl_tail_safe(path: Path, repair: bool = True) -> list[dict[str, Any]]:
    """Every complete JSON line of `path`; a torn or corrupt trailing part is cut off (when `repair`)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    rows: list[dict[str, Any]] = []
    good = 0
    position = 0
    while position < len(data):
        end = data.find(b"\n", position)
        if end < 0:
            break  # no newline: a torn last line
        line = data[position:end]
        try:
            row = json.loads(line) if line.strip() else None
        except ValueError:
            break  # a corrupt line: everything from here on is suspect
        if row is not None:
            rows.append(row)
        position = end + 1
        good = position
    if good < len(data) and repair:
        try:
            with open(path, "r+b") as handle:
                handle.truncate(good)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise write_error(path, exc) from None
    return rows


class AppendFile:
    """An append-only file written in whole batches: one write, flush, fsync."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, payload: bytes) -> None:
        """Append `payload` durably, or leave the file exactly as it was and raise."""
        if not payload:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise write_error(self.path, exc) from None
        try:
            start = os.fstat(fd).st_size
            try:
                view = memoryview(payload)
                while view:  # os.write may write less than asked (e.g. at a size limit)
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except OSError as exc:
                try:
                    os.ftruncate(fd, start)  # leave the file exactly as it was
                except OSError:
                    pass
                raise write_error(self.path, exc) from None
        finally:
            os.close(fd)

    def append_lines(self, rows: list[dict[str, Any]]) -> None:
        """Append JSON objects, one per line."""
        self.append(b"".join(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n" for row in rows))
