"""The bad-spec suite: every case gives its diagnostic at its place, and `check` agrees with lowering.

`check` is the whole front end (`synthspec.lower.preflight.check_spec` with the real installed validators,
llguidance grammar compilation and the technique's set-up: what `synthspec check` runs).  Agreement is
tested independently of the preflight: for every spec `check` accepts, the full lowering of every record
(plans, every generated field's grammar compiled by llguidance, prompts, derived values, the technique's
plan) runs without an error; for every spec refused by a lowering code, that full lowering fails with the
same code.  Refusals by the checker proper (C codes) are about the AST and have no IR to lower.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.grammars import compile_grammar
from synthspec.generate.techniques import get_technique
from synthspec.ir.model import Spec
from synthspec.lower import derive, field_order, plan_field, plan_records
from synthspec.lower.grammar import word_bounds
from synthspec.lower.preflight import check_spec, load_seeds
from synthspec.validate import validator_param_models
from tests.check.suite_cases import CASES, Case
from tests.conftest import REPO

SUPPORT = REPO / "tests" / "fixtures" / "check" / "suite"
MARK = "§"
# codes raised by the lowering itself (and the technique set-up), which the full lowering must raise too
LOWERING_CODES = {"L001", "L002", "L003", "L010", "L022", "L030", "L040", "T001"}


def _where(text: str) -> tuple[str, tuple[int, int] | None]:
    """The spec without its marker, and the (line, column) the marker stood at."""
    if MARK not in text:
        return text, None
    before = text[: text.index(MARK)]
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return text.replace(MARK, "", 1), (line, column)


def _write(case: Case, folder: Path) -> tuple[Path, tuple[int, int] | None]:
    for support in SUPPORT.iterdir():
        shutil.copy(support, folder / support.name)
    path = folder / f"{case.id}.synth"
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
        return path, None
    text, where = _where(case.text)
    path.write_text(text, encoding="utf-8")
    return path, where


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    return validator_param_models()


def front_end(path: Path, validators: dict[str, Any], failures: dict[str, str]):
    return check_spec(path, validators=validators, validator_failures=failures or None,
                      grammar_check=compile_grammar, technique_check=get_technique)


def lower_everything(spec: Spec) -> None:
    """What a build does before its first token, for every record: raises what the build would raise."""
    seeds = load_seeds(spec)
    technique = get_technique(spec, seeds)
    plans = technique.plan(plan_records(spec, seeds))
    for plan in plans[:40]:
        values = dict(plan.sampled)
        values.update(technique.fixed(plan))
        for name in field_order(spec):
            if name in values:
                continue
            field_plan = plan_field(spec, name, plan, values, seeds)
            compile_grammar(field_plan.grammar)
            values[name] = _longest_value(spec, name)
        derive(spec, values)


def _longest_value(spec: Spec, name: str) -> str:
    """What the model might write: a text as long as its limit allows, a pattern value of one word."""
    field = spec.field(name)
    if field.kind == "text":
        return " ".join(["word"] * word_bounds(field)[1])
    return "x" * max(1, field.min_length or 1)


def test_the_suite_is_big_enough() -> None:
    bad = [c for c in CASES if c.kind == "error"]
    assert len(CASES) >= 182 and len(bad) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case, tmp_path: Path, validators: dict[str, Any]) -> None:
    path, where = _write(case, tmp_path)
    if case.kind == "error":
        with pytest.raises(SynthspecError) as caught:
            front_end(path, validators, case.failures)
        found = [d for d in caught.value.diagnostics if d.code == case.code]
        assert found, f"expected {case.code}, got:\n{caught.value.render()}"
        diag = found[0]
        assert diag.is_error
        assert diag.file is not None and Path(diag.file).parent == tmp_path, diag.file
        if where is not None:
            assert (diag.line, diag.column) == where, caught.value.render()
        assert "Traceback" not in caught.value.render()
        if case.code in LOWERING_CODES:
            spec = _compile_only(path, validators)
            with pytest.raises(SynthspecError) as lowered:
                lower_everything(spec)
            assert case.code in {d.code for d in lowered.value.diagnostics}, lowered.value.render()
        return
    result = front_end(path, validators, case.failures)
    if case.kind == "warning":
        found = [d for d in result.diagnostics if d.code == case.code]
        assert found and not found[0].is_error, result.diagnostics
        if where is not None:
            assert (found[0].line, found[0].column) == where
    else:
        assert not result.diagnostics, result.diagnostics
    if result.spec.count <= 1000:
        lower_everything(result.spec)  # accepted by check: the whole lowering goes through


def _compile_only(path: Path, validators: dict[str, Any]) -> Spec:
    from synthspec.ir import compile_spec

    return compile_spec(path, validators=validators).spec
