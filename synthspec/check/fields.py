"""Passes over field declarations: ranges, weights, regexes, text properties, templates."""

from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from synthspec import codes
from synthspec.check.context import BUILTIN_CLASSES, CheckContext, did_you_mean
from synthspec.check.regexes import regex_width
from synthspec.parse import ast

# Limits past which a spec cannot build (an int64 column, a float that keeps its places, a token budget a model
# can hold, a grammar llguidance can compile); they are errors at the place they are written, not failures later.
MAX_INTEGER = 2**63 - 1
MAX_DECIMAL = 1e15
MAX_PLACES = 12
MAX_WORDS = 10_000
MAX_CHARS = 100_000
MAX_PATTERN_CHARS = 10_000
# The word limit of a text with no `words` or `chars` (lowering's DEFAULT_MAX_WORDS, stated here for C038).
DEFAULT_TEXT_WORDS = 200
# Jinja names that a derived field has no use for and that could build huge strings (`lipsum(10**6)`) or reach
# the template object itself.
UNSAFE_TEMPLATE_NAMES = {"lipsum", "self"}


def _check_range(ctx: CheckContext, rng: ast.Range, what: str, minimum: float | None = None, whole: bool = False) -> None:
    low, high = rng.low.value, rng.high.value
    if whole and (isinstance(low, float) or isinstance(high, float)):
        ctx.report(codes.RANGE_NOT_WHOLE, f"{what} must be whole numbers", rng.pos, f"write e.g. {int(low)}..{int(high)}")
    if low > high:
        ctx.report(codes.RANGE_REVERSED, f"reversed range {rng.low.text}..{rng.high.text}", rng.pos,
                   f"write it low to high: {rng.high.text}..{rng.low.text}")
    if minimum is not None and low < minimum:
        ctx.report(codes.RANGE_BELOW_MINIMUM, f"{what} cannot be below {minimum:g}", rng.pos)


def _check_magnitude(ctx: CheckContext, rng: ast.Range, limit: float, what: str, said: str) -> bool:
    """Bounds a column can hold; False (after reporting) when one is too large."""
    for bound in (rng.low, rng.high):
        if abs(bound.value) > limit:
            ctx.report(codes.NUMBER_TOO_LARGE, f"{bound.text} is too large for {what} field", bound.pos,
                       f"bounds may be at most {said} in size")
            return False
    return True


def _check_places(ctx: CheckContext, ftype: ast.DecimalType) -> None:
    """`places` is a whole number 0..12 and some value with that many places lies in the range."""
    where = ftype.places_num.pos if ftype.places_num is not None else ftype.pos
    places = ftype.places
    if places is not None and (isinstance(places, float) or not 0 <= places <= MAX_PLACES):
        ctx.report(codes.TOO_MANY_DECIMALS, f"decimal places must be a whole number from 0 to {MAX_PLACES}, not {places}", where,
                   "e.g. `places 2` for cents")
        return
    low, high = Decimal(ftype.range.low.text), Decimal(ftype.range.high.text)
    if low > high:
        return
    if places is None:
        places = max(_decimals(ftype.range.low.text), _decimals(ftype.range.high.text), 2)
    step = Decimal(1).scaleb(-places)
    first = (low / step).to_integral_value(ROUND_CEILING) * step
    last = (high / step).to_integral_value(ROUND_FLOOR) * step
    if first > last:
        ctx.report(codes.PLACES_MISS_RANGE, f"no number with {places} decimal place(s) lies in {ftype.range.low.text}.."
                   f"{ftype.range.high.text}", where,
                   f"widen the range or allow more places, e.g. `places {max(_decimals(ftype.range.low.text), 1)}`")


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def field_types(ctx: CheckContext) -> None:
    """Each field's own declaration makes sense on its own."""
    for name, decl in ctx.fields.items():
        ftype = decl.type
        if isinstance(ftype, ast.CategoryType):
            _check_category(ctx, name, ftype)
        elif isinstance(ftype, ast.IntegerType):
            if ftype.range is not None:
                _check_range(ctx, ftype.range, "integer bounds", whole=True)
                _check_magnitude(ctx, ftype.range, MAX_INTEGER, "an integer", "2**63 - 1 (a 64-bit column)")
        elif isinstance(ftype, ast.DecimalType):
            _check_range(ctx, ftype.range, "decimal bounds")
            if _check_magnitude(ctx, ftype.range, MAX_DECIMAL, "a decimal", "10^15 (a float keeps ~15 digits)"):
                _check_places(ctx, ftype)
        elif isinstance(ftype, ast.BooleanType):
            if ftype.probability is not None and not 0 <= ftype.probability.value <= 1:
                ctx.report(codes.BAD_PROBABILITY, f"a boolean's probability must be between 0 and 1, not {ftype.probability.text}",
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
            ctx.report(codes.BAD_CATEGORY_VALUE, f"category value {value.label!r} is listed twice", value.pos)
        seen[value.label] = value
        if value.label == "":
            ctx.report(codes.BAD_CATEGORY_VALUE, "empty category value", value.pos)
        if value.weight is not None:
            if ftype.from_seeds:
                ctx.report(codes.BAD_CATEGORY_WEIGHT, "weights and `from seeds` do not mix", value.weight.pos,
                           "`from seeds` measures the weights from the seed file; drop one")
            elif value.weight.value < 0:
                ctx.report(codes.BAD_CATEGORY_WEIGHT, f"negative weight {value.weight.text}", value.weight.pos)
            elif not math.isfinite(float(min(value.weight.value, 1e300))) or value.weight.value > 1e12:
                ctx.report(codes.BAD_CATEGORY_WEIGHT, f"weight {value.weight.text} is too large", value.weight.pos,
                           "weights are relative: `\"a\" = 3, \"b\" = 1` is 75 % / 25 %")
    weights = [v.weight.value for v in ftype.values if v.weight is not None]
    if ftype.values and weights and sum(weights) == 0:
        ctx.report(codes.BAD_CATEGORY_WEIGHT, f"all weights of `{name}` are zero", ftype.pos)
    if not ftype.values and not ftype.from_seeds:
        ctx.report(codes.EMPTY_CATEGORY, f"category `{name}` has no values", ftype.pos,
                   'list them, e.g. category("a", "b"), or take them `from seeds`')


def _check_pattern(ctx: CheckContext, regex: ast.Regex) -> None:
    try:
        re.compile(regex.pattern)
    except re.error as exc:
        ctx.report(codes.INVALID_REGEX, f"invalid regex: {exc.msg}", regex.pos,
                   f"at position {exc.pos} of /{regex.pattern}/" if exc.pos is not None else None)
        return
    except (OverflowError, RecursionError) as exc:
        ctx.report(codes.INVALID_REGEX, f"invalid regex: {exc}", regex.pos, "use smaller repeat counts and less nesting")
        return
    width = regex_width(regex.pattern)
    if width is not None and max(width[0], width[1] or 0) > MAX_PATTERN_CHARS:
        longest = width[1] if width[1] is not None and width[1] > MAX_PATTERN_CHARS else width[0]
        ctx.report(codes.PATTERN_TOO_LONG, f"the pattern allows values of {longest:,} characters; a string field holds at most "
                   f"{MAX_PATTERN_CHARS:,}", regex.pos,
                   "a string field is a short code or identifier; use a text field for long values")
    if regex.pattern.startswith("^") or regex.pattern.endswith("$"):
        ctx.warn(codes.ANCHORS_IMPLIED, "anchors are implied: a pattern always matches the whole value", regex.pos,
                 "drop the ^ and $")


def _check_text(ctx: CheckContext, name: str, ftype: ast.TextType) -> None:
    singles: dict[type, ast.TextProp] = {}
    for prop in ftype.props:
        if isinstance(prop, (ast.WordsProp, ast.CharsProp, ast.ToneProp, ast.StyleProp, ast.NoRepeat,
                             ast.WordsFromSeeds)):
            # `words a..b` and `words from seeds` are one property: the word bound
            kind = ast.WordsProp if isinstance(prop, ast.WordsFromSeeds) else type(prop)
            if kind in singles:
                ctx.report(codes.DUPLICATE_TEXT_PROPERTY, "this property is given more than once", prop.pos,
                           f"first at line {singles[kind].pos.line}")
            else:
                singles[kind] = prop
        if isinstance(prop, ast.NoRepeat) and (prop.size == 1 or prop.size < 0 or prop.size != int(prop.size)):
            what = "would forbid using any word twice" if prop.size == 1 else "must be 0 or a whole number from 2"
            ctx.report(codes.NO_REPEAT_ONE, f"`no repeat {prop.text or prop.size}` {what}", prop.pos,
                       "n-grams of 3 or 4 words catch loops (the default is 4); `no repeat 0` turns it off")
        if isinstance(prop, ast.WordsProp):
            _check_range(ctx, prop.range, "word counts", minimum=1, whole=True)
            if prop.range.high.value > MAX_WORDS:
                ctx.report(codes.LENGTH_LIMIT_TOO_LARGE, f"{prop.range.high.text} words per record is over the limit of {MAX_WORDS:,}",
                           prop.range.high.pos, "the grammar and the token budget grow with the word limit")
            elif prop.range.high.value > 5000:
                ctx.warn(codes.VERY_LONG_TEXT, "over 5000 words per record is far beyond what a small model writes well", prop.pos)
        elif isinstance(prop, ast.CharsProp):
            _check_range(ctx, prop.range, "character counts", minimum=1, whole=True)
            if prop.range.high.value > MAX_CHARS:
                ctx.report(codes.LENGTH_LIMIT_TOO_LARGE, f"{prop.range.high.text} characters per record is over the limit of "
                           f"{MAX_CHARS:,}", prop.range.high.pos)
        elif isinstance(prop, ast.ToneProp) and isinstance(prop.value, ast.Name):
            tone_field = prop.value.value
            if tone_field not in ctx.fields:
                ctx.report(codes.BAD_TONE, f"tone refers to unknown field `{tone_field}`", prop.value.pos,
                           did_you_mean(tone_field, ctx.fields) or 'a literal tone is a string: tone "friendly"')
            elif tone_field == name:
                ctx.report(codes.BAD_TONE, "a text cannot take its tone from itself", prop.value.pos)
        elif isinstance(prop, ast.MustInclude):
            check_includes(ctx, name, prop)
        elif isinstance(prop, ast.MustNotInclude):
            check_forbidden(ctx, prop)
    words = singles.get(ast.WordsProp)
    chars = singles.get(ast.CharsProp)
    if isinstance(words, ast.WordsProp) and isinstance(chars, ast.CharsProp):
        if words.range.low.value > chars.range.high.value:
            ctx.report(codes.WORDS_CHARS_CONFLICT, "the minimum word count needs more characters than the maximum allows", chars.pos)


def check_includes(ctx: CheckContext, owner: str, rule: ast.MustInclude) -> None:
    """`must include` items are literals or existing, non-text fields other than the owner."""
    for item in rule.items:
        if isinstance(item.value, ast.Name):
            ref = item.value.value
            if ref not in ctx.fields:
                hint = did_you_mean(ref, ctx.fields) or f'to require the literal word, quote it: "{ref}"'
                ctx.report(codes.BAD_MUST_INCLUDE, f"must include refers to unknown field `{ref}`", item.value.pos, hint)
            elif ref == owner:
                ctx.report(codes.BAD_MUST_INCLUDE, "a text cannot be required to include itself", item.value.pos)
        elif not item.value.value.strip():
            ctx.report(codes.BAD_MUST_INCLUDE, "must include an empty string", item.pos)


def check_forbidden(ctx: CheckContext, rule: ast.MustNotInclude) -> None:
    """`must not include` names are lists or built-in classes; regexes compile."""
    for item in rule.items:
        value = item.value
        if isinstance(value, ast.Name):
            if value.value not in ctx.lists and value.value not in BUILTIN_CLASSES:
                known = set(ctx.lists) | set(BUILTIN_CLASSES)
                ctx.report(codes.BAD_MUST_NOT_INCLUDE, f"unknown list or class `{value.value}`", value.pos,
                           did_you_mean(value.value, known)
                           or f"declare it with `list {value.value} = [...]`; built-in classes: pii, profanity")
        elif isinstance(value, ast.Regex):
            try:
                re.compile(value.pattern)
            except re.error as exc:
                ctx.report(codes.INVALID_REGEX, f"invalid regex: {exc.msg}", value.pos)
        elif not value.value.strip():
            ctx.report(codes.BAD_MUST_NOT_INCLUDE, "must not include an empty string", item.pos)


def _check_template(ctx: CheckContext, name: str, ftype: ast.DerivedType) -> None:
    env = ImmutableSandboxedEnvironment()
    try:
        parsed = env.parse(ftype.template.value)
    except jinja2.TemplateSyntaxError as exc:
        ctx.report(codes.BAD_DERIVED_TEMPLATE, f"invalid template: {exc.message}", ftype.template.pos, "derived fields use jinja2 syntax")
        return
    except RecursionError:
        ctx.report(codes.BAD_DERIVED_TEMPLATE, "invalid template: nested too deep", ftype.template.pos, "derived fields use jinja2 syntax")
        return
    unsafe = _unsafe_construct(parsed)
    if unsafe is not None:
        ctx.report(codes.UNSAFE_TEMPLATE, f"the template of `{name}` uses {unsafe}, which derived fields may not", ftype.template.pos,
                   "derived templates format the record's own values: names, filters, `.method()` calls and "
                   "`{% if %}` / `{% for %}`")
        return
    for ref in sorted(meta.find_undeclared_variables(parsed)):
        if ref not in ctx.fields:
            ctx.report(codes.BAD_DERIVED_REFERENCE, f"template refers to unknown field `{ref}`", ftype.template.pos,
                       did_you_mean(ref, ctx.fields))
        elif ref == name:
            ctx.report(codes.BAD_DERIVED_REFERENCE, "a derived field cannot refer to itself", ftype.template.pos)


def _unsafe_construct(template: nodes.Template) -> str | None:
    """What in a template the sandbox would refuse at build time, record by record (None: nothing).

    Found on the jinja2 AST, so a spec that reaches for `__class__` or `{% include %}` fails at `check`
    instead of three retries per record during the build.
    """
    from jinja2.sandbox import (
        UNSAFE_FUNCTION_ATTRIBUTES,
        UNSAFE_GENERATOR_ATTRIBUTES,
        UNSAFE_METHOD_ATTRIBUTES,
    )

    unsafe_attrs = UNSAFE_FUNCTION_ATTRIBUTES | UNSAFE_METHOD_ATTRIBUTES | UNSAFE_GENERATOR_ATTRIBUTES
    for node in template.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        return f"`{{% {type(node).__name__.lower().replace('fromimport', 'from ... import')} %}}`"
    for node in template.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else (
            node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None)
        if attr is not None and (attr.startswith("_") or attr in unsafe_attrs):
            return f"the attribute `{attr}`"
    for node in template.find_all(nodes.Name):
        if node.name in UNSAFE_TEMPLATE_NAMES:
            return f"`{node.name}`"
    for _ in template.find_all(nodes.Pow):
        return "the power operator `**`"
    return None


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly tangled group, found by an iterative depth-first search (no recursion limit)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = [root]
        stack = [iter(graph.get(root, ()))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [nxt])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, ())))
    return found


def derived_cycles(ctx: CheckContext) -> None:
    """Derived fields may use each other in any order, but not in a circle."""
    derived = {n: d for n, d in ctx.fields.items() if isinstance(d.type, ast.DerivedType)}
    graph: dict[str, list[str]] = {}
    env = ImmutableSandboxedEnvironment()
    for name, decl in derived.items():
        try:
            parsed = env.parse(decl.type.template.value)
        except (jinja2.TemplateSyntaxError, RecursionError):
            continue
        graph[name] = sorted(r for r in meta.find_undeclared_variables(parsed) if r in derived and r != name)
    reported: set[str] = set()
    for cycle in _cycles(graph):
        if not reported.intersection(cycle):
            reported.update(cycle)
            decl = derived[cycle[0]]
            ctx.report(codes.DERIVED_CYCLE, f"derived fields depend on each other in a cycle: {' -> '.join(cycle)}",
                       decl.type.template.pos, "one of them must be computed from the other fields alone")


def _needed(ctx: CheckContext, item: ast.IncludeItem) -> tuple[int, int] | None:
    """(characters, words) the longest value of an include needs, or None when it cannot be known here."""
    if isinstance(item.value, ast.Str):
        return len(item.value.value), len(item.value.value.split())
    ref = ctx.fields.get(item.value.value)
    if ref is None:
        return None
    ftype = ref.type
    if isinstance(ftype, ast.StringType):
        width = regex_width(ftype.pattern.pattern)
        return None if width is None else (width[0], 1)
    if isinstance(ftype, ast.CategoryType) and ftype.values:
        longest = max(ftype.values, key=lambda v: (len(v.label.split()), len(v.label)))
        return max(len(v.label) for v in ftype.values), len(longest.label.split())
    if isinstance(ftype, ast.TextType):  # its longest value must fit, whatever the model writes
        words = next((p for p in ftype.props if isinstance(p, ast.WordsProp)), None)
        chars = next((p for p in ftype.props if isinstance(p, ast.CharsProp)), None)
        low_words = int(words.range.low.value) if words is not None else 1
        low_chars = int(chars.range.low.value) if chars is not None else 1
        if words is not None:
            high_words = int(words.range.high.value)
        elif chars is not None:
            high_words = (int(chars.range.high.value) + 1) // 2
        else:
            high_words = DEFAULT_TEXT_WORDS
        return max(low_chars, low_words), high_words
    return None


def _is_text(ctx: CheckContext, item: ast.IncludeItem) -> bool:
    decl = ctx.fields.get(item.value.value) if isinstance(item.value, ast.Name) else None
    return decl is not None and isinstance(decl.type, ast.TextType)


def pattern_fits(ctx: CheckContext) -> None:
    """A text's limits must leave room for the values it must include: each one, and all of them together."""
    for name, decl in ctx.fields.items():
        if not isinstance(decl.type, ast.TextType):
            continue
        chars = next((p for p in decl.type.props if isinstance(p, ast.CharsProp)), None)
        words = next((p for p in decl.type.props if isinstance(p, ast.WordsProp)), None)
        total_words, last, single = 0, None, False
        for rule in (p for p in decl.type.props if isinstance(p, ast.MustInclude)):
            for item in rule.items:
                needed = _needed(ctx, item)
                if needed is None:
                    continue
                needed_chars, needed_words = needed
                total_words += needed_words
                last = item
                what = f"`{item.value.value}`" if isinstance(item.value, ast.Name) else repr(item.value.value)
                if chars is not None and needed_chars > chars.range.high.value:
                    ctx.report(codes.MUST_INCLUDE_TOO_LONG, f"`{name}` must include {what}, {needed_chars} characters long, but allows "
                               f"at most {chars.range.high.text}", item.pos,
                               "raise the chars limit or shorten the value")
                elif words is not None and needed_words > words.range.high.value:
                    ctx.report(codes.MUST_INCLUDE_TOO_LONG, f"`{name}` must include {what}, {'up to ' if _is_text(ctx, item) else ''}"
                               f"{needed_words} words long, but allows at most {words.range.high.text}", item.pos,
                               "raise the word limit or shorten the value")
                    single = True
        if words is not None and last is not None and not single and total_words > words.range.high.value:
            ctx.report(codes.MUST_INCLUDE_TOO_LONG, f"`{name}` must include {total_words} words in all but allows at most "
                       f"{words.range.high.text}", last.pos, "raise the word limit or include fewer things")
