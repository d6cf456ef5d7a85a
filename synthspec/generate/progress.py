"""The build progress display: records done, valid/rejected/dropped, rate, threads, ETA (rich), or nothing.

`auto` shows it only on a terminal, so logs and CI output stay clean.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def wants_progress(mode: str, stream: Any = None) -> bool:
    """Whether to draw a progress bar for `--progress mode`."""
    stream = stream or sys.stderr
    if mode == "on":
        return True
    if mode == "off":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def drop_text(by: dict[str, int]) -> str:
    """`dropped 5 (dedup 3, seed_copy 2)`: how many records the dataset checks removed, by check."""
    total = sum(by.values())
    if not total:
        return "dropped 0"
    parts = ", ".join(f"{name} {n}" for name, n in sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"dropped {total} ({parts})"


class BuildProgress:
    """A thin wrapper so the engine calls `advance` without caring whether anything is drawn."""

    def __init__(self, enabled: bool, total: int, done: int, console: Console | None = None,
                 threads: int | None = None) -> None:
        self._progress: Progress | None = None
        self.valid = done
        self.rejected = 0
        self.drops = "dropped 0"
        self.threads = f" · {threads} threads" if threads else ""
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]build"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("valid {task.fields[valid]} · rejected {task.fields[rejected]} · {task.fields[drops]}"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task("build", total=total, completed=done, valid=done, rejected=0,
                                                 drops=self.drops, rate="")

    def __enter__(self) -> BuildProgress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()

    def advance(self, valid: int, rejected: int, rate_per_min: float) -> None:
        self.valid += valid
        self.rejected += rejected
        if self._progress:
            self._progress.update(self._task, advance=valid, valid=self.valid, rejected=self.rejected,
                                  rate=f"{rate_per_min:.1f} rec/min{self.threads}")

    def dropped(self, by: dict[str, int]) -> None:
        """Records removed by the dataset checks so far, by check."""
        self.drops = drop_text(by)
        if self._progress:
            self._progress.update(self._task, drops=self.drops)
