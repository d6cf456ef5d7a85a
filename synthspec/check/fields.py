"""Passes over field declarations: ranges, weights, regexes, text properties, templates."""

from __future__ import annotations

import re

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from synthspec.check.context import BUILTIN_CLASSES, CheckContext, did_you_mean
from synthspec.check.regexes import regex_width
from synthspec.parse import ast


def _check_range(ctx: CheckContext, rng: ast.Range, what: str, minimum: float | None = None, whole: bool = False) -> None:
    low, high = rng.low.value, rng.high.value
    if whole and (isinstance(low, float) or isinstance(high, float)):
        ctx.report("C020", f"{what} must be whole numbers", rng.pos, f"write e.g. {int(low)}..{int(high)}")
    if low > high:
        ctx.report("C021", f"reversed range {rng.low.text}..{rng.high.text}", rng.pos,
                   f"write it low to high: {rng.high.text}..{rng.low.text}")
    if minimum is not None and low < minimum:
        ctx.report("C022", f"{what} cannot be below {minimum:g}", rng.pos)


def field_types(ctx: CheckContext) -> None:
    """Each field's own declaration makes sense on its own."""
    for name, decl in ctx.fields.items():
        ftype = decl.type
        if isinstance(ftype, ast.CategoryType):
            _check_category(ctx, name, ftype)
        elif isinstance(ftype, ast.IntegerType):
            if ftype.range is not None:
                _check_range(ctx, ftype.range, "integer bounds", whole=True)
        elif isinstance(ftype, ast.DecimalType):
            _check_range(ctx, ftype.range, "decimal bounds")
            if ftype.places is not None and ftype.places > 12:
                ctx.report("C023", "at most 12 decimal places", ftype.pos)
        elif isinstance(ftype, ast.BooleanType):
            if ftype.probability is not None and not 0 <= ftype.probability.value <= 1:
                ctx.report("C024", f"a boolean's probability must be between 0 and 1, not {ftype.probability.text}",
                           ftype.probability.pos)
        elif isinstance(ftype, ast.StringType):
            _check_pattern(ctx, ftype.pattern)
        elif isinstance(ftype, ast.TextType):
            _check_text(ctx, name, ftype)
        elif isinstance(ftype, ast.DerivedType):
            _check_template(ctx, name, ftype)


def _check_category(ctx: CheckContext, name: str, ftype: ast.CategoryType) -> None:
    seen: dict[str, ast.CategoryValue] = {}
    for value in ftype.values:
        if value.label in seen:
            ctx.report("C025", f"category value {value.label!r} is listed twice", value.pos)
        seen[value.label] = value
        if value.label == "":
            ctx.report("C025", "empty category value", value.pos)
        if value.weight is not None:
            if ftype.from_seeds:
                ctx.report("C026", "weights and `from seeds` do not mix", value.weight.pos,
                           "`from seeds` measures the weights from the seed file; drop one")
            elif value.weight.value < 0:
                ctx.report("C026", f"negative weight {value.weight.text}", value.weight.pos)
    weights = [v.weight.value for v in ftype.values if v.weight is not None]
    if ftype.values and weights and sum(weights) == 0:
        ctx.report("C026", f"all weights of `{name}` are zero", ftype.pos)
    if not ftype.values and not ftype.from_seeds:
        ctx.report("C027", f"category `{name}` has no values", ftype.pos,
                   'list them, e.g. category("a", "b"), or take them `from seeds`')


def _check_pattern(ctx: CheckContext, regex: ast.Regex) -> None:
    try:
        re.compile(regex.pattern)
    except re.error as exc:
        ctx.report("C030", f"invalid regex: {exc.msg}", regex.pos,
                   f"at position {exc.pos} of /{regex.pattern}/" if exc.pos is not None else None)
        return
    if regex.pattern.startswith("^") or regex.pattern.endswith("$"):
        ctx.warn("W030", "anchors are implied: a pattern always matches the whole value", regex.pos,
                 "drop the ^ and $")


def _check_text(ctx: CheckContext, name: str, ftype: ast.TextType) -> None:
    singles: dict[type, ast.TextProp] = {}
    for prop in ftype.props:
        if isinstance(prop, (ast.WordsProp, ast.CharsProp, ast.ToneProp, ast.StyleProp, ast.NoRepeat,
                             ast.WordsFromSeeds)):
            # `words a..b` and `words from seeds` are one property: the word bound
            kind = ast.WordsProp if isinstance(prop, ast.WordsFromSeeds) else type(prop)
            if kind in singles:
                ctx.report("C031", "this property is given more than once", prop.pos,
                           f"first at line {singles[kind].pos.line}")
            else:
                singles[kind] = prop
        if isinstance(prop, ast.NoRepeat) and prop.size == 1:
            ctx.report("C039", "`no repeat 1` would forbid using any word twice", prop.pos,
                       "n-grams of 3 or 4 words catch loops (the default is 4); `no repeat 0` turns it off")
        if isinstance(prop, ast.WordsProp):
            _check_range(ctx, prop.range, "word counts", minimum=1, whole=True)
            if prop.range.high.value > 5000:
                ctx.warn("W031", "over 5000 words per record is far beyond what a small model writes well", prop.pos)
        elif isinstance(prop, ast.CharsProp):
            _check_range(ctx, prop.range, "character counts", minimum=1, whole=True)
        elif isinstance(prop, ast.ToneProp) and isinstance(prop.value, ast.Name):
            tone_field = prop.value.value
            if tone_field not in ctx.fields:
                ctx.report("C032", f"tone refers to unknown field `{tone_field}`", prop.value.pos,
                           did_you_mean(tone_field, ctx.fields) or 'a literal tone is a string: tone "friendly"')
            elif tone_field == name:
                ctx.report("C032", "a text cannot take its tone from itself", prop.value.pos)
        elif isinstance(prop, ast.MustInclude):
            check_includes(ctx, name, prop)
        elif isinstance(prop, ast.MustNotInclude):
            check_forbidden(ctx, prop)
    words = singles.get(ast.WordsProp)
    chars = singles.get(ast.CharsProp)
    if isinstance(words, ast.WordsProp) and isinstance(chars, ast.CharsProp):
        if words.range.low.value > chars.range.high.value:
            ctx.report("C033", "the minimum word count needs more characters than the maximum allows", chars.pos)


def check_includes(ctx: CheckContext, owner: str, rule: ast.MustInclude) -> None:
    """`must include` items are literals or existing, non-text fields other than the owner."""
    for item in rule.items:
        if isinstance(item.value, ast.Name):
            ref = item.value.value
            if ref not in ctx.fields:
                hint = did_you_mean(ref, ctx.fields) or f'to require the literal word, quote it: "{ref}"'
                ctx.report("C034", f"must include refers to unknown field `{ref}`", item.value.pos, hint)
            elif ref == owner:
                ctx.report("C034", "a text cannot be required to include itself", item.value.pos)
        elif not item.value.value.strip():
            ctx.report("C034", "must include an empty string", item.pos)


def check_forbidden(ctx: CheckContext, rule: ast.MustNotInclude) -> None:
    """`must not include` names are lists or built-in classes; regexes compile."""
    for item in rule.items:
        value = item.value
        if isinstance(value, ast.Name):
            if value.value not in ctx.lists and value.value not in BUILTIN_CLASSES:
                known = set(ctx.lists) | set(BUILTIN_CLASSES)
                ctx.report("C035", f"unknown list or class `{value.value}`", value.pos,
                           did_you_mean(value.value, known)
                           or f"declare it with `list {value.value} = [...]`; built-in classes: pii, profanity")
        elif isinstance(value, ast.Regex):
            try:
                re.compile(value.pattern)
            except re.error as exc:
                ctx.report("C030", f"invalid regex: {exc.msg}", value.pos)
        elif not value.value.strip():
            ctx.report("C035", "must not include an empty string", item.pos)


def _check_template(ctx: CheckContext, name: str, ftype: ast.DerivedType) -> None:
    env = ImmutableSandboxedEnvironment()
    try:
        parsed = env.parse(ftype.template.value)
    except jinja2.TemplateSyntaxError as exc:
        ctx.report("C036", f"invalid template: {exc.message}", ftype.template.pos, "derived fields use jinja2 syntax")
        return
    for ref in sorted(meta.find_undeclared_variables(parsed)):
        if ref not in ctx.fields:
            ctx.report("C037", f"template refers to unknown field `{ref}`", ftype.template.pos,
                       did_you_mean(ref, ctx.fields))
        elif ref == name:
            ctx.report("C037", "a derived field cannot refer to itself", ftype.template.pos)


def pattern_fits(ctx: CheckContext) -> None:
    """A text's character limit must leave room for the patterned values it must include."""
    for name, decl in ctx.fields.items():
        if not isinstance(decl.type, ast.TextType):
            continue
        chars = next((p for p in decl.type.props if isinstance(p, ast.CharsProp)), None)
        words = next((p for p in decl.type.props if isinstance(p, ast.WordsProp)), None)
        for rule in (p for p in decl.type.props if isinstance(p, ast.MustInclude)):
            for item in rule.items:
                if isinstance(item.value, ast.Str):
                    needed = len(item.value.value)
                    needed_words = len(item.value.value.split())
                else:
                    ref = ctx.fields.get(item.value.value)
                    if ref is None or not isinstance(ref.type, ast.StringType):
                        continue
                    width = regex_width(ref.type.pattern.pattern)
                    if width is None:
                        continue
                    needed, needed_words = width[0], 1
                if chars is not None and needed > chars.range.high.value:
                    ctx.report("C038", f"`{name}` must include a value of {needed} characters but allows at most "
                               f"{chars.range.high.text}", item.pos, "raise the chars limit or shorten the value")
                if words is not None and needed_words > words.range.high.value:
                    ctx.report("C038", f"`{name}` must include {needed_words} words but allows at most "
                               f"{words.range.high.text}", item.pos)
