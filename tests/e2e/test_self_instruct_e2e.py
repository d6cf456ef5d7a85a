"""The self-instruct example on the real embedded model: new tasks, each novel against the seeds and the pool."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.build_helpers import build

pytestmark = pytest.mark.e2e

SPEC = "specs/self_instruct.synth"
SEEDS = Path("data/self_instruct/seed_tasks.jsonl")


def _rouge_l(a: str, b: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens, written here independently of the library's."""
    x, y = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    if not x or not y:
        return 0.0
    row = [0] * (len(y) + 1)
    for xi in x:
        prev = 0
        for j, yj in enumerate(y, start=1):
            prev, row[j] = row[j], prev + 1 if xi == yj else max(row[j], row[j - 1])
    lcs = row[-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(x), lcs / len(y)
    return 2 * p * r / (p + r)


def test_self_instruct_keeps_only_novel_tasks(tmp_path: Path) -> None:
    out = tmp_path / "si.jsonl"
    result, records = build(SPEC, out, "--count", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    seeds = [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    seed_ids = {f"row-{i}" for i in range(1, len(seeds) + 1)} | {s["id"] for s in seeds}
    kept: list[str] = []
    for record in records:
        instruction = record["instruction"]
        assert max(_rouge_l(instruction, s["instruction"]) for s in seeds) < 0.7 + 1e-9
        assert all(_rouge_l(instruction, k) < 0.7 + 1e-9 for k in kept)
        kept.append(instruction)
        shown = record["_provenance"]["seed_examples"]
        assert shown and set(shown) <= seed_ids  # the few-shot seed tasks it was shown
