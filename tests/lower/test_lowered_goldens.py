"""Goldens of what every example spec lowers to: the grammar and the prompt of each generated field.

A change to lowering (or to a spec) shows as a diff of these files to review, like sqlglot's fixture pairs.
Rewrite them with `SYNTHSPEC_UPDATE_GOLDENS=1 python3 -m pytest tests/lower/test_lowered_goldens.py` and read
the diff before committing it.  Two records per spec, so per-record draws (labels, shots) show too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from synthspec.datafiles import load_seed_examples
from synthspec.ir import compile_spec
from synthspec.lower import field_order, plan_field, plan_records
from tests.conftest import REPO, assert_golden

SPECS = sorted((REPO / "specs").glob("*.synth"))
GOLDENS = REPO / "tests" / "fixtures" / "lowered"
RECORDS = 2


def lowered_text(spec_path: Path) -> str:
    """The grammar, token budget and prompt of every generated field of the first records, as one text."""
    spec = compile_spec(str(spec_path.relative_to(REPO))).spec
    seeds = []
    if spec.seeds is not None:
        seeds = load_seed_examples(spec.seeds.resolved_path, spec.seeds.format, dict(spec.seeds.columns),
                                   spec.seeds.id_column)
    out = [f"# {spec_path.relative_to(REPO)}: dataset {spec.name}, technique {spec.technique.name}"]
    for record in plan_records(spec, seeds)[:RECORDS]:
        out.append(f"\n======== record {record.index}: sampled {dict(sorted(record.sampled.items()))}")
        values = dict(record.sampled)
        for name in field_order(spec):
            plan = plan_field(spec, name, record, values, seeds)
            out.append(f"\n-------- {name}: grammar (max {plan.max_tokens} tokens)\n{plan.grammar.rstrip()}")
            out.append(f"\n-------- {name}: prompt\n{plan.prompt}")
            values[name] = f"<{name}>"
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.stem)
def test_lowered_grammars_and_prompts_match_their_golden(spec_path: Path) -> None:
    assert_golden(GOLDENS / f"{spec_path.stem}.txt", lowered_text(spec_path))


def test_every_golden_belongs_to_an_example_spec() -> None:
    stale = sorted(p.name for p in GOLDENS.glob("*.txt") if p.stem not in {s.stem for s in SPECS})
    assert not stale, f"goldens without a spec in specs/ (delete them): {stale}"
