"""Helpers for plugin authors' tests: run one validator, by name, the way synthspec runs it.

    from synthspec.validate.testing import run_validator
    result = run_validator("reading_level", [{"text": "..."}], SPEC_TEXT, max_grade=8)
    assert result.findings[0].record_index == 0

The validator is looked up through the installed entry points (so the test
also proves the package registers it), the spec may be `.synth` source text,
a path, or a compiled `Spec`, and parameters go through the validator's
pydantic model exactly as a spec's would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synthspec.datafiles import SeedExample
from synthspec.diagnostics import SynthspecError
from synthspec.ir.model import Spec, ValidatorUse
from synthspec.validate.api import ValidatorResult
from synthspec.validate.registry import refresh_registry
from synthspec.validate.runner import validate_records


def compile_text(spec_text: str, directory: str | Path | None = None) -> Spec:
    """Compile `.synth` source text (written to a temporary file, or into `directory` so relative seed paths work)."""
    from synthspec.ir.compile import compile_spec  # the front end; only tests need it here

    if directory is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "spec.synth"
            path.write_text(spec_text, encoding="utf-8")
            return compile_spec(path).spec
    path = Path(directory) / "spec.synth"
    path.write_text(spec_text, encoding="utf-8")
    return compile_spec(path).spec


def _as_spec(spec: str | Path | Spec) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, Path) or (isinstance(spec, str) and spec.endswith(".synth") and "\n" not in spec):
        from synthspec.ir.compile import compile_spec

        return compile_spec(spec).spec
    return compile_text(spec)


def run_validator(
    name: str,
    records: Sequence[dict[str, Any]],
    spec: str | Path | Spec,
    seeds: Sequence[SeedExample] | None = None,
    policy: str | None = None,
    **params: Any,
) -> ValidatorResult:
    """Run the installed validator `name` over `records` and return its result.

    Raises `SynthspecError` if the validator is not installed, failed to load,
    rejects the parameters, or crashed.
    """
    compiled = _as_spec(spec)
    use = ValidatorUse(name=name, params=params, policy=policy, required=True)  # type: ignore[arg-type]
    compiled = compiled.model_copy(update={"validators": (use,)})
    report = validate_records(
        compiled, list(records), seeds=seeds if seeds is not None else None, registry=refresh_registry()
    )
    run = report.run(name)
    if run.status in ("crashed", "unavailable"):
        raise SynthspecError(f"validator {name!r} {run.status}: {run.error}")
    return run.result
