"""The generation engine: lowered plans in, durable records out.

Thin by design; the work is split by job:

- `state`: the build's files, the typed journal / ledger entries, replay, the lock;
- `records`: one record's seeds, requests, value and record checks;
- `scheduler`: up to N records in flight on a backend decode session;
- `manifest`: the build identity (derived from content) and the lock file.

The engine prepares (resume or start over, under the output's lock), runs the
scheduler over the missing records, then the dataset check: records a
dataset-level `drop` validator removes are journaled as drops, ledgered, and
regenerated through the same scheduler with fresh derived seeds, a bounded
number of passes.  A build delivers exactly the requested count, or says which
records are missing and why (`BuildResult.missing`, the manifest) so the CLI
can exit non-zero.  Records the scheduler finishes are committed after each
poll: the ledger first, then the journal (one write, fsync), then the output.

`--shard K/N` builds the K-th contiguous part of the index range without the
dataset check; `merge` (see `merge.py`) joins the parts and runs it once.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from synthspec import codes
from synthspec.datafiles import SeedExample, file_sha256, load_seed_examples
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import Backend, DecodeSession
from synthspec.generate.journal import AppendFile, read_jsonl_tail_safe
from synthspec.generate.manifest import MANIFEST_VERSION, Manifest, build_identity, check_resumable
from synthspec.generate.progress import BuildProgress, wants_progress
from synthspec.generate.records import DatasetCheck, RecordCheck, RecordLogic, Rejection, Task, derive_seed
from synthspec.generate.scheduler import Scheduler
from synthspec.generate.state import (
    BuildLock,
    BuildPaths,
    BuildState,
    DropEntry,
    Entry,
    GiveUpEntry,
    JournalEntry,
    RejectEntry,
    SpentEntry,
    entry_json,
    parse_entry,
)
from synthspec.generate.writers import PROVENANCE, DatasetWriter
from synthspec.ir.model import Spec
from synthspec.lower.plan import RecordPlan

__all__ = ["BuildOptions", "BuildPaths", "BuildResult", "DatasetCheck", "Engine", "RecordCheck", "Rejection",
           "derive_seed", "run_build", "shard_range"]


@dataclass
class BuildOptions:
    """How to run a build (the CLI maps its flags onto this)."""

    out: Path
    format: str = "jsonl"
    batch_size: int | None = None  # records in flight (decode slots); the manifest records it
    progress: str = "auto"
    force: bool = False
    max_field_attempts: int = 4
    max_record_attempts: int = 3  # rounds per generation of a record
    max_regenerations: int = 2  # fresh generations (new sub-seeds) of a record that failed every round
    max_dataset_passes: int = 3
    shard: tuple[int, int] | None = None  # (K, N): build the K-th of N parts (1-based), no dataset check


@dataclass
class BuildResult:
    """What a build did; `interrupted` means Ctrl-C stopped it after a clean flush."""

    paths: BuildPaths
    total: int
    written: int
    kept: int
    generated: int
    failed: int
    rejected: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    interrupted: bool = False
    dropped: int = 0  # records removed by the dataset check in this run (regenerated when a pass was left)
    dropped_by: dict[str, int] = field(default_factory=dict)  # validator -> records it dropped in this run
    missing: dict[int, str] = field(default_factory=dict)  # index -> why the record is not in the output


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold Ctrl-C until the block is done (main thread only), then raise it.

    Used around committing finished records, so an interrupt never separates the
    ledger, the journal and the output, or leaves the in-memory state behind them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[object] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)
        _INTERRUPT.set()

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


#: set by every Ctrl-C during a build, cleared when the build starts: the scheduler checks it between
#: polls, so a KeyboardInterrupt swallowed inside a native extension (a decode or mask call that checks
#: signals and reports its own error) still stops the build at the next safe point
_INTERRUPT = threading.Event()


@contextlib.contextmanager
def interrupt_latch() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt as usual and also sets `_INTERRUPT` (main thread only)."""
    _INTERRUPT.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def latch(signum: int, frame: object) -> None:
        _INTERRUPT.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, latch)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl-C came during this build (even if something swallowed it)."""
    if _INTERRUPT.is_set():
        raise KeyboardInterrupt


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy of a technique report (unknown objects become strings)."""
    return json.loads(json.dumps(value, default=str))


def _lowering() -> ModuleType:
    import synthspec.lower as lower

    return lower


def load_technique(spec: Spec, seeds: list[SeedExample]) -> Any:
    """The technique object of the build."""
    from synthspec.generate.techniques import get_technique

    return get_technique(spec, seeds)


def load_seeds(spec: Spec) -> tuple[list[SeedExample], str | None]:
    """The spec's seed examples and the seed file's hash (part of the build identity)."""
    if spec.seeds is None:
        return [], None
    src = spec.seeds
    examples = load_seed_examples(src.resolved_path, src.format, src.columns, src.id_column)
    return examples, file_sha256(src.resolved_path)


def shard_range(count: int, shard: tuple[int, int], align: int = 1) -> range:
    """The indices of shard K of N: the K-th of N contiguous, near-equal parts of [0, count).

    Inner boundaries fall on multiples of `align` (the batch size), so a shard
    starts where a window of the unsharded build starts and a merge sees the
    same batches as the unsharded build (which matters where results depend on
    the batch, e.g. transformers).
    """
    k, n = shard

    def bound(j: int) -> int:
        # j/n of the way, rounded to the nearest multiple of `align`
        return count if j >= n else min(count, (2 * j * count + n * align) // (2 * n * align) * align)

    return range(bound(k - 1), bound(k))


def batch_invariant(backend: Backend, session: DecodeSession) -> bool:
    """Whether a result depends only on its own request (then records need no window barrier).

    A session or backend says so with a `batch_invariant` attribute; without
    one the engine assumes results may depend on the batch (safe, windowed).
    """
    value = getattr(session, "batch_invariant", None)
    if value is None:
        value = getattr(backend, "batch_invariant", False)
    return bool(value)


@dataclass
class _Run:
    """What this run did (for the result and the manifest's run log)."""

    generated: int = 0
    rejected: int = 0
    dropped: int = 0
    dropped_by: dict[str, int] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)


class Engine:
    """Runs one build of `spec` on `backend` into `options.out`."""

    def __init__(
        self,
        spec: Spec,
        backend: Backend,
        options: BuildOptions,
        record_check: RecordCheck | None = None,
        dataset_check: DatasetCheck | None = None,
    ) -> None:
        self.spec = spec
        self.backend = backend
        self.options = options
        self.dataset_check = dataset_check if options.shard is None else None  # merge runs it over the whole
        self.lower = _lowering()
        self.paths = BuildPaths(Path(options.out))
        self.batch_size = max(1, options.batch_size or backend.preferred_batch)
        self.seed_examples, seeds_sha = load_seeds(spec)
        self.identity = build_identity(spec, backend.identity, seeds_sha, options.shard)
        self.manifest = Manifest(self.paths.manifest)
        self.columns = list(spec.field_names)
        self.writer = DatasetWriter(self.paths.out, options.format, self.columns)
        self.journal = AppendFile(self.paths.journal)
        self.rejects = AppendFile(self.paths.rejects)
        self.technique = load_technique(spec, self.seed_examples)
        if options.shard is not None and getattr(self.technique, "cross_record", False):
            raise SynthspecError(
                f"technique `{spec.technique.name}` cannot be sharded: each record depends on the records "
                "kept before it (a growing pool), which another shard cannot see",
                code=codes.CANNOT_SHARD,
                hint="build it in one process (no --shard); plain, counterfactual, gap_filling and adversarial "
                     "builds can be sharded",
            )
        self.state = BuildState()
        model = backend.identity
        self.threads = getattr(backend, "threads", None)
        self.logic = RecordLogic(spec, self.lower, self.technique, self.seed_examples, record_check, {
            "spec_hash": self.identity["spec_hash"],
            "seed": spec.seed,
            "model": model.model_id,
            "model_sha256": model.model_sha256,
            "backend": model.backend,
            "technique": spec.technique.name,
        }, options.max_field_attempts, self.paths.rejects)
        self.windowed = True
        self._give_ups: list[GiveUpEntry] = []
        self._out_last = -1
        self._out_sorted = True
        self._run = _Run()
        self._progress: BuildProgress | None = None
        self._started = time.monotonic()

    # ------------------------------------------------------------ setup

    def _prepare(self) -> list[Entry]:
        """Resume or start over; returns the journal's entries in file order."""
        previous = self.manifest.load()
        if self.options.force:
            for path in self.paths.all():
                path.unlink(missing_ok=True)
            return []
        if previous is None:
            if self.paths.out.exists() or self.paths.journal.exists():
                raise SynthspecError(
                    f"{self.paths.out} already exists and was not written by this build (no manifest)",
                    code=codes.OUTPUT_NOT_OURS,
                    hint="re-run with --force to overwrite it, or choose another --out",
                )
            return []
        check_resumable(previous, self.identity, self.paths.out)
        if self.options.batch_size is None and isinstance(previous.get("batch_size"), int):
            self.batch_size = previous["batch_size"]  # same slots as before → same records
        entries = [parse_entry(row) for row in read_jsonl_tail_safe(self.paths.journal)]
        for row in read_jsonl_tail_safe(self.paths.rejects):  # also cuts a torn tail of the ledger
            if isinstance(row.get("key"), str):
                self.state.ledger_keys.add(row["key"])
        return entries

    def _replay(self, journal: list[Entry], by_index: dict[int, RecordPlan]) -> None:
        """Rebuild the live records, generations and technique state from the journal, in file order.

        File order is the order records were committed in, so a technique with
        state (e.g. a growing example pool) sees exactly what it saw before.
        """
        for entry in journal:
            self.state.apply(entry)
            if isinstance(entry, JournalEntry) and entry.index in by_index:
                self.technique.on_accept(by_index[entry.index],
                                         {k: v for k, v in entry.record.items() if k != PROVENANCE})
        for index in [i for i in self.state.live if i not in by_index]:
            del self.state.live[index]  # a journal of another shard layout: not ours to keep

    # ------------------------------------------------------------ run

    def run(self) -> BuildResult:
        with BuildLock(self.paths.lock):
            return self._run_locked()

    def _run_locked(self) -> BuildResult:
        self._started = time.monotonic()
        journal = self._prepare()
        plans = list(self.technique.plan(list(self.lower.plan_records(self.spec, self.seed_examples))))
        if self.options.shard is not None:
            part = shard_range(len(plans), self.options.shard, self.batch_size)
            plans = [p for p in plans if p.index in part]
        by_index = {p.index: p for p in plans}
        self._replay(journal, by_index)
        kept = len(self.state.live)
        if self.options.format != "parquet" and (self.state.live or self.paths.out.exists()):
            self.writer.rewrite(self.state.records())  # drops a torn tail and anything the journal does not vouch for
            self._out_last = max(self.state.live, default=-1)
        session = self.backend.open_session(self.batch_size)
        self.windowed = bool(getattr(self.technique, "cross_record", False)) or not batch_invariant(
            self.backend, session)
        self._save_manifest("running", 0.0)
        interrupted = False
        show = wants_progress(self.options.progress)
        try:
            with interrupt_latch(), BuildProgress(show, total=len(plans), done=kept, threads=self.threads) as progress:
                self._progress = progress
                try:
                    self._schedule(session, [p for p in plans if p.index not in self.state.live])
                    if self.dataset_check is not None and not self._run.missing:
                        self._dataset_passes(session, by_index)
                except KeyboardInterrupt:
                    interrupted = True
                except SynthspecError:
                    self._save_manifest("failed", time.monotonic() - self._started)
                    raise
        finally:
            session.close()
        seconds = time.monotonic() - self._started
        if self.options.format == "parquet" or self._run.dropped or not self._out_sorted or interrupted:
            self.writer.rewrite(self.state.records())  # index order, whatever order records finished in
        for index in by_index:
            if index not in self.state.live and index not in self._run.missing:
                self._run.missing[index] = "not generated yet (the build was interrupted)"
        complete = not self._run.missing and len(self.state.live) == len(plans)
        status = "interrupted" if interrupted else ("complete" if complete else "incomplete")
        self._save_manifest(status, seconds)
        return BuildResult(
            paths=self.paths,
            total=len(plans),
            written=len(self.state.live),
            kept=kept,
            generated=self._run.generated,
            failed=0 if interrupted else len(self._run.missing),
            rejected=self._run.rejected,
            prompt_tokens=self.state.prompt_tokens,
            completion_tokens=self.state.completion_tokens,
            seconds=seconds,
            interrupted=interrupted,
            dropped=self._run.dropped,
            dropped_by=dict(self._run.dropped_by),
            missing={} if interrupted else dict(sorted(self._run.missing.items())),
        )

    def _schedule(self, session: DecodeSession, plans: list[RecordPlan]) -> None:
        """Run `plans` through the scheduler; each finished record is committed as it comes."""
        if not plans:
            return
        # a technique with cross-record state decodes its windows one after another (each sees the pool
        # the earlier ones left); otherwise a session with several lanes (Ray actors) runs one window per lane
        lanes = 1 if getattr(self.technique, "cross_record", False) else int(getattr(session, "lanes", 1))
        Scheduler(session, self.logic, self.batch_size, self.windowed, self.options.max_record_attempts,
                  self.options.max_regenerations, self.state.generation, self._commit, self._give_up,
                  lanes=lanes, check_interrupt=raise_if_interrupted).run(plans)

    def _give_up(self, task: Task) -> None:
        prompt, completion, rejected = task.take_tokens()
        self._give_ups.append(GiveUpEntry(index=task.index, generation=task.generation,
                                          reason=task.last_reason or "every round failed",
                                          prompt_tokens=prompt, completion_tokens=completion, rejected=rejected))

    def _commit(self, done: list[Task], in_flight: list[Task], abandoning: bool) -> None:
        """Ledger, journal, output — in that order, each one write — for what the scheduler finished."""
        with deferred_interrupt():
            fresh = [e for e in self.logic.ledger if e.key not in self.state.ledger_keys]
            self.logic.ledger.clear()
            if fresh:
                self.rejects.append_lines([entry_json(e) for e in fresh])
                self.state.ledger_keys.update(e.key for e in fresh)
            lines: list[Entry] = []
            give_ups, self._give_ups = self._give_ups, []
            if self.windowed:  # only the committed window's: another lane's window may still be redone
                mine = {t.index for t in done} | {t.index for t in in_flight}
                give_ups, self._give_ups = ([g for g in give_ups if g.index in mine],
                                            [g for g in give_ups if g.index not in mine])
            if abandoning and self.windowed:  # the window is redone from its start: its give-ups too
                lines += [SpentEntry(g.index, g.prompt_tokens, g.completion_tokens) for g in give_ups]
            else:
                lines += give_ups
            accepted = [(task, self.logic.entry(task)) for task in done if task.outcome == "accepted"]
            lines += [entry for _, entry in accepted]
            if lines or abandoning:
                for task in in_flight:
                    prompt, completion, _ = task.take_tokens()
                    if prompt or completion:
                        lines.append(SpentEntry(task.index, prompt, completion))
            if lines:
                self.journal.append_lines([entry_json(e) for e in lines])
                for entry in lines:
                    self.state.apply(entry)
            for task, _ in accepted:
                self.technique.on_accept(task.plan, self.logic.accepted_values(task))
                self._run.missing.pop(task.index, None)
            for task in done:
                if task.outcome == "failed":
                    self._run.missing[task.index] = (
                        f"failed every try: {self.options.max_record_attempts} rounds in each of "
                        f"{self.options.max_regenerations + 1} generations; last: {task.last_reason}")
            records = [entry.record for _, entry in accepted]
            for _, entry in accepted:
                if entry.index < self._out_last:
                    self._out_sorted = False
                self._out_last = max(self._out_last, entry.index)
            self.writer.append(records)
        rejected, self.logic.rejections = self.logic.rejections, 0
        self._run.generated += len(accepted)
        self._run.rejected += rejected
        if self._progress is not None:
            elapsed = max(time.monotonic() - self._started, 1e-9)
            self._progress.advance(len(accepted), rejected, 60.0 * self._run.generated / elapsed)

    def _dataset_passes(self, session: DecodeSession, by_index: dict[int, RecordPlan]) -> None:
        """Run the dataset check; remove what it drops and regenerate it, up to `max_dataset_passes` times.

        The last pass only removes: a record still dropped then is left out
        (reported as missing, and re-running tries again), because a record a
        `drop` validator refused must not reach the output.
        """
        assert self.dataset_check is not None
        for pass_ in range(self.options.max_dataset_passes + 1):
            ordered = sorted(self.state.live)
            verdicts = self.dataset_check([self.state.live[i].record for i in ordered])
            if not verdicts:
                return
            removed = {ordered[position]: problems for position, problems in sorted(verdicts.items())
                       if 0 <= position < len(ordered)}
            with deferred_interrupt():  # the journal, the ledger and the output agree at every moment
                ledger: list[RejectEntry] = []
                lines: list[Entry] = []
                for index, problems in removed.items():
                    record = self.state.live[index].record
                    n = self.state.drops.get(index, 0) + 1
                    ledger += [RejectEntry(
                        key=f"{index}:drop{n}:{p.validator}:{k}", index=index, field=p.field,
                        round=record[PROVENANCE].get("round"), seed=None, stage="dataset", validator=p.validator,
                        reason=p.message, raw={c: record.get(c) for c in self.columns},
                    ) for k, p in enumerate(problems)]
                    lines.append(DropEntry(index=index, dropped=n, validators=sorted({p.validator for p in problems})))
                fresh = [e for e in ledger if e.key not in self.state.ledger_keys]
                if fresh:
                    self.rejects.append_lines([entry_json(e) for e in fresh])
                    self.state.ledger_keys.update(e.key for e in fresh)
                self.journal.append_lines([entry_json(e) for e in lines])
                for entry in lines:
                    self.state.apply(entry)
                    for name in entry.validators:
                        self._run.dropped_by[name] = self._run.dropped_by.get(name, 0) + 1
                self.writer.rewrite(self.state.records())
            self._run.dropped += len(removed)
            if self._progress is not None:
                self._progress.advance(-len(removed), 0, 0.0)
                self._progress.dropped(self._run.dropped_by)
            if pass_ == self.options.max_dataset_passes:
                for index, problems in removed.items():
                    names = ", ".join(sorted({p.validator for p in problems}))
                    self._run.missing[index] = (f"dropped by {names} in the last of "
                                                f"{self.options.max_dataset_passes} regeneration passes")
                return
            self._schedule(session, [by_index[i] for i in removed])
            if self._run.missing:
                return

    def _save_manifest(self, status: str, seconds: float) -> None:
        previous = self.manifest.load() if self.paths.manifest.exists() else None
        runs = list((previous or {}).get("runs", []))
        if status != "running":
            runs.append({"seconds": round(seconds, 3), "status": status, "failed": len(self._run.missing),
                         "dropped_by_dataset_check": self._run.dropped})
        o = self.options
        self.manifest.save({
            "manifest_version": MANIFEST_VERSION,
            "identity": self.identity,
            "status": status,
            "format": o.format,
            "batch_size": self.batch_size,
            # what the records depend on besides the identity (docs/build.md, "Determinism")
            "depends_on": {"batch_size": self.batch_size, "scheduler": "windowed" if self.windowed else "continuous",
                           "threads": self.threads},
            "budget": {"field_attempts": self.logic.field_attempts, "rounds_per_generation": o.max_record_attempts,
                       "regenerations": o.max_regenerations, "dataset_passes": o.max_dataset_passes},
            "invocation": {"spec": self.spec.source_file, "model_ref": self.spec.model.ref,
                           "backend": self.backend.identity.backend},
            "counts": {"requested": self.spec.count if o.shard is None
                       else len(shard_range(self.spec.count, o.shard, self.batch_size)),
                       "written": len(self.state.live),
                       "dropped_by_dataset_check": sum(self.state.drops.values())},
            "dropped_by": dict(sorted(self.state.drops_by.items())),
            "given_up": sum(self.state.gave_up.values()),
            "missing": {str(i): why for i, why in sorted(self._run.missing.items())},
            # every token spent, kept or wasted, each counted once (the journal's token lines summed)
            "tokens": {"prompt_tokens": self.state.prompt_tokens, "completion_tokens": self.state.completion_tokens},
            "generation_seconds": round(self.state.seconds, 3),
            "runs": runs,
            "technique": {"name": self.spec.technique.name, "report": _jsonable(self.technique.report)},
        })


def run_build(
    spec: Spec,
    backend: Backend,
    options: BuildOptions,
    record_check: RecordCheck | None = None,
    dataset_check: DatasetCheck | None = None,
) -> BuildResult:
    """Build (or resume) the dataset of `spec` with `backend`; see `Engine`."""
    return Engine(spec, backend, options, record_check, dataset_check).run()
