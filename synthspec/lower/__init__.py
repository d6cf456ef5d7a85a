"""Lowering: from the frozen IR to per-record plans, grammars, prompts and checks.

Pure (no model).  The generation engine calls, in order: `plan_records` once,
`field_order` once, then per record and generated field `plan_field` →
decode → `parse_value`, then `derive` and `verify_record`.  `grammar_notes`
and `explain_field` serve `synthspec check` / `explain`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from synthspec import codes
from synthspec.datafiles import SeedExample
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.model import PatternField, Spec, TextField
from synthspec.lower.constraints import Resolved, holds, resolve
from synthspec.lower.derive import derive
from synthspec.lower.grammar import (
    DEFAULT_MAX_WORDS,
    STOP,
    Lowered,
    edit_grammar,
    narrowed,
    notes_for,
    pattern_grammar,
    text_grammar,
)
from synthspec.lower.order import field_order, layout_order
from synthspec.lower.plan import EditOf, FieldPlan, RecordPlan
from synthspec.lower.prompt import choose_shots, render_prompt
from synthspec.lower.sampling import (
    record_word_bounds,
    sample_columns,
    sample_record,
    seed_word_counts,
    sub_seed,
)
from synthspec.lower.textshape import repeated_ngram, wants_sentence_end
from synthspec.lower.verify import verify_record

__all__ = [
    "FieldPlan",
    "RecordPlan",
    "derive",
    "explain_field",
    "field_order",
    "grammar_notes",
    "layout_order",
    "parse_value",
    "plan_field",
    "plan_record",
    "plan_records",
    "text_notes",
    "verify_record",
]


def plan_records(spec: Spec, seeds: Sequence[SeedExample] = ()) -> list[RecordPlan]:
    """Every record's sampled values, own seed and few-shot seed ids (deterministic from `spec.seed`).

    `constraints` lists the indices of the `when` blocks whose conditions
    hold on the sampled values alone (blocks that test generated fields are
    resolved again when their target is planned); `words` the word bound
    drawn for each `words from seeds` field; `sentence_end` the text fields
    that must end on a sentence end because most seeds' do.
    """
    seeds = list(seeds)
    pools: dict[tuple[Any, ...], list[int]] = {}
    sentence = _sentence_end_fields(spec, seeds)
    return [_plan(spec, seeds, index, sampled, sentence, pools)
            for index, sampled in enumerate(sample_columns(spec, seeds))]


def plan_record(spec: Spec, seeds: Sequence[SeedExample], index: int) -> RecordPlan:
    """The plan of record `index` alone, equal to `plan_records(spec, seeds)[index]` (for `explain`)."""
    seeds = list(seeds)
    return _plan(spec, seeds, index, sample_record(spec, seeds, index), _sentence_end_fields(spec, seeds), {})


def _sentence_end_fields(spec: Spec, seeds: Sequence[SeedExample]) -> tuple[str, ...]:
    """The text fields whose seeds mostly end on a sentence end (so their records must too)."""
    return tuple(f.name for f in spec.generated_fields if isinstance(f, TextField) and wants_sentence_end(
        [s.values[f.name] for s in seeds if isinstance(s.values.get(f.name), str)]))


def _plan(spec: Spec, seeds: list[SeedExample], index: int, sampled: dict[str, Any],
          sentence_end: tuple[str, ...], pools: dict[tuple[Any, ...], list[int]]) -> RecordPlan:
    record_seed = sub_seed(spec.seed, index)
    active = [i for i, rule in enumerate(spec.constraints)
              if all(c.field in sampled for c in rule.conditions)
              and all(holds(c, sampled) for c in rule.conditions)]
    return RecordPlan(index=index, sub_seed=record_seed, sampled=sampled,
                      seed_ids=choose_shots(spec, seeds, sampled, record_seed, index),
                      constraints=tuple(active),
                      words=record_word_bounds(spec, seeds, index, sampled, DEFAULT_MAX_WORDS, pools),
                      sentence_end=sentence_end)


@lru_cache(maxsize=512)
def _lowered_text(field: TextField, resolved: Resolved, sentence_end: bool = False) -> Lowered:
    return text_grammar(field, resolved, sentence_end)


@lru_cache(maxsize=64)
def _lowered_pattern(field: PatternField) -> Lowered:
    return pattern_grammar(field)


def lower_field(spec: Spec, name: str, values: dict[str, Any], words: Sequence[int] | None = None,
                sentence_end: bool = False) -> Lowered:
    """Grammar, budget and unenforced constraints of field `name` given the record's values so far.

    `words` narrows a text field's word limits for this one record (a
    paraphrase keeps its source's length, `words from seeds` a drawn seed
    length); it never widens them.  `sentence_end`: the text must end on one.
    """
    field = spec.field(name)
    if isinstance(field, PatternField):
        return _lowered_pattern(field)
    if isinstance(field, TextField):
        if words is not None:
            field = narrowed(field, int(words[0]), int(words[1]))
        return _lowered_text(field, resolve(spec, name, values), sentence_end)
    raise SynthspecError(Diagnostic(code=codes.FIELD_NOT_GENERATED, message=f"`{name}` is a {field.kind} field, not generated",
                                    hint="only pattern and text fields are decoded by the model"))


def plan_field(spec: Spec, name: str, record: RecordPlan, values: dict[str, Any],
               seeds: Sequence[SeedExample] = ()) -> FieldPlan:
    """How to decode generated field `name` of `record`, given the values decided so far."""
    known = {**record.sampled, **values}
    field = spec.field(name)
    edit: EditOf | None = record.edit_of.get(name)
    no_repeat = field.no_repeat if isinstance(field, TextField) else 0
    if edit is not None and isinstance(field, TextField):
        lowered = edit_grammar(field, resolve(spec, name, known), edit.original, edit.max_edits,
                               frozenset(edit.must_change), edit.avoid)
        if repeated_ngram(edit.original, no_repeat):
            no_repeat = 0  # an edit copies its original's words: a repeat a person wrote stays allowed
    else:
        lowered = lower_field(spec, name, known, record.words.get(name), name in record.sentence_end)
    prompt = render_prompt(spec, name, record, known, seeds)
    return FieldPlan(name=name, grammar=lowered.grammar, prompt=prompt, max_tokens=lowered.max_tokens,
                     stop=STOP, unenforced=tuple(lowered.unenforced), no_repeat_ngram=no_repeat)


def parse_value(spec: Spec, name: str, text: str) -> Any:
    """The decoded text (leading space, value, stop) → the field's value."""
    if not isinstance(text, str):
        raise TypeError(f"{name}: decoded output is not text")
    value = text[: -len(STOP)] if text.endswith(STOP) else text
    if value.startswith(" "):
        value = value[1:]
    if STOP in value:
        raise ValueError(f"{name}: output continues past the stop")
    if not value.strip():
        raise ValueError(f"{name}: empty value")
    spec.field(name)  # unknown names are a caller bug: KeyError
    return value


def grammar_notes(spec: Spec) -> list[str]:
    """Constraints the grammars cannot enforce (re-checked after generation), for `check`/`explain`."""
    return notes_for(spec)


def explain_field(spec: Spec, name: str, seeds: Sequence[SeedExample] = (), record: int = 0) -> str:
    """A readable account of field `name` for one sample record: its grammar, budget and prompt."""
    plan = plan_record(spec, seeds, min(max(record, 0), spec.count - 1))
    values: dict[str, Any] = {}
    for other in field_order(spec):
        if other == name:
            break
        values[other] = f"<{other}>"
    fp = plan_field(spec, name, plan, values, seeds)
    parts = [f"# grammar of `{name}` for record {plan.index} (max {fp.max_tokens} tokens, stop {fp.stop!r})"]
    field = spec.field(name)
    if isinstance(field, TextField):
        parts += text_notes(field, plan, seeds, fp)
    parts.append(fp.grammar.rstrip())
    if fp.unenforced:
        parts.append("# checked after generation:")
        parts += [f"#   {u}" for u in fp.unenforced]
    parts += [f"# prompt of `{name}`", fp.prompt]
    return "\n".join(parts)


def text_notes(field: TextField, plan: RecordPlan, seeds: Sequence[SeedExample], fp: FieldPlan) -> list[str]:
    """What `explain` says about a text field's length, ending and repeats for this record."""
    notes = []
    bound = plan.words.get(field.name)
    if field.words_from_seeds and bound is not None:
        counts = sorted(seed_word_counts(field, seeds))
        if counts:
            pick = counts[len(counts) // 2], counts[len(counts) // 10], counts[(len(counts) * 9) // 10]
            notes.append(f"# words from seeds: this record may write {bound[0]}..{bound[1]} words, drawn from the "
                         f"lengths of its category's seeds (all {len(counts)} seeds: median {pick[0]}, "
                         f"p10 {pick[1]}, p90 {pick[2]})")
    if field.name in plan.sentence_end:
        notes.append("# ends on a sentence end (. ! ?): most of the seeds' texts do")
    else:
        notes.append("# ends cleanly: never inside a word or number, never on a comma or colon")
    if fp.no_repeat_ngram:
        notes.append(f"# no repeat {fp.no_repeat_ngram}: no word {fp.no_repeat_ngram}-gram may occur twice")
    return notes
