"""The quality section of a report: text measures beside the seeds' own, and a sample of records.

Rendered from `Report.quality` (validate/quality.py measures it) for the terminal and for HTML; the
JSON report carries the same dict.  A measure is marked when the records are clearly worse than the
seeds (by more than `MARGIN`): that is a finding a person would agree with, not a fixed threshold.
"""

from __future__ import annotations

from html import escape
from typing import Any

# (key, label, higher is better?, as a percentage?)
MEASURES = (
    ("repeated_ngram_share", "texts with a repeated word {n}-gram", False, True),
    ("clean_ending_share", "texts that end cleanly (not mid-word, no open bracket)", True, True),
    ("sentence_end_share", "texts that end on . ! ?", True, True),
    ("mean_words", "mean words", None, False),
    ("oov_share", "words the seeds never use", False, True),
    ("distinct_2", "distinct word bigrams / bigrams", True, False),
)
MARGIN = 0.10


def _fmt(value: Any, percent: bool) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:g}"


def worse(key: str, records: Any, seeds: Any) -> bool:
    """The records' figure is clearly worse than the seeds' on a measure with a direction."""
    better_high = next((m[2] for m in MEASURES if m[0] == key), None)
    if better_high is None or records is None or seeds is None:
        return False
    return (seeds - records if better_high else records - seeds) > MARGIN


def quality_rows(quality: dict[str, Any] | None) -> list[tuple[str, str, str, str, bool]]:
    """(field, measure, records, seeds, worse) rows for every text field."""
    rows = []
    for name, entry in ((quality or {}).get("fields") or {}).items():
        mine, theirs = entry["records"], entry.get("seeds") or {}
        for key, label, _, percent in MEASURES:
            rows.append((name, label.format(n=entry["ngram"]), _fmt(mine.get(key), percent),
                         _fmt(theirs.get(key), percent) if theirs else "–",
                         worse(key, mine.get(key), theirs.get(key))))
    return rows


def sample_lines(quality: dict[str, Any] | None, width: int = 300) -> list[str]:
    """One line per sampled record: its index and values."""
    sample = (quality or {}).get("sample") or {}
    out = []
    for index, record in zip(sample.get("indices", []), sample.get("records", []), strict=False):
        text = " | ".join(f"{k}: {v}" for k, v in record.items())
        out.append(f"[{index}] {text[:width]}{'…' if len(text) > width else ''}")
    return out


def quality_html(quality: dict[str, Any] | None) -> str:
    """The measures table and the sample, as HTML (values escaped)."""
    rows = quality_rows(quality)
    out = []
    if rows:
        out.append("<h2 id='quality'>Text quality</h2><table><tr><th>field</th><th>measure</th>"
                   "<th>records</th><th>seeds</th></tr>")
        for field, label, mine, theirs, bad in rows:
            cls = " class='warning'" if bad else ""
            out.append(f"<tr><td>{escape(field)}</td><td>{escape(label)}</td><td{cls}>{escape(mine)}</td>"
                       f"<td>{escape(theirs)}</td></tr>")
        out.append("</table>")
    sample = (quality or {}).get("sample") or {}
    if sample.get("records"):
        out.append(f"<h2 id='sample'>A sample of records</h2><p class='info'>{len(sample['records'])} records "
                   f"drawn with seed {sample['seed']}, as <code>synthspec review export --sample "
                   f"{len(sample['records'])} --seed {sample['seed']}</code> picks them.</p>")
        columns = list(dict.fromkeys(k for r in sample["records"] for k in r))
        out.append("<table><tr><th>#</th>" + "".join(f"<th>{escape(str(c))}</th>" for c in columns) + "</tr>")
        for index, record in zip(sample["indices"], sample["records"], strict=False):
            cells = "".join(f"<td>{escape(str(record.get(c, '')))}</td>" for c in columns)
            out.append(f"<tr><td>{index}</td>{cells}</tr>")
        out.append("</table>")
    return "\n".join(out)
