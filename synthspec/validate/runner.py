"""Running validators: which ones a spec asks for, with which parameters and policies.

Two entry points for the build (record checks inside the generation loop,
dataset validators after it) and one for `synthspec validate` (everything).
A spec that names no validators gets every built-in one with its default
policy; third-party validators run only when the spec names them.  A named
validator that failed to load is skipped with a warning, unless the spec
marks it `required`, which makes it a `SynthspecError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

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
                        "V002",
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
            errors.append(_diag(use, "V001", f"bad parameters for validator {use.name!r}: {problems}"))
            continue
        planned.append(Planned(use, plugin, params))
    if errors:
        raise SynthspecError(errors)
    return planned, warnings


def _normalise(result: ValidatorResult | list[Finding] | None) -> ValidatorResult:
    if result is None:
        return ValidatorResult()
    if isinstance(result, ValidatorResult):
        return result
    return ValidatorResult(findings=list(result))


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
        run.error = f"{type(exc).__name__}: {exc} (in {found.package} {found.version})"
        if p.use.required:
            raise SynthspecError(
                _diag(p.use, "V003", f"required validator {p.use.name!r} crashed: {run.error}")
            ) from exc
    run.seconds = time.perf_counter() - start
    if run.status == "ok" and run.errors:
        run.status = "triggered"
    return run


def _apply_policy(report: Report, run: ValidatorRun) -> None:
    if run.status != "triggered":
        return
    if run.policy == "fail":
        report.failed = True
    indices = {f.record_index for f in run.errors if f.record_index is not None}
    if run.policy == "drop":
        report.dropped |= indices
    else:
        report.flagged |= indices


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
    report = Report(spec_name=spec.name, record_count=len(records), plugin_failures=list(registry.failures))
    for p in planned:
        if p.plugin is None:
            failure = registry.failure(p.use.name)
            report.runs.append(
                ValidatorRun(
                    name=p.use.name,
                    package=failure.found.package if failure else "-",
                    version=failure.found.version if failure else "-",
                    scope="-",
                    policy=p.policy,
                    params=dict(p.use.params),
                    status="unavailable",
                    error=p.why,
                )
            )
            continue
        if Scope(p.plugin.cls.scope) not in scopes:
            continue
        run = _run_one(p, spec, records, seeds)
        _apply_policy(report, run)
        report.runs.append(run)
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
    that raises is a rejection with policy `flag` (or re-raised if required).
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
                findings = validator.check_record(record, index, ctx)
            except Exception as exc:
                if p.use.required:
                    raise SynthspecError(
                        _diag(p.use, "V003", f"required validator {p.use.name!r} crashed: {exc}")
                    ) from exc
                rejections.append(
                    Rejection(p.use.name, f"validator crashed: {type(exc).__name__}: {exc}", policy="flag")
                )
                continue
            errors = tuple(f for f in findings if f.severity is Severity.ERROR)
            if not errors:
                continue
            message = "; ".join(f.message for f in errors)
            if p.policy == "fail" and raise_on_fail:
                raise SynthspecError(
                    _diag(
                        p.use, "V004", f"validator {p.use.name!r} (policy fail) rejected a record: {message}"
                    )
                )
            rejections.append(Rejection(p.use.name, message, errors[0].field, p.policy, errors))
        return [r for r in rejections if r.policy in policies]

    return check
