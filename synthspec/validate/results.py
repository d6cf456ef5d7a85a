"""The outcome of a validation run: one `ValidatorRun` per validator, and the verdict.

The report stage renders this (text, HTML, JSON); the build uses `dropped`
to filter records and `failed` for its exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from synthspec.validate.api import Finding, Policy, Severity, ValidatorResult
from synthspec.validate.finder import PluginFailure

Status = Literal["ok", "triggered", "skipped", "crashed", "unavailable"]


@dataclass
class ValidatorRun:
    """One validator's run: where it came from, its policy, its result or why it has none."""

    name: str
    package: str
    version: str
    scope: str
    policy: Policy
    params: dict[str, Any]
    status: Status = "ok"
    result: ValidatorResult = field(default_factory=ValidatorResult)
    error: str | None = None
    seconds: float = 0.0
    peak_rss: int | None = None  # bytes; streaming runs only (the process's largest RSS while it ran)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.result.findings if f.severity is Severity.ERROR]

    @property
    def has_errors(self) -> bool:
        """Any error finding (stops at the first: a spilled log is not read through for a yes/no)."""
        return any(f.severity is Severity.ERROR for f in self.result.findings)

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.result.findings if f.severity is Severity.ERROR)

    def error_indices(self) -> set[int]:
        """The records that have an error finding (one pass over the findings, nothing else kept)."""
        return {f.record_index for f in self.result.findings
                if f.severity is Severity.ERROR and f.record_index is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "package": self.package,
            "version": self.version,
            "scope": self.scope,
            "policy": self.policy,
            "params": self.params,
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 4),
            "peak_rss_mib": round(self.peak_rss / 2**20, 1) if self.peak_rss else None,
            "metrics": self.result.metrics,
            "notes": self.result.notes,
            "findings": [f.to_json() for f in self.result.findings],
            "histograms": [h.to_json() for h in self.result.histograms],
        }


@dataclass
class Report:
    """Every validator's run over one dataset, and what the policies decided."""

    spec_name: str
    record_count: int
    runs: list[ValidatorRun] = field(default_factory=list)
    plugin_failures: list[PluginFailure] = field(default_factory=list)
    dropped: set[int] = field(default_factory=set)
    flagged: set[int] = field(default_factory=set)
    failed: bool = False
    data_file: str | None = None
    executor: str | None = None  # streaming runs: "1 process", "2 processes", "ray (2 actors)"
    peak_rss: int | None = None  # streaming runs: the driver's or a worker's largest RSS, bytes
    #: per-text-field quality measures beside the seeds' and a seeded sample (validate/quality.py)
    quality: dict[str, Any] | None = None

    @property
    def findings(self) -> list[Finding]:
        return [f for run in self.runs for f in run.result.findings]

    def run(self, name: str) -> ValidatorRun:
        """The run of the validator called `name` (KeyError if it did not run)."""
        for r in self.runs:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec_name,
            "data_file": self.data_file,
            "records": self.record_count,
            "failed": self.failed,
            "executor": self.executor,
            "peak_rss_mib": round(self.peak_rss / 2**20, 1) if self.peak_rss else None,
            "dropped": sorted(self.dropped),
            "flagged": sorted(self.flagged),
            "plugin_failures": [
                {
                    "name": f.found.name,
                    "package": f.found.package,
                    "version": f.found.version,
                    "error": f.error,
                }
                for f in self.plugin_failures
            ],
            "validators": [r.to_json() for r in self.runs],
            "quality": self.quality,
        }
