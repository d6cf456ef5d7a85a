"""Passes about the shape of a spec: which dataset, duplicates, and the symbol tables."""

from __future__ import annotations

from synthspec import codes
from synthspec.check.context import OUTPUT_FORMATS, CheckContext, did_you_mean
from synthspec.parse import ast

SINGLE_STATEMENTS = {
    ast.CountStmt: "count",
    ast.SeedStmt: "seed",
    ast.OutputStmt: "output",
    ast.SeedsStmt: "seeds",
    ast.TechniqueStmt: "technique",
    ast.ModelStmt: "model",
    ast.PromptStmt: "prompt",
}


def choose_dataset(ctx: CheckContext) -> None:
    """Exactly one dataset is compiled: the only one, or the one asked for by name."""
    datasets = ctx.main.datasets
    if not datasets:
        ctx.report(codes.NO_DATASET, "no dataset declared in this file", None,
                   "add `dataset NAME { ... }`; files with only lists and fields are meant to be imported")
        return
    if ctx.dataset_name is not None:
        chosen = [d for d in datasets if d.name.value == ctx.dataset_name]
        if not chosen:
            names = [d.name.value for d in datasets]
            ctx.report(codes.DATASET_CHOICE, f"no dataset named `{ctx.dataset_name}`", None,
                       did_you_mean(ctx.dataset_name, names) or f"datasets here: {', '.join(names)}")
            return
        ctx.dataset = chosen[0]
        return
    if len(datasets) > 1:
        ctx.report(codes.DATASET_CHOICE, f"{len(datasets)} datasets in one file; choose one with --dataset NAME", datasets[1].name.pos,
                   f"datasets here: {', '.join(d.name.value for d in datasets)}")
    ctx.dataset = datasets[0]


def duplicate_statements(ctx: CheckContext) -> None:
    """`count`, `seed`, `output`, ... may appear once per dataset."""
    for kind, word in SINGLE_STATEMENTS.items():
        found = ctx.statements(kind)
        for extra in found[1:]:
            ctx.report(codes.DUPLICATE_SETTING, f"`{word}` is declared more than once", extra.pos,
                       f"the first is at line {found[0].pos.line}; keep one")


def collect_lists(ctx: CheckContext) -> None:
    """Lists from imports, the file's top level and the dataset; a name may be declared once."""
    sources = [item for f in ctx.imported for item in f.items if isinstance(item, ast.ListDecl)]
    sources += [item for item in ctx.main.items if isinstance(item, ast.ListDecl)]
    sources += ctx.statements(ast.ListDecl)
    for decl in sources:
        name = decl.name.value
        if name in ctx.lists:
            first = ctx.lists[name].pos
            ctx.report(codes.DUPLICATE_LIST, f"list `{name}` is declared more than once", decl.name.pos,
                       f"first declared at {first.file}:{first.line}; rename one")
            continue
        ctx.lists[name] = decl


def collect_fields(ctx: CheckContext) -> None:
    """Fields declared in the dataset plus shared fields pulled in with `use`."""
    shared = [item for f in ctx.imported for item in f.items if isinstance(item, ast.FieldDecl)]
    shared += [item for item in ctx.main.items if isinstance(item, ast.FieldDecl)]
    for decl in shared:
        if decl.name.value in ctx.shared_fields:
            ctx.report(codes.DUPLICATE_FIELD, f"shared field `{decl.name.value}` is declared more than once", decl.name.pos)
            continue
        ctx.shared_fields[decl.name.value] = decl
    if ctx.dataset is None:
        return
    for statement in ctx.dataset.body:
        if isinstance(statement, ast.FieldDecl):
            _add_field(ctx, statement, statement.name)
        elif isinstance(statement, ast.UseStmt):
            for name in statement.names:
                decl = ctx.shared_fields.get(name.value)
                if decl is None:
                    ctx.report(codes.UNKNOWN_SHARED_FIELD, f"no shared field named `{name.value}`", name.pos,
                               did_you_mean(name.value, ctx.shared_fields)
                               or "declare it at the top level of this file or of an imported file")
                    continue
                _add_field(ctx, decl, name)
    if not ctx.fields:
        ctx.report(codes.NO_FIELDS, "the dataset declares no fields", ctx.dataset.name.pos,
                   "add fields, e.g. `field text: text { words 10..50 }`")


def _add_field(ctx: CheckContext, decl: ast.FieldDecl, where: ast.Name) -> None:
    name = decl.name.value
    if name in ctx.fields:
        first = ctx.fields[name].name.pos
        ctx.report(codes.DUPLICATE_FIELD, f"field `{name}` is declared more than once", where.pos,
                   f"first declared at line {first.line}; field names must be unique")
        return
    if name.startswith("_"):
        ctx.report(codes.RESERVED_FIELD_NAME, f"field names may not start with `_` (`{name}`)", where.pos,
                   "names starting with `_` are reserved for provenance")
        return
    ctx.fields[name] = decl


def dataset_values(ctx: CheckContext) -> None:
    """Plain values: a positive count, an output format we can write."""
    for count in ctx.statements(ast.CountStmt):
        if isinstance(count.value, float):
            ctx.report(codes.BAD_COUNT_OR_SEED, f"count must be a whole number of records, not {count.value:g}", count.pos,
                       f"write e.g. `count {max(1, round(count.value))}`")
        elif count.value <= 0:
            ctx.report(codes.BAD_COUNT_OR_SEED, f"count must be at least 1, not {count.value}", count.pos,
                       "count is how many records to build")
        elif count.value > 10_000_000:
            ctx.report(codes.BAD_COUNT_OR_SEED, f"count {count.value} is over the limit of 10,000,000 records", count.pos)
    for seed in ctx.statements(ast.SeedStmt):
        if isinstance(seed.value, float):
            ctx.report(codes.BAD_COUNT_OR_SEED, f"seed must be a whole number, not {seed.value:g}", seed.pos)
        elif seed.value < 0:
            ctx.report(codes.BAD_COUNT_OR_SEED, f"seed must be 0 or more, not {seed.value}", seed.pos)
        elif seed.value >= 2**63:
            ctx.report(codes.BAD_COUNT_OR_SEED, "seed must be below 2**63", seed.pos)
    for output in ctx.statements(ast.OutputStmt):
        if output.format is not None and output.format.value not in OUTPUT_FORMATS:
            ctx.report(codes.BAD_OUTPUT, f"unknown output format `{output.format.value}`", output.format.pos,
                       did_you_mean(output.format.value, OUTPUT_FORMATS) or f"formats: {', '.join(OUTPUT_FORMATS)}")
        if not output.path.value.strip():
            ctx.report(codes.BAD_OUTPUT, "the output path is empty", output.path.pos)
