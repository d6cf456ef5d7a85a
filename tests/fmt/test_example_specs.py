"""The example specs in specs/ compile, and the seed slices they stand on ship with the repo.

A fresh clone has no /work/shared/data, so the committed slices (data/) must be
complete: readable tables with the columns the specs map, and an attribution
file next to each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from synthspec.datafiles import read_table
from synthspec.ir import compile_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "specs").glob("*.synth"))

SLICES = {
    "banking77/support_seeds.jsonl": (90, {"text", "category"}),
    "banking77/gap_seeds.csv": (186, {"text", "category"}),
    "imdb_counterfactual/pairs.tsv": (60, {"sentiment", "text", "batch_id"}),
    "self_instruct/seed_tasks.jsonl": (
        175,
        {"id", "name", "instruction", "input", "output", "is_classification"},
    ),
    "dolly_open_qa/open_qa_seeds.jsonl": (120, {"idx", "instruction", "response"}),
    "dolly_open_qa/open_qa_heldout.jsonl": (120, {"idx", "instruction", "response"}),
}


def test_at_least_six_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_compiles_with_small_default_count(path: Path):
    spec = compile_spec(str(path)).spec
    assert 1 <= spec.count <= 20
    assert spec.seeds is not None and Path(spec.seeds.resolved_path).is_file()
    assert Path(spec.seeds.resolved_path).is_relative_to(ROOT / "data")


def test_flagship_fields():
    spec = compile_spec(str(ROOT / "specs" / "support_tickets.synth")).spec
    assert {"product", "issue_type", "sentiment", "order_number", "text"} <= set(spec.field_names)
    assert spec.field("order_number").pattern == "[A-Z0-9]{3}-[0-9]{6}"
    text = spec.field("text")
    assert text.words_from_seeds and text.words is None  # as long as real queries of its issue type
    assert text.no_repeat == 4
    assert not text.must_include  # the order number is on the subject line (see the spec)
    assert "order_number" in spec.field("subject").depends_on
    assert {f.name for f in text.must_not_include} >= {"pii", "profanity", "competitors"}


@pytest.mark.parametrize("name", sorted(SLICES))
def test_seed_slice_is_shipped_with_attribution(name: str):
    rows_expected, columns = SLICES[name]
    path = ROOT / "data" / name
    rows = read_table(path)
    assert len(rows) == rows_expected
    assert columns <= set(rows[0])
    assert path.stat().st_size < 200_000
    assert "Licence" in (path.parent / "SOURCE.md").read_text(encoding="utf-8")
