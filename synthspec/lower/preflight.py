"""Everything that can fail before the first token, run without a model: what `check` adds to the checker.

The checker reads the AST; some failures only show once the IR is lowered: a pattern with no grammar form
(L002), a `from seeds` field the seeds give no value for (L010), `must include` items that cannot fit the
word limit (L001), a text required to include what it must not include once the built-in lists are
expanded (L031), a `when` on a label the seeds never have (L012), a derived template or prompt template that
fails on real values (L040, L022).  `preflight` lowers every generated field for every distinct
configuration its rules can take (the values of the fields its `when` rules test and the categories it
includes), never per record: it costs the same for `count 10` and `count 10000000`.

`check_spec` is the whole front end in one call (compile, then preflight), used by `check`, `explain` and
`build` alike, so they agree on every spec.  What lives after this stage (grammar compilation by
llguidance, the technique's own set-up) is injected as callbacks, the way the checker is given the
validator table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.datafiles import SeedExample, load_seed_examples
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.ir.compile import CompileResult, compile_spec
from synthspec.ir.model import (
    BooleanField,
    CategoryField,
    DecimalField,
    Forbidden,
    Include,
    IntegerField,
    PatternField,
    Span,
    Spec,
    TextField,
)
from synthspec.lower.constraints import resolve
from synthspec.lower.derive import derive
from synthspec.lower.grammar import pattern_grammar, text_grammar, word_bounds
from synthspec.lower.order import field_order
from synthspec.lower.plan import RecordPlan
from synthspec.lower.prompt import render_prompt
from synthspec.lower.sampling import _seed_numbers, category_weights, sub_seed
from synthspec.lower.verify import forbidden_hits

GrammarCheck = Callable[[str], Any]
SpecCheck = Callable[[Spec, Sequence[SeedExample]], Any]
# Distinct rule configurations lowered per text field; beyond it, every value of every relevant field is still
# tried once (the rest of the cross product is left out, said in a note).
MAX_CONFIGURATIONS = 256


def _located(diag: Diagnostic, span: Span | None) -> Diagnostic:
    """`diag` pointed at `span` when it has no place of its own (or only a file)."""
    if span is None or diag.line is not None:
        return diag
    return Diagnostic(code=diag.code, message=diag.message, file=span.file, line=span.line, column=span.column,
                      end_column=span.end_column if span.end_line == span.line else None, hint=diag.hint,
                      severity=diag.severity, notes=diag.notes)


def _error(code: str, message: str, span: Span | None, hint: str | None = None) -> Diagnostic:
    return _located(Diagnostic(code=code, message=message, hint=hint), span)


class _Collector:
    """Diagnostics without repeats (one configuration after another tends to hit the same problem)."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._seen: set[tuple[Any, ...]] = set()

    def add(self, diag: Diagnostic) -> None:
        key = (diag.code, diag.message, diag.file, diag.line, diag.column)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diag)

    def run(self, span: Span | None, call: Callable[[], Any]) -> Any:
        """`call()`, with a SynthspecError it raises collected (located at `span`) instead of raised."""
        try:
            return call()
        except SynthspecError as exc:
            for diag in exc.diagnostics:
                self.add(_located(diag, span))
            return None


# ------------------------------------------------------------------ the values a record can have


def _labels(field: CategoryField, seeds: Sequence[SeedExample]) -> list[str]:
    try:
        return category_weights(field, seeds)[0]
    except SynthspecError:
        return list(field.values)


def _numbers(field: IntegerField | DecimalField, tested: list[Any], seeds: Sequence[SeedExample]) -> list[Any]:
    """Each tested value the field can take, plus one it can take that no condition names."""
    if field.from_seeds:
        pool = sorted(set(_seed_numbers(field, seeds)))
        pool = [int(round(v)) if isinstance(field, IntegerField) else v for v in pool]
        inside = [v for v in tested if v in pool]
        other = next((v for v in pool if v not in tested), None)
        return inside + ([other] if other is not None else [])
    if isinstance(field, IntegerField):
        first_int, last_int = field.range.min, field.range.max
        inside = [int(v) for v in tested
                  if isinstance(v, (int, float)) and float(v).is_integer() and first_int <= v <= last_int]
        other = next((v for v in range(first_int, min(last_int, first_int + len(tested) + 1) + 1)
                      if v not in inside), None)
        return inside + ([other] if other is not None else [])
    low, high = field.range.min, field.range.max
    step = Decimal(1).scaleb(-field.places)
    first = float((Decimal(repr(low)) / step).to_integral_value(ROUND_CEILING) * step)
    grid = [round(first + i * float(step), field.places) for i in range(len(tested) + 1)]
    inside = [v for v in tested if isinstance(v, (int, float)) and low <= v <= high
              and round(v, field.places) == v]
    other = next((v for v in grid if v <= high and v not in inside), None)
    return inside + ([other] if other is not None else [])


def _candidates(spec: Spec, name: str, seeds: Sequence[SeedExample]) -> list[Any]:
    """The values of sampled field `name` worth lowering with: every label, both flags, the tested numbers."""
    field = spec.field(name)
    if isinstance(field, CategoryField):
        return _labels(field, seeds)
    if isinstance(field, BooleanField):
        return [b for b, ok in ((True, field.probability > 0), (False, field.probability < 1)) if ok]
    tested = [c.value for rule in spec.constraints for c in rule.conditions
              if c.field == name and not isinstance(c.value, (bool, str))]
    if isinstance(field, (IntegerField, DecimalField)):
        return _numbers(field, tested, seeds)
    return []


def _placeholder(spec: Spec, name: str) -> str:
    """A stand-in for a generated field's value: a text as long as it may be (the worst case for whoever
    includes it), a pattern value one word of its shortest length."""
    field = spec.field(name)
    if isinstance(field, TextField):
        return " ".join(["word"] * word_bounds(field)[1])
    if isinstance(field, PatternField):
        return "x" * max(1, field.min_length or 1)
    return f"<{name}>"


def _relevant(spec: Spec, field: TextField) -> list[str]:
    """Sampled fields whose value changes the text's rules or the text it must include."""
    names: list[str] = []
    includes = list(field.must_include)
    for rule in spec.constraints:
        if rule.target == field.name:
            names += [c.field for c in rule.conditions]
            includes += rule.must_include
    names += [i.value for i in includes if i.kind == "field"]
    sampled = {f.name for f in spec.sampled_fields}
    return [n for n in dict.fromkeys(names) if n in sampled]


def configurations(spec: Spec, field: TextField, seeds: Sequence[SeedExample]) -> Iterator[dict[str, Any]]:
    """Values of the relevant sampled fields: the cross product up to a cap, then every value once."""
    names = _relevant(spec, field)
    choices = [_candidates(spec, n, seeds) or [None] for n in names]
    base = {f.name: _placeholder(spec, f.name) for f in spec.generated_fields if f.name != field.name}
    seen = 0
    for combo in itertools.product(*choices):
        if seen >= MAX_CONFIGURATIONS:
            break
        seen += 1
        yield {**base, **{n: v for n, v in zip(names, combo, strict=True) if v is not None}}
    if seen >= MAX_CONFIGURATIONS:  # every value of every field at least once, the others at their first
        first = {n: c[0] for n, c in zip(names, choices, strict=True) if c[0] is not None}
        for n, values in zip(names, choices, strict=True):
            for v in values:
                if v is not None:
                    yield {**base, **first, n: v}


# ------------------------------------------------------------------ the checks


def _conflicts(spec: Spec, field: TextField, values: dict[str, Any], out: _Collector) -> None:
    """An include that a forbidden item matches: every record under these values would be refused."""
    resolved = resolve(spec, field.name, values)
    generated = {f.name for f in spec.generated_fields}
    for text, include in resolved.includes:
        if include.kind == "field" and include.value in generated:
            continue  # a placeholder, not the real value
        for item in resolved.forbidden:
            if item.kind == "class":
                continue  # included values are exempt from the PII check (verify_record strips them)
            hits = forbidden_hits(item, text)
            if hits:
                out.add(_error(codes.INCLUDE_ON_FORBIDDEN_LIST, f"`{field.name}` must include {text!r}, but it must not include "
                               f"{_forbidden_name(item)} ({hits[0]!r} is on it)",
                               include.span or item.span or field.span, _conflict_hint(spec, include, values)))


def _forbidden_name(item: Forbidden) -> str:
    if item.kind == "list":
        return f"`{item.name}`" + (" (the built-in list)" if item.name == "profanity" and not item.terms else "")
    if item.kind == "regex":
        return f"/{item.pattern}/"
    return repr(item.name)


def _conflict_hint(spec: Spec, include: Include, values: dict[str, Any]) -> str:
    if include.kind == "field":
        return (f"with `{include.value}` = {values.get(include.value)!r}; drop that value, the include, or the "
                "forbidden item")
    return "drop the include or the forbidden item"


def _text(spec: Spec, field: TextField, seeds: Sequence[SeedExample], out: _Collector,
          grammars: dict[str, Span | None]) -> None:
    shapes: set[Any] = set()
    for values in configurations(spec, field, seeds):
        _conflicts(spec, field, values, out)
        resolved = out.run(field.span, partial(resolve, spec, field.name, values))
        if resolved is None:
            continue
        shape = (resolved.forbidden, tuple((len(t.split()), t.rstrip()[-1:].isdigit()) for t, _ in resolved.includes))
        if shape in shapes:
            continue
        shapes.add(shape)
        lowered = out.run(field.span, partial(text_grammar, field, resolved))
        if lowered is not None:
            grammars.setdefault(lowered.grammar, field.span)


def _seed_labels(spec: Spec, seeds: Sequence[SeedExample], out: _Collector) -> None:
    """`when` on a label of a `from seeds` category that the seeds never have: the rule never applies."""
    for rule in spec.constraints:
        for cond in rule.conditions:
            field = spec.field(cond.field) if cond.field in spec.field_names else None
            if not isinstance(field, CategoryField) or not field.from_seeds or cond.op != "==":
                continue
            labels = _labels(field, seeds)
            if labels and str(cond.value) not in labels:
                out.add(_error(codes.SEED_LABEL_NEVER_SEEN, f"`{cond.field} == {cond.value!r}` can never hold: no seed has that label, "
                               "so this `when` never applies", rule.span,
                               f"labels in the seeds: {', '.join(labels[:12])}{' ...' if len(labels) > 12 else ''}"))


def _sampled(spec: Spec, seeds: Sequence[SeedExample], out: _Collector) -> None:
    for f in spec.sampled_fields:
        if isinstance(f, CategoryField) and f.from_seeds:
            out.run(f.span, partial(category_weights, f, seeds))
        elif isinstance(f, (IntegerField, DecimalField)) and f.from_seeds and not _seed_numbers(f, seeds):
            out.add(_error(codes.SAMPLING_FAILED, f"`{f.name}` is drawn `from seeds`, but no seed value lies in its range",
                           f.span, "map a seed column onto the field, or give it a range"))


def _representative(spec: Spec, seeds: Sequence[SeedExample]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in spec.sampled_fields:
        candidates = _candidates(spec, f.name, seeds)
        if candidates:
            values[f.name] = candidates[0]
        elif isinstance(f, (IntegerField, DecimalField)):
            values[f.name] = f.range.min
    return values


def preflight(spec: Spec, seeds: Sequence[SeedExample] = (), grammar_check: GrammarCheck | None = None,
              technique_check: SpecCheck | None = None) -> list[Diagnostic]:
    """Every error lowering (and, through the callbacks, grammar compilation and the technique) would raise."""
    out = _Collector()
    order = out.run(None, partial(field_order, spec))
    _sampled(spec, seeds, out)
    _seed_labels(spec, seeds, out)
    grammars: dict[str, Span | None] = {}
    for f in spec.generated_fields:
        if isinstance(f, PatternField):
            lowered = out.run(f.span, partial(pattern_grammar, f))
            if lowered is not None:
                grammars.setdefault(lowered.grammar, f.span)
        elif isinstance(f, TextField):
            _text(spec, f, seeds, out, grammars)
    if grammar_check is not None and not out.items:
        for grammar, span in grammars.items():
            out.run(span, partial(grammar_check, grammar))
    if out.items or order is None:
        return out.items
    values = _representative(spec, seeds)
    record = RecordPlan(index=0, sub_seed=sub_seed(spec.seed, 0), sampled=dict(values))
    for name in order:
        out.run(spec.field(name).span, partial(render_prompt, spec, name, record, dict(values), seeds))
        values[name] = _placeholder(spec, name)
    out.run(None, partial(derive, spec, values))
    if technique_check is not None and not out.items:
        out.run(spec.technique.span, partial(technique_check, spec, seeds))
    return out.items


def load_seeds(spec: Spec) -> list[SeedExample]:
    """The spec's seed examples (none when it declares no seeds)."""
    if spec.seeds is None:
        return []
    return load_seed_examples(spec.seeds.resolved_path, spec.seeds.format, dict(spec.seeds.columns),
                              spec.seeds.id_column)


def check_spec(path: str | Path, validators: Mapping[str, Any] | None = None, dataset: str | None = None,
               validator_failures: Mapping[str, str] | None = None, grammar_check: GrammarCheck | None = None,
               technique_check: SpecCheck | None = None) -> CompileResult:
    """Compile `path` and lower it: raises `SynthspecError` with every diagnostic if anything would fail."""
    result = compile_spec(path, validators=validators, dataset=dataset, validator_failures=validator_failures)
    seeds = load_seeds(result.spec)
    errors = preflight(result.spec, seeds, grammar_check, technique_check)
    if errors:
        raise SynthspecError(result.diagnostics + errors, sources=result.sources)
    return result
