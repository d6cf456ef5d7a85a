"""AST + checker tables → the frozen IR.

Runs only on a spec the checker accepted, so it can assume names resolve and
values are in range; its job is meaning: defaults, normalised weights, lists
expanded into terms, dataset-wide bans folded into every text field, paths
resolved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

from synthspec.check.context import CheckContext, value_python
from synthspec.check.regexes import regex_width
from synthspec.datafiles import infer_format
from synthspec.ir import model as ir
from synthspec.parse import ast


def _span(pos: ast.Pos) -> ir.Span | None:
    if pos.line == 0:
        return None
    return ir.Span(file=pos.file, line=pos.line, column=pos.column, end_line=pos.end_line, end_column=pos.end_column)


def _forbidden(ctx: CheckContext, item: ast.ForbidItem) -> ir.Forbidden:
    value = item.value
    span = _span(item.pos)
    if isinstance(value, ast.Regex):
        return ir.Forbidden(kind="regex", name=f"/{value.pattern}/", pattern=value.pattern,
                            case_sensitive=item.case_sensitive, span=span)
    if isinstance(value, ast.Str):
        return ir.Forbidden(kind="literal", name=value.value, terms=(value.value,),
                            case_sensitive=item.case_sensitive, span=span)
    name = value.value
    if name in ctx.list_terms:
        return ir.Forbidden(kind="list", name=name, terms=ctx.list_terms[name],
                            case_sensitive=item.case_sensitive, span=span)
    if name == "profanity":
        return ir.Forbidden(kind="list", name="profanity", terms=(), case_sensitive=False, span=span)
    return ir.Forbidden(kind="class", name=name, span=span)


def _include(item: ast.IncludeItem) -> ir.Include:
    if isinstance(item.value, ast.Name):
        return ir.Include(kind="field", value=item.value.value, span=_span(item.pos))
    return ir.Include(kind="literal", value=item.value.value, span=_span(item.pos))


def _field(ctx: CheckContext, decl: ast.FieldDecl, global_bans: list[ir.Forbidden]) -> ir.FieldSpec:
    name = decl.name.value
    span = _span(decl.pos)
    ftype = decl.type
    if isinstance(ftype, ast.CategoryType):
        values = tuple(v.label for v in ftype.values)
        weights = None
        if ftype.values and any(v.weight is not None for v in ftype.values):
            raw = [float(v.weight.value) if v.weight is not None else 1.0 for v in ftype.values]
            total = sum(raw)
            weights = tuple(w / total for w in raw)
        return ir.CategoryField(name=name, values=values, weights=weights, from_seeds=ftype.from_seeds, span=span)
    if isinstance(ftype, ast.IntegerType):
        if ftype.range is None:
            rng = _seed_int_range(ctx, name)
        else:
            rng = ir.IntRange(min=int(ftype.range.low.value), max=int(ftype.range.high.value))
        return ir.IntegerField(name=name, range=rng, from_seeds=ftype.from_seeds, span=span)
    if isinstance(ftype, ast.DecimalType):
        places = ftype.places
        if places is None:
            places = max(_decimals(ftype.range.low.text), _decimals(ftype.range.high.text), 2)
        return ir.DecimalField(name=name, range=ir.NumberRange(min=float(ftype.range.low.value),
                                                             max=float(ftype.range.high.value)),
                               places=places, from_seeds=ftype.from_seeds, span=span)
    if isinstance(ftype, ast.BooleanType):
        probability = float(ftype.probability.value) if ftype.probability is not None else 0.5
        return ir.BooleanField(name=name, probability=probability, span=span)
    if isinstance(ftype, ast.StringType):
        width = regex_width(ftype.pattern.pattern) or (None, None)
        pattern = ftype.pattern.pattern
        if pattern.startswith("^"):
            pattern = pattern[1:]
        if pattern.endswith("$") and not pattern.endswith("\\$"):
            pattern = pattern[:-1]
        # the span of a pattern field is its regex: what a lowering error (L002) points at
        return ir.PatternField(name=name, pattern=pattern, min_length=width[0], max_length=width[1],
                               span=_span(ftype.pattern.pos) or span)
    if isinstance(ftype, ast.TextType):
        return _text(ctx, name, ftype, global_bans, span)
    assert isinstance(ftype, ast.DerivedType)
    from jinja2 import meta
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    refs = sorted(meta.find_undeclared_variables(ImmutableSandboxedEnvironment().parse(ftype.template.value)))
    return ir.DerivedField(name=name, template=ftype.template.value, depends_on=tuple(refs), span=span)


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _seed_int_range(ctx: CheckContext, name: str) -> ir.IntRange:
    values = []
    for row in ctx.seed_rows or []:
        try:
            values.append(int(float(row.get(name))))  # type: ignore[arg-type]  # None -> TypeError
        except (TypeError, ValueError):
            continue
    if not values:
        return ir.IntRange(min=0, max=0)
    return ir.IntRange(min=min(values), max=max(values))


def _text(ctx: CheckContext, name: str, ftype: ast.TextType, global_bans: list[ir.Forbidden],
          span: ir.Span | None) -> ir.TextField:
    words = chars = tone = style = None
    words_from_seeds, no_repeat = False, ir.DEFAULT_NO_REPEAT
    includes: list[ir.Include] = []
    bans: list[ir.Forbidden] = []
    for prop in ftype.props:
        if isinstance(prop, ast.WordsProp):
            words = ir.IntRange(min=int(prop.range.low.value), max=int(prop.range.high.value))
        elif isinstance(prop, ast.WordsFromSeeds):
            words_from_seeds = True
        elif isinstance(prop, ast.NoRepeat):
            no_repeat = int(prop.size)
        elif isinstance(prop, ast.CharsProp):
            chars = ir.IntRange(min=int(prop.range.low.value), max=int(prop.range.high.value))
        elif isinstance(prop, ast.ToneProp):
            kind: Literal["field", "literal"] = "field" if isinstance(prop.value, ast.Name) else "literal"
            tone = ir.Tone(kind=kind, value=prop.value.value)
        elif isinstance(prop, ast.StyleProp):
            style = prop.value.value
        elif isinstance(prop, ast.MustInclude):
            includes.extend(_include(i) for i in prop.items)
        elif isinstance(prop, ast.MustNotInclude):
            bans.extend(_forbidden(ctx, i) for i in prop.items)
    names = {(b.kind, b.name) for b in bans}
    bans.extend(b for b in global_bans if (b.kind, b.name) not in names)
    return ir.TextField(name=name, words=words, words_from_seeds=words_from_seeds, no_repeat=no_repeat,
                        chars=chars, tone=tone, style=style,
                        must_include=tuple(includes), must_not_include=tuple(bans), span=span)


def _seeds(ctx: CheckContext) -> ir.SeedSource | None:
    statements = ctx.statements(ast.SeedsStmt)
    if not statements:
        return None
    stmt = statements[0]
    fmt = stmt.format.value if stmt.format else infer_format(stmt.path.value)
    mapped = {m.field.value: m.column.value for m in stmt.columns or []}
    id_column = mapped.pop("id", None)
    columns = dict(mapped)
    for name in ctx.fields:
        if name not in columns and ctx.seed_columns and name in ctx.seed_columns:
            columns[name] = name
    resolved = (ctx.base_dir / stmt.path.value).resolve()
    return ir.SeedSource(path=stmt.path.value, resolved_path=str(resolved), format=cast(Any, fmt), columns=columns,
                         id_column=id_column, span=_span(stmt.pos))


def _condition(cond: ast.Condition) -> ir.Condition:
    return ir.Condition(field=cond.field.value, op=cast(Any, cond.op), value=value_python(cond.value))


def _counterfactual(cf: ast.CounterfactualStmt) -> ir.CounterfactualAxis:
    mapping: dict[str, str] = {}
    for flip in cf.flips:
        source = _label(flip.source)
        target = _label(flip.target)
        mapping[source] = target
        if flip.both_ways:
            mapping[target] = source
    return ir.CounterfactualAxis(field=cf.field.value, mapping=mapping, keep=tuple(n.value for n in cf.keep),
                                 regenerate=tuple(n.value for n in cf.regenerate), span=_span(cf.pos))


def _label(value: ast.Value) -> str:
    if isinstance(value, ast.Bool):
        return "true" if value.value else "false"
    return str(value_python(value))


def _model(ctx: CheckContext) -> ir.ModelSpec:
    statements = ctx.statements(ast.ModelStmt)
    if not statements:
        return ir.ModelSpec()
    values: dict[str, Any] = {p.name.value: value_python(p.value) for p in statements[0].props}
    if isinstance(values.get("servers"), str):
        values["servers"] = [values["servers"]]
    if "servers" in values:
        values["servers"] = tuple(values["servers"])
    return ir.ModelSpec(**values)


def build_ir(ctx: CheckContext) -> ir.Spec:
    """The IR of a checked spec.  Call only when the checker reported no errors."""
    assert ctx.dataset is not None
    dataset = ctx.dataset
    global_bans = [_forbidden(ctx, i) for s in ctx.statements(ast.ForbidStmt) for i in s.rule.items]
    count = next((s.value for s in ctx.statements(ast.CountStmt)), 100)
    seed = next((s.value for s in ctx.statements(ast.SeedStmt)), 0)
    output_stmt = next(iter(ctx.statements(ast.OutputStmt)), None)
    if output_stmt is not None:
        inferred = infer_format(output_stmt.path.value)
        fmt = output_stmt.format.value if output_stmt.format else (
            inferred if inferred in ("csv", "parquet") else "jsonl")
        output = ir.OutputSpec(path=output_stmt.path.value, format=cast(Any, fmt))  # pydantic checks the value
    else:
        output = ir.OutputSpec(path=f"out/{dataset.name.value}.jsonl", format="jsonl")
    technique_stmt = next(iter(ctx.statements(ast.TechniqueStmt)), None)
    technique = ir.TechniqueSpec()
    if technique_stmt is not None:
        technique = ir.TechniqueSpec(name=technique_stmt.name.value,
                                     params={a.name: value_python(a.value) for a in technique_stmt.args},
                                     span=_span(technique_stmt.pos))
    elif ctx.statements(ast.CounterfactualStmt):
        technique = ir.TechniqueSpec(name="counterfactual")
    validators: dict[str, ir.ValidatorUse] = {}
    for stmt in ctx.statements(ast.ValidateStmt):
        for use in stmt.uses:
            validators[use.name.value] = ir.ValidatorUse(
                name=use.name.value, params={a.name: value_python(a.value) for a in use.args},
                policy=use.policy, required=use.required, span=_span(use.pos))
    constraints = []
    for when in ctx.statements(ast.WhenStmt):
        conditions = tuple(_condition(c) for c in when.conditions)
        for rule in when.rules:
            if isinstance(rule.rule, ast.MustInclude):
                constraints.append(ir.ConditionalConstraint(
                    conditions=conditions, target=rule.target.value,
                    must_include=tuple(_include(i) for i in rule.rule.items), span=_span(rule.pos)))
            else:
                constraints.append(ir.ConditionalConstraint(
                    conditions=conditions, target=rule.target.value,
                    must_not_include=tuple(_forbidden(ctx, i) for i in rule.rule.items), span=_span(rule.pos)))
    prompt = next(iter(ctx.statements(ast.PromptStmt)), None)
    return ir.Spec(
        name=dataset.name.value,
        source_file=str(Path(ctx.main.path)),
        count=count,
        seed=seed,
        output=output,
        seeds=_seeds(ctx),
        lists=dict(ctx.list_terms),
        fields=tuple(_field(ctx, decl, global_bans) for decl in ctx.fields.values()),
        constraints=tuple(constraints),
        counterfactuals=tuple(_counterfactual(cf) for cf in ctx.statements(ast.CounterfactualStmt)),
        technique=technique,
        validators=tuple(validators.values()),
        model=_model(ctx),
        prompt_template=str((ctx.base_dir / prompt.path.value).resolve()) if prompt else None,
    )
