"""The scheduler on the real embedded model (llama.cpp): batched builds are reproducible and survive SIGKILL.

llama.cpp decodes the requests of a window together in one context (its
results depend on what else is in flight), so the scheduler works in
index-aligned windows: records finish out of index order while others are
still decoding — exactly the state a SIGKILL must not corrupt.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthspec.generate.journal import read_jsonl_tail_safe

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MINI = Path(__file__).resolve().parent.parent / "generate" / "fixtures" / "mini.synth"
CLI = [sys.executable, "-c", "import sys; from synthspec.cli import main; sys.exit(main())"]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _side(out: Path, suffix: str) -> Path:
    return out.with_name(out.name + suffix)


def _build(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "build", str(MINI), "--count", "4", "--batch-size", "3", "--out", str(out),
                           "--progress", "off", *extra], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "ref.jsonl"
    done = _build(out)
    assert done.returncode == 0, done.stderr
    return out


def test_a_batched_build_is_reproducible_at_a_fixed_batch_size(tmp_path, reference):
    again = tmp_path / "again.jsonl"
    done = _build(again)
    assert done.returncode == 0, done.stderr
    assert _jsonl(again) == _jsonl(reference)  # every record, provenance included
    manifest = json.loads(_side(again, ".manifest.json").read_text())
    assert manifest["depends_on"]["batch_size"] == 3
    # the batched llama.cpp session says its results depend on what else is in flight: index-aligned windows
    assert manifest["depends_on"]["scheduler"] == "windowed"
    assert isinstance(manifest["depends_on"]["threads"], int) and manifest["depends_on"]["threads"] >= 1
    assert [r["_provenance"]["index"] for r in _jsonl(again)] == list(range(4))


def test_sigkill_in_the_middle_of_batched_work(tmp_path, reference):
    out = tmp_path / "killed.jsonl"
    journal = _side(out, ".journal.jsonl")
    args = [*CLI, "build", str(MINI), "--count", "4", "--batch-size", "3", "--out", str(out), "--progress", "off"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # kill once a record is journaled while others are mid-decode
        if journal.exists() and b'"kind": "record"' in journal.read_bytes():
            break
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = [e for e in read_jsonl_tail_safe(journal) if e["kind"] == "record"]
    assert 1 <= len(before) < 4
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert _jsonl(out) == _jsonl(reference)  # no torn record, none lost, as if never killed
    entries = read_jsonl_tail_safe(journal)
    kept = [e for e in entries if e["kind"] == "record"]
    assert sorted(e["index"] for e in kept) == list(range(4))  # each record journaled once
    assert kept[: len(before)] == before  # the finished records were not redone
    manifest = json.loads(_side(out, ".manifest.json").read_text())
    # no token counted twice: the total is the journal's sum, and a kept record's tokens are exactly
    # what the uninterrupted build spent on it
    assert manifest["tokens"]["completion_tokens"] == sum(e.get("completion_tokens", 0) for e in entries)
    ref_entries = {e["index"]: e for e in read_jsonl_tail_safe(_side(reference, ".journal.jsonl"))
                   if e["kind"] == "record"}
    for entry in before:
        assert entry["completion_tokens"] == ref_entries[entry["index"]]["completion_tokens"]
    ref_total = json.loads(_side(reference, ".manifest.json").read_text())["tokens"]["completion_tokens"]
    assert manifest["tokens"]["completion_tokens"] >= ref_total  # work lost in the crash is spent again
