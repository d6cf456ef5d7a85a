"""The one reader (`synthspec.datafiles.read_records`): what goes in comes back, whatever the format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from synthspec.datafiles import (
    SUFFIX_FORMATS,
    infer_format,
    iter_record_batches,
    read_records,
)
from synthspec.diagnostics import SynthspecError

ROWS = [
    {"id": "a", "text": "line one\nline two", "label": "x"},
    {"id": "b", "text": 'she said "hi", then left', "label": "y"},
    {"id": "c", "text": "tab\there and a, comma", "label": "z"},
    {"id": "d", "text": "ends with CRLF\r\nin the middle", "label": "w"},
]


def _write_delimited(path: Path, rows: list[dict], delimiter: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("suffix,delimiter", [(".csv", ","), (".tsv", "\t")])
def test_quoted_newlines_and_delimiters_survive(tmp_path, suffix, delimiter):
    path = tmp_path / f"rows{suffix}"
    _write_delimited(path, ROWS, delimiter)
    assert read_records(path) == ROWS


def test_real_banking77_rows_keep_their_line_breaks():
    # BANKING77's train.csv quotes a few texts that span lines; splitting the file on lines lost them.
    rows = read_records("data/banking77/train.csv")
    with open("data/banking77/train.csv", encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    assert rows == expected
    assert any("\n" in r["text"] for r in rows)


def test_jsonl_splits_on_newline_only(tmp_path):
    rows = [{"text": "para\u2028graph\u2029end", "n": 1}, {"text": "carriage\rreturn\x0cfeed\x1cfs", "n": 2}]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert "\u2028" in path.read_text(encoding="utf-8")  # written raw, as synthspec writes
    assert read_records(path) == rows


def test_bom_blank_lines_and_crlf(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n\r\n   \n{"a": 2}')
    assert read_records(path) == [{"a": 1}, {"a": 2}]
    csv_path = tmp_path / "rows.csv"
    csv_path.write_bytes(b'\xef\xbb\xbfa,b\r\n1,2\r\n\r\n3,4\r\n')
    assert read_records(csv_path) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"text": "x\ny", "n": i, "ok": i % 2 == 0} for i in range(2500)]
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    assert read_records(path) == rows
    assert [len(b) for b in iter_record_batches(path, 1000)] == [1000, 1000, 500]
    assert read_records(path, limit=3) == rows[:3]


def test_batches_stream_in_order(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"i": i}) + "\n" for i in range(10)), encoding="utf-8")
    batches = list(iter_record_batches(path, 4))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert [r["i"] for b in batches for r in b] == list(range(10))
    assert read_records(path, limit=3) == [{"i": 0}, {"i": 1}, {"i": 2}]
    with pytest.raises(ValueError):
        list(iter_record_batches(path, 0))


def test_batches_before_a_bad_line_are_delivered(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"i": 0}\n{"i": 1}\n{"i": 2\n', encoding="utf-8")
    seen = []
    with pytest.raises(SynthspecError) as err:
        for batch in iter_record_batches(path, 1):
            seen.extend(batch)
    assert seen == [{"i": 0}, {"i": 1}]
    assert err.value.diagnostics[0].line == 3


@pytest.mark.parametrize(
    "name,content,line,words",
    [
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', 2, "invalid JSON"),
        ("list.jsonl", b'{"a": 1}\n\n[1, 2]\n', 3, "JSON object"),
        ("utf8.jsonl", b'{"a": 1}\n{"a": "\xff"}\n', 2, "UTF-8"),
        ("utf8.csv", b'a,b\n1,2\n"x\n\xff",3\n', 4, "UTF-8"),
        ("wide.csv", b"a,b\n1,2\n1,2,3\n", 3, "3 fields"),
        ("quote.csv", b'a,b\n1,2\n"open, 3\n', None, "CSV"),
    ],
)
def test_malformed_input_is_a_located_error(tmp_path, name, content, line, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SynthspecError) as err:
        read_records(path)
    d = err.value.diagnostics[0]
    assert d.code == "D001" and d.file == str(path) and words in d.message
    if line is not None:
        assert d.line == line


def test_not_a_table(tmp_path):
    with pytest.raises(SynthspecError, match="cannot tell the format"):
        read_records(tmp_path / "x.xlsx")
    with pytest.raises(SynthspecError, match="file not found"):
        read_records(tmp_path / "missing.csv")
    (tmp_path / "bin.jsonl").write_bytes(b"\x00\x01\x02")
    with pytest.raises(SynthspecError, match="binary"):
        read_records(tmp_path / "bin.jsonl")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(SynthspecError, match="Parquet"):
        read_records(tmp_path / "junk.parquet")


def test_one_suffix_table():
    assert infer_format("A.PARQUET") == "parquet" and infer_format("x.ndjson") == "jsonl"
    assert set(SUFFIX_FORMATS.values()) == {"jsonl", "csv", "tsv", "parquet"}
    assert infer_format("x.txt") is None
