"""Human review: export a rating sheet (CSV + an offline HTML form), import the ratings back.

People rate a sample of records 1-5 on naturalness, correctness and
relevance.  The sample is drawn with a fixed seed so two exports of one file
agree.  On import, a record rated below 3 on any dimension is flagged, and
failures are summarised by dimension and by the value of each label column,
so "the model cannot write refund requests" shows up as a pattern rather
than as 30 separate complaints.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.datafiles import read_table
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.validate.api import record_id
from synthspec.validate.quality import sample_indices

DIMENSIONS = ("naturalness", "correctness", "relevance")
FIXED = ("record_index", "record_id")
PASS_MARK = 3


def _data_columns(records: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in records:
        for k in r:
            if (
                not str(k).startswith("_")
                and k not in cols
                and k not in FIXED
                and k not in DIMENSIONS
                and k != "comment"
            ):
                cols.append(k)
    return cols


def export_review(
    data: str | Path, out_dir: str | Path, sample: int = 100, seed: int = 0
) -> tuple[Path, Path]:
    """Write `ratings.csv` and `review.html` for a seeded sample of the records; return both paths."""
    records = read_table(data)
    if not records:
        raise SynthspecError(Diagnostic(code=codes.NO_RECORDS_TO_REVIEW, message="no records to review", file=str(data)))
    indices = sample_indices(len(records), sample, seed)
    cols = _data_columns(records)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheet = out / "ratings.csv"
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*FIXED, *cols, *DIMENSIONS, "comment"])
        for i in indices:
            r = records[i]
            writer.writerow([i, record_id(r) or "", *[_cell(r.get(c)) for c in cols], "", "", "", ""])
    form = out / "review.html"
    form.write_text(_form_html(records, indices, cols, Path(data).name), encoding="utf-8")
    return sheet, form


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _form_html(records: list[dict[str, Any]], indices: list[int], cols: list[str], name: str) -> str:
    rows = []
    for i in indices:
        r = records[i]
        cells = "".join(f"<div><b>{escape(c)}</b>: {escape(_cell(r.get(c)))}</div>" for c in cols)
        radios = "".join(
            f"<td>{''.join(f'<label><input type=radio name={d}-{i} value={v}>{v}</label> ' for v in range(1, 6))}</td>"
            for d in DIMENSIONS
        )
        rows.append(
            f"<tr data-index='{i}'><td>{i}</td><td>{cells}</td>{radios}<td><input name='comment-{i}' size=20></td></tr>"
        )
    head = "".join(f"<th>{d}</th>" for d in DIMENSIONS)
    # inline script only: builds ratings.csv from the form for download; no network, no libraries
    script = """
function esc(s){s=String(s);return /[",\\n]/.test(s)?'"'+s.replace(/"/g,'""')+'"':s}
function save(){var cols=%s;var lines=[['record_index'].concat(cols).join(',')];
document.querySelectorAll('tr[data-index]').forEach(function(tr){var i=tr.dataset.index;var row=[i];
cols.forEach(function(d){if(d==='comment'){row.push(esc(tr.querySelector('[name=comment-'+i+']').value));return}
var c=tr.querySelector('input[name='+d+'-'+i+']:checked');row.push(c?c.value:'')});lines.push(row.join(','))});
var a=document.getElementById('dl');a.href='data:text/csv;charset=utf-8,'+encodeURIComponent(lines.join('\\n')+'\\n');a.style.display='inline'}
""".replace("%s", json.dumps([*DIMENSIONS, "comment"]))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>synthspec review</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}td,th{border:1px solid #ddd;padding:.3rem;vertical-align:top}"
        "table{border-collapse:collapse}</style></head><body>"
        f"<h1>Review {escape(name)}</h1><p>Rate each record 1 (bad) to 5 (good). Fill in <code>ratings.csv</code> directly, "
        "or use this form and press <b>Make CSV</b>, then save the link as ratings.csv "
        "(import reads either; columns it does not know are ignored).</p>"
        f"<table><tr><th>#</th><th>record</th>{head}<th>comment</th></tr>{''.join(rows)}</table>"
        f"<p><button type=button onclick='save()'>Make CSV</button> <a id=dl download='ratings.csv' style='display:none'>ratings.csv</a></p>"
        f"<script>{script}</script></body></html>"
    )


@dataclass
class ReviewSummary:
    """Imported ratings: flagged records, mean scores, failure patterns."""

    rated: int
    flagged: list[dict[str, Any]] = field(default_factory=list)
    means: dict[str, float] = field(default_factory=dict)
    failures_by_dimension: dict[str, int] = field(default_factory=dict)
    failures_by_category: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rated": self.rated,
            "flagged": self.flagged,
            "means": self.means,
            "failures_by_dimension": self.failures_by_dimension,
            "failures_by_category": {
                k: {v: {"failed": f, "rated": n} for v, (f, n) in d.items()}
                for k, d in self.failures_by_category.items()
            },
        }

    def render(self) -> str:
        lines = [f"{self.rated} records rated; {len(self.flagged)} flagged (a score below {PASS_MARK})"]
        lines.append("mean scores: " + ", ".join(f"{d} {m:.2f}" for d, m in self.means.items()))
        if self.failures_by_dimension:
            lines.append(
                "failures by dimension: "
                + ", ".join(f"{d} {n}" for d, n in self.failures_by_dimension.items())
            )
        for col, table in self.failures_by_category.items():
            worst = sorted(table.items(), key=lambda kv: (-kv[1][0] / kv[1][1], kv[0]))[:5]
            shown = ", ".join(f"{v}: {f}/{n}" for v, (f, n) in worst if f)
            if shown:
                lines.append(f"failures by {col}: {shown}")
        for r in self.flagged[:20]:
            lines.append(
                f"  record {r['record_index']}: low {', '.join(r['low'])}"
                + (f" — {r['comment']}" if r.get("comment") else "")
            )
        return "\n".join(lines)


def _score(value: str, path: Path, line: int, column: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        score = int(float(value))
    except ValueError:
        score = -1
    if not 1 <= score <= 5 or str(score) != value.split(".")[0]:
        raise SynthspecError(
            Diagnostic(
                code=codes.BAD_RATING,
                message=f"{column} must be a whole number 1-5, got {value!r}",
                file=str(path),
                line=line,
                hint="leave a cell empty if you did not rate it",
            )
        )
    return score


def _category_columns(rows: list[dict[str, str]], skip: set[str]) -> list[str]:
    """Columns that look like labels: short values that are identifiers (no spaces) or few distinct ones."""
    cols = []
    for col in rows[0] if rows else []:
        if col in skip:
            continue
        values = [r.get(col) or "" for r in rows]
        distinct = set(values)
        short = bool(values) and max(len(v) for v in values) <= 40
        identifiers = all(" " not in v.strip() for v in values)
        if short and (identifiers or len(distinct) <= max(2, min(50, len(values) // 2))):
            cols.append(col)
    return cols


def import_review(path: str | Path) -> ReviewSummary:
    """Read a filled-in rating sheet and summarise it."""
    path = Path(path)
    rows = read_table(path, "csv")
    if rows and "record_index" not in rows[0]:
        raise SynthspecError(
            Diagnostic(
                code=codes.NOT_A_RATING_SHEET,
                message="not a rating sheet: no record_index column",
                file=str(path),
                hint="use the ratings.csv written by `synthspec review export`",
            )
        )
    missing = [d for d in DIMENSIONS if rows and d not in rows[0]]
    if missing:
        raise SynthspecError(
            Diagnostic(
                code=codes.NOT_A_RATING_SHEET, message=f"rating sheet lacks column(s) {', '.join(missing)}", file=str(path)
            )
        )
    cats = _category_columns(rows, {*FIXED, *DIMENSIONS, "comment"})
    summary = ReviewSummary(rated=0)
    sums: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    by_cat: dict[str, dict[str, list[int]]] = {c: defaultdict(lambda: [0, 0]) for c in cats}
    for line, row in enumerate(rows, start=2):
        scores = {d: _score(row.get(d, ""), path, line, d) for d in DIMENSIONS}
        given = {d: s for d, s in scores.items() if s is not None}
        if not given:
            continue
        summary.rated += 1
        for d, s in given.items():
            sums[d] += s
            counts[d] += 1
        low = [d for d, s in given.items() if s < PASS_MARK]
        for c in cats:
            cell = by_cat[c][row.get(c) or ""]
            cell[1] += 1
            cell[0] += bool(low)
        if low:
            for d in low:
                summary.failures_by_dimension[d] = summary.failures_by_dimension.get(d, 0) + 1
            summary.flagged.append(
                {
                    "record_index": int(row["record_index"]),
                    "record_id": row.get("record_id") or None,
                    "low": low,
                    "scores": given,
                    "comment": row.get("comment") or "",
                }
            )
    summary.means = {d: round(sums[d] / counts[d], 3) for d in DIMENSIONS if counts[d]}
    summary.failures_by_category = {
        c: {v: (f, n) for v, (f, n) in sorted(t.items())} for c, t in by_cat.items()
    }
    return summary
