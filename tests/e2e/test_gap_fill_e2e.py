"""The augmentation workflow on the real embedded model: gap filling, then the combined training file."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.build_helpers import build

pytestmark = pytest.mark.e2e

SPEC = "specs/banking77_gap_fill.synth"
SEEDS = Path("data/banking77/gap_seeds.csv")


def test_gap_fill_spends_the_budget_on_thin_intents_and_combine_hands_over_one_file(tmp_path: Path) -> None:
    out = tmp_path / "gap.jsonl"
    result, records = build(SPEC, out, "--count", "10")
    assert result.returncode == 0 and len(records) == 10, result.stdout + result.stderr
    with SEEDS.open(encoding="utf-8", newline="") as handle:
        seeds = Counter(row["category"] for row in csv.DictReader(handle))
    drawn = Counter(r["intent"] for r in records)
    report = json.loads(out.with_name(out.name + ".manifest.json").read_text())["technique"]["report"]
    assert report["psi_after"] < report["psi_before"]
    # every record went to an intent thinner than the fattest one, and the thinnest got the most
    fattest, thinnest = max(seeds, key=seeds.get), min(seeds, key=seeds.get)
    assert drawn[fattest] == 0 and drawn[thinnest] == max(drawn.values())
    train = tmp_path / "train.jsonl"
    combined = subprocess.run([sys.executable, "-m", "synthspec", "combine", SPEC, "--data", str(out), "--out",
                               str(train)], capture_output=True, text=True, timeout=600)
    assert combined.returncode == 0, combined.stderr
    rows = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines()]
    assert sum(r["source"] == "real" for r in rows) == sum(seeds.values())
    assert 0 < sum(r["source"] == "synthetic" for r in rows) <= 10
