"""The validator plugin API, version 1: what a validator declares, receives and returns.

This is the whole contract between synthspec and a validator package (built-in
or third-party); docs/plugins.md documents every public name here and a test
checks that it does.  A validator is a class registered under the entry-point
group `synthspec.validators`.  It declares its name, the API version it was
written for, a pydantic model of its parameters (so the checker can reject a
bad `validate foo(x=...)` at compile time), its scope and a default policy, and
it returns typed `Finding`s.  Bumping `API_VERSION` is a breaking change.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from synthspec.datafiles import SeedExample
from synthspec.diagnostics import Severity  # one Severity: spec diagnostics' and findings'
from synthspec.generate.records import Rejection  # the engine's type: one Rejection for validators and builds
from synthspec.ir.model import Policy, Spec  # one Policy: the IR's (a spec's `validate ... drop`)

if TYPE_CHECKING:
    from synthspec.validate.findings import FindingLog  # a list of findings that spills to disk

API_VERSION = 1

POLICIES: tuple[str, ...] = typing.get_args(Policy)


class Scope(str, Enum):
    """RECORD validators judge one record at a time (and can run inside the build loop);
    DATASET validators need the whole dataset (duplicates, distributions)."""

    RECORD = "record"
    DATASET = "dataset"


class Params(BaseModel):
    """Base for a validator's parameter model: unknown parameters are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """Parameter model of a validator that takes none."""


@dataclass(frozen=True, slots=True)  # slots: a 10M-record report holds millions of these
class Finding:
    """One thing a validator found.

    `record_index` is the 0-based position in the records given to the
    validator (None for a dataset-wide finding); `record_id` is the record's
    `id` (or `_provenance.id`) when it has one.  `value` is what was measured
    and `threshold` what it was compared against, so reports can show both.
    """

    validator: str
    severity: Severity
    message: str
    record_index: int | None = None
    record_id: str | None = None
    field: str | None = None
    value: float | str | None = None
    threshold: float | str | None = None
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "validator": self.validator,
            "severity": self.severity.value,
            "message": self.message,
            "record_index": self.record_index,
            "record_id": self.record_id,
            "field": self.field,
            "value": self.value,
            "threshold": self.threshold,
            "code": self.code,
        }


@dataclass(frozen=True)
class Histogram:
    """Data for one plot: bin labels and one series of counts per source ("seeds", "synthetic")."""

    title: str
    labels: tuple[str, ...]
    series: dict[str, tuple[float, ...]]
    kind: Literal["bars", "hist"] = "bars"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "labels": list(self.labels),
            "series": {k: list(v) for k, v in self.series.items()},
            "kind": self.kind,
        }


@dataclass
class ValidatorResult:
    """What a validator returns: findings, named measurements, plot data, notes."""

    # a list, or a `FindingLog` (spills to disk past a limit) where a validator may find one per record
    findings: list[Finding] | FindingLog = field(default_factory=list)
    metrics: dict[str, float | int | str | None] = field(default_factory=dict)
    histograms: list[Histogram] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ValidatorContext:
    """Everything a validator may look at.

    `records` are dicts keyed by field name; keys starting with `_` (such as
    `_provenance`) are bookkeeping and not part of the data.  `seeds` are the
    spec's seed examples (empty when the spec has none).  `params` is an
    instance of the validator's `Params` model.
    """

    spec: Spec
    records: Sequence[dict[str, Any]]
    seeds: Sequence[SeedExample]
    params: Any
    # two-phase runs only: the run's shared per-record features (MinHash signatures, embeddings) for `finish`,
    # and the number of records once the pass is over.  None in a one-shot `check_dataset` run.
    shared: Any = None
    total: int | None = None
    # two-phase runs only: `finish` may split independent work over the run's worker processes with
    # `pool.map(module_level_function, pieces)` (`pool.workers` of them; see synthspec.validate.fanout)
    pool: Any = None


class RecordBatch:
    """A slice of the dataset given to `Validator.partial`: consecutive records from global index `start`.

    `records` are plain dicts (as `ValidatorContext.records`); findings must use
    `start + i` as `record_index`.  `features` lazily computes what several
    validators share (MinHash signatures, embeddings, exact-text keys) once per
    batch; a feature asked for in `partial` is kept for the whole run and read
    back in `finish` through `ctx.shared` (see synthspec.validate.signatures).
    """

    def __init__(self, start: int, records: list[dict[str, Any]], features: Any = None) -> None:
        self.start = start
        self.records = records
        self.features = features

    def __len__(self) -> int:
        return len(self.records)

    def indexed(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(global index, record) pairs."""
        return enumerate(self.records, start=self.start)


class Validator:
    """Base class of every validator.

    Subclasses set the class attributes and implement `check_record` (RECORD
    scope) or `check_dataset` (DATASET scope).  A RECORD validator's
    `check_dataset` defaults to calling `check_record` on every record.
    Instances are created once per run and may cache work in `prepare`.

    A DATASET validator that should stream (bounded memory, many processes,
    Ray) also implements the two-phase methods `partial`, `merge` and
    `finish`; `two_phase(cls)` tells whether it does.  Validators that do not
    keep working: the runners wrap them in an adapter that collects the
    records (RECORD scope needs no collecting at all).
    """

    name: ClassVar[str] = ""
    api_version: ClassVar[int] = API_VERSION
    Params: ClassVar[type[BaseModel]] = NoParams
    scope: ClassVar[Scope] = Scope.DATASET
    default_policy: ClassVar[Policy] = "flag"
    description: ClassVar[str] = ""

    def prepare(self, ctx: ValidatorContext) -> None:
        """Called once before any check, with `ctx.records` possibly empty (build-time use)."""

    def check_record(self, record: dict[str, Any], index: int, ctx: ValidatorContext) -> list[Finding]:
        """Findings for one record (RECORD scope)."""
        raise NotImplementedError(f"{type(self).__name__} does not check single records")

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult | list[Finding]:
        """Findings for the whole dataset.

        Default: a two-phase validator runs its phases over the whole dataset
        as one batch; any other, every record through `check_record`.
        """
        if two_phase(type(self)):
            from dataclasses import replace

            from synthspec.validate.signatures import BatchFeatures

            batch = RecordBatch(0, list(ctx.records), BatchFeatures(ctx.records))
            state = self.merge([self.partial(batch, ctx)], ctx)
            return self.finish(state, replace(ctx, shared=batch.features, total=len(batch)))
        findings: list[Finding] = []
        for index, record in enumerate(ctx.records):
            found = self.check_record(record, index, ctx)
            if not isinstance(found, (list, tuple)):
                raise TypeError(f"{type(self).__name__}.check_record returned {type(found).__name__} "
                                f"{found!r:.60}, not a list of Finding")
            findings.extend(found)
        return ValidatorResult(findings=findings)

    # two-phase API (streaming) ---------------------------------------------------
    def partial(self, batch: RecordBatch, ctx: ValidatorContext) -> Any:
        """A picklable summary of one batch (counts, keys, small samples): never the whole batch.

        Runs on any worker (another process, a Ray node) with this class
        instantiated there and `prepare` called once; it must not depend on
        which other records share the batch.
        """
        raise NotImplementedError(f"{type(self).__name__} has no two-phase methods")

    def merge(self, states: Sequence[Any], ctx: ValidatorContext) -> Any:
        """One state from several, given in dataset order (earlier batches first); must be associative."""
        raise NotImplementedError(f"{type(self).__name__} has no two-phase methods")

    def finish(self, state: Any, ctx: ValidatorContext) -> ValidatorResult | list[Finding]:
        """The result from the merged state of the whole dataset (`ctx.total` records)."""
        raise NotImplementedError(f"{type(self).__name__} has no two-phase methods")

    # helpers for subclasses -------------------------------------------------
    def finding(self, severity: Severity | str, message: str, **where: Any) -> Finding:
        """A Finding stamped with this validator's name."""
        return Finding(validator=self.name, severity=Severity(severity), message=message, **where)

    def check_limit(
        self,
        result: ValidatorResult,
        metric: str | None,
        value: float,
        limit: float,
        message: str,
        *,
        below: bool = False,
        severity: Severity | str = "error",
        **where: Any,
    ) -> bool:
        """Record a measurement and add a finding when it passes its limit; True when it did.

        Most dataset checks are "measure, keep the number, compare it with a
        threshold, report the crossing with both numbers".  Doing that in one
        place keeps the rounding (4 places) and the Finding fields the same in
        every validator, which the reports and `--json` consumers rely on.
        The comparison uses the unrounded value: `value > limit`, or
        `value < limit` with `below=True`.
        """
        rounded = round(float(value), 4)
        if metric:
            result.metrics[metric] = rounded
        crossed = value < limit if below else value > limit
        if crossed:
            result.findings.append(
                self.finding(severity, message, value=rounded, threshold=round(float(limit), 4), **where)
            )
        return crossed


def two_phase(cls: type[Validator]) -> bool:
    """True when the validator class implements `partial`, `merge` and `finish` itself."""
    return all(getattr(cls, m) is not getattr(Validator, m) for m in ("partial", "merge", "finish"))


def data_keys(record: dict[str, Any]) -> dict[str, Any]:
    """The record without bookkeeping keys (those starting with `_`)."""
    return {k: v for k, v in record.items() if not str(k).startswith("_")}


def record_id(record: dict[str, Any]) -> str | None:
    """A record's id: its `id` key, else `_provenance["id"]`, else None."""
    if record.get("id") is not None:
        return str(record["id"])
    prov = record.get("_provenance")
    if isinstance(prov, dict) and prov.get("id") is not None:
        return str(prov["id"])
    return None


__all__ = [
    "API_VERSION",
    "POLICIES",
    "Finding",
    "Histogram",
    "NoParams",
    "Params",
    "Policy",
    "RecordBatch",
    "Rejection",
    "Scope",
    "Severity",
    "Validator",
    "ValidatorContext",
    "ValidatorResult",
    "data_keys",
    "record_id",
    "two_phase",
]
