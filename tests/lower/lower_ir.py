"""IR builders for the lowering tests: Specs made directly from IR nodes, no parser involved."""

from __future__ import annotations

from synthspec.ir.model import (
    CategoryField,
    Forbidden,
    Include,
    IntRange,
    OutputSpec,
    PatternField,
    Spec,
    TextField,
)


def make_spec(*fields, count: int = 10, seed: int = 0, **extra) -> Spec:
    """A Spec built directly from IR nodes (no parser involved)."""
    return Spec(name="t", source_file="/tmp/t.synth", count=count, seed=seed,
                output=OutputSpec(path="out.jsonl"), fields=tuple(fields), **extra)


def ticket_spec(**extra) -> Spec:
    """The flagship shape: a category, an order number and a text that must include it."""
    return make_spec(
        CategoryField(name="sentiment", values=("negative", "positive"), weights=(0.5, 0.5)),
        PatternField(name="order_number", pattern="[A-Z0-9]{3}-[0-9]{6}", min_length=10, max_length=10),
        TextField(
            name="text", words=IntRange(min=50, max=150),
            must_include=(Include(kind="field", value="order_number"),),
            must_not_include=(
                Forbidden(kind="class", name="pii"),
                Forbidden(kind="list", name="profanity"),
                Forbidden(kind="list", name="competitors", terms=("Acme", "Globex")),
            ),
        ),
        **extra,
    )
