"""`synthspec combine`: seeds + a finished build, deduplicated, through the real command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from synthspec.cli import main

SPEC = str(Path(__file__).parent / "fixtures" / "queries.synth")
SEEDS = Path(__file__).resolve().parents[2] / "data" / "banking77" / "support_seeds.jsonl"


def _build(out: Path, model: Path) -> None:
    assert main(["build", SPEC, "--out", str(out), "--backend", "transformers", "--model", str(model),
                 "--progress", "off"]) == 0


def test_synthetic_rows_that_repeat_real_or_earlier_rows_are_left_out(tmp_path, tiny_model_dir, capsys):
    data = tmp_path / "q.jsonl"
    _build(data, tiny_model_dir)
    seeds = [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    records[0]["text"] = seeds[3]["text"].upper()  # same text once normalised
    records[2]["text"] = records[1]["text"]
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    capsys.readouterr()

    out = tmp_path / "train.jsonl"
    assert main(["combine", SPEC, "--data", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "2 synthetic row(s) left out as duplicates (2 exact" in printed.out
    assert "synthetic-0 repeats row-4" in printed.err and "synthetic-2 repeats synthetic-1" in printed.err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    real = [r for r in rows if r["source"] == "real"]
    synthetic = [r for r in rows if r["source"] == "synthetic"]
    assert len(real) == len(seeds) and [r["text"] for r in real] == [s["text"] for s in seeds]
    assert [r["intent"] for r in real] == [s["category"] for s in seeds]
    assert [r["source_id"] for r in synthetic] == ["synthetic-1", "synthetic-3"]
    assert [r["text"] for r in synthetic] == [records[1]["text"], records[3]["text"]]


def test_csv_output_and_clear_errors(tmp_path, tiny_model_dir, capsys):
    data = tmp_path / "q.jsonl"
    _build(data, tiny_model_dir)
    out = tmp_path / "train.csv"
    assert main(["combine", SPEC, "--data", str(data), "--out", str(out), "--semantic", "0"]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["source", "source_id", "intent", "reference", "text"]
    assert sum(r["source"] == "synthetic" for r in rows) + sum(r["source"] == "real" for r in rows) == len(rows)
    capsys.readouterr()
    assert main(["combine", SPEC, "--data", str(data), "--out", str(tmp_path / "train.xlsx")]) == 1
    assert "R008" in capsys.readouterr().err
    assert main(["combine", SPEC, "--data", str(tmp_path / "none.jsonl"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "R001" in err and "Traceback" not in err
