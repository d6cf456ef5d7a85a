"""`synthspec release`: the privacy-safe sharing workflow's last step, through the real command line.

Builds run on the tiny random-weight model; the audit compares with the real
BANKING77 seed rows the fixture spec points at.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from synthspec.cli import main
from synthspec.validate.privacy_audit import longest_shared_runs

SPEC = str(Path(__file__).parent / "fixtures" / "queries.synth")
SEEDS = Path(__file__).resolve().parents[2] / "data" / "banking77" / "support_seeds.jsonl"


@pytest.fixture
def built(tmp_path, tiny_model_dir) -> Path:
    out = tmp_path / "q.jsonl"
    code = main(["build", SPEC, "--out", str(out), "--backend", "transformers", "--model", str(tiny_model_dir),
                 "--progress", "off"])
    assert code == 0
    return out


def _release(data: Path, *extra: str) -> int:
    return main(["release", SPEC, "--data", str(data), *extra])


def test_a_clean_build_is_bundled_with_checksums_and_a_card(built, capsys):
    assert _release(built) == 0
    assert "leakage audit passed" in capsys.readouterr().out
    bundle = built.with_name(built.name + ".release")
    names = {p.name for p in bundle.iterdir()}
    assert names == {"q.jsonl", "manifest.json", "report.json", "report.html", "leakage_audit.json", "README.md",
                     "SHA256SUMS"}
    assert (bundle / "q.jsonl").read_bytes() == built.read_bytes()
    for line in (bundle / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "**Passed.**" in card and "CC BY 4.0" in card  # the seeds' licence note travels with the data
    for name in ("q.jsonl", "manifest.json", "report.json", "report.html", "leakage_audit.json"):
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() in card
    audit = json.loads((bundle / "leakage_audit.json").read_text())
    assert audit["passed"] and audit["records"] == 4 and audit["seeds"] == 90
    assert audit["fields"] == ["reference", "text"] and audit["longest_shared_run"] < 8
    # a second release does not silently replace the first
    assert _release(built) == 1 and "R005" in capsys.readouterr().err
    assert _release(built, "--force") == 0


def test_records_that_copy_the_seeds_or_carry_pii_stop_the_release(built, capsys):
    seeds = [json.loads(line)["text"] for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    fragment = next(s for s in seeds if len(s.split()) >= 10).split()[:9]
    records = [json.loads(line) for line in built.read_text(encoding="utf-8").splitlines()]
    records[0]["text"] = seeds[3]
    records[1]["text"] = "zebra " + " ".join(fragment) + " quartz"
    records[2]["text"] = "please write to jane.doe@example.com about it"
    built.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    assert _release(built) == 1
    err = capsys.readouterr().err
    assert "R003" in err and "3 of 4 record(s)" in err and "Traceback" not in err
    assert not built.with_name(built.name + ".release").exists()
    audit = json.loads(built.with_name(built.name + ".leakage.json").read_text())
    kinds = {f["record_index"]: f["kind"] for f in audit["findings"]}
    assert kinds == {0: "exact", 1: "ngram", 2: "pii"}
    assert audit["longest_shared_run"] >= 9


def test_only_a_finished_build_is_released(built, tmp_path, capsys):
    manifest = built.with_name(built.name + ".manifest.json")
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "status": "interrupted"}))
    assert _release(built) == 1
    assert "R002" in capsys.readouterr().err
    stray = tmp_path / "stray.jsonl"
    stray.write_text(built.read_text())
    assert _release(stray) == 1
    assert "R001" in capsys.readouterr().err


def test_longest_shared_runs_agree_with_brute_force():
    rng = random.Random(4)
    vocab = [f"w{i}" for i in range(6)]
    queries = [[rng.choice(vocab) for _ in range(rng.randint(0, 15))] for _ in range(40)]
    reference = [[rng.choice(vocab) for _ in range(rng.randint(0, 15))] for _ in range(10)]

    def brute(q: list[str]) -> int:
        best = 0
        for ref in reference:
            for i in range(len(q)):
                for j in range(len(ref)):
                    k = 0
                    while i + k < len(q) and j + k < len(ref) and q[i + k] == ref[j + k]:
                        k += 1
                    best = max(best, k)
        return best

    runs = longest_shared_runs(queries, reference)
    assert [length for length, _ in runs] == [brute(q) for q in queries]
    for q, (length, j) in zip(queries, runs, strict=True):
        if length:
            grams = {tuple(reference[j][i:i + length]) for i in range(len(reference[j]) - length + 1)}
            assert any(tuple(q[i:i + length]) in grams for i in range(len(q) - length + 1))


def test_a_holdout_adds_distance_and_membership_inference_figures(built, tmp_path, capsys):
    from synthspec.datafiles import read_records

    holdout = tmp_path / "holdout.csv"
    rows = read_records("data/banking77/test.csv")[:120]
    holdout.write_text("text,category\n" + "".join(f'"{r["text"]}",{r["category"]}\n' for r in rows
                                                    if '"' not in r["text"]), encoding="utf-8")
    assert _release(built, "--holdout", str(holdout)) == 0
    out = capsys.readouterr().out
    assert "membership-inference AUC" in out
    bundle = built.with_name(built.name + ".release")
    metrics = json.loads((bundle / "leakage_audit.json").read_text())["privacy_metrics"]
    assert metrics["train"] == metrics["holdout"] == 90 and metrics["synthetic"] == 4
    assert 0 <= metrics["dcr_closer_to_train"] <= 1 and 0 <= metrics["membership_inference_auc"] <= 1
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["release"]["privacy_metrics"] == metrics and manifest["counts"]["written"] == 4
    assert "membership-inference attack" in (bundle / "README.md").read_text(encoding="utf-8")
    # a "holdout" that is the seed file itself holds no unseen row
    assert _release(built, "--force", "--holdout", str(SEEDS)) == 1
    assert "R010" in capsys.readouterr().err


def test_privacy_metrics_see_copies_of_the_training_rows():
    from synthspec.datafiles import SeedExample
    from synthspec.validate.privacy_audit import privacy_metrics
    from synthspec.validate.testing import compile_text

    spec = compile_text('dataset d { output "o.jsonl" field intent: category("a", "b") field text: text }')
    texts = [json.loads(line)["text"] for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    # the seed file is grouped by intent: every third row to each side keeps the intents balanced
    train = [SeedExample(f"t{i}", {"text": t, "intent": "a"}) for i, t in enumerate(texts[0::3])]
    holdout = [SeedExample(f"h{i}", {"text": t, "intent": "a"}) for i, t in enumerate(texts[1::3])]
    copies = privacy_metrics(spec, [dict(s.values) for s in train], train, holdout)
    assert copies.dcr_closer_to_train == 1.0 and copies.dcr_overfitting_protection == 0.0
    assert copies.membership_inference_auc == 1.0 and copies.median_dcr_train == 0.0
    unseen = privacy_metrics(spec, [dict(s.values) for s in holdout], train, holdout)
    assert unseen.dcr_closer_to_train == 0.0 and unseen.membership_inference_auc == 0.0
    fresh = privacy_metrics(spec, [{"text": t, "intent": "a"} for t in texts[2::3]], train, holdout)
    assert 0.0 < fresh.dcr_closer_to_train < 1.0 and 0.0 < fresh.membership_inference_auc < 1.0
    assert privacy_metrics(spec, [], train, holdout) is None
