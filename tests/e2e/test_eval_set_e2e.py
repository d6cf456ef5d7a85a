"""The evaluation-set workflow on the real embedded model: balanced difficulty, no overlap with the training file."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.build_helpers import build

pytestmark = pytest.mark.e2e

SPEC = "specs/eval_set.synth"
TRAINING = Path("data/dolly_open_qa/open_qa_heldout.jsonl")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def test_eval_set_is_balanced_and_shares_nothing_with_the_training_file(tmp_path: Path) -> None:
    out = tmp_path / "eval.jsonl"
    result, records = build(SPEC, out, "--count", "6")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(records) == 6
    assert Counter(r["difficulty"] for r in records) == {"easy": 2, "medium": 2, "hard": 2}
    for r in records:
        if r["difficulty"] == "hard":
            assert "why" in r["question"].lower()
    training = [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]
    texts = [" ".join(_words(t[key])) for t in training for key in ("instruction", "response")]
    grams = {tuple(w[i:i + 13]) for t in texts for w in [t.split()] for i in range(len(w) - 12)}
    for r in records:
        for key in ("question", "reference_answer"):
            words = _words(r[key])
            assert " ".join(words) not in texts
            assert not any(tuple(words[i:i + 13]) in grams for i in range(len(words) - 12))
