"""The terminal report: a summary table per validator, then the first findings of each."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from synthspec.diagnostics import Severity
from synthspec.report.quality import quality_rows, sample_lines
from synthspec.validate.api import Finding
from synthspec.validate.results import Report

STYLE = {
    "ok": "green",
    "triggered": "bold red",
    "crashed": "yellow",
    "unavailable": "yellow",
    "skipped": "dim",
}


def _tally(findings: Iterable[Finding], keep: int) -> tuple[int, int, list[Finding], int]:
    """(errors, warnings, the first `keep` non-info findings, how many more) in one pass: a run's findings
    may be millions, read back from disk, so they are read once, not once per column."""
    errors = warnings = more = 0
    shown: list[Finding] = []
    for f in findings:
        if f.severity is Severity.INFO:
            continue
        if f.severity is Severity.ERROR:
            errors += 1
        else:
            warnings += 1
        if len(shown) < keep:
            shown.append(f)
        else:
            more += 1
    return errors, warnings, shown, more


def print_report(report: Report, console: Console | None = None, max_findings: int = 5) -> None:
    """Print the summary table, plugin failures, and up to `max_findings` findings per validator."""
    console = console or Console()
    table = Table(title=f"validation: {report.spec_name} ({report.record_count} records)")
    memory = any(run.peak_rss for run in report.runs)  # streaming runs measure peak RSS per validator
    for col in ("validator", "package", "policy", "status", "errors", "warnings", "s", *(("peak MiB",) if memory else ())):
        table.add_column(col)
    tallies = {run.name: _tally(run.result.findings, max_findings) for run in report.runs}
    for run in report.runs:
        errors, warnings, _shown, _rest = tallies[run.name]
        table.add_row(
            run.name,
            f"{run.package} {run.version}",
            run.policy,
            f"[{STYLE.get(run.status, '')}]{run.status}[/]",
            str(errors),
            str(warnings),
            f"{run.seconds:.1f}",
            *((f"{run.peak_rss / 2**20:.0f}" if run.peak_rss else "-",) if memory else ()),
        )
    console.print(table)
    if report.executor:
        peak = f", peak RSS {report.peak_rss / 2**20:.0f} MiB" if report.peak_rss else ""
        console.print(f"[dim]streamed on {report.executor}{peak}[/]", highlight=False)
    for run in report.runs:
        if run.result.metrics:
            measures = ", ".join(f"{k}={v}" for k, v in run.result.metrics.items())
            console.print(f"[dim]{run.name}:[/] {measures}", highlight=False)
        for note in run.result.notes[:3]:
            console.print(f"[dim]{run.name}: {note}[/]", highlight=False)
    for failure in report.plugin_failures:
        console.print(f"[yellow]warning:[/] {failure.describe()}", markup=True, highlight=False)
    for run in report.runs:
        if run.error:
            console.print(f"[yellow]{run.name}:[/] {run.error}", highlight=False)
        _errors, _warnings, shown, rest = tallies[run.name]
        for f in shown:
            where = f"record {f.record_index}: " if f.record_index is not None else ""
            console.print(
                f"  [{'red' if f.severity.value == 'error' else 'yellow'}]{run.name}[/] {where}{f.message}",
                highlight=False,
                markup=True,
            )
        if rest > 0:
            console.print(f"  … {rest} more from {run.name}", highlight=False)
    print_quality(report, console)
    verdict = (
        "[bold red]FAILED[/] (a validator with policy fail triggered)"
        if report.failed
        else "[green]passed[/]"
    )
    console.print(f"{verdict}: {len(report.dropped)} records would be dropped, {len(report.flagged)} flagged")


def print_quality(report: Report, console: Console) -> None:
    """The text quality table (records beside seeds; clearly worse figures in yellow) and the sample."""
    rows = quality_rows(report.quality)
    if rows:
        table = Table(title="text quality")
        for col in ("field", "measure", "records", "seeds"):
            table.add_column(col)
        for field, label, mine, theirs, bad in rows:
            table.add_row(field, label, f"[yellow]{mine}[/]" if bad else mine, theirs)
        console.print(table)
    lines = sample_lines(report.quality)
    if lines:
        sample = (report.quality or {}).get("sample") or {}
        console.print(f"a sample of records (seed {sample.get('seed')}, as `review export` picks them):",
                      highlight=False)
        for line in lines:
            console.print(f"  {line}", highlight=False, markup=False)
