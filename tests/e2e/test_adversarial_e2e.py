"""The adversarial example spec builds on the real embedded model and anchors records on hard seeds."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.build_helpers import build

pytestmark = pytest.mark.e2e

SPEC = "specs/banking77_adversarial.synth"
SEEDS = Path("data/banking77/gap_seeds.csv")


def test_adversarial_build_anchors_records_on_seeds_the_target_gets_wrong(tmp_path: Path) -> None:
    out = tmp_path / "adv.jsonl"
    result, records = build(SPEC, out, "--count", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(records) == 4
    report = json.loads(out.with_name(out.name + ".manifest.json").read_text())["technique"]["report"]
    assert report["target"] == "tfidf_lr" and 0 < report["hard_seeds"] <= report["seeds_scored"]
    with SEEDS.open(encoding="utf-8") as handle:
        labels = {f"row-{i}": row["category"] for i, row in enumerate(csv.DictReader(handle), start=1)}
    for record in records:
        anchor = record["_provenance"]["seed_examples"][0]
        assert anchor in report["anchors"], "each record is written near one of the hardest seeds"
        assert record["intent"] == labels[anchor], "a record keeps its anchor seed's label"
        assert 4 <= len(record["text"].split()) <= 40
    # the report scores the kept records with the target trained on every seed
    assert report["records_scored"] == 4 and 0.0 <= report["target_failure_rate"] <= 1.0
    assert 0.0 < report["target_mean_p_true"] < 1.0
