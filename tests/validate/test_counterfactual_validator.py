"""`counterfactual`: real human pairs pass; pairs whose kept field changed, or whose text did not flip, are caught."""

from __future__ import annotations

import csv
from pathlib import Path

from synthspec.validate.runner import validate_records
from tests.techniques.helpers import spec_and_seeds
from tests.validate.conftest import with_validators

PAIRS = Path("data/imdb_counterfactual/pairs.tsv")


def _spec(**params):
    from synthspec.ir.model import ValidatorUse

    spec, seeds = spec_and_seeds("imdb_counterfactual")
    return with_validators(spec, ValidatorUse(name="counterfactual", params=params)), seeds


def _human_pairs() -> list[dict]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [{"sentiment": r["sentiment"], "genre": "drama", "text": r["text"], "batch_id": r["batch_id"]}
            for r in rows]


def test_human_pairs_are_real_flips_and_broken_pairs_are_caught() -> None:
    spec, seeds = _spec(pair_column="batch_id")
    records = _human_pairs()
    # judged by a classifier trained on the other pairs' texts: leave the judged pairs out of its seeds
    judged_ids = {r["batch_id"] for r in records[:12]}
    train = [s for s in seeds if s.values["text"] not in {r["text"] for r in records[:12]}]
    records = records[:12]
    originals = {i: r for i, r in enumerate(records) if i % 2 == 0}
    assert len(judged_ids) == 6 and all(records[i + 1]["batch_id"] == r["batch_id"] for i, r in originals.items())
    broken = [dict(r) for r in records[:4]]
    for r in broken:
        r["batch_id"] = "x" + r["batch_id"]
    broken[1]["genre"] = "horror"  # a kept field changed
    old = broken[2]["sentiment"]
    assert broken[3]["sentiment"] != old
    broken[3]["text"] = {  # a "counterfactual" that plainly still reads as the old label
        "negative": "Bad, boring and awful. The worst film, a terrible waste of time; the acting is weak.",
        "positive": "Great, wonderful and excellent. The best film, a beautiful story; I loved the acting.",
    }[old]
    report = validate_records(spec, records + broken, train)
    run = report.run("counterfactual")
    by_code: dict[str, set[int]] = {}
    for f in run.errors:
        by_code.setdefault(f.code, set()).add(f.record_index)
    n = len(records)
    assert by_code.get("kept_changed") == {n + 1}
    assert n + 3 in by_code.get("flip_not_real", set())
    human_misses = {i for i in by_code.get("flip_not_real", set()) if i < n}
    assert len(human_misses) <= 2  # humans' counterfactuals read as their new label (a weak judge may miss one)
    assert run.result.metrics["pairs"] == 8 and run.result.metrics["kept_equal_rate"] == 0.875
    assert report.flagged >= {n + 1, n + 3} and not report.dropped  # default policy: flag


def test_a_spec_without_an_axis_or_data_without_pairs_is_a_note_not_a_finding() -> None:
    spec, seeds = _spec()
    records = [{k: v for k, v in r.items() if k != "batch_id"} for r in _human_pairs()[:4]]
    run = validate_records(spec, records, seeds).run("counterfactual")
    assert not run.result.findings and "no pairs found" in run.result.notes[0]
    plain = spec.model_copy(update={"counterfactuals": ()})
    run = validate_records(plain, records, seeds).run("counterfactual")
    assert not run.result.findings and "no counterfactual axis" in run.result.notes[0]
