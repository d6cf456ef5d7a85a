"""Every validator seen through the two-phase interface: `partial(batch)`, `merge(states)`, `finish(state)`.

The streaming runners (local processes, Ray) only speak two-phase.  Three
kinds of validator reach them:

* two-phase validators (`api.two_phase(cls)`): called as they are;
* RECORD-scope validators: `check_record` on each record of the batch is
  already a partial; the state is the list of findings;
* DATASET-scope validators of API v1 (only `check_dataset`): the adapter's
  state is the batch's records and `finish` calls `check_dataset` over all of
  them — correct, but the records of the whole dataset are held in memory, so
  the report says so.

Also here: the peak-RSS sampler the runners use to report memory per validator.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from synthspec.validate.api import (
    Finding,
    RecordBatch,
    Scope,
    Validator,
    ValidatorContext,
    ValidatorResult,
    two_phase,
)
from synthspec.validate.findings import gather
from synthspec.validate.runner import checked_findings

IN_MEMORY_NOTE = (
    "this validator has no two-phase methods (API v1 check_dataset): its records were collected in memory"
)


def normalise_result(result: ValidatorResult | list[Finding] | None) -> ValidatorResult:
    if result is None:
        return ValidatorResult()
    if isinstance(result, ValidatorResult):
        return result
    return ValidatorResult(findings=list(result))


class Phases:
    """One validator instance behind the two-phase interface (`kind`: native, record or collect)."""

    def __init__(self, validator: Validator, ctx: ValidatorContext) -> None:
        self.validator = validator
        self.ctx = ctx
        cls = type(validator)
        if two_phase(cls):
            self.kind = "native"
        elif Scope(cls.scope) is Scope.RECORD and cls.check_dataset is not Validator.check_dataset:
            self.kind = "record_batches"  # a record validator that batches its own work (e.g. a PII model)
        elif Scope(cls.scope) is Scope.RECORD:
            self.kind = "record"
        else:
            self.kind = "collect"

    def partial(self, batch: RecordBatch) -> Any:
        if self.kind == "native":
            return self.validator.partial(batch, self.ctx)
        if self.kind == "record":
            out: list[Finding] = []
            for index, record in batch.indexed():
                # a plugin that returns anything but findings is that validator's crash, not a silent pass
                out.extend(checked_findings(self.validator.check_record(record, index, self.ctx)))
            return out
        if self.kind == "record_batches":
            # its check_dataset over the batch: findings re-indexed to the dataset, notes kept, metrics of the
            # first batch (a record validator's metrics cannot be merged without knowing what they mean)
            result = normalise_result(self.validator.check_dataset(replace(self.ctx, records=batch.records)))
            found = [
                f if f.record_index is None else replace(f, record_index=f.record_index + batch.start)
                for f in result.findings
            ]
            return {"findings": found, "notes": list(result.notes), "metrics": dict(result.metrics)}
        return list(batch.records)

    def merge(self, states: Sequence[Any]) -> Any:
        if self.kind == "native":
            return self.validator.merge(states, self.ctx)
        if self.kind == "record_batches":
            notes: list[str] = []
            for state in states:
                notes.extend(n for n in state["notes"] if n not in notes)
            return {
                "findings": gather(state["findings"] for state in states),
                "notes": notes,
                "metrics": states[0]["metrics"] if states else {},
            }
        if self.kind == "record":
            return gather(states)  # findings: spilled to disk past a limit
        return [item for state in states for item in state]

    def finish(self, state: Any, ctx: ValidatorContext) -> ValidatorResult:
        if self.kind == "native":
            return normalise_result(self.validator.finish(state, ctx))
        if self.kind == "record":
            return ValidatorResult(findings=gather([state]))
        if self.kind == "record_batches":
            return ValidatorResult(findings=state["findings"], metrics=state["metrics"], notes=state["notes"])
        result = normalise_result(self.validator.check_dataset(replace(ctx, records=state)))
        result.notes.append(IN_MEMORY_NOTE)
        return result


def current_rss() -> int:
    """Resident set size of this process in bytes (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class PeakRss:
    """Peak RSS per label: a background thread samples every `interval` s and charges the current label.

    A label's peak is the process's largest RSS seen while that label was
    current (so it includes what the process already held: it is "what running
    this validator needed the process to be", not an increment).
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peaks: dict[str, int] = {}
        self._label: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._charge()

    def _charge(self) -> None:
        label = self._label
        if label is not None:
            rss = current_rss()
            if rss > self.peaks.get(label, 0):
                self.peaks[label] = rss

    @contextmanager
    def track(self, label: str):
        self._label = label
        self._charge()
        try:
            yield
        finally:
            self._charge()
            self._label = None

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def timed(seconds: dict[str, float], label: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start


__all__ = ["IN_MEMORY_NOTE", "Phases", "PeakRss", "current_rss", "normalise_result", "timed"]
