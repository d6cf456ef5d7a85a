"""What synthspec writes, synthspec reads back: `validate --clean`, `combine`, and Parquet in `validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthspec.cli import main
from synthspec.datafiles import read_records

QUERIES = str(Path(__file__).resolve().parents[1] / "workflows" / "fixtures" / "queries.synth")
SPEC = """dataset notes {
  count 3
  field label: category("x", "y")
  field text: text {
    words 1..30
  }
  validate schema
}
"""
RECORDS = [
    {"label": "x", "text": "para\u2028graph one"},
    {"label": "q", "text": "a label the spec does not know"},
    {"label": "y", "text": "two\nlines and\u2029a separator"},
]


@pytest.fixture
def spec(tmp_path) -> str:
    path = tmp_path / "notes.synth"
    path.write_text(SPEC, encoding="utf-8")
    return str(path)


def test_validate_clean_output_reads_back(tmp_path, spec, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    clean = tmp_path / "clean.jsonl"
    assert main(["validate", str(data), "--spec", spec, "--clean", str(clean)]) == 0
    assert "\u2028" in clean.read_text(encoding="utf-8")  # raw, not escaped
    assert read_records(clean) == [RECORDS[0], RECORDS[2]]
    capsys.readouterr()
    assert main(["validate", str(clean), "--spec", spec, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 2


def test_validate_reads_parquet(tmp_path, spec, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    data = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), data)
    assert main(["validate", str(data), "--spec", spec, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 3 and report["dropped"] == [1]


def test_validate_names_the_bad_line(tmp_path, spec, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text('{"label": "x", "text": "fine"}\n{"label": \n', encoding="utf-8")
    assert main(["validate", str(data), "--spec", spec]) == 1
    err = capsys.readouterr().err
    assert f"{data}:2" in err and "D001" in err and "Traceback" not in err


def test_combine_output_with_raw_separators_and_newlines_reads_back(tmp_path, tiny_model_dir):
    data = tmp_path / "q.jsonl"
    assert main(["build", QUERIES, "--out", str(data), "--backend", "transformers", "--model", str(tiny_model_dir),
                 "--progress", "off"]) == 0
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").split("\n") if line]
    records[0]["text"] = "first\u2028second"
    records[1]["text"] = "a quoted\nnewline, and \"quotes\""
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for name in ("train.jsonl", "train.csv"):
        out = tmp_path / name
        assert main(["combine", QUERIES, "--data", str(data), "--out", str(out), "--semantic", "0"]) == 0
        rows = read_records(out)
        synthetic = {r["source_id"]: r["text"] for r in rows if r["source"] == "synthetic"}
        assert synthetic["synthetic-0"] == "first\u2028second"
        assert synthetic["synthetic-1"] == records[1]["text"]
