"""The counterfactual example on the real embedded model: true pairs, each a bounded edit of its original."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.build_helpers import build

pytestmark = pytest.mark.e2e

SPEC = "specs/imdb_counterfactual.synth"


def _edit_ops(a: list[str], b: list[str]) -> int:
    """Word edits turning a into b when only replacing and dropping words are allowed (the grammar's moves)."""
    inf = float("inf")
    # d[i][j]: cost to turn a[:i] into b[:j]; copy (0), replace (1), drop a word of a (1); no insertions
    d = [[inf] * (len(b) + 1) for _ in range(len(a) + 1)]
    d[0][0] = 0
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if i and j:
                d[i][j] = min(d[i][j], d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i:
                d[i][j] = min(d[i][j], d[i - 1][j] + 1)
    return d[len(a)][len(b)]


def test_counterfactual_pairs_flip_the_label_keep_the_rest_and_edit_little(tmp_path: Path) -> None:
    out = tmp_path / "cf.jsonl"
    result, records = build(SPEC, out, "--count", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(records) == 4
    for original, flipped in zip(records[0::2], records[1::2], strict=True):
        assert {original["sentiment"], flipped["sentiment"]} == {"negative", "positive"}
        assert original["genre"] == flipped["genre"]  # kept, identical by construction
        assert original["_provenance"]["seed_examples"] == flipped["_provenance"]["seed_examples"]
        a, b = original["text"].split(), flipped["text"].split()
        changes = _edit_ops(a, b)
        assert 1 <= changes <= max(1, min(12, round(0.15 * len(a))))  # a minimal edit, not a rewrite
    # the build's report judges the pairs: structure, and whether a classifier agrees the flip is real
    report = json.loads(out.with_name(out.name + ".report.json").read_text())
    (run,) = [r for r in report["validators"] if r["name"] == "counterfactual"]
    metrics = run["metrics"]
    assert metrics["pairs"] == 2 and metrics["kept_equal_rate"] == 1.0
    assert 0.0 <= metrics["flip_agreement_rate"] <= 1.0
