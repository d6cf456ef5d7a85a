"""Issue 4's acceptance, as a user runs it: `synthspec validate` on the full BANKING77 training set.

10,003 real training queries (data/banking77/train.csv, CC BY 4.0) plus injected problems: near
duplicates of training queries, PII, copies of the seeds, copies of an evaluation file, texts that name
their label.  The spec names every built-in validator; its seeds are the even rows of the real test
split, its evaluation file the odd rows.  One real subprocess run; every injected record must be caught
by its matching validator and by no other, and the HTML report's plots must render (rasterised by resvg).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.validate.injections import LEAKS, PII

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "banking77"
BUILTINS = ("schema", "forbidden", "dedup", "distribution", "diversity", "bias", "leakage", "seed_copy",
            "contamination", "combinations", "counterfactual")
SPEC = """dataset banking_train {
  count 10003
  seed 1
  output "out.jsonl"
  seeds "seeds.csv" { text <- "text" category <- "category" }
  field category: category from seeds
  field text: text { words 1..80 }
  validate schema, forbidden, dedup, distribution(against = seeds), diversity, bias, leakage, seed_copy,
    contamination(against = "eval.csv"), combinations, counterfactual
}
"""
NEAR_CANDIDATES = 80


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("banking77-full")
    train, test = _read(DATA / "train.csv"), _read(DATA / "test.csv")
    assert len(train) == 10003 and len(test) == 3080
    seeds, evaluation = test[0::2], test[1::2]
    _write(work / "seeds.csv", seeds)
    _write(work / "eval.csv", evaluation)
    (work / "spec.synth").write_text(SPEC, encoding="utf-8")
    train_keys = {_key(r["text"]) for r in train}
    counts: dict[str, int] = {}
    for r in train:
        counts[_key(r["text"])] = counts.get(_key(r["text"]), 0) + 1
    records = list(train)
    expected: dict[int, str] = {}
    near_of: dict[int, int] = {}

    def add(row: dict, validator: str) -> int:
        expected[len(records)] = validator
        records.append(row)
        return len(records) - 1

    step = len(train) // NEAR_CANDIDATES
    for i in range(0, step * NEAR_CANDIDATES, step):  # near duplicates: a training query with one small edit
        base = train[i]
        if len(base["text"].split()) >= 12 and counts[_key(base["text"])] == 1:  # clearly above 0.8 Jaccard
            near_of[add({"text": base["text"].rstrip("?.! ") + " please?", "category": base["category"]},
                         "dedup")] = i
    for k, text in enumerate(PII):
        add({"text": text, "category": train[5000 + k]["category"]}, "forbidden")
    fresh = lambda rows: [r for r in rows if len(r["text"].split()) >= 9 and _key(r["text"]) not in train_keys]  # noqa: E731
    for r in fresh(seeds)[:4]:
        add(dict(r), "seed_copy")
    for r in fresh(evaluation)[:4]:
        add(dict(r), "contamination")
    for text, label in LEAKS:
        add({"text": text, "category": label}, "leakage")
    _write(work / "train_injected.csv", records)
    html = work / "report.html"
    result = subprocess.run([sys.executable, "-m", "synthspec", "validate", str(work / "train_injected.csv"),
                             "--spec", str(work / "spec.synth"), "--json", "--report", str(html)],
                            capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    errors: dict[int, set[str]] = {}
    for run_ in report["validators"]:
        for finding in run_["findings"]:
            if finding["severity"] == "error" and finding["record_index"] is not None:
                errors.setdefault(finding["record_index"], set()).add(run_["name"])
    return {"report": report, "errors": errors, "expected": expected, "near_of": near_of, "html": html}


def test_every_built_in_validator_ran_on_the_full_training_set(run) -> None:
    report = run["report"]
    assert report["records"] == 10003 + len(run["expected"])
    ran = {r["name"]: r["status"] for r in report["validators"]}
    assert set(ran) == set(BUILTINS)
    assert all(status in ("ok", "triggered") for status in ran.values()), ran


def test_each_injected_record_is_caught_by_its_validator_and_no_other(run) -> None:
    errors, expected, near_of = run["errors"], run["expected"], run["near_of"]
    wrong = {}
    checked_near = 0
    for index, validator in expected.items():
        if index in near_of and errors.get(near_of[index]):
            continue  # its original is itself flagged (real data); the copy may share that verdict
        checked_near += index in near_of
        if errors.get(index, set()) != {validator}:
            wrong[index] = (validator, sorted(errors.get(index, set())))
    assert not wrong, f"injected record -> (expected validator, validators that reported an error): {wrong}"
    assert checked_near >= 5


def test_the_html_report_plots_render(run) -> None:
    import re

    import numpy as np
    import resvg_py
    from PIL import Image

    html = run["html"].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) >= 3
    two_series = 0
    for svg in svgs:
        pixels = np.asarray(Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg)))).convert("RGB"))
        colours = {tuple(int(c) for c in p) for p in pixels.reshape(-1, 3)[::7]}
        assert len(colours) > 3, "a blank plot"
        synthetic = (0x2F, 0x6F, 0xDF) in colours
        seeds = (0x8A, 0x8F, 0x98) in colours
        assert synthetic, "the synthetic series is not drawn"
        two_series += seeds
        # the text (title, axis, labels, legend) is drawn: without it the picture changes
        bare = re.sub(r"<text.*?</text>", "", svg, flags=re.S)
        without = np.asarray(Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=bare)))).convert("RGB"))
        assert (pixels != without).any(axis=2).sum() > 200, "the plot's text did not render"
    assert two_series >= 2  # seeds vs synthetic side by side
