"""`technique plain(share_shots = N)`: N consecutive records show the same few-shot examples.

The records of a group must share their whole few-shot prompt prefix (that is what lets the batched llama.cpp
session evaluate it once), the groups must differ from each other, and the default (1) must keep each record's
own label-matched shots.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from synthspec.datafiles import load_seed_examples
from synthspec.diagnostics import SynthspecError
from synthspec.ir.compile import compile_spec
from synthspec.lower import plan_field, plan_records

SEEDS = Path(__file__).resolve().parents[2] / "data" / "banking77" / "support_seeds.jsonl"


def _compiled(tmp_path: Path, technique: str):
    path = tmp_path / "q.synth"
    path.write_text("\n".join([
        "dataset q {", "  count 12", "  seed 5",
        f'  seeds "{SEEDS}" {{ label <- "category" text <- "text" }}',
        "  field label: category from seeds",
        "  field text: text { words 3..30 }",
        f"  technique {technique}", "}"]) + "\n", encoding="utf-8")
    spec = compile_spec(path).spec
    seeds = load_seed_examples(spec.seeds.resolved_path, spec.seeds.format, dict(spec.seeds.columns),
                               spec.seeds.id_column)
    return spec, seeds


def _prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_a_group_shares_its_shots_and_its_prompt_prefix(tmp_path):
    spec, seeds = _compiled(tmp_path, "plain(share_shots = 4)")
    plans = plan_records(spec, seeds)
    groups = [plans[i : i + 4] for i in range(0, 12, 4)]
    for group in groups:
        assert len({p.seed_ids for p in group}) == 1 and len(group[0].seed_ids) == 8
    assert len({g[0].seed_ids for g in groups}) == 3  # each group its own draw
    prompts = [plan_field(spec, "text", p, dict(p.sampled), seeds).prompt for p in groups[0]]
    # everything up to the record's own lines is shared: at least the eight shots
    shared = min(_prefix(prompts[0], other) for other in prompts[1:])
    last_shot = max(prompts[0].find(seed.values["text"]) for seed in seeds if seed.id in groups[0][0].seed_ids)
    assert shared > last_shot > 0


def test_the_default_gives_each_record_its_own_label_matched_shots(tmp_path):
    spec, seeds = _compiled(tmp_path, "plain")
    plans = plan_records(spec, seeds)
    assert len({p.seed_ids for p in plans}) == len(plans)
    by_id = {s.id: s for s in seeds}
    for plan in plans:  # the closest example (shown last) carries the record's own label
        assert by_id[plan.seed_ids[-1]].values["label"] == plan.sampled["label"]


def test_share_shots_is_range_checked(tmp_path):
    with pytest.raises(SynthspecError) as info:
        _compiled(tmp_path, "plain(share_shots = 0)")
    assert "C094" in info.value.render()
