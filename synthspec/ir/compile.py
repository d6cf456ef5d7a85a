"""The front end in one call: path → parse → check → IR, or every diagnostic at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthspec.check import run_checks
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.build import build_ir
from synthspec.ir.model import Spec
from synthspec.parse import parse_source, read_source


@dataclass
class CompileResult:
    """A compiled spec with the warnings and notes the checker produced, and the sources to render them."""

    spec: Spec
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def compile_spec(
    path: str | Path,
    validators: Mapping[str, Any] | None = None,
    dataset: str | None = None,
    validator_failures: Mapping[str, str] | None = None,
) -> CompileResult:
    """Compile a `.synth` file.  Raises `SynthspecError` carrying *all* diagnostics if any is an error.

    `validators` maps installed validator names to their parameter models; when
    given, unknown validators and bad parameters are reported (the CLI injects it
    from the validate stage); `validator_failures` maps names of plugins that failed to load to why.
    """
    source = read_source(path)
    spec_file = parse_source(source)
    sources = {source.path: source.text}
    ctx = run_checks(spec_file, sources, validators=validators, dataset_name=dataset,
                     validator_failures=validator_failures)
    if ctx.has_errors:
        raise SynthspecError(ctx.diagnostics, sources=ctx.sources)
    spec = build_ir(ctx)
    return CompileResult(spec=spec, diagnostics=ctx.diagnostics, sources=ctx.sources)
