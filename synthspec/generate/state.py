"""The state of one build on disk: its files, the typed lines of its journal and ledger, replay, the lock.

The journal (`<out>.journal.jsonl`) is the source of truth.  Each line is one
of four entries, told apart by `kind` (one schema each):

- `JournalEntry` (`record`): a finished record, its values and provenance;
- `DropEntry` (`drop`): a dataset-level validator removed the record at `index`;
- `GiveUpEntry` (`gave_up`): a record failed every round of one generation;
- `SpentEntry` (`spent`): tokens spent on a record still in flight.

Every entry that carries tokens carries the tokens *not yet counted by an
earlier line*, so the build's token total is the plain sum over the journal:
each token is counted once, whether its record was kept, dropped, given up or
abandoned by a crash or Ctrl-C (then its `spent` line, written with the last
journal write before it, holds the finished generations of the lost work).

Replaying the journal in file order restores the live records, how often each
index was dropped or given up (its *generation*: fresh sub-seeds for the next
try), and the technique's state.  The rejects ledger holds `RejectEntry` lines,
each with a deterministic `key`, so a resumed build that meets the same
rejection again (the same index, round, field and attempt) does not write it twice.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from synthspec import codes
from synthspec.diagnostics import SynthspecError


@dataclass(frozen=True)
class BuildPaths:
    """The files of one build, all next to the output."""

    out: Path

    def _side(self, suffix: str) -> Path:
        return self.out.with_name(self.out.name + suffix)

    @property
    def journal(self) -> Path:
        return self._side(".journal.jsonl")

    @property
    def rejects(self) -> Path:
        return self._side(".rejects.jsonl")

    @property
    def manifest(self) -> Path:
        return self._side(".manifest.json")

    @property
    def lock(self) -> Path:
        return self._side(".lock")

    def all(self) -> tuple[Path, ...]:
        """The files a build owns (the lock is separate: it is held while they change)."""
        return (self.out, self.journal, self.rejects, self.manifest)


# ------------------------------------------------------------------ journal entries


@dataclass
class JournalEntry:
    """A finished record (`record` holds the spec's fields and `_provenance`)."""

    index: int
    record: dict[str, Any]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rejected: int = 0
    seconds: float = 0.0
    kind: str = "record"


@dataclass
class DropEntry:
    """A dataset-level validator removed the record at `index`; `dropped` is how often that happened so far."""

    index: int
    dropped: int
    validators: list[str] = field(default_factory=list)
    kind: str = "drop"


@dataclass
class GiveUpEntry:
    """The record at `index` failed every round of generation `generation`; the next try uses fresh seeds."""

    index: int
    generation: int
    reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rejected: int = 0
    kind: str = "gave_up"


@dataclass
class SpentEntry:
    """Tokens spent on the record at `index` while it was still in flight (counted here, not again)."""

    index: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    kind: str = "spent"


Entry = Union[JournalEntry, DropEntry, GiveUpEntry, SpentEntry]
_KINDS: dict[str, type] = {"record": JournalEntry, "drop": DropEntry, "gave_up": GiveUpEntry, "spent": SpentEntry}


def entry_json(entry: Entry | RejectEntry) -> dict[str, Any]:
    """The JSON line of an entry."""
    return dataclasses.asdict(entry)


def parse_entry(row: dict[str, Any], where: str = "journal") -> Entry:
    """A journal line as its typed entry (lines written before `kind` existed are recognised by their keys)."""
    kind = row.get("kind") or ("record" if "record" in row else "drop" if "dropped" in row else None)
    cls = _KINDS.get(str(kind))
    if cls is None or not isinstance(row.get("index"), int):
        raise SynthspecError(f"the {where} has a line that is not a build entry: {str(row)[:120]}", code=codes.BUILD_FILE_DAMAGED,
                             hint="re-run with --force to start the build over")
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in row.items() if k in names} | {"kind": kind})
    except TypeError as exc:
        raise SynthspecError(f"the {where} has a malformed {kind} line: {exc}", code=codes.BUILD_FILE_DAMAGED,
                             hint="re-run with --force to start the build over") from None


def tokens_of(entry: Entry) -> tuple[int, int]:
    """(prompt, completion) tokens a journal entry adds to the build's total."""
    return int(getattr(entry, "prompt_tokens", 0)), int(getattr(entry, "completion_tokens", 0))


# ------------------------------------------------------------------ the rejects ledger


@dataclass
class RejectEntry:
    """One rejected generation, finished record or dropped record.

    `stage` is `field` (one decoded value), `record` (a finished record failed
    a check), or `dataset` (a dataset-level validator dropped it).  `key` names
    the rejection by what produced it, so replaying a build never logs it twice.
    """

    key: str
    index: int
    field: str | None
    round: int | None
    seed: int | None
    stage: str
    validator: str
    reason: str
    raw: Any = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


# ------------------------------------------------------------------ replayed state


@dataclass
class BuildState:
    """What the journal says, kept current as entries are appended (replay and live use `apply`)."""

    live: dict[int, JournalEntry] = field(default_factory=dict)
    drops: dict[int, int] = field(default_factory=dict)
    gave_up: dict[int, int] = field(default_factory=dict)
    drops_by: dict[str, int] = field(default_factory=dict)  # validator -> records it dropped, ever
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    ledger_keys: set[str] = field(default_factory=set)

    def apply(self, entry: Entry) -> None:
        prompt, completion = tokens_of(entry)
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        if isinstance(entry, JournalEntry):
            self.live[entry.index] = entry
            self.seconds += float(entry.seconds)
        elif isinstance(entry, DropEntry):
            self.live.pop(entry.index, None)
            self.drops[entry.index] = self.drops.get(entry.index, 0) + 1
            for name in entry.validators:
                self.drops_by[name] = self.drops_by.get(name, 0) + 1
        elif isinstance(entry, GiveUpEntry):
            self.gave_up[entry.index] = self.gave_up.get(entry.index, 0) + 1

    def generation(self, index: int) -> int:
        """How many times the record at `index` was started afresh (dropped or given up) so far."""
        return self.drops.get(index, 0) + self.gave_up.get(index, 0)

    def records(self) -> list[dict[str, Any]]:
        """The live records in index order."""
        return [self.live[i].record for i in sorted(self.live)]


# ------------------------------------------------------------------ the lock


class BuildLock:
    """An exclusive lock on one output, held for the whole build, so two builds never write one file.

    `flock` on `<out>.lock`: the kernel releases it when the process ends, even
    on SIGKILL, so a crashed build never leaves a stale lock behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        from synthspec.generate.journal import write_error

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_error(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            target = self.path.name[: -len(".lock")]
            raise SynthspecError(
                f"another build is writing {self.path.with_name(target)} right now (pid {holder})",
                code=codes.BUILD_LOCKED,
                hint="wait for it to finish, or choose another --out; two builds into one output would mix records",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
