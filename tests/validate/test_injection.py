"""Golden-ish: problems injected into real BANKING77 text are caught by the matching validator and no other.

The base is 500 real test-split queries validated against 1,400 train-split
seeds.  We append injected records (near duplicates of base records, PII,
copies of seeds, texts that name their label) and check, for every injected
record, exactly which validators report an *error* on it.
"""

from __future__ import annotations

import pytest

from synthspec.validate.runner import validate_records
from tests.validate.conftest import all_builtins
from tests.validate.injections import LEAKS, PII


def _errors_by_record(report) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for run in report.runs:
        for f in run.errors:
            if f.record_index is not None:
                out.setdefault(f.record_index, set()).add(run.name)
    return out


@pytest.fixture(scope="module")
def injected(banking_spec, banking_seeds):
    from synthspec.datafiles import read_table
    from tests.validate.conftest import FIXTURES

    base = read_table(FIXTURES / "sample.csv")
    # `consistency` judges whether a text fits its label: a record injected with PII or a leaked label
    # rightly fits none, so it would report every injection; it has its own tests
    spec = all_builtins(banking_spec, exclude=("consistency",), dedup={"semantic": False})
    baseline = _errors_by_record(validate_records(spec, base, banking_seeds))
    clean = [i for i in range(len(base)) if i not in baseline and len(base[i]["text"].split()) >= 8]
    records = list(base)
    expected: dict[int, str] = {}

    def add(record: dict, validator: str) -> None:
        expected[len(records)] = validator
        records.append(record)

    for i in clean[:5]:  # near duplicates: the same query with one small edit
        add({"text": base[i]["text"].rstrip("?.!") + " please?", "category": base[i]["category"]}, "dedup")
    for k, text in enumerate(PII):
        add({"text": text, "category": base[clean[10 + k]]["category"]}, "forbidden")
    used = {r["text"].lower() for r in base}
    copies = [
        s
        for s in banking_seeds
        if len(str(s.values["text"]).split()) >= 9 and str(s.values["text"]).lower() not in used
    ]
    for s in copies[:3]:  # verbatim seed copies
        add({"text": s.values["text"], "category": s.values["category"]}, "seed_copy")
    for s in copies[3:5]:  # a seed with a word swapped: near copy / shared 8-gram
        words = str(s.values["text"]).split()
        add({"text": " ".join(["So"] + words[1:]), "category": s.values["category"]}, "seed_copy")
    for text, label in LEAKS:  # new texts that write their label into the text
        add({"text": text, "category": label}, "leakage")
    report = validate_records(spec, records, banking_seeds)
    return report, expected, baseline


def test_every_injected_record_is_caught_by_its_validator_only(injected) -> None:
    report, expected, _ = injected
    errors = _errors_by_record(report)
    wrong = {
        i: (want, sorted(errors.get(i, set())))
        for i, want in expected.items()
        if errors.get(i, set()) != {want}
    }
    assert not wrong, f"injected record -> (expected validator, validators that reported an error): {wrong}"


def test_base_records_keep_their_baseline_verdicts(injected) -> None:
    report, expected, baseline = injected
    errors = _errors_by_record(report)
    base_errors = {i: v for i, v in errors.items() if i not in expected}
    assert base_errors == baseline


def test_drop_policies_drop_exactly_the_flagged_records(injected) -> None:
    report, expected, baseline = injected
    assert set(expected) <= report.dropped
    assert report.dropped == set(expected) | set(baseline)
    assert not report.failed
