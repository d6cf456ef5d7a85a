"""The streaming validation runner: one pass over a data file in chunks, on 1..N processes or on Ray.

    report = validate_file(spec, "data.jsonl", workers=2)

The driver plans chunks (`batches.plan_chunks`: boundaries only), hands them
to workers, and receives per chunk each validator's partial state plus the
shared per-record features (signatures, embeddings) computed there.  States
are merged in dataset order as they arrive (memory: one merged state per
validator, not one per chunk); features go to a `RunStore` on disk.  After the
pass each validator's `finish` runs in the driver with `ctx.shared` (the
store) and `ctx.total`.  The resulting `Report` has the shape
`runner.validate_records` gives (same policies, statuses, crash handling),
plus each validator's peak RSS.

Workers: `workers=1` runs in this process; `workers>1` uses spawned local
processes; `ray=...` uses Ray Data actors (see `ray_runner`).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.datafiles import SeedExample
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import Spec
from synthspec.validate.api import RecordBatch, Scope, Validator, ValidatorContext
from synthspec.validate.batches import TARGET_BYTES, Chunk, plan_chunks
from synthspec.validate.fanout import FinishPool
from synthspec.validate.finder import LoadedPlugins
from synthspec.validate.registry import get_registry
from synthspec.validate.results import Report, ValidatorRun
from synthspec.validate.runner import (
    Planned,
    _apply_policy,
    _diag,
    load_seeds,
    new_report,
    plan,
    record_unavailable,
)
from synthspec.validate.signatures import BatchFeatures, RunStore, default_cache_dir
from synthspec.validate.twophase import PeakRss, Phases, current_rss, timed

MERGE_EVERY = 8  # states held per validator before they are merged


@dataclass(frozen=True)
class Entry:
    """One validator to run: its report name, class and parsed parameters."""

    name: str
    cls: type[Validator]
    params: Any


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, sent once per worker (picklable: classes travel by import path)."""

    spec: Spec
    seeds: tuple[SeedExample, ...]
    entries: tuple[Entry, ...]
    cache_dir: str | None = None
    torch_threads: int | None = None


@dataclass
class ChunkResult:
    """What a worker sends back for one chunk."""

    start: int
    count: int
    states: dict[str, Any] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)
    features: dict[Any, Any] = field(default_factory=dict)
    rss: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    diagnostics: list[Diagnostic] | None = None


class Worker:
    """Runs every validator's `partial` on chunks; one per process (or Ray actor), prepared once."""

    def __init__(self, job: Job) -> None:
        if job.torch_threads:
            os.environ.setdefault("SYNTHSPEC_TORCH_THREADS", str(job.torch_threads))
        self.job = job
        self.phases: dict[str, Phases] = {}
        self.failed: dict[str, str] = {}
        for e in job.entries:
            ctx = ValidatorContext(spec=job.spec, records=(), seeds=job.seeds, params=e.params)
            try:
                validator = e.cls()
                validator.prepare(ctx)
                self.phases[e.name] = Phases(validator, ctx)
            except SynthspecError:
                raise
            except Exception as exc:  # reported as a crash of that validator, like the one-shot runner
                self.failed[e.name] = f"{type(exc).__name__}: {exc}"
        self.rss = PeakRss()

    def process(self, chunk: Chunk) -> ChunkResult:
        result = ChunkResult(chunk.start, chunk.count, crashed=dict(self.failed))
        try:
            records = chunk.records()
        except SynthspecError as exc:
            result.diagnostics = exc.diagnostics
            return result
        result.count = len(records)
        batch = RecordBatch(chunk.start, records, BatchFeatures(records, self.job.cache_dir))
        self.rss.peaks.clear()
        for name, ph in self.phases.items():
            try:
                with self.rss.track(name), timed(result.seconds, name):
                    result.states[name] = ph.partial(batch)
            except SynthspecError as exc:
                result.diagnostics = exc.diagnostics
                return result
            except Exception as exc:
                result.crashed[name] = f"{type(exc).__name__}: {exc}"
        result.features = batch.features.export()
        result.rss = dict(self.rss.peaks)
        return result


# --- local executors ------------------------------------------------------------------------------------

_WORKER: Worker | None = None


def _init_process(job: Job) -> None:
    global _WORKER
    _WORKER = Worker(job)


def _process_in_child(chunk: Chunk) -> ChunkResult:
    assert _WORKER is not None
    return _WORKER.process(chunk)


def run_in_process(job: Job, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
    worker = Worker(job)
    try:
        for chunk in chunks:
            yield worker.process(chunk)
    finally:
        worker.rss.stop()


def run_in_processes(job: Job, chunks: Iterable[Chunk], workers: int) -> Iterator[ChunkResult]:
    """Chunks on `workers` spawned processes, results in chunk order, at most 2 chunks a worker in flight."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # fork would copy the driver's threads and torch state
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_process, initargs=(job,)) as pool:
        window: list[Future[ChunkResult]] = []
        for chunk in chunks:
            window.append(pool.submit(_process_in_child, chunk))
            if len(window) >= 2 * workers:
                yield window.pop(0).result()
        for fut in window:
            yield fut.result()


# --- the driver -------------------------------------------------------------------------------------------

Executor = Callable[[Job, Iterable[Chunk]], Iterator[ChunkResult]]


def default_workers() -> int:
    """Local processes by default: one per core, at most 2 (the validators are CPU-bound; more rarely pays)."""
    return max(1, min(2, os.cpu_count() or 1))


def validate_file(
    spec: Spec,
    path: str | Path,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    seeds: Sequence[SeedExample] | None = None,
    registry: LoadedPlugins | None = None,
    cache_dir: str | Path | None | bool = True,
    target_bytes: int = TARGET_BYTES,
) -> Report:
    """Stream `path` through the spec's validators and apply their policies.

    `workers`: local processes (default `default_workers()`; a file of one
    chunk runs in this process).  `ray_address`: run on Ray instead ("local"
    starts a local Ray, else the address of a running cluster).  `cache_dir`:
    the signature cache (True: `default_cache_dir()`, False/None: none).
    """
    registry = registry or get_registry()
    seeds = load_seeds(spec) if seeds is None else list(seeds)
    planned, _warnings = plan(spec, registry)
    if cache_dir is True:
        cache_dir = default_cache_dir()
    cache = str(cache_dir) if cache_dir else None
    entries = tuple(Entry(p.use.name, p.plugin.cls, p.params) for p in planned if p.plugin is not None)
    workers = workers or default_workers()
    job = Job(spec, tuple(seeds), entries, cache, torch_threads=max(1, (os.cpu_count() or 1) // workers))
    planned_chunks = plan_chunks(path, target_bytes)
    head = list(itertools.islice(planned_chunks, 2))  # a one-chunk file is not worth starting processes for
    chunks = itertools.chain(head, planned_chunks)
    if ray_address is not None:
        from synthspec.validate.ray_runner import run_on_ray

        results = run_on_ray(job, chunks, ray_address, workers)
        executor_name = f"ray ({workers} actors)"
    elif workers > 1 and len(head) > 1:
        results = run_in_processes(job, chunks, workers)
        executor_name = f"{workers} processes"
    else:
        results = run_in_process(job, chunks)
        executor_name = "1 process"
    return drive(spec, planned, job, results, registry, executor_name, workers=workers)


def drive(
    spec: Spec,
    planned: list[Planned],
    job: Job,
    results: Iterable[ChunkResult],
    registry: LoadedPlugins,
    executor_name: str = "",
    workers: int = 1,
) -> Report:
    """Merge chunk results in order, run every `finish` (with a pool of `workers` processes), build the report."""
    driver_rss = PeakRss()
    store = RunStore(job.cache_dir)
    pool = FinishPool(workers)
    phases: dict[str, Phases] = {}
    for e in job.entries:
        ctx = ValidatorContext(spec=job.spec, records=(), seeds=job.seeds, params=e.params)
        try:
            validator = e.cls()
            validator.prepare(ctx)
            phases[e.name] = Phases(validator, ctx)
        except SynthspecError:
            raise
        except Exception:
            pass  # the workers report the same crash
    pending: dict[str, list[Any]] = {name: [] for name in phases}
    crashed: dict[str, str] = {}
    seconds: dict[str, float] = {}
    peaks: dict[str, int] = {}
    total = 0
    ok = False
    try:
        for res in results:
            if res.diagnostics:
                raise SynthspecError(res.diagnostics)
            total += res.count
            store.append(res.start, res.features)
            for name, why in res.crashed.items():
                crashed.setdefault(name, why)
            for name, sec in res.seconds.items():
                seconds[name] = seconds.get(name, 0.0) + sec
            for name, rss in res.rss.items():
                peaks[name] = max(peaks.get(name, 0), rss)
            for name, state in res.states.items():
                if name in crashed or name not in pending:
                    continue
                pending[name].append(state)
                if len(pending[name]) >= MERGE_EVERY:
                    try:
                        with driver_rss.track(name), timed(seconds, name):
                            pending[name] = [phases[name].merge(pending[name])]
                    except Exception as exc:
                        crashed[name] = f"{type(exc).__name__}: {exc}"
        report = new_report(job.spec, total, planned, registry)
        for p in planned:
            if p.plugin is None:
                record_unavailable(report, p, registry)
                continue
            name = p.use.name
            found = p.plugin.found
            run = ValidatorRun(
                name=name,
                package=found.package,
                version=found.version,
                scope=str(Scope(p.plugin.cls.scope).value),
                policy=p.policy,
                params=p.params.model_dump(mode="json") if p.params is not None else {},
            )
            start = time.perf_counter()
            error = crashed.get(name) or (None if name in phases else "could not be prepared")
            if error is None:
                ctx = ValidatorContext(
                    spec=job.spec, records=(), seeds=job.seeds, params=p.params, shared=store, total=total,
                    pool=pool,
                )
                try:
                    with driver_rss.track(name):
                        ph = phases[name]
                        state = ph.merge(pending.pop(name))
                        run.result = ph.finish(state, ctx)
                except SynthspecError:
                    raise
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
            if error is not None:
                run.status = "crashed"
                run.error = f"{error} (in {found.package} {found.version})"
                if p.use.required:
                    raise SynthspecError(_diag(p.use, codes.VALIDATOR_CRASHED, f"required validator {name!r} crashed: {run.error}"))
            run.seconds = seconds.get(name, 0.0) + time.perf_counter() - start
            run.peak_rss = max(peaks.get(name, 0), driver_rss.peaks.get(name, 0), pool.take_peak()) or None
            if run.status == "ok" and run.has_errors:
                run.status = "triggered"
            _apply_policy(report, run)
            report.runs.append(run)
        report.executor = executor_name
        report.peak_rss = max([current_rss(), *peaks.values(), *driver_rss.peaks.values(),
                               *(r.peak_rss or 0 for r in report.runs)])
        ok = True
        return report
    finally:
        pool.close()
        driver_rss.stop()
        store.close(publish=ok)


__all__ = ["ChunkResult", "Entry", "Job", "Worker", "default_workers", "drive", "validate_file"]
