"""Human review export/import round trip."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from synthspec.cli import main
from synthspec.diagnostics import SynthspecError
from synthspec.report.review import export_review, import_review
from tests.conftest import REPO

SAMPLE = REPO / "tests" / "fixtures" / "banking77" / "sample.csv"


def test_export_is_seeded_and_writes_sheet_and_form(tmp_path: Path) -> None:
    sheet, form = export_review(SAMPLE, tmp_path / "a", sample=20, seed=3)
    again, _ = export_review(SAMPLE, tmp_path / "b", sample=20, seed=3)
    assert sheet.read_text() == again.read_text()
    rows = list(csv.DictReader(sheet.open()))
    assert len(rows) == 20 and list(rows[0])[:4] == ["record_index", "record_id", "text", "category"]
    assert {"naturalness", "correctness", "relevance", "comment"} <= set(rows[0])
    html = form.read_text()
    assert html.count("type=radio") == 20 * 3 * 5 and "http" not in html


def test_import_flags_low_ratings_and_summarises_by_category(tmp_path: Path, capsys) -> None:
    sheet, _ = export_review(SAMPLE, tmp_path, sample=30)
    rows = list(csv.DictReader(sheet.open()))
    target = rows[0]["category"]
    for r in rows:
        bad = r["category"] == target
        r.update(
            naturalness="4",
            correctness="2" if bad else "5",
            relevance="4",
            comment="wrong intent" if bad else "",
        )
    rows[1]["relevance"] = ""  # partially rated rows count
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    summary = import_review(sheet)
    n_bad = sum(r["category"] == target for r in rows)
    assert summary.rated == 30 and len(summary.flagged) == n_bad
    assert summary.failures_by_dimension == {"correctness": n_bad}
    assert summary.failures_by_category["category"][target] == (n_bad, n_bad)
    assert main(["review", "import", str(sheet), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["failures_by_category"]["category"][target]["failed"] == n_bad


def test_import_rejects_out_of_range_scores(tmp_path: Path) -> None:
    sheet = tmp_path / "r.csv"
    sheet.write_text("record_index,record_id,text,naturalness,correctness,relevance,comment\n0,,hi,7,3,3,\n")
    with pytest.raises(SynthspecError, match="1-5"):
        import_review(sheet)


def test_review_export_command(tmp_path: Path) -> None:
    assert main(["review", "export", str(SAMPLE), "--sample", "5", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ratings.csv").exists() and (tmp_path / "review.html").exists()
