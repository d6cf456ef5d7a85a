"""The runner: which validators run, parameter errors, policies, the build-loop callback."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.ir.model import ValidatorUse
from synthspec.validate import (
    make_record_check,
    run_dataset_validators,
    validate_records,
    validator_param_models,
)
from synthspec.validate.registry import builtin_names
from synthspec.validate.testing import compile_text
from tests.validate.conftest import BUILTINS, with_validators

SPEC = """
dataset d {
  output "o.jsonl"
  field topic: category("billing", "cards")
  field text: text { words 2..30 }
}
"""


@pytest.fixture(scope="module")
def spec():
    return compile_text(SPEC)


RECORDS = [
    {"topic": "billing", "text": "Why was I charged twice this month?"},
    {"topic": "cards", "text": "Why was I charged twice this month?"},
    {"topic": "loans", "text": "Can I borrow money for a car?"},
    {"topic": "cards", "text": "Email me at someone@example.com about my card"},
]


def test_every_builtin_is_registered_with_a_parameter_model() -> None:
    models = validator_param_models()
    assert set(BUILTINS) <= set(models)
    assert builtin_names() == sorted(BUILTINS)
    assert models["dedup"]().semantic_threshold == 0.9


def test_a_spec_without_validators_runs_every_builtin(spec) -> None:
    report = validate_records(spec, RECORDS, seeds=[])
    assert sorted(r.name for r in report.runs) == sorted(BUILTINS)


def test_policies_drop_flag_and_fail(spec) -> None:
    s = with_validators(
        spec,
        ValidatorUse(name="schema", policy="flag"),
        ValidatorUse(name="forbidden"),
        ValidatorUse(name="dedup", params={"semantic": False}, policy="fail"),
    )
    report = validate_records(s, RECORDS, seeds=[])
    assert report.flagged == {1, 2}  # schema: 'loans' is not a declared topic; fail also marks its records
    assert report.dropped == {3}  # forbidden's default policy is drop
    assert report.failed  # dedup found record 1 and its policy is fail
    assert report.run("dedup").status == "triggered"


def test_bad_parameters_are_a_diagnostic_not_a_traceback(spec) -> None:
    s = with_validators(spec, ValidatorUse(name="dedup", params={"near_threshold": "high", "typo": 1}))
    with pytest.raises(SynthspecError) as err:
        validate_records(s, RECORDS, seeds=[])
    text = err.value.render()
    assert "V001" in text and "near_threshold" in text and "typo" in text


def test_unknown_validator_is_skipped_unless_required(spec) -> None:
    s = with_validators(spec, ValidatorUse(name="schema"), ValidatorUse(name="nonesuch"))
    report = validate_records(s, RECORDS, seeds=[])
    assert [(r.name, r.status) for r in report.runs] == [("schema", "triggered"), ("nonesuch", "unavailable")]
    required = with_validators(spec, ValidatorUse(name="nonesuch", required=True))
    with pytest.raises(SynthspecError, match="V002"):
        validate_records(required, RECORDS, seeds=[])


def test_record_check_for_the_build_loop(spec) -> None:
    s = with_validators(
        spec,
        ValidatorUse(name="schema"),
        ValidatorUse(name="forbidden", policy="flag"),
        ValidatorUse(name="dedup"),
    )
    check = make_record_check(s, seeds=[])
    verdicts = [check(r) for r in RECORDS]
    assert verdicts[0] == [] and verdicts[1] == []  # dedup is dataset-level: not in the callback
    assert [(r.validator, r.policy) for r in verdicts[2]] == [("schema", "drop")]
    assert [(r.validator, r.policy) for r in verdicts[3]] == [("forbidden", "flag")]
    assert "someone@example.com" in verdicts[3][0].message


def test_dataset_validators_only_after_the_build(spec) -> None:
    s = with_validators(
        spec, ValidatorUse(name="schema"), ValidatorUse(name="dedup", params={"semantic": False})
    )
    report = run_dataset_validators(s, RECORDS, seeds=[])
    assert [r.name for r in report.runs] == ["dedup"] and report.dropped == {1}


def test_report_json_round_trips(spec) -> None:
    import json

    report = validate_records(with_validators(spec, ValidatorUse(name="schema")), RECORDS, seeds=[])
    data = json.loads(json.dumps(report.to_json()))
    assert data["validators"][0]["findings"][0]["record_index"] == 2
    assert data["dropped"] == [2]


def test_record_check_filters_policies_and_can_stop_on_fail(spec) -> None:
    s = with_validators(
        spec, ValidatorUse(name="schema", policy="fail"), ValidatorUse(name="forbidden", policy="flag")
    )
    drop_only = make_record_check(s, seeds=[], policies=("drop",))
    assert drop_only(RECORDS[3]) == [] and drop_only(RECORDS[2]) == []
    flagged = make_record_check(s, seeds=[], policies=("flag",))(RECORDS[3])
    assert [(r.validator, r.field) for r in flagged] == [("forbidden", "text")]
    strict = make_record_check(s, seeds=[], raise_on_fail=True)
    assert strict(RECORDS[0]) == []
    with pytest.raises(SynthspecError, match="V004"):
        strict(RECORDS[2])


def test_check_limit_records_the_metric_and_reports_only_a_crossing() -> None:
    from synthspec.validate.api import Severity, Validator, ValidatorResult

    class Probe(Validator):
        name = "probe"

    probe, result = Probe(), ValidatorResult()
    assert probe.check_limit(result, "kl", 0.512345, 0.5, "too far", field="text", code="kl") is True
    assert probe.check_limit(result, "psi", 0.25, 0.25, "at the limit is not past it") is False
    assert probe.check_limit(result, None, 0.09, 0.1, "too few", below=True, severity="warning") is True
    assert probe.check_limit(result, None, 0.11, 0.1, "enough", below=True) is False
    assert result.metrics == {"kl": 0.5123, "psi": 0.25}
    [kl, few] = result.findings
    assert (kl.validator, kl.severity, kl.value, kl.threshold, kl.field, kl.code) == (
        "probe", Severity.ERROR, 0.5123, 0.5, "text", "kl")
    assert (few.severity, few.value, few.threshold, few.message) == (Severity.WARNING, 0.09, 0.1, "too few")
