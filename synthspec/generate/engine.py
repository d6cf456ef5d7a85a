"""The generation engine: lowered plans in, durable records out.

Records are produced in index-aligned batches (batch k holds indices
[k·B, (k+1)·B)).  Within a batch, each generated field is decoded for every
record at once (so a batched backend fills its batch), under that record's own
grammar and a sampling seed derived only from the record's sub-seed, the field
and the attempt number.  Record i therefore depends on its sub-seed alone, and
a resumed build produces exactly the records an uninterrupted one would.

A generation that runs out of budget, does not parse, fails the post-check or
the injected `record_check` is written to the rejects ledger and retried with
a new derived seed (bounded).  Finished batches are appended to the journal
(the source of truth) and the output, fsynced; the manifest pins the build.

Once every record exists, the injected `dataset_check` (dataset-level
validators with policy `drop`, e.g. near-duplicates) may remove records.  Each
removal is a `drop` line in the journal and a line in the rejects ledger; the
removed indices are regenerated with fresh derived seeds (their "generation"
is the number of drops so far), and the check runs again, a bounded number of
passes, so the requested count still holds.  Replaying the journal in file
order restores the same state after a crash, so resumed and uninterrupted
builds agree record for record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from synthspec.datafiles import SeedExample, file_sha256, load_seed_examples
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import Backend, GenRequest
from synthspec.generate.journal import AppendFile, read_jsonl_tail_safe
from synthspec.generate.manifest import MANIFEST_VERSION, Manifest, build_identity, check_resumable
from synthspec.generate.progress import BuildProgress, wants_progress
from synthspec.generate.writers import PROVENANCE, DatasetWriter
from synthspec.ir.model import Spec
from synthspec.lower.plan import RecordPlan


@dataclass(frozen=True)
class Rejection:
    """Why a finished record was refused (returned by an injected record check).

    `stop` marks a rejection by a validator whose policy is `fail`: the record
    goes to the ledger like any other, then the build stops (records already
    written stay; re-running resumes).
    """

    validator: str
    message: str
    field: str | None = None
    stop: bool = False


RecordCheck = Callable[[dict[str, Any]], list[Rejection]]
# The whole dataset (records in index order) -> rejections by position in that list.
DatasetCheck = Callable[[list[dict[str, Any]]], dict[int, list[Rejection]]]


@dataclass(frozen=True)
class BuildPaths:
    """The files of one build, all next to the output."""

    out: Path

    @property
    def journal(self) -> Path:
        return self.out.with_name(self.out.name + ".journal.jsonl")

    @property
    def rejects(self) -> Path:
        return self.out.with_name(self.out.name + ".rejects.jsonl")

    @property
    def manifest(self) -> Path:
        return self.out.with_name(self.out.name + ".manifest.json")

    def all(self) -> tuple[Path, ...]:
        return (self.out, self.journal, self.rejects, self.manifest)


@dataclass
class BuildOptions:
    """How to run a build (the CLI maps its flags onto this)."""

    out: Path
    format: str = "jsonl"
    batch_size: int | None = None
    progress: str = "auto"
    force: bool = False
    max_field_attempts: int = 4
    max_record_attempts: int = 3
    max_dataset_passes: int = 3


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
    dropped: int = 0  # records removed by the dataset check (and regenerated when a pass was left)


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold Ctrl-C until the block is done (main thread only), then raise it.

    Used around writing a finished batch, so an interrupt never separates the
    journal from the output or leaves the in-memory counts behind the files.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy of a technique report (unknown objects become strings)."""
    return json.loads(json.dumps(value, default=str))


def derive_seed(sub_seed: int, *parts: object) -> int:
    """A 31-bit sampling seed from a record's sub-seed and what is being sampled (field, attempts)."""
    text = "\x1f".join(str(p) for p in (sub_seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


@dataclass
class _Work:
    """A record in flight within one batch."""

    plan: RecordPlan
    values: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rejected: int = 0
    round: int = 0
    first_round: int = 0  # > 0 for a record regenerated after a dataset-level drop
    seeds: dict[str, int] = field(default_factory=dict)
    failed: bool = False


def _lowering() -> ModuleType:
    import synthspec.lower as lower

    return lower


def load_technique(spec: Spec, seeds: list[SeedExample]) -> Any:
    """The technique object of the build (plain when the techniques package offers none)."""
    from synthspec.generate import techniques

    factory = getattr(techniques, "get_technique", None)
    if factory is not None:
        return factory(spec, seeds)
    from synthspec.generate.techniques.base import Technique

    return Technique(spec, seeds)


def load_seeds(spec: Spec) -> tuple[list[SeedExample], str | None]:
    """The spec's seed examples and the seed file's hash (part of the build identity)."""
    if spec.seeds is None:
        return [], None
    src = spec.seeds
    examples = load_seed_examples(src.resolved_path, src.format, src.columns, src.id_column)
    return examples, file_sha256(src.resolved_path)


@dataclass
class _Tally:
    """What this run did (for the result and the manifest's run log)."""

    generated: int = 0
    failed: int = 0
    rejected: int = 0
    dropped: int = 0


class Engine:
    """Runs one build of `spec` on `backend` into `options.out`."""

    def __init__(
        self,
        spec: Spec,
        backend: Backend,
        options: BuildOptions,
        record_check: RecordCheck | None = None,
        lowering: ModuleType | None = None,
        dataset_check: DatasetCheck | None = None,
    ) -> None:
        self.spec = spec
        self.backend = backend
        self.options = options
        self.record_check = record_check
        self.dataset_check = dataset_check
        self.lower = lowering or _lowering()
        self.paths = BuildPaths(Path(options.out))
        self.batch_size = max(1, options.batch_size or backend.preferred_batch)
        self.seed_examples, seeds_sha = load_seeds(spec)
        self.identity = build_identity(spec, backend.identity, seeds_sha)
        self.manifest = Manifest(self.paths.manifest)
        self.columns = list(spec.field_names)
        self.writer = DatasetWriter(self.paths.out, options.format, self.columns)
        self.journal = AppendFile(self.paths.journal)
        self.rejects = AppendFile(self.paths.rejects)
        self.order = list(self.lower.field_order(spec))
        self.technique = load_technique(spec, self.seed_examples)
        # The build's state, rebuilt from the journal on every run:
        self.live: dict[int, dict[str, Any]] = {}  # index -> the journal entry of its current record
        self.drops: dict[int, int] = {}  # index -> how often the dataset check removed its record
        self.spent: list[dict[str, Any]] = []  # every record entry ever journaled (tokens are spent once)
        model = backend.identity
        self.provenance_base = {
            "spec_hash": self.identity["spec_hash"],
            "seed": spec.seed,
            "model": model.model_id,
            "model_sha256": model.model_sha256,
            "backend": model.backend,
            "technique": spec.technique.name,
        }

    # ------------------------------------------------------------ setup

    def _prepare(self) -> list[dict[str, Any]]:
        """Resume or start over; returns the journal (record and drop entries) in file order."""
        previous = self.manifest.load()
        existing = [p for p in self.paths.all() if p.exists()]
        if self.options.force:
            for path in existing:
                path.unlink()
            return []
        if previous is None:
            if self.paths.out.exists() or self.paths.journal.exists():
                raise SynthspecError(
                    f"{self.paths.out} already exists and was not written by this build (no manifest)",
                    code="B003",
                    hint="re-run with --force to overwrite it, or choose another --out",
                )
            return []
        check_resumable(previous, self.identity, self.paths.out)
        if self.options.batch_size is None and isinstance(previous.get("batch_size"), int):
            self.batch_size = previous["batch_size"]  # same batches as before → same records
        entries = read_jsonl_tail_safe(self.paths.journal)
        read_jsonl_tail_safe(self.paths.rejects)  # cut a torn tail so the ledger stays parseable
        return [e for e in entries if isinstance(e.get("index"), int) and ("record" in e or "dropped" in e)]

    def _replay(self, journal: list[dict[str, Any]], by_index: dict[int, RecordPlan]) -> None:
        """Rebuild the live records, drop counts and technique state from the journal, in file order.

        File order is the order records were accepted in, so a technique with
        state (e.g. a growing example pool) sees exactly what it saw before.
        """
        for entry in journal:
            index = entry["index"]
            if index not in by_index:
                continue
            if "dropped" in entry:
                self.live.pop(index, None)
                self.drops[index] = self.drops.get(index, 0) + 1
                continue
            self.spent.append(entry)
            self.live[index] = entry
            record = entry["record"]
            self.technique.on_accept(by_index[index], {k: v for k, v in record.items() if k != PROVENANCE})

    def _records(self) -> list[dict[str, Any]]:
        return [self.live[i]["record"] for i in sorted(self.live)]

    # ------------------------------------------------------------ run

    def run(self) -> BuildResult:
        started = time.monotonic()
        journal = self._prepare()
        plans = list(self.technique.plan(list(self.lower.plan_records(self.spec, self.seed_examples))))
        by_index = {p.index: p for p in plans}
        self._replay(journal, by_index)
        kept = len(self.live)
        if self.options.format != "parquet" and (self.live or self.paths.out.exists()):
            self.writer.rewrite(self._records())  # drops a torn tail and anything the journal does not vouch for
        self._save_manifest("running", 0.0, _Tally())
        tally = _Tally()
        interrupted = False
        show = wants_progress(self.options.progress)
        with BuildProgress(show, total=len(plans), done=kept) as progress:
            try:
                self._generate([p for p in plans if p.index not in self.live], tally, progress, started)
                if self.dataset_check is not None and not tally.failed:
                    self._dataset_passes(by_index, tally, progress, started)
            except KeyboardInterrupt:
                interrupted = True
            except SynthspecError:
                self._save_manifest("failed", time.monotonic() - started, tally)
                raise
        seconds = time.monotonic() - started
        if self.options.format == "parquet" or tally.dropped:
            self.writer.rewrite(self._records())  # index order, whatever order regeneration appended in
        complete = len(self.live) == len(plans)
        status = "interrupted" if interrupted else ("complete" if complete else "incomplete")
        totals = self._save_manifest(status, seconds, tally)
        return BuildResult(
            paths=self.paths,
            total=len(plans),
            written=len(self.live),
            kept=kept,
            generated=tally.generated,
            failed=tally.failed,
            rejected=tally.rejected,
            prompt_tokens=totals["prompt_tokens"],
            completion_tokens=totals["completion_tokens"],
            seconds=seconds,
            interrupted=interrupted,
            dropped=tally.dropped,
        )

    def _generate(self, missing: list[RecordPlan], tally: _Tally, progress: BuildProgress, started: float) -> None:
        """Generate the missing records batch by batch, each batch journaled and written whole."""
        batches: dict[int, list[RecordPlan]] = {}
        for plan in missing:
            batches.setdefault(plan.index // self.batch_size, []).append(plan)
        for key in sorted(batches):
            finished, lost, n_rejected = self._run_batch(batches[key])
            with deferred_interrupt():  # a batch is written whole, or not at all
                self.journal.append_lines(finished)
                for entry in finished:
                    self.live[entry["index"]] = entry
                self.spent.extend(finished)
                self.writer.append([e["record"] for e in finished])
            tally.generated += len(finished)
            tally.failed += lost
            tally.rejected += n_rejected
            elapsed = max(time.monotonic() - started, 1e-9)
            progress.advance(len(finished), n_rejected, 60.0 * tally.generated / elapsed)

    def _dataset_passes(self, by_index: dict[int, RecordPlan], tally: _Tally, progress: BuildProgress,
                        started: float) -> None:
        """Run the dataset check; remove what it drops and regenerate it, up to `max_dataset_passes` times.

        The last pass only removes: a record still dropped then is left out
        (the build is `incomplete`, and re-running it tries again), because a
        record a `drop` validator refused must not reach the output.
        """
        assert self.dataset_check is not None
        for pass_ in range(self.options.max_dataset_passes + 1):
            ordered = sorted(self.live)
            verdicts = self.dataset_check([self.live[i]["record"] for i in ordered])
            if not verdicts:
                return
            removed = {ordered[position]: problems for position, problems in sorted(verdicts.items())
                       if 0 <= position < len(ordered)}
            with deferred_interrupt():  # the journal, the ledger and the output agree at every moment
                for index, problems in removed.items():
                    record = self.live.pop(index)["record"]
                    self.drops[index] = self.drops.get(index, 0) + 1
                    self.rejects.append_lines([{
                        "index": index, "field": p.field, "round": record[PROVENANCE].get("round"),
                        "seed": None, "stage": "dataset", "validator": p.validator, "reason": p.message,
                        "raw": {k: record.get(k) for k in self.columns},
                    } for p in problems])
                    self.journal.append_lines([{
                        "index": index, "dropped": self.drops[index],
                        "validators": sorted({p.validator for p in problems}),
                    }])
                self.writer.rewrite(self._records())
            tally.dropped += len(removed)
            progress.advance(-len(removed), 0, 0.0)
            if pass_ == self.options.max_dataset_passes:
                tally.failed += len(removed)
                return
            self._generate([by_index[i] for i in removed], tally, progress, started)
            if tally.failed:
                return

    def _save_manifest(self, status: str, seconds: float, tally: _Tally) -> dict:
        previous = self.manifest.load() if self.paths.manifest.exists() else None
        runs = list((previous or {}).get("runs", []))
        if status != "running":
            runs.append({"seconds": round(seconds, 3), "status": status, "failed": tally.failed,
                         "dropped_by_dataset_check": tally.dropped})
        # Tokens of every record ever generated, dropped ones included, each counted once (the
        # journal holds a record's tokens once, so resuming never double-counts them).
        totals = {
            "prompt_tokens": sum(int(e.get("prompt_tokens", 0)) for e in self.spent),
            "completion_tokens": sum(int(e.get("completion_tokens", 0)) for e in self.spent),
        }
        self.manifest.save({
            "manifest_version": MANIFEST_VERSION,
            "identity": self.identity,
            "status": status,
            "format": self.options.format,
            "batch_size": self.batch_size,
            "counts": {"requested": self.spec.count, "written": len(self.live),
                       "dropped_by_dataset_check": sum(self.drops.values())},
            "tokens": totals,
            "generation_seconds": round(sum(float(e.get("seconds", 0.0)) for e in self.spent), 3),
            "runs": runs,
            "technique": {"name": self.spec.technique.name, "report": _jsonable(self.technique.report)},
        })
        return totals

    # ------------------------------------------------------------ one batch

    def _run_batch(self, plans: Sequence[RecordPlan]) -> tuple[list[dict[str, Any]], int, int]:
        """Generate every record of a batch; returns (journal entries, records given up, rejections)."""
        started = time.monotonic()
        regen = self.options.max_record_attempts  # a regenerated record's rounds follow its earlier ones
        work = [_Work(plan, first_round=self.drops.get(plan.index, 0) * regen) for plan in plans]
        pending = list(work)
        for round_ in range(self.options.max_record_attempts):
            for item in pending:
                item.round = item.first_round + round_
                item.values = {**item.plan.sampled, **self.technique.fixed(item.plan)}
                item.seeds = {}
            active = list(pending)
            for name in self.order:
                needs = [item for item in active if name not in item.values]
                done = self._decode_field(name, needs) if needs else []
                kept_ids = {id(item) for item in done}
                active = [item for item in active if name in item.values or id(item) in kept_ids]
            pending = [item for item in active if not self._finish(item)]
            pending += [item for item in work if item.failed and item not in pending]
            for item in pending:
                item.failed = False
            if not pending:
                break
        given_up = {id(item) for item in pending}
        for item in work:  # index order, so technique state never depends on retry order
            if id(item) not in given_up:
                self.technique.on_accept(item.plan, {k: item.values.get(k) for k in self.columns})
        seconds = (time.monotonic() - started) / max(len(plans), 1)
        entries = [self._entry(item, seconds) for item in work if id(item) not in given_up]
        return entries, len(given_up), sum(item.rejected for item in work)

    def _decode_field(self, name: str, active: list[_Work]) -> list[_Work]:
        """Decode field `name` for every active record (with retries); returns the records that got it."""
        spec, model = self.spec, self.spec.model
        plans = {id(item): self.lower.plan_field(spec, name, self._with_context(item), item.values,
                                                 self.seed_examples)
                 for item in active}
        todo = list(active)
        attempts = max(self.options.max_field_attempts, int(getattr(self.technique, "field_attempts", 0) or 0))
        for attempt in range(attempts):
            if not todo:
                break
            requests = []
            for item in todo:
                fp = plans[id(item)]
                seed = derive_seed(item.plan.sub_seed, name, item.round, attempt)
                item.seeds[name] = seed
                budget = min(fp.max_tokens, model.max_tokens) if model.max_tokens else fp.max_tokens
                requests.append(GenRequest(fp.prompt, fp.grammar, budget, seed, model.temperature, model.top_p,
                                           model.top_k, model.repeat_penalty))
            results = self.backend.generate(requests)
            retry = []
            for item, request, result in zip(todo, requests, results, strict=True):
                item.prompt_tokens += result.prompt_tokens
                item.completion_tokens += result.completion_tokens
                reason = "truncated: the token budget ran out before the grammar could stop" \
                    if result.truncated else None
                validator = "grammar"
                if reason is None:
                    try:
                        value = self.lower.parse_value(spec, name, result.text)
                    except (ValueError, TypeError, SynthspecError) as exc:
                        reason = f"unparseable: {exc}"
                    else:
                        # a technique may refuse one field at once (a paraphrase that copies its source),
                        # so only that field is decoded again, not the whole record
                        problems = self.technique.accept_field(item.plan, name, value, dict(item.values))
                        if problems:
                            validator, reason = f"technique:{self.technique.name}", "; ".join(problems)
                        else:
                            item.values[name] = value
                if reason is not None:
                    self._reject(item, name, validator, reason, result.text, request.seed)
                    retry.append(item)
            todo = retry
        for item in todo:
            item.failed = True
        return [item for item in active if not item.failed]

    def _with_context(self, item: _Work) -> RecordPlan:
        """The record plan with the technique's decode-time prompt variables in `extra["context"]`."""
        context = self.technique.prompt_context(item.plan, dict(item.values))
        if not context:
            return item.plan
        return dataclasses.replace(item.plan, extra={**item.plan.extra, "context": context})

    def _finish(self, item: _Work) -> bool:
        """Derive, re-check and run the injected check; True if the record is accepted."""
        try:
            item.values.update(self.lower.derive(self.spec, item.values))
        except SynthspecError as exc:
            self._reject(item, None, "derive", str(exc), None, None)
            return False
        problems = [Rejection("constraints", message) for message in self.lower.verify_record(self.spec, item.values)]
        if not problems:
            problems = [Rejection(f"technique:{self.technique.name}", reason)
                        for reason in self.technique.accept(item.plan, dict(item.values))]
        if not problems and self.record_check is not None:
            problems = list(self.record_check(dict(item.values)))
        for problem in problems:
            self._reject(item, problem.field, problem.validator, problem.message,
                         {k: item.values.get(k) for k in self.columns}, None)
        fatal = next((p for p in problems if p.stop), None)
        if fatal is not None:
            raise SynthspecError(
                f"validator {fatal.validator!r} (policy fail) rejected record {item.plan.index}: {fatal.message}",
                code="V004",
                hint=f"the record is in {self.paths.rejects}; the records already written stay in {self.paths.out}. "
                     "Change the spec (or the validator's policy to drop/flag) and re-run to resume",
            )
        return not problems

    def _reject(self, item: _Work, name: str | None, validator: str, reason: str, raw: Any, seed: int | None) -> None:
        item.rejected += 1
        self.rejects.append_lines([{
            "index": item.plan.index, "field": name, "round": item.round, "seed": seed,
            "validator": validator, "reason": reason, "raw": raw,
        }])

    def _entry(self, item: _Work, seconds: float) -> dict[str, Any]:
        record = {name: item.values.get(name) for name in self.columns}
        record[PROVENANCE] = {
            **self.provenance_base,
            "index": item.plan.index,
            "sub_seed": item.plan.sub_seed,
            "round": item.round,
            "field_seeds": dict(item.seeds),
            "seed_examples": list(item.plan.seed_ids),
            # what a technique says about the record's place (a counterfactual's pair and role, its source)
            **{k: item.plan.extra[k] for k in ("pair_id", "role", "source_id") if k in item.plan.extra},
        }
        return {
            "index": item.plan.index,
            "record": record,
            "prompt_tokens": item.prompt_tokens,
            "completion_tokens": item.completion_tokens,
            "rejected": item.rejected,
            "seconds": round(seconds, 4),
        }


def run_build(
    spec: Spec,
    backend: Backend,
    options: BuildOptions,
    record_check: RecordCheck | None = None,
    lowering: ModuleType | None = None,
    dataset_check: DatasetCheck | None = None,
) -> BuildResult:
    """Build (or resume) the dataset of `spec` with `backend`; see `Engine`."""
    return Engine(spec, backend, options, record_check, lowering, dataset_check).run()
