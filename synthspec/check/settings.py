"""Passes over the generation settings: technique, model block, validators."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from synthspec.check.context import BACKENDS, DIALECTS, TECHNIQUES, CheckContext, did_you_mean, value_python
from synthspec.ir.model import ModelSpec
from synthspec.ir.params import BACKEND_ALIASES, TECHNIQUE_PARAMS, accepted_types, canonical_backend, limits
from synthspec.parse import ast

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
            ctx.report("C090", f"unknown technique `{name}`", stmt.name.pos,
                       did_you_mean(name, TECHNIQUES) or f"techniques: {', '.join(TECHNIQUES)}")
            continue
        model = TECHNIQUE_PARAMS[name]
        known = {param: accepted_types(model, param) for param in model.model_fields}
        _check_args(ctx, stmt.args, known, f"technique `{name}`")
        _check_ranges(ctx, stmt.args, model)
        if name == "counterfactual" and not ctx.statements(ast.CounterfactualStmt):
            ctx.report("C091", "technique counterfactual needs a `counterfactual FIELD: a <-> b` axis", stmt.pos)
        if name in ("paraphrase", "gap_filling", "adversarial", "self_instruct") and not ctx.statements(ast.SeedsStmt):
            ctx.report("C092", f"technique {name} works from real seeds, but the dataset declares none", stmt.pos,
                       'add `seeds "path/to/examples.jsonl"`')


def _check_args(ctx: CheckContext, args: list[ast.Argument], known: dict, owner: str) -> None:
    seen: set[str] = set()
    for arg in args:
        if arg.name in seen:
            ctx.report("C093", f"parameter `{arg.name}` given twice", arg.pos)
        seen.add(arg.name)
        if arg.name not in known:
            ctx.report("C093", f"{owner} has no parameter `{arg.name}`", arg.pos,
                       did_you_mean(arg.name, known) or f"parameters: {', '.join(known) or 'none'}")
            continue
        value = value_python(arg.value)
        expected = known[arg.name]
        if isinstance(value, bool) or not isinstance(value, expected):
            names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
            ctx.report("C094", f"`{arg.name}` must be {names}, not {value!r}", arg.value.pos)


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
            ctx.report("C094", f"`{arg.name}` must be {wanted}, not {value!r}", arg.value.pos)


def model_block(ctx: CheckContext) -> None:
    """Known model properties with sane values."""
    for stmt in ctx.statements(ast.ModelStmt):
        seen: set[str] = set()
        for prop in stmt.props:
            name = prop.name.value
            if name in seen:
                ctx.report("C095", f"model property `{name}` given twice", prop.pos)
            seen.add(name)
            if name not in MODEL_PROPS:
                ctx.report("C095", f"unknown model property `{name}`", prop.name.pos,
                           did_you_mean(name, MODEL_PROPS) or f"properties: {', '.join(MODEL_PROPS)}")
                continue
            kind, low, high = MODEL_PROPS[name]
            value = value_python(prop.value)
            if isinstance(value, bool) or not isinstance(value, kind):
                ctx.report("C096", f"model `{name}` has the wrong type: {value!r}", prop.value.pos)
                continue
            if low is not None and not low <= value <= high:
                ctx.report("C096", f"model `{name}` must be between {low} and {high}", prop.value.pos)
            if name == "backend" and canonical_backend(value) is None:
                ctx.report("C097", f"unknown backend `{value}`", prop.value.pos,
                           did_you_mean(value, BACKENDS) or f"backends: {', '.join(BACKENDS)} "
                           f"(also written {', '.join(BACKEND_ALIASES)})")
            if name == "dialect" and value not in DIALECTS:
                ctx.report("C098", f"unknown server dialect `{value}`", prop.value.pos,
                           did_you_mean(value, DIALECTS) or f"dialects: {', '.join(DIALECTS)}")
            if name == "servers" and isinstance(value, list) and not all(isinstance(v, str) for v in value):
                ctx.report("C096", "servers are URL strings", prop.value.pos)


def validators(ctx: CheckContext) -> None:
    """Validators are installed (else a warning with the installed names) and get valid parameters."""
    installed = ctx.validators
    seen: dict[str, ast.ValidatorUse] = {}
    for stmt in ctx.statements(ast.ValidateStmt):
        for use in stmt.uses:
            name = use.name.value
            if name in seen:
                ctx.warn("W098", f"validator `{name}` is listed twice; the last one wins", use.pos)
            seen[name] = use
            if installed is None:
                continue
            if name not in installed:
                hint = did_you_mean(name, installed)
                listing = f"installed: {', '.join(sorted(installed)) or 'none'}"
                code, report = ("C099", ctx.report) if use.required else ("W099", ctx.warn)
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
                    ctx.report("C100", f"validator `{name}`: parameter `{field_name}`: {error['msg']}", where,
                               f"parameters of `{name}`: {', '.join(model.model_fields) or 'none'}")
