"""Few-shot prompts for a base model, built from the real seed examples.

Gemma 3 270M is a *base* model: it continues text, it does not follow
instructions.  So a prompt is a few real examples in the very layout the
model must then continue (`Label: value` lines, a blank line between
records), ending with the current record's known fields and the label of the
field to write.  Which seeds are shown is decided per record (`choose_shots`):
examples sharing the record's labels first, the rest from other labels, rotated
by the record's own seed so records do not all share one context.

Seed text is data: it reaches the template only as variables, so a seed that
contains `{{ x }}` is printed as is.  Templates (the default one and a user's
`prompt_template`) run in jinja2's immutable sandbox.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from synthspec import codes
from synthspec.datafiles import SeedExample
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import Spec, TextField
from synthspec.ir.params import PlainParams
from synthspec.lower.plan import RecordPlan
from synthspec.lower.sampling import rng_for, sub_seed

# Seed examples per prompt when the spec does not say.  Measured (bench/bench_tstr.py, BANKING77, three
# seeds): 8 shots train a classifier to 0.716 real-test accuracy where 4 reach 0.672, for ~35 % more time.
DEFAULT_SHOTS: int = PlainParams.model_fields["shots"].default  # ir/params.py states it once
TEMPLATE_DIR = Path(__file__).with_name("templates")


def label(name: str) -> str:
    """`order_number` → `Order number`: the line label the model sees."""
    words = name.replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


def one_line(value: Any) -> str:
    """A value as it appears on one prompt line (newlines would end the field early)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def shot_count(spec: Spec) -> int:
    raw = spec.technique.params.get("shots", DEFAULT_SHOTS)
    try:
        return max(0, int(raw))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_SHOTS


def usable_seeds(spec: Spec, seeds: Sequence[SeedExample]) -> list[SeedExample]:
    """Seeds that show at least one generated field (a seed without text teaches nothing)."""
    generated = [f.name for f in spec.generated_fields]
    return [s for s in seeds if any(s.values.get(g) not in (None, "") for g in generated)]


def share_count(spec: Spec) -> int:
    """Records per few-shot context (`plain`'s `share_shots`; 1 for the other techniques)."""
    if spec.technique.name != "plain":
        return 1
    raw = spec.technique.params.get("share_shots", PlainParams.model_fields["share_shots"].default)
    return max(1, int(raw)) if isinstance(raw, int) else 1


def choose_shots(spec: Spec, seeds: Sequence[SeedExample], sampled: dict[str, Any], record_seed: int,
                 index: int) -> tuple[str, ...]:
    """Ids of the k seeds this record's prompt shows: half matching its labels, the best match last.

    With `share_shots N`, records [gN, (g+1)N) show the same k seeds, drawn from the
    group's first record's seed and matching no record's labels (the shared prefix
    cannot depend on them), so their prompts share the whole few-shot prefix.
    """
    k = shot_count(spec)
    pool = usable_seeds(spec, seeds)
    if k == 0 or not pool:
        return ()
    share = share_count(spec)
    if share > 1:
        order = list(pool)
        rng_for("synthspec-shared-shots", sub_seed(spec.seed, index - index % share)).shuffle(order)
        return tuple(s.id for s in order[: min(k, len(pool))])
    rng = rng_for("synthspec-shots", record_seed)
    order = list(pool)
    rng.shuffle(order)
    categories = [f.name for f in spec.sampled_fields if f.kind in ("category", "boolean")
                  and any(s.values.get(f.name) not in (None, "") for s in pool)]

    def score(seed: SeedExample) -> int:
        return sum(one_line(seed.values.get(c)).lower() == one_line(sampled.get(c)).lower() for c in categories)

    ranked = sorted(order, key=lambda s: -score(s))  # stable: ties keep the shuffled order
    take = min(k, len(pool))
    matching = [s for s in ranked if categories and score(s) == len(categories)]
    first = matching[: math.ceil(take / 2)] if matching else []
    rest = [s for s in order if s not in first][: take - len(first)]
    return tuple(s.id for s in rest + first)  # the closest examples sit next to the record


def record_lines(spec: Spec, values: dict[str, Any], upto: str | None) -> list[dict[str, str]]:
    """`Label: value` lines of one record in layout order, stopping before field `upto`."""
    from synthspec.lower.order import layout_order

    lines = []
    for name in layout_order(spec):
        field = spec.field(name)
        if name == upto:
            tone = _tone(spec, field, values)
            if tone:
                lines.append({"label": "Tone", "value": tone})
            break
        if values.get(name) in (None, ""):
            continue
        if isinstance(field, TextField):
            tone = _tone(spec, field, values)
            if tone:
                lines.append({"label": "Tone", "value": tone})
        lines.append({"label": label(name), "value": one_line(values[name])})
    return lines


def _tone(spec: Spec, field: Any, values: dict[str, Any]) -> str | None:
    tone = getattr(field, "tone", None)
    if tone is None:
        return None
    if tone.kind == "literal":
        return str(tone.value)
    value = values.get(tone.value)
    return None if value in (None, "") else one_line(value)


def header(spec: Spec) -> str | None:
    styles = [f.style for f in spec.generated_fields if isinstance(f, TextField) and f.style]
    return f"Examples: {'; '.join(dict.fromkeys(styles))}." if styles else None


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False, autoescape=False,
    )


def _user_template(spec: Spec) -> jinja2.Template | None:
    if not spec.prompt_template:
        return None
    path = Path(spec.prompt_template)
    if not path.is_absolute():
        path = Path(spec.source_file).parent / path
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SynthspecError(Diagnostic(code=codes.PROMPT_UNREADABLE, message=f"cannot read prompt template {path}: {exc.strerror}",
                                        file=spec.source_file, hint="paths are relative to the spec file")) from None
    try:
        return _environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise SynthspecError(Diagnostic(code=codes.PROMPT_SYNTAX, message=f"prompt template: {exc.message}", file=str(path),
                                        line=exc.lineno)) from None


def _text_lines(spec: Spec, values: dict[str, Any]) -> list[dict[str, str]]:
    """`{label, value}` lines of the text fields in `values` (other keys ignored)."""
    return [{"label": label(k), "value": one_line(v)} for k, v in values.items()
            if k in spec.field_names and spec.field(k).kind == "text" and v not in (None, "")]


def render_prompt(spec: Spec, name: str, record: RecordPlan, values: dict[str, Any],
                  seeds: Sequence[SeedExample]) -> str:
    """The prompt that precedes field `name` of `record` (ends with `Label:`, no trailing space)."""
    by_id = {s.id: s for s in seeds}
    context = dict(record.context)
    if isinstance(context.get("examples"), list):  # a technique supplies its own shots
        shots = [dict(e) for e in context["examples"] if isinstance(e, dict)]
    else:
        shots = [dict(by_id[i].values) for i in record.seed_ids if i in by_id]
    examples = [lines for lines in (record_lines(spec, shot, None) for shot in shots) if lines]
    original = []
    for key in ("source", "original"):
        source = context.get(key)
        if isinstance(source, dict):
            original += _text_lines(spec, source)
    demonstrations = [
        {"original": _text_lines(spec, demo.get("original") or {}), "result": _text_lines(spec, demo.get("result") or {})}
        for demo in context.get("demonstrations") or [] if isinstance(demo, dict)
    ]
    variables = {
        "header": header(spec), "examples": examples, "demonstrations": demonstrations, "original": original,
        # a rewrite (paraphrase) shows original → rewrite pairs and nothing between the last original
        # and its target, so the model sees one pattern to continue
        "record": [] if context.get("rewrite") else record_lines(spec, values, name), "target": label(name),
        "field": name, "values": {k: v for k, v in values.items()}, "context": context,
        "dataset": spec.name, "index": record.index,
    }
    template = _user_template(spec) or _environment().get_template("record_prompt.j2")
    try:
        text = template.render(**variables)
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        # a user template's own expressions fail like a derived field's: a located error, not an internal one
        raise SynthspecError(Diagnostic(code=codes.PROMPT_RENDER_FAILED, message=f"prompt template failed: {type(exc).__name__}: {exc}",
                                        file=spec.prompt_template or spec.source_file)) from None
    return text.rstrip(" ")
