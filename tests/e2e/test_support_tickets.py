"""The flagship spec, built exactly as the README quick start does, on the real embedded model.

Issue 3's acceptance, as issue 12 reshaped the flagship: 6 records whose order_number matches the pattern and
stands on the subject line; whose text is about as long as a real query of its issue type (`words from seeds`),
repeats no word 4-gram, ends on a sentence end, holds no e-mail, phone or card number, and reads as its issue type
to a classifier trained on the seeds (`consistency`); the same seed into another file gives the same values.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from synthspec.lower.textshape import ending_problem, repeated_ngram
from synthspec.validate.pii import find_pii

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "synthspec"]
SPEC = "specs/support_tickets.synth"


def _build(out: Path) -> list[dict]:
    result = subprocess.run([*CLI, "build", SPEC, "--count", "6", "--seed", "11", "--out", str(out),
                             "--progress", "off"], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _seed_lengths() -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for line in Path("data/banking77/support_seeds.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.setdefault(row["category"], []).append(len(row["text"].split()))
    return out


def test_support_tickets_build_meets_the_spec_and_is_reproducible(tmp_path: Path) -> None:
    first = _build(tmp_path / "a.jsonl")
    assert len(first) == 6
    lengths = _seed_lengths()
    for record in first:
        assert re.fullmatch(r"[A-Z0-9]{3}-[0-9]{6}", record["order_number"])
        assert record["order_number"] in record["subject"]
        seeds = lengths[record["issue_type"]]
        # a drawn seed length +-20 % (at least one word)
        assert min(seeds) * 0.8 - 1 <= len(record["text"].split()) <= max(seeds) * 1.2 + 1
        assert repeated_ngram(record["text"], 4) is None
        assert ending_problem(record["text"], sentence_end=True) is None
        assert not find_pii(record["text"])
        assert not re.search(r"\b(revolut|monzo|n26|wise|chime|starling)\b", record["text"], re.IGNORECASE)
        assert record["_provenance"]["seed_examples"], "provenance names the seeds shown in the prompt"
    manifest = json.loads((tmp_path / "a.jsonl.manifest.json").read_text())
    assert json.dumps(manifest)  # the manifest exists and is JSON
    assert (tmp_path / "a.jsonl.report.html").exists()
    second = _build(tmp_path / "b.jsonl")
    strip = [{k: v for k, v in r.items() if k != "_provenance"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "_provenance"} for r in second]
