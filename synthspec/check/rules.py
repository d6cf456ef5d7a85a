"""Passes over rules that relate fields: `when`, dataset-wide bans, counterfactuals, contradictions."""

from __future__ import annotations

import re

from synthspec import codes
from synthspec.check.conditions import allowed_labels, blocking_condition, satisfiable
from synthspec.check.context import CheckContext, article, did_you_mean, kind_of
from synthspec.check.fields import check_forbidden, check_includes
from synthspec.parse import ast

CONDITION_KINDS = ("category", "integer", "decimal", "boolean")


def dataset_bans(ctx: CheckContext) -> None:
    """Dataset-wide `must not include` names resolve, and there is a text to apply them to."""
    bans = ctx.statements(ast.ForbidStmt)
    for ban in bans:
        check_forbidden(ctx, ban.rule)
    if bans and ctx.fields and not any(isinstance(d.type, ast.TextType) for d in ctx.fields.values()):
        ctx.warn(codes.DATASET_BAN_WITHOUT_TEXT, "`must not include` at dataset level, but the dataset has no text field", bans[0].pos)


def when_rules(ctx: CheckContext) -> None:
    """Conditions test sampled fields against values they can take; targets are text fields."""
    for when in ctx.statements(ast.WhenStmt):
        before = len(ctx.diagnostics)
        for cond in when.conditions:
            _check_condition(ctx, cond)
        if len(ctx.diagnostics) == before:
            _check_possible(ctx, when)
        if not when.rules:
            ctx.warn(codes.EMPTY_WHEN, "`when` block without rules has no effect", when.pos)
        for rule in when.rules:
            target = rule.target.value
            ftype = ctx.field_type(target)
            if ftype is None:
                ctx.report(codes.RULE_UNKNOWN_TARGET, f"rule targets unknown field `{target}`", rule.target.pos,
                           did_you_mean(target, ctx.fields))
                continue
            if not isinstance(ftype, ast.TextType):
                ctx.report(codes.RULE_TARGET_NOT_TEXT, f"`{target}` is {article(kind_of(ftype))} field; only text fields take "
                           "must include / must not include", rule.target.pos)
                continue
            if isinstance(rule.rule, ast.MustInclude):
                check_includes(ctx, target, rule.rule)
            else:
                check_forbidden(ctx, rule.rule)


def _check_condition(ctx: CheckContext, cond: ast.Condition) -> None:
    name = cond.field.value
    ftype = ctx.field_type(name)
    if ftype is None:
        ctx.report(codes.CONDITION_UNKNOWN_FIELD, f"condition on unknown field `{name}`", cond.field.pos, did_you_mean(name, ctx.fields))
        return
    kind = kind_of(ftype)
    if kind not in CONDITION_KINDS:
        ctx.report(codes.CONDITION_NOT_SAMPLED, f"conditions can only test sampled fields; `{name}` is {article(kind)} field decided by the model",
                   cond.field.pos, f"test one of: {', '.join(n for n, d in ctx.fields.items() if kind_of(d.type) in CONDITION_KINDS) or 'none'}")
        return
    value = cond.value
    if isinstance(ftype, ast.CategoryType):
        if not isinstance(value, (ast.Str, ast.Name)):
            ctx.report(codes.CONDITION_BAD_VALUE, f"`{name}` is a category; compare it with a quoted value", value.pos)
        elif ftype.values and value.value not in {v.label for v in ftype.values}:
            ctx.report(codes.CONDITION_BAD_VALUE, f"{value.value!r} is not a value of `{name}`", value.pos,
                       did_you_mean(value.value, [v.label for v in ftype.values])
                       or f"values: {', '.join(v.label for v in ftype.values)}")
    elif isinstance(ftype, ast.BooleanType):
        if not isinstance(value, ast.Bool):
            ctx.report(codes.CONDITION_BAD_VALUE, f"`{name}` is a boolean; compare it with true or false", value.pos)
    elif not isinstance(value, ast.Num):
        ctx.report(codes.CONDITION_BAD_VALUE, f"`{name}` is a number; compare it with a number", value.pos)


def _show(cond: ast.Condition) -> str:
    value = cond.value
    text = f'"{value.value}"' if isinstance(value, ast.Str) else (
        value.text if isinstance(value, ast.Num) else str(getattr(value, "value", "?")).lower()
        if isinstance(value, ast.Bool) else str(getattr(value, "value", "?")))
    return f"{cond.field.value} {cond.op} {text}"


def _check_possible(ctx: CheckContext, when: ast.WhenStmt) -> None:
    """A `when` whose conditions can never hold together never applies: almost surely a mistake."""
    blocking = blocking_condition(ctx, when.conditions)
    if blocking is None:
        return
    earlier = [c for c in when.conditions[: when.conditions.index(blocking)] if c.field.value == blocking.field.value]
    ftype = ctx.field_type(blocking.field.value)
    if earlier:
        why = f"it contradicts `{_show(earlier[-1])}`"
    elif isinstance(ftype, (ast.IntegerType, ast.DecimalType)) and ftype.range is not None:
        why = f"`{blocking.field.value}` is drawn from {ftype.range.low.text}..{ftype.range.high.text}" + (
            f" with {ftype.places} decimal place(s)" if isinstance(ftype, ast.DecimalType) and ftype.places is not None
            else "")
    elif isinstance(ftype, ast.BooleanType):
        why = f"`{blocking.field.value}` has probability {ftype.probability.text if ftype.probability else '0.5'}"
    else:
        why = f"`{blocking.field.value}` is never drawn with that value (its weight is 0)"
    ctx.report(codes.CONDITION_NEVER_HOLDS, f"`{_show(blocking)}` can never hold, so this `when` never applies: {why}", blocking.pos,
               "fix the value, or drop the rule")


def counterfactuals(ctx: CheckContext) -> None:
    """An axis flips a category between its own values, keeps and regenerates existing fields."""
    seen_axes: set[str] = set()
    for cf in ctx.statements(ast.CounterfactualStmt):
        name = cf.field.value
        if name in seen_axes:
            ctx.report(codes.SECOND_COUNTERFACTUAL, f"a second counterfactual axis on `{name}`", cf.field.pos, "merge the mappings into one")
        seen_axes.add(name)
        ftype = ctx.field_type(name)
        if ftype is None:
            ctx.report(codes.COUNTERFACTUAL_UNKNOWN_FIELD, f"counterfactual on unknown field `{name}`", cf.field.pos, did_you_mean(name, ctx.fields))
            continue
        if not isinstance(ftype, (ast.CategoryType, ast.BooleanType)):
            ctx.report(codes.COUNTERFACTUAL_BAD_KIND, f"a counterfactual axis must be a category or boolean field; `{name}` is {kind_of(ftype)}",
                       cf.field.pos)
            continue
        labels = {v.label for v in ftype.values} if isinstance(ftype, ast.CategoryType) else {"true", "false"}
        sources: set[str] = set()
        for flip in cf.flips:
            for side in (flip.source, flip.target):
                text = str(side.value).lower() if isinstance(side, ast.Bool) else getattr(side, "value", None)
                if not isinstance(text, str):
                    ctx.report(codes.BAD_FLIP_VALUE, "flip values are category labels", side.pos)
                elif labels and text not in labels:
                    ctx.report(codes.BAD_FLIP_VALUE, f"{text!r} is not a value of `{name}`", side.pos,
                               did_you_mean(text, labels) or f"values: {', '.join(sorted(labels))}")
            src = getattr(flip.source, "value", None)
            if src in sources:
                ctx.report(codes.FLIP_MAPPED_TWICE, f"{src!r} is mapped twice", flip.pos)
            sources.add(src)
            if flip.both_ways:
                tgt = getattr(flip.target, "value", None)
                if tgt in sources and tgt != src:
                    ctx.report(codes.FLIP_MAPPED_TWICE, f"{tgt!r} is mapped twice", flip.pos)
                sources.add(tgt)
        keep = {n.value for n in cf.keep}
        for listed in (*cf.keep, *cf.regenerate):
            if listed.value not in ctx.fields:
                ctx.report(codes.BAD_KEEP_FIELD, f"unknown field `{listed.value}`", listed.pos, did_you_mean(listed.value, ctx.fields))
            elif listed.value == name:
                ctx.report(codes.BAD_KEEP_FIELD, "the flipped field itself cannot be kept or regenerated", listed.pos)
        for listed in cf.regenerate:
            if listed.value in keep:
                ctx.report(codes.KEEP_AND_REGENERATE, f"`{listed.value}` is both kept and regenerated", listed.pos)


def contradictions(ctx: CheckContext) -> None:
    """A text may not be required to include what it is forbidden to include where both rules apply.

    Each rule carries the conditions under which it holds (none for a field's own rules and dataset-wide
    bans); an include and a ban conflict only when their conditions can hold together.
    """
    global_bans = [(item, [], None) for ban in ctx.statements(ast.ForbidStmt) for item in ban.rule.items]
    for name, decl in ctx.fields.items():
        if not isinstance(decl.type, ast.TextType):
            continue
        includes = [(i, [], None) for p in decl.type.props if isinstance(p, ast.MustInclude) for i in p.items]
        bans = [(i, [], None) for p in decl.type.props if isinstance(p, ast.MustNotInclude) for i in p.items]
        bans += global_bans
        for when in ctx.statements(ast.WhenStmt):
            for rule in when.rules:
                if rule.target.value != name:
                    continue
                target = includes if isinstance(rule.rule, ast.MustInclude) else bans
                target.extend((i, when.conditions, when) for i in rule.rule.items)
        for item, guard, _ in includes:
            for phrase in _phrases_of(ctx, item, guard):
                conflict = next(((ban, when) for ban, ban_guard, when in bans
                                 if _banned(ctx, ban, phrase) and satisfiable(ctx, [*guard, *ban_guard])), None)
                if conflict is None:
                    continue
                ban, when = conflict
                where = f"line {ban.pos.line}" if when is None else f"the `when` at line {when.pos.line}"
                ctx.report(codes.INCLUDE_AND_EXCLUDE, f"`{name}` must include {phrase!r} but must not include it "
                           f"({_describe(ban)}, {where})", item.pos,
                           "drop one of the two rules" if when is None and not guard
                           else "drop one of the two rules, or make their conditions exclude each other")
                break


def _phrases_of(ctx: CheckContext, item: ast.IncludeItem, guard: list[ast.Condition]) -> list[str]:
    """The concrete strings an include may produce where `guard` holds (a literal, or a category's labels)."""
    if isinstance(item.value, ast.Str):
        return [item.value.value]
    return allowed_labels(ctx, item.value.value, guard) or []


def _banned(ctx: CheckContext, ban: ast.ForbidItem, phrase: str) -> bool:
    value = ban.value
    flags = 0 if ban.case_sensitive else re.IGNORECASE
    if isinstance(value, ast.Str):
        return re.search(re.escape(value.value), phrase, flags) is not None
    if isinstance(value, ast.Regex):
        try:
            return re.search(value.pattern, phrase, flags) is not None
        except (re.error, OverflowError, RecursionError):
            return False
    terms = ctx.list_terms.get(value.value, ())
    return any(re.search(r"\b" + re.escape(term) + r"\b", phrase, flags) for term in terms)


def _describe(ban: ast.ForbidItem) -> str:
    if isinstance(ban.value, ast.Regex):
        return f"/{ban.value.pattern}/"
    if isinstance(ban.value, ast.Str):
        return repr(ban.value.value)
    return f"list `{ban.value.value}`"
