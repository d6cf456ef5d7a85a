"""Helpers shared by the commands: compiling with the installed validators, printing diagnostics."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from synthspec.diagnostics import render_all
from synthspec.ir import CompileResult


def installed_validators() -> Mapping[str, Any] | None:
    """Installed validator names → parameter models, injected into the checker."""
    from synthspec.validate import validator_param_models

    return validator_param_models()


def plugin_failures() -> Mapping[str, str]:
    """Validator plugins that failed to load: name -> why (so a spec naming one hears that, not "not installed")."""
    from synthspec.validate.registry import get_registry

    return {failure.found.name: failure.describe() for failure in get_registry().failures}


def _grammar_check(grammar: str) -> Any:
    from synthspec.generate.grammars import compile_grammar

    return compile_grammar(grammar)


def _technique_check(spec: Any, seeds: Any) -> Any:
    from synthspec.generate.techniques import get_technique

    return get_technique(spec, seeds)


def compile_for_cli(path: str, dataset: str | None = None, quiet: bool = False,
                    technique: bool = False) -> CompileResult:
    """Compile and lower a spec (everything that can fail before the first token) and print its warnings.

    `check`, `explain` and `build` all come through here, so they accept and refuse the same specs.
    `technique` also sets up the generation technique (`check` and `explain`; `build` does it itself).
    """
    from synthspec.lower.preflight import check_spec

    result = check_spec(path, validators=installed_validators(), dataset=dataset,
                        validator_failures=plugin_failures(), grammar_check=_grammar_check,
                        technique_check=_technique_check if technique else None)
    if result.diagnostics and not quiet:
        print(render_all(result.diagnostics, result.sources), file=sys.stderr)
    return result


def add_spec_argument(parser: Any) -> None:
    parser.add_argument("spec", metavar="SPEC", help="path to a .synth file")
    parser.add_argument("--dataset", metavar="NAME", help="which dataset, when the file declares several")
