"""Running validators: which ones a spec asks for, with which parameters and policies.

Two entry points for the build (record checks inside the generation loop,
dataset validators after it) and one for `synthspec validate` (everything).
A spec that names no validators gets every built-in one with its default
policy; third-party validators run only when the spec names them.  A named
validator that failed to load is skipped with a warning, unless the spec
marks it `required`, which makes it a `SynthspecError`.

A validator that raises, or returns something other than findings (a string
from `check_record`, say), is that validator's `crashed` run, named with its
package and version; the others still run.  Under policy `fail` a crashed or
unavailable validator fails the run (it could not vouch for the data), whether
or not it is `required`.  Plugins that failed to load are reported only when
the spec names them (`synthspec plugins` lists them all).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from synthspec import codes
from synthspec.datafiles import SeedExample, load_seed_examples
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import Spec, ValidatorUse
from synthspec.validate.api import (
    Finding,
    Policy,
    Rejection,
    Scope,
    Severity,
    Validator,
    ValidatorContext,
    ValidatorResult,
)
from synthspec.validate.finder import LoadedPlugin, LoadedPlugins
from synthspec.validate.quality import measure_quality
from synthspec.validate.registry import builtin_names, get_registry
from synthspec.validate.results import Report, ValidatorRun


@dataclass
class Planned:
    """A validator the spec asked for, resolved against the registry."""

    use: ValidatorUse
    plugin: LoadedPlugin | None
    params: Any = None
    why: str | None = None  # why it cannot run, when plugin is None

    @property
    def policy(self) -> Policy:
        if self.use.policy:
            return self.use.policy
        return self.plugin.cls.default_policy if self.plugin else "flag"


def load_seeds(spec: Spec) -> list[SeedExample]:
    """The spec's seed examples, or [] when it has none."""
    if spec.seeds is None:
        return []
    s = spec.seeds
    return load_seed_examples(s.resolved_path, s.format, s.columns, s.id_column)


def _diag(use: ValidatorUse, code: str, message: str, hint: str | None = None) -> Diagnostic:
    span = use.span
    return Diagnostic(
        code=code,
        message=message,
        file=span.file if span else None,
        line=span.line if span else None,
        column=span.column if span else None,
        hint=hint,
    )


def plan(spec: Spec, registry: LoadedPlugins | None = None) -> tuple[list[Planned], list[str]]:
    """The validators to run, with parsed parameters, and warnings about ones that cannot run."""
    registry = registry or get_registry()
    uses = list(spec.validators) or [ValidatorUse(name=n) for n in builtin_names(registry)]
    planned: list[Planned] = []
    warnings: list[str] = []
    errors: list[Diagnostic] = []
    for use in uses:
        plugin = registry.plugins.get(use.name)
        if plugin is None:
            failure = registry.failure(use.name)
            why = failure.describe() if failure else f"no installed validator is called {use.name!r}"
            if use.required:
                errors.append(
                    _diag(
                        use,
                        codes.VALIDATOR_UNAVAILABLE,
                        f"required validator unavailable: {why}",
                        "install or fix the plugin package",
                    )
                )
            else:
                warnings.append(f"skipped: {why}")
            planned.append(Planned(use, None, why=why))
            continue
        try:
            params = plugin.cls.Params.model_validate(dict(use.params))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors()
            )
            errors.append(_diag(use, codes.BAD_VALIDATOR_PARAMS,
                                f"bad parameters for validator {use.name!r}: {problems}"))
            continue
        planned.append(Planned(use, plugin, params))
    if errors:
        raise SynthspecError(errors)
    return planned, warnings


def checked_findings(found: Any, method: str = "check_record") -> list[Finding]:
    """`found` if it is a list of `Finding`s; else a TypeError saying what the validator returned."""
    if not isinstance(found, (list, tuple)):
        raise TypeError(f"{method} returned {type(found).__name__} {found!r:.60}, not a list of Finding")
    bad = next((f for f in found if not isinstance(f, Finding)), None)
    if bad is not None:
        raise TypeError(f"{method} returned a list holding {type(bad).__name__} {bad!r:.60}, not Findings")
    return list(found)


def _normalise(result: ValidatorResult | list[Finding] | None) -> ValidatorResult:
    if result is None:
        return ValidatorResult()
    if isinstance(result, ValidatorResult):
        result.findings = checked_findings(result.findings, "check_dataset")
        return result
    return ValidatorResult(findings=checked_findings(result, "check_dataset"))


def _run_one(
    p: Planned, spec: Spec, records: Sequence[dict[str, Any]], seeds: Sequence[SeedExample]
) -> ValidatorRun:
    assert p.plugin is not None
    found = p.plugin.found
    run = ValidatorRun(
        name=p.use.name,
        package=found.package,
        version=found.version,
        scope=str(Scope(p.plugin.cls.scope).value),
        policy=p.policy,
        params=p.params.model_dump(mode="json") if p.params is not None else {},
    )
    ctx = ValidatorContext(spec=spec, records=records, seeds=seeds, params=p.params)
    start = time.perf_counter()
    try:
        validator: Validator = p.plugin.cls()
        validator.prepare(ctx)
        run.result = _normalise(validator.check_dataset(ctx))
    except SynthspecError:
        raise
    except Exception as exc:  # a plugin bug must not lose the other validators' results
        run.status = "crashed"
        run.result = ValidatorResult()
        run.error = f"{type(exc).__name__}: {exc} (in {found.package} {found.version})"
        if p.use.required:
            raise SynthspecError(
                _diag(p.use, codes.VALIDATOR_CRASHED, f"required validator {p.use.name!r} crashed: {run.error}")
            ) from exc
    run.seconds = time.perf_counter() - start
    if run.status == "ok" and run.has_errors:
        run.status = "triggered"
    return run


def _apply_policy(report: Report, run: ValidatorRun) -> None:
    if run.status in ("crashed", "unavailable") and run.policy == "fail":
        report.failed = True  # a `fail` validator that could not run cannot vouch for the data
        return
    if run.status != "triggered":
        return
    if run.policy == "fail":
        report.failed = True
    indices = run.error_indices()
    if run.policy == "drop":
        report.dropped |= indices
    else:
        report.flagged |= indices


def new_report(spec: Spec, record_count: int, planned: Sequence[Planned], registry: LoadedPlugins) -> Report:
    """An empty report; load failures of plugins the spec does not use stay out of it."""
    named = {p.use.name for p in planned}
    return Report(spec_name=spec.name, record_count=record_count,
                  plugin_failures=[f for f in registry.failures if f.found.name in named])


def record_unavailable(report: Report, p: Planned, registry: LoadedPlugins) -> None:
    """The run of a validator that could not be loaded; a `fail` one fails the report (one rule for every runner)."""
    failure = registry.failure(p.use.name)
    run = ValidatorRun(
        name=p.use.name,
        package=failure.found.package if failure else "-",
        version=failure.found.version if failure else "-",
        scope="-",
        policy=p.policy,
        params=dict(p.use.params),
        status="unavailable",
        error=p.why,
    )
    _apply_policy(report, run)
    report.runs.append(run)


def validate_records(
    spec: Spec,
    records: Sequence[dict[str, Any]],
    seeds: Sequence[SeedExample] | None = None,
    registry: LoadedPlugins | None = None,
    scopes: Sequence[Scope] = (Scope.RECORD, Scope.DATASET),
) -> Report:
    """Run the spec's validators of the given scopes over `records` and apply their policies."""
    registry = registry or get_registry()
    seeds = load_seeds(spec) if seeds is None else seeds
    planned, _warnings = plan(spec, registry)
    report = new_report(spec, len(records), planned, registry)
    for p in planned:
        if p.plugin is None:
            record_unavailable(report, p, registry)
            continue
        if Scope(p.plugin.cls.scope) not in scopes:
            continue
        run = _run_one(p, spec, records, seeds)
        _apply_policy(report, run)
        report.runs.append(run)
    report.quality = measure_quality(spec, records, seeds)
    return report


def run_dataset_validators(
    spec: Spec,
    records: Sequence[dict[str, Any]],
    seeds: Sequence[SeedExample] | None = None,
    registry: LoadedPlugins | None = None,
) -> Report:
    """The dataset-level validators only (the build ran the record-level ones per record)."""
    return validate_records(spec, records, seeds, registry, scopes=(Scope.DATASET,))


def make_record_check(
    spec: Spec,
    plugins: LoadedPlugins | None = None,
    seeds: Sequence[SeedExample] | None = None,
    policies: Sequence[Policy] = ("drop", "flag", "fail"),
    raise_on_fail: bool = False,
) -> Callable[[dict[str, Any]], list[Rejection]]:
    """A callback for the build engine: a record -> the rejections of record-level validators.

    Each rejection carries the validator's policy: `drop` means do not keep
    (or regenerate) the record, `flag` keep it but mark it, `fail` stop the
    build.  Only ERROR findings reject; only rejections whose policy is in
    `policies` are returned (a build loop that regenerates rejected records
    passes `policies=("drop",)`).  With `raise_on_fail`, a `fail` rejection
    raises `SynthspecError` (code V004) instead.  A record-level validator
    that raises (or returns something other than a list of findings) is a
    rejection with policy `flag`, or a `SynthspecError` (V003) when it is
    `required` or its policy is `fail`.
    """
    registry = plugins or get_registry()
    seeds = load_seeds(spec) if seeds is None else seeds
    planned, _warnings = plan(spec, registry)
    active: list[tuple[Planned, Validator, ValidatorContext]] = []
    for p in planned:
        if p.plugin is None or Scope(p.plugin.cls.scope) is not Scope.RECORD:
            continue
        ctx = ValidatorContext(spec=spec, records=(), seeds=seeds, params=p.params)
        validator = p.plugin.cls()
        validator.prepare(ctx)
        active.append((p, validator, ctx))
    counter = {"index": 0}

    def check(record: dict[str, Any]) -> list[Rejection]:
        index = counter["index"]
        counter["index"] += 1
        rejections: list[Rejection] = []
        for p, validator, ctx in active:
            try:
                findings = checked_findings(validator.check_record(record, index, ctx))
            except Exception as exc:
                found = p.plugin.found if p.plugin else None
                where = f" (in {found.package} {found.version})" if found else ""
                error = f"{type(exc).__name__}: {exc}{where}"
                if p.use.required or p.policy == "fail":
                    what = "required validator" if p.use.required else "validator (policy fail)"
                    raise SynthspecError(
                        _diag(p.use, codes.VALIDATOR_CRASHED, f"{what} {p.use.name!r} crashed: {error}")
                    ) from exc
                rejections.append(Rejection(p.use.name, f"validator crashed: {error}", policy="flag"))
                continue
            errors = tuple(f for f in findings if f.severity is Severity.ERROR)
            if not errors:
                continue
            message = "; ".join(f.message for f in errors)
            if p.policy == "fail" and raise_on_fail:
                raise SynthspecError(
                    _diag(
                        p.use, codes.POLICY_FAIL, f"validator {p.use.name!r} (policy fail) rejected a record: {message}"
                    )
                )
            rejections.append(Rejection(p.use.name, message, errors[0].field, p.policy, errors))
        return [r for r in rejections if r.policy in policies]

    return check
