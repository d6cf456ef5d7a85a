"""`schema`: every record against the IR — types, categories, ranges, patterns, limits, includes.

This is the re-check of what the grammar should already guarantee (and the
only check for data that did not come from synthspec): a record that fails
here does not conform to the spec, so the default policy is `drop`.  A field's
`must not include pii` is checked with the PII detector of `synthspec.validate.pii`
(Presidio + spaCy when installed: names too), the values it must include exempt.
"""

from __future__ import annotations

import re
from typing import Any

from synthspec import codes
from synthspec.ir import model as ir
from synthspec.lower.textshape import ending_problem, repeated_ngram
from synthspec.validate.api import Finding, Params, Scope, Validator, ValidatorContext, record_id
from synthspec.validate.matching import ForbiddenMatcher, compile_forbidden, term_regex
from synthspec.validate.pii import exempt, get_detector
from synthspec.validate.wordlists import load_list


class SchemaParams(Params):
    """`allow_extra`: tolerate keys the spec does not declare (default: report them as warnings)."""

    allow_extra: bool = False
    check_includes: bool = True


def _as_number(value: Any, integer: bool) -> float | int | None:
    """Numbers pass; numeric strings (CSV) are converted; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and not integer):
        return value
    if isinstance(value, float) and integer:
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value) if integer else float(value)
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _decimals(value: float | int | str) -> int:
    text = str(value)
    if "e" in text.lower():
        return 0
    return len(text.split(".", 1)[1]) if "." in text else 0


class SchemaValidator(Validator):
    name = "schema"
    Params = SchemaParams
    scope = Scope.RECORD
    default_policy = "drop"
    description = (
        "records conform to the spec: types, categories, ranges, patterns, word/char limits, includes"
    )

    def prepare(self, ctx: ValidatorContext) -> None:
        spec = ctx.spec
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._labels: dict[str, set[str]] = {}
        for f in spec.fields:
            if isinstance(f, ir.PatternField):
                self._patterns[f.name] = re.compile(f.pattern)
            if isinstance(f, ir.CategoryField):
                labels = set(f.values)
                if not labels and f.from_seeds:
                    labels = {
                        str(s.values.get(f.name)) for s in ctx.seeds if s.values.get(f.name) is not None
                    }
                self._labels[f.name] = labels
        self._names = frozenset(spec.field_names)
        self._forbidden: dict[int, ForbiddenMatcher] = {}
        self._profanity = term_regex(load_list("profanity"))
        # `must not include pii` is checked with the PII detector (loaded only when a spec asks for it)
        self._pii = get_detector() if _asks_for_pii(spec) else None

    def _matcher(self, item: ir.Forbidden) -> ForbiddenMatcher:
        key = id(item)
        if key not in self._forbidden:
            if item.kind == "list" and item.name == "profanity" and not item.terms:
                self._forbidden[key] = ForbiddenMatcher(item, self._profanity)
            else:
                self._forbidden[key] = compile_forbidden(item)
        return self._forbidden[key]

    def check_record(self, record: dict[str, Any], index: int, ctx: ValidatorContext) -> list[Finding]:
        out: list[Finding] = []
        rid = record_id(record)

        def err(
            field: str | None, message: str, value: Any = None, threshold: Any = None, code: str = codes.SCHEMA_VIOLATION
        ) -> None:
            out.append(
                self.finding(
                    "error",
                    message,
                    record_index=index,
                    record_id=rid,
                    field=field,
                    value=value if value is None or isinstance(value, (int, float, str)) else str(value),
                    threshold=threshold,
                    code=code,
                )
            )

        def warn(field: str, message: str, value: Any, threshold: Any, code: str) -> None:
            out.append(self.finding("warning", message, record_index=index, record_id=rid, field=field,
                                    value=value, threshold=threshold, code=code))

        if not ctx.params.allow_extra:
            for key in record:
                if not str(key).startswith("_") and key not in self._names and key != "id":
                    out.append(
                        self.finding(
                            "warning",
                            f"undeclared key {key!r}",
                            record_index=index,
                            record_id=rid,
                            field=str(key),
                            code=codes.SCHEMA_UNDECLARED_KEY,
                        )
                    )
        for f in ctx.spec.fields:
            if f.name not in record or record[f.name] is None:
                err(f.name, f"missing field {f.name!r}", code=codes.SCHEMA_MISSING_FIELD)
                continue
            self._check_field(f, record[f.name], err, warn)
        if ctx.params.check_includes:
            self._check_includes(record, ctx, err)
        return out

    def _check_field(self, f: ir.FieldSpec, value: Any, err: Any, warn: Any = None) -> None:
        warn = warn or err
        if isinstance(f, ir.CategoryField):
            labels = self._labels.get(f.name, set())
            if labels and str(value) not in labels:
                err(
                    f.name,
                    f"{f.name}={value!r} is not one of the {len(labels)} declared values",
                    value,
                    code=codes.SCHEMA_NOT_A_LABEL,
                )
        elif isinstance(f, (ir.IntegerField, ir.DecimalField)):
            integer = isinstance(f, ir.IntegerField)
            number = _as_number(value, integer)
            if number is None:
                err(
                    f.name,
                    f"{f.name}={value!r} is not {'a whole number' if integer else 'a number'}",
                    str(value),
                    code=codes.SCHEMA_WRONG_TYPE,
                )
                return
            lo, hi = f.range.min, f.range.max
            if not lo <= number <= hi:
                err(f.name, f"{f.name}={number} is outside {lo}..{hi}", number, f"{lo}..{hi}", code=codes.SCHEMA_OUT_OF_RANGE)
            if isinstance(f, ir.DecimalField) and _decimals(value) > f.places:
                err(
                    f.name,
                    f"{f.name}={value} has more than {f.places} decimal places",
                    str(value),
                    f.places,
                    code=codes.SCHEMA_OUT_OF_RANGE,
                )
        elif isinstance(f, ir.BooleanField):
            if _as_bool(value) is None:
                err(f.name, f"{f.name}={value!r} is not true/false", str(value), code=codes.SCHEMA_WRONG_TYPE)
        elif isinstance(f, ir.PatternField):
            if not isinstance(value, str) or not self._patterns[f.name].fullmatch(value):
                err(
                    f.name,
                    f"{f.name}={value!r} does not fully match /{f.pattern}/",
                    str(value),
                    f.pattern,
                    code=codes.SCHEMA_PATTERN_MISMATCH,
                )
        elif isinstance(f, ir.TextField):
            if not isinstance(value, str):
                err(f.name, f"{f.name} is not a string", str(value), code=codes.SCHEMA_WRONG_TYPE)
                return
            if f.words:
                n = len(value.split())
                if not f.words.min <= n <= f.words.max:
                    err(
                        f.name,
                        f"{f.name} has {n} words, outside {f.words.min}..{f.words.max}",
                        n,
                        f"{f.words.min}..{f.words.max}",
                        code=codes.SCHEMA_LENGTH,
                    )
            # Degeneration, as warnings: people repeat themselves and trail off too, so on data that did
            # not come from synthspec these are worth seeing, not dropping (a build re-checks them as
            # errors in `verify_record`, before a record is kept).
            repeat = repeated_ngram(value, f.no_repeat)
            if repeat is not None:
                warn(f.name, f"{f.name} repeats the words {' '.join(repeat)!r} (no repeat {f.no_repeat})",
                     " ".join(repeat), f.no_repeat, code=codes.SCHEMA_REPEATED_NGRAM)
            ending = ending_problem(value)
            if ending is not None:
                warn(f.name, f"{f.name} {ending}", value[-20:], None, code=codes.SCHEMA_BAD_ENDING)
            if f.chars:
                n = len(value)
                if not f.chars.min <= n <= f.chars.max:
                    err(
                        f.name,
                        f"{f.name} has {n} characters, outside {f.chars.min}..{f.chars.max}",
                        n,
                        f"{f.chars.min}..{f.chars.max}",
                        code=codes.SCHEMA_LENGTH,
                    )
        elif isinstance(f, ir.DerivedField):
            if not isinstance(value, (str, int, float, bool)):
                err(f.name, f"{f.name} is not a scalar", str(value), code=codes.SCHEMA_WRONG_TYPE)

    def _check_includes(self, record: dict[str, Any], ctx: ValidatorContext, err: Any) -> None:
        rules: list[tuple[str, tuple[ir.Include, ...], tuple[ir.Forbidden, ...]]] = []
        for f in ctx.spec.fields:
            if isinstance(f, ir.TextField):
                rules.append((f.name, f.must_include, f.must_not_include))
        for c in ctx.spec.constraints:
            if all(_holds(cond, record) for cond in c.conditions):
                rules.append((c.target, c.must_include, c.must_not_include))
        for target, includes, forbids in rules:
            text = record.get(target)
            if not isinstance(text, str):
                continue
            lowered = text.casefold()
            for inc in includes:
                needle = str(record.get(inc.value, "")) if inc.kind == "field" else inc.value
                if needle and needle.casefold() not in lowered:
                    what = f"the value of {inc.value} ({needle!r})" if inc.kind == "field" else repr(needle)
                    err(target, f"{target} must include {what}", code=codes.SCHEMA_MISSING_INCLUDE)
            for item in forbids:
                if item.kind == "class" and item.name == "pii":
                    if self._pii is not None:
                        allowed = [str(record.get(i.value, "")) if i.kind == "field" else i.value for i in includes]
                        for found in exempt(self._pii.find(text), allowed)[:1]:
                            err(target, f"{target} contains personal data ({found.kind}): {found.text!r}",
                                found.text, code=codes.SCHEMA_FORBIDDEN)
                    continue
                hit = self._matcher(item).search(text)
                if hit is not None:
                    err(target, f"{target} contains forbidden {item.name!r}: {hit!r}", hit, code=codes.SCHEMA_FORBIDDEN)


def _asks_for_pii(spec: ir.Spec) -> bool:
    items = [i for f in spec.fields if isinstance(f, ir.TextField) for i in f.must_not_include]
    items += [i for c in spec.constraints for i in c.must_not_include]
    return any(i.kind == "class" and i.name == "pii" for i in items)


def _holds(cond: ir.Condition, record: dict[str, Any]) -> bool:
    value = record.get(cond.field)
    want = cond.value
    same = str(value).lower() == str(want).lower() if isinstance(want, bool) else str(value) == str(want)
    return same if cond.op == "==" else not same
