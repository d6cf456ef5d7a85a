"""Helpers shared by the commands: compiling with the installed validators, printing diagnostics."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synthspec.diagnostics import render_all

if TYPE_CHECKING:
    from synthspec.ir import CompileResult


def installed_validators() -> Mapping[str, Any] | None:
    """Installed validator names → parameter models, injected into the checker (loaded as the spec names them)."""
    from synthspec.validate.registry import lazy_validator_param_models

    return lazy_validator_param_models()


def compile_for_cli(path: str, dataset: str | None = None, quiet: bool = False) -> CompileResult:
    """Compile a spec with the installed validators and print its warnings and notes to stderr."""
    from synthspec.ir import compile_spec  # imported here so that `synthspec --help` stays fast

    result = compile_spec(path, validators=installed_validators(), dataset=dataset)
    if result.diagnostics and not quiet:
        print(render_all(result.diagnostics, result.sources), file=sys.stderr)
    return result


def add_spec_argument(parser: Any) -> None:
    parser.add_argument("spec", metavar="SPEC", help="path to a .synth file")
    parser.add_argument("--dataset", metavar="NAME", help="which dataset, when the file declares several")
