"""Passes over the generation settings: technique, model block, validators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from synthspec import codes
from synthspec.check.context import BACKENDS, DIALECTS, TECHNIQUES, CheckContext, did_you_mean, value_python
from synthspec.ir.model import ModelSpec
from synthspec.ir.params import BACKEND_ALIASES, TECHNIQUE_PARAMS, accepted_types, canonical_backend, limits
from synthspec.parse import ast

NUMBER = (int, float)


@dataclass(frozen=True)
class Param:
    """A limit the built-in validators' parameter models do not state (yet): a range, or that it names fields.

    `refs` is "fields" (a list of field names) or "category" (one category field).  Technique parameters state
    theirs in ir/params.py; these can move into the validators' `Params` models the same way.
    """

    kind: type | tuple[type, ...]
    low: float | None = None
    high: float | None = None
    refs: str | None = None

    def describe_range(self) -> str:
        if self.high is None:
            return f"at least {self.low:g}"
        return f"between {self.low:g} and {self.high:g}" if self.low is not None else f"at most {self.high:g}"


FRACTION = Param(NUMBER, 0, 1)
FIELDS = Param(list, refs="fields")
# Built-in validators: ranges their parameter models do not state and parameters that name fields.
VALIDATOR_PARAMS: dict[str, dict[str, Param]] = {
    "dedup": {"near_threshold": FRACTION, "semantic_threshold": FRACTION, "threshold": FRACTION,
              "semantic_excess": FRACTION, "fields": FIELDS},
    "contamination": {"near_threshold": FRACTION, "threshold": FRACTION, "ngram": Param(int, 1, 1000),
                      "fields": FIELDS},
    "seed_copy": {"near_threshold": FRACTION, "ngram": Param(int, 1, 1000), "fields": FIELDS},
    "bias": {"attributes": FIELDS, "labels": FIELDS, "max_cramers_v": FRACTION, "max_skew": FRACTION,
             "alpha": FRACTION, "min_records": Param(int, 1)},
    "counterfactual": {"min_confidence": FRACTION},
    "distribution": {"min_vocab_jaccard": FRACTION, "vocab_top": Param(int, 1), "bins": Param(int, 1),
                     "max_length_kl": Param(NUMBER, 0), "max_psi": Param(NUMBER, 0), "max_ks": FRACTION},
    "diversity": {"min_distinct_ratio": FRACTION, "min_distinct_2": FRACTION, "max_similarity_excess": FRACTION,
                  "sample": Param(int, 1), "pairs": Param(int, 1), "min_group": Param(int, 1), "fields": FIELDS},
    "leakage": {"labels": FIELDS, "max_phrase_excess": Param(NUMBER, 0), "min_count": Param(int, 1),
                "fields": FIELDS},
    "combinations": {"fields": FIELDS},
}
# Technique parameters that name fields of the dataset (their types and ranges are in ir/params.py).
TECHNIQUE_REFS: dict[str, dict[str, str]] = {"gap_filling": {"field": "category"}}

# The model block's properties, their types and ranges: read from the IR's ModelSpec, the one place they live.
MODEL_PROPS: dict[str, tuple[type | tuple[type, ...], Any, Any]] = {
    name: ((list, str) if name == "servers" else accepted_types(ModelSpec, name), *limits(ModelSpec, name)[:2])
    for name in ModelSpec.model_fields
}


def technique(ctx: CheckContext) -> None:
    """A known technique with parameters of the right type; counterfactual needs an axis."""
    for stmt in ctx.statements(ast.TechniqueStmt):
        name = stmt.name.value
        if name not in TECHNIQUES:
            ctx.report(codes.UNKNOWN_TECHNIQUE, f"unknown technique `{name}`", stmt.name.pos,
                       did_you_mean(name, TECHNIQUES) or f"techniques: {', '.join(TECHNIQUES)}")
            continue
        model = TECHNIQUE_PARAMS[name]
        known = {param: accepted_types(model, param) for param in model.model_fields}
        _check_args(ctx, stmt.args, known, f"technique `{name}`")
        _check_ranges(ctx, stmt.args, model)
        for arg in stmt.args:
            if arg.name in TECHNIQUE_REFS.get(name, {}):
                _check_refs(ctx, arg, TECHNIQUE_REFS[name][arg.name], f"technique `{name}`")
        if name == "counterfactual" and not ctx.statements(ast.CounterfactualStmt):
            ctx.report(codes.COUNTERFACTUAL_WITHOUT_AXIS, "technique counterfactual needs a `counterfactual FIELD: a <-> b` axis", stmt.pos)
        if name in ("paraphrase", "gap_filling", "adversarial", "self_instruct", "counterfactual") \
                and not ctx.statements(ast.SeedsStmt):
            ctx.report(codes.TECHNIQUE_NEEDS_SEEDS, f"technique {name} works from real seeds, but the dataset declares none", stmt.pos,
                       'add `seeds "path/to/examples.jsonl"`')
        if name == "gap_filling":
            _gap_filling(ctx, stmt)
    chosen = ctx.statements(ast.TechniqueStmt)
    effective = chosen[0].name.value if chosen else ("counterfactual" if ctx.statements(ast.CounterfactualStmt)
                                                     else "plain")
    if effective == "counterfactual":
        _counterfactual_count(ctx, chosen[0] if chosen else None)


def _counterfactual_count(ctx: CheckContext, stmt: ast.TechniqueStmt | None) -> None:
    """Counterfactual records come in pairs: an odd count leaves one record without its partner."""
    counts = ctx.statements(ast.CountStmt)
    count = counts[0].value if counts else 100
    if isinstance(count, int) and count > 0 and count % 2:
        where = counts[0].pos if counts else (stmt.pos if stmt else None)
        ctx.report(codes.COUNTERFACTUAL_ODD_COUNT, f"counterfactual builds pairs, so count must be even (it is {count})", where,
                   f"use count {count + 1} or {count - 1}" if count > 1 else "use count 2")


def _gap_filling(ctx: CheckContext, stmt: ast.TechniqueStmt) -> None:
    """The field to balance is a category of this dataset; target labels are its labels."""
    args = {a.name: a for a in stmt.args}
    categories = [n for n, d in ctx.fields.items() if isinstance(d.type, ast.CategoryType)]
    field_arg = args.get("field")
    if field_arg is None:
        if len(categories) != 1:
            ctx.report(codes.PARAMETER_UNKNOWN_FIELD, "gap_filling needs to know which category to balance", stmt.pos,
                       f'add `field = "NAME"`; categories here: {", ".join(categories) or "none"}')
            return
        name = categories[0]
    else:
        name = str(value_python(field_arg.value))
        if name not in categories:
            return  # reported by the reference check
    target = args.get("target")
    decl = ctx.fields[name]
    labels = [v.label for v in decl.type.values] if isinstance(decl.type, ast.CategoryType) else []
    if target is None or not labels:
        return
    value = value_python(target.value)
    if isinstance(value, str):
        if value != "uniform":
            ctx.report(codes.BAD_PARAMETER_VALUE, f'gap_filling target must be "uniform" or a list of labels, not {value!r}',
                       target.value.pos)
        return
    for item in value if isinstance(value, list) else []:
        if str(item) not in labels:
            ctx.report(codes.PARAMETER_UNKNOWN_FIELD, f"gap_filling target {item!r} is not a label of `{name}`", target.value.pos,
                       did_you_mean(str(item), labels) or f"labels: {', '.join(labels[:12])}")


def _check_refs(ctx: CheckContext, arg: ast.Argument, refs: str, owner: str) -> None:
    """A parameter that names fields names fields of this dataset (a category where one is needed)."""
    items = arg.value.items if isinstance(arg.value, ast.ListValue) else [arg.value]
    for item in items:
        name = value_python(item)
        if not isinstance(name, str):
            continue
        if name not in ctx.fields:
            ctx.report(codes.PARAMETER_UNKNOWN_FIELD, f"{owner}: `{arg.name}` names unknown field `{name}`", item.pos,
                       did_you_mean(name, ctx.fields) or f"fields: {', '.join(ctx.fields)}")
        elif refs == "category" and not isinstance(ctx.fields[name].type, ast.CategoryType):
            categories = ", ".join(n for n, d in ctx.fields.items() if isinstance(d.type, ast.CategoryType))
            ctx.report(codes.PARAMETER_UNKNOWN_FIELD, f"{owner}: `{arg.name}` must name a category field; `{name}` is not one", item.pos,
                       f"categories: {categories or 'none'}")


def _validator_limits(ctx: CheckContext, name: str, args: list[ast.Argument]) -> None:
    """Ranges and field references of a built-in validator's parameters (its model has accepted the types)."""
    table = VALIDATOR_PARAMS.get(name, {})
    owner = f"validator `{name}`"
    for arg in args:
        rule = table.get(arg.name)
        if rule is None:
            continue
        value = value_python(arg.value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and ((rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high)):
            ctx.report(codes.PARAMETER_OUT_OF_RANGE, f"{owner}: `{arg.name}` must be {rule.describe_range()}, not {value:g}",
                       arg.value.pos)
        if rule.refs is not None:
            _check_refs(ctx, arg, rule.refs, owner)


def _check_args(ctx: CheckContext, args: list[ast.Argument], known: dict, owner: str) -> None:
    seen: set[str] = set()
    for arg in args:
        if arg.name in seen:
            ctx.report(codes.BAD_PARAMETER_NAME, f"parameter `{arg.name}` given twice", arg.pos)
        seen.add(arg.name)
        if arg.name not in known:
            ctx.report(codes.BAD_PARAMETER_NAME, f"{owner} has no parameter `{arg.name}`", arg.pos,
                       did_you_mean(arg.name, known) or f"parameters: {', '.join(known) or 'none'}")
            continue
        value = value_python(arg.value)
        expected = known[arg.name]
        if isinstance(value, bool) or not isinstance(value, expected):
            names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
            ctx.report(codes.BAD_PARAMETER_VALUE, f"`{arg.name}` must be {names}, not {value!r}", arg.value.pos)


def _check_ranges(ctx: CheckContext, args: list[ast.Argument], model: Any) -> None:
    """Values of the right type but outside the range the technique's Params model allows (C094)."""
    from synthspec.ir.params import describe_limits

    for arg in args:
        if arg.name not in model.model_fields:
            continue
        value = value_python(arg.value)
        try:
            model.model_validate({arg.name: value})
        except ValidationError as exc:
            if all(e["type"].endswith("_type") for e in exc.errors()):
                continue  # a wrong type: reported by _check_args
            wanted = describe_limits(model, arg.name) or exc.errors()[0]["msg"]
            ctx.report(codes.BAD_PARAMETER_VALUE, f"`{arg.name}` must be {wanted}, not {value!r}", arg.value.pos)


def model_block(ctx: CheckContext) -> None:
    """Known model properties with sane values."""
    for stmt in ctx.statements(ast.ModelStmt):
        seen: set[str] = set()
        for prop in stmt.props:
            name = prop.name.value
            if name in seen:
                ctx.report(codes.BAD_MODEL_PROPERTY, f"model property `{name}` given twice", prop.pos)
            seen.add(name)
            if name not in MODEL_PROPS:
                ctx.report(codes.BAD_MODEL_PROPERTY, f"unknown model property `{name}`", prop.name.pos,
                           did_you_mean(name, MODEL_PROPS) or f"properties: {', '.join(MODEL_PROPS)}")
                continue
            kind, low, high = MODEL_PROPS[name]
            value = value_python(prop.value)
            if isinstance(value, bool) or not isinstance(value, kind):
                ctx.report(codes.BAD_MODEL_VALUE, f"model `{name}` has the wrong type: {value!r}", prop.value.pos)
                continue
            if low is not None and not low <= value <= high:
                ctx.report(codes.BAD_MODEL_VALUE, f"model `{name}` must be between {low} and {high}", prop.value.pos)
            if name == "backend" and canonical_backend(value) is None:
                ctx.report(codes.UNKNOWN_BACKEND, f"unknown backend `{value}`", prop.value.pos,
                           did_you_mean(value, BACKENDS) or f"backends: {', '.join(BACKENDS)} "
                           f"(also written {', '.join(BACKEND_ALIASES)})")
            if name == "dialect" and value not in DIALECTS:
                ctx.report(codes.UNKNOWN_DIALECT, f"unknown server dialect `{value}`", prop.value.pos,
                           did_you_mean(value, DIALECTS) or f"dialects: {', '.join(DIALECTS)}")
            if name == "servers" and isinstance(value, list) and not all(isinstance(v, str) for v in value):
                ctx.report(codes.BAD_MODEL_VALUE, "servers are URL strings", prop.value.pos)


def validators(ctx: CheckContext) -> None:
    """Validators are installed (else a warning with the installed names) and get valid parameters."""
    installed = ctx.validators
    failures = ctx.validator_failures if ctx.validator_failures is not None else {}  # a lazy mapping: no `or`
    seen: dict[str, ast.ValidatorUse] = {}
    for stmt in ctx.statements(ast.ValidateStmt):
        for use in stmt.uses:
            name = use.name.value
            if name in seen:
                ctx.warn(codes.VALIDATOR_LISTED_TWICE, f"validator `{name}` is listed twice; the last one wins", use.pos)
            seen[name] = use
            if installed is None:
                continue
            if name not in installed and name in failures:
                code, report = (codes.REQUIRED_PLUGIN_BROKEN, ctx.report) if use.required else (codes.OPTIONAL_PLUGIN_BROKEN, ctx.warn)
                report(code, failures[name], use.name.pos,
                       "fix or reinstall the plugin package (`synthspec plugins` lists every plugin and its state)"
                       + ("" if use.required else "; the build runs without it"))
                continue
            if name not in installed:
                hint = did_you_mean(name, installed)
                listing = f"installed: {', '.join(sorted(installed)) or 'none'}"
                code, report = (codes.UNKNOWN_VALIDATOR, ctx.report) if use.required else (codes.OPTIONAL_VALIDATOR_MISSING, ctx.warn)
                report(code, f"no installed validator named `{name}`", use.name.pos,
                       f"{hint} {listing}" if hint else listing)
                continue
            model = installed[name]
            if model is None:
                continue
            params = {arg.name: value_python(arg.value) for arg in use.args}
            try:
                model.model_validate(params)
            except ValidationError as exc:
                for error in exc.errors():
                    loc = error.get("loc") or ()
                    arg = next((a for a in use.args if loc and a.name == loc[0]), None)
                    where = arg.pos if arg is not None else use.pos
                    field_name = ".".join(str(p) for p in loc) or name
                    ctx.report(codes.BAD_VALIDATOR_PARAMETER, f"validator `{name}`: parameter `{field_name}`: {error['msg']}", where,
                               f"parameters of `{name}`: {', '.join(model.model_fields) or 'none'}")
                continue
            _validator_limits(ctx, name, use.args)
