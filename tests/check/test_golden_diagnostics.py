"""Golden pairs: every spec under fixtures/check/errors renders exactly its .out diagnostics,
every spec under fixtures/check/ok compiles to exactly its .ir.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from synthspec.diagnostics import SynthspecError
from synthspec.generate.grammars import compile_grammar
from synthspec.generate.techniques import get_technique
from synthspec.ir import compile_spec
from synthspec.lower.preflight import check_spec
from tests.conftest import REPO, assert_golden

FIXTURES = REPO / "tests" / "fixtures" / "check"


class DedupParams(BaseModel):
    threshold: float = 0.9


class BiasParams(BaseModel):
    attributes: list[str] = []


# The validator table the CLI would inject; fixed here so goldens do not depend on what is installed.
VALIDATORS = {"schema": None, "dedup": DedupParams, "bias": BiasParams}
# A plugin that failed to load, as the registry reports it.
FAILURES = {"broken": "validator plugin 'broken' from synthspec-broken 6.6.6 failed to load: ImportError: no"}

ERROR_SPECS = sorted((FIXTURES / "errors").glob("*.synth"))
OK_SPECS = sorted(p for p in (FIXTURES / "ok").glob("*.synth") if p.name != "shared.synth")


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("spec", ERROR_SPECS, ids=lambda p: p.stem)
def test_error_spec_renders_golden_diagnostics(spec: Path) -> None:
    """The whole front end, as `synthspec check` runs it (lowering, grammar compilation, technique set-up)."""
    with pytest.raises(SynthspecError) as caught:
        check_spec(_rel(spec), validators=VALIDATORS, validator_failures=FAILURES, grammar_check=compile_grammar,
                   technique_check=get_technique)
    rendered = caught.value.render() + "\n"
    assert any(d.is_error for d in caught.value.diagnostics)
    assert_golden(spec.with_suffix(".out"), rendered)


@pytest.mark.parametrize("spec", OK_SPECS, ids=lambda p: p.stem)
def test_ok_spec_compiles_to_golden_ir(spec: Path) -> None:
    result = compile_spec(_rel(spec), validators=VALIDATORS)
    data = result.spec.model_dump(mode="json")
    if data.get("seeds"):
        data["seeds"]["resolved_path"] = str(Path(data["seeds"]["resolved_path"]).relative_to(REPO))
    if data.get("prompt_template"):
        data["prompt_template"] = str(Path(data["prompt_template"]).relative_to(REPO))
    assert not [d for d in result.diagnostics if d.is_error]
    assert_golden(spec.with_suffix(".ir.json"), json.dumps(data, indent=2, sort_keys=True) + "\n")


def test_every_error_code_in_goldens_is_distinct_per_problem() -> None:
    """Each error fixture exercises at least one error code, and together they cover the main passes."""
    codes: set[str] = set()
    for spec in ERROR_SPECS:
        try:
            check_spec(_rel(spec), validators=VALIDATORS, validator_failures=FAILURES, grammar_check=compile_grammar)
        except SynthspecError as exc:
            codes.update(d.code for d in exc.diagnostics)
    for expected in ("C003", "C004", "C005", "C021", "C030", "C035", "C038", "C044", "C053", "C060",
                     "C082", "C086", "C090", "C097", "C100", "W099", "P001", "P002", "P010",
                     "C009", "C028", "C029", "C039", "C040", "C046", "C048", "C049", "C057", "C079", "C083",
                     "C101", "C102", "C105", "L001", "L002", "L010", "L030", "L031"):
        assert expected in codes, f"no fixture produces {expected}"
