"""Helpers for technique tests: compile a real example spec, load its real seed slice, make plain plans."""

from __future__ import annotations

from synthspec.datafiles import SeedExample, load_seed_examples
from synthspec.ir import compile_spec
from synthspec.ir.model import Spec
from synthspec.lower.plan import RecordPlan


def spec_and_seeds(name: str, **update) -> tuple[Spec, list[SeedExample]]:
    spec = compile_spec(f"specs/{name}.synth").spec
    if update:
        spec = spec.model_copy(update=update)
    src = spec.seeds
    seeds = load_seed_examples(src.resolved_path, src.format, src.columns, src.id_column) if src else []
    return spec, seeds


def plain_plans(spec: Spec, draw: dict | None = None) -> list[RecordPlan]:
    """Plans as plain lowering would hand them over (sampled values given, no extra)."""
    draw = draw or {}
    return [RecordPlan(index=i, sub_seed=1000 + i, sampled={f.name: draw.get(f.name) for f in spec.sampled_fields})
            for i in range(spec.count)]
