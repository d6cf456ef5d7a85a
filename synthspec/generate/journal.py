"""Durable, append-only files of a build: the journal of finished records and the rejects ledger.

The journal (`<out>.journal.jsonl`) is the build's source of truth: one line
per finished record with its values, provenance and what it cost in tokens.
Lines are appended a batch at a time with one write, then flushed and fsynced,
so a crash loses at most the work in flight.  A crash *during* the write can
leave a torn last line; `read_jsonl_tail_safe` cuts it off, so a resumed build
never reads half a record; damage anywhere else is an error, never a silent cut.  If a write fails (disk full, permissions) the file is cut back to
its last good size and a SynthspecError says why: records already written stay.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError


def write_error(path: Path, exc: OSError) -> SynthspecError:
    """A user-facing error for a failed write of a build file."""
    reason = exc.strerror or str(exc)
    return SynthspecError(
        f"cannot write {path}: {reason}",
        code=codes.BUILD_WRITE_FAILED,
        hint="free disk space or choose a writable --out; records already written are kept, "
        "and re-running the same command resumes",
    )


def unreadable_error(path: Path, line: int, reason: str) -> SynthspecError:
    """A clear error for a build file damaged somewhere other than its last line."""
    return SynthspecError(Diagnostic(
        code=codes.BUILD_FILE_DAMAGED,
        message=f"line {line} of {path.name} is unreadable ({reason}) and is not the last line, so it is not "
                "a torn write",
        hint="the file was changed by something other than synthspec; restore it, delete that line by hand, "
             "or re-run with --force to start the build over",
        file=str(path), line=line, column=1,
    ))


def read_jsonl_tail_safe(path: Path, repair: bool = True) -> list[dict[str, Any]]:
    """Every JSON line of `path`; a torn last line (a crash mid-write) is cut off when `repair`.

    Only the end of the file may be damaged by a crash: one write per batch,
    appended, so a torn write leaves a partial last line (possibly padded with
    NUL bytes by the file system).  Anything unreadable *before* a good line
    is not a torn write but damage, and raises `B012` instead of silently
    dropping the records after it.
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    rows: list[dict[str, Any]] = []
    good = 0
    position = 0
    number = 0
    bad: tuple[int, str] | None = None  # the first unreadable line (number, reason)
    while position < len(data):
        end = data.find(b"\n", position)
        torn = end < 0
        line = data[position:] if torn else data[position:end]
        number += 1
        stripped = line.strip().strip(b"\x00")
        row = None
        reason = "a torn write" if torn else ""
        if stripped and not torn:
            try:
                row = json.loads(stripped)
            except ValueError as exc:
                reason = f"not JSON: {exc}"
            else:
                if not isinstance(row, dict):
                    row, reason = None, "not a JSON object"
        if torn or (stripped and row is None):
            if bad is None:
                bad = (number, reason)
            if torn:
                break
            position = end + 1
            continue
        if stripped and bad is not None:  # a readable line after an unreadable one: damage, not a tear
            raise unreadable_error(path, *bad)
        if row is not None:
            rows.append(row)
        position = end + 1
        if bad is None:
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


def fsync_dir(path: Path) -> None:
    """Make a new or renamed directory entry durable (POSIX: fsync the folder itself)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # platforms that cannot open a folder (Windows) have no such step
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise write_error(self.path, exc) from None
        if created:
            fsync_dir(self.path.parent)  # the new file's name survives a power cut too
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
