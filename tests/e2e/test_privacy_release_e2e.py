"""The privacy-safe sharing workflow on the real embedded model: build, then release with the leakage audit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthspec.validate.privacy_audit import longest_shared_runs
from synthspec.validate.text import words

pytestmark = pytest.mark.e2e

SPEC = "specs/privacy_release.synth"
SEEDS = Path("data/banking77/support_seeds.jsonl")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthspec", *args], capture_output=True, text=True, timeout=900)


def test_build_then_release_ships_no_copy_of_a_seed(tmp_path: Path) -> None:
    out = tmp_path / "shared.jsonl"
    built = _run("build", SPEC, "--out", str(out), "--progress", "off")
    assert built.returncode == 0, built.stdout + built.stderr
    released = _run("release", SPEC, "--data", str(out))
    assert released.returncode == 0, released.stdout + released.stderr

    bundle = out.with_name(out.name + ".release")
    records = [json.loads(line) for line in (bundle / "shared.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 12  # the spec's count holds, whatever the build dropped
    seeds = [json.loads(line)["text"] for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    # an independent look at the evidence the card quotes
    runs = longest_shared_runs([words(r["text"]) for r in records], [words(s) for s in seeds])
    longest = max(length for length, _ in runs)
    audit = json.loads((bundle / "leakage_audit.json").read_text())
    assert audit["passed"] and audit["longest_shared_run"] >= longest and longest < 6
    assert f"**{audit['longest_shared_run']}**" in (bundle / "README.md").read_text(encoding="utf-8")
    # whatever the build dropped as a seed copy is in the ledger, not in the release
    dropped = [json.loads(line) for line in out.with_name(out.name + ".rejects.jsonl").read_text().splitlines()
               if '"stage": "dataset"' in line]
    released_texts = {r["text"] for r in records}
    assert all(d["raw"]["text"] not in released_texts for d in dropped if d["validator"] == "seed_copy")
    assert not any(p.name.endswith("rejects.jsonl") for p in bundle.iterdir())
