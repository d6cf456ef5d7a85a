"""The technique protocol: how a generation technique bends the plain pipeline.

A technique never decodes anything itself.  It touches the build at four
points, each a small pure-ish function, so the engine stays one loop:

* `plan` reshapes the lowered record plans before any model runs (pairs for
  counterfactuals, one record per seed for paraphrases, a rebalanced label
  draw for gap filling, hard seeds for adversarial);
* `fixed` gives values a record already has (a counterfactual's kept text),
  which the engine copies instead of decoding;
* `prompt_context` gives extra prompt variables for one record at decode time
  (the text to paraphrase, rotating few-shot examples from a growing pool);
* `accept_field` refuses one decoded field (only it is decoded again),
  `accept` / `on_accept` filter finished records and grow the pool.

State lives on the technique object (one per build), built by
`synthspec.generate.techniques.get_technique(spec, seeds)`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from synthspec import codes
from synthspec.datafiles import SeedExample
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import Spec
from synthspec.ir.params import TECHNIQUE_PARAMS, TechniqueParams, technique_params
from synthspec.lower.plan import RecordPlan


def technique_error(spec: Spec, message: str, hint: str | None = None, code: str = codes.TECHNIQUE_PRECONDITION) -> SynthspecError:
    """A user-facing error pointing at the spec's `technique` line."""
    span = spec.technique.span
    return SynthspecError(Diagnostic(
        code=code, message=message, hint=hint,
        file=span.file if span else spec.source_file, line=span.line if span else None,
        column=span.column if span else None,
    ))


def stable_rng(spec: Spec, *parts: object) -> random.Random:
    """A random stream fixed by the spec seed and a purpose, so reruns are identical."""
    text = "\x1f".join(str(p) for p in (spec.seed, spec.technique.name, *parts))
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


class Technique:
    """The plain technique: changes nothing.  Subclasses override what they need."""

    name = "plain"
    #: True when a record's prompt or acceptance depends on the records kept before it (a growing pool).
    #: The scheduler then runs such a technique in index-aligned windows of `batch size` records, each
    #: window committed whole in index order, so the same batch size gives the same records and a
    #: resumed build matches an uninterrupted one; `--shard` refuses it (a shard cannot see the others).
    cross_record = False

    def __init__(self, spec: Spec, seeds: Sequence[SeedExample] = ()) -> None:
        self.spec = spec
        self.seeds = list(seeds)
        self.params = dict(spec.technique.params)
        self.options = _options(spec, self.name, self.params)
        self.report: dict[str, Any] = {}

    def plan(self, plans: list[RecordPlan]) -> list[RecordPlan]:
        """The record plans the engine should run (same indices, possibly new values/extra)."""
        return plans

    def fixed(self, plan: RecordPlan) -> dict[str, Any]:
        """Generated-field values this record already has; the engine must not decode them."""
        return dict(plan.fixed)

    def prompt_context(self, plan: RecordPlan, values: dict[str, Any]) -> dict[str, Any]:
        """Extra prompt variables for this record, given the values decoded so far."""
        return dict(plan.context)

    # How often one field may be decoded before the record is given up for this round; a technique
    # whose `accept_field` refuses often asks for more than the engine's default.
    field_attempts = 0

    def accept_field(self, plan: RecordPlan, name: str, value: Any, values: dict[str, Any]) -> list[str]:
        """Reasons to refuse one freshly decoded field (empty: keep it); only that field is retried."""
        return []

    def accept(self, plan: RecordPlan, values: dict[str, Any]) -> list[str]:
        """Reasons to refuse a finished record (empty: keep it)."""
        return []

    def on_accept(self, plan: RecordPlan | None, values: dict[str, Any]) -> None:
        """A record was kept (also called for records restored on resume, in index order)."""

    def _param(self, key: str, default: Any = None) -> Any:
        """A parameter as the technique's Params model (ir/params.py) gives it, defaults included; `default`
        only where the model's default is None because it depends on the spec."""
        value = getattr(self.options, key, None)
        return default if value is None else value


def _options(spec: Spec, name: str, params: dict[str, Any]) -> TechniqueParams | None:
    """The technique's parameters with the Params model's defaults filled in.

    The checker refuses bad values in a spec; an IR made in code that bypasses it keeps its values unvalidated,
    so the technique's own precondition checks (T001) say what is wrong in its terms.
    """
    model = TECHNIQUE_PARAMS.get(name)
    if model is None:
        return None
    try:
        return technique_params(name, params)
    except ValidationError:
        return model.model_construct(**params)


def as_sampled(spec: Spec, name: str, raw: Any, fallback: Any) -> Any:
    """A seed cell as the sampled field's type; the compiler's draw if the cell does not fit."""
    field = spec.field(name)
    try:
        if field.kind == "category":
            return str(raw) if not field.values or str(raw) in field.values else fallback
        if field.kind == "integer":
            return int(raw)
        if field.kind == "decimal":
            return round(float(raw), field.places)
        if field.kind == "boolean":
            if isinstance(raw, bool):
                return raw
            return {"true": True, "false": False, "1": True, "0": False}.get(str(raw).strip().lower(), fallback)
    except (TypeError, ValueError):
        return fallback
    return fallback


def block(values: dict[str, Any]) -> str:
    """`name: value` lines (whitespace collapsed): the one form every technique's prompt block uses."""
    return "\n".join(f"{k}: {' '.join(str(v).split())}" for k, v in values.items())
