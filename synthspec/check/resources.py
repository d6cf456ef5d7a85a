"""Passes that touch the file system: imports, list files, seed files, prompt templates."""

from __future__ import annotations

from pathlib import Path

from synthspec import codes
from synthspec.check.context import SEED_FORMATS, CheckContext, did_you_mean, shown_path, value_python
from synthspec.datafiles import infer_format, read_table
from synthspec.diagnostics import SynthspecError
from synthspec.parse import ast, parse_source, read_source

MAX_IMPORT_DEPTH = 16


def load_imports(ctx: CheckContext) -> None:
    """Parse imported files (transitively, once each), reporting cycles and missing files."""
    seen: set[Path] = {Path(ctx.main.path).resolve()}
    _load(ctx, ctx.main, seen, [Path(ctx.main.path).resolve()])


def _load(ctx: CheckContext, spec_file: ast.SpecFile, seen: set[Path], chain: list[Path]) -> None:
    base = Path(spec_file.path).resolve().parent
    for imp in spec_file.imports:
        target = (base / imp.path.value).resolve()
        if target in chain:
            ctx.report(codes.IMPORT_CYCLE, f"import cycle: {' -> '.join(p.name for p in [*chain, target])}", imp.path.pos,
                       "move the shared declarations into a third file both import")
            continue
        if target in seen:
            continue
        if len(chain) > MAX_IMPORT_DEPTH:
            ctx.report(codes.IMPORT_TOO_DEEP, "imports nested too deep", imp.path.pos)
            continue
        seen.add(target)
        try:
            source = read_source(shown_path(target))
            imported = parse_source(source)
        except SynthspecError as exc:
            ctx.diagnostics.extend(d for d in exc.diagnostics if d.line is not None)
            ctx.sources.update(exc.sources)
            ctx.report(codes.IMPORT_FAILED, f"cannot import {imp.path.value!r}", imp.path.pos, exc.diagnostics[0].message)
            continue
        ctx.sources[source.path] = source.text
        if imported.datasets:
            ctx.warn(codes.IMPORT_DECLARES_DATASETS, f"{imp.path.value!r} declares datasets; imports only bring in lists and fields",
                     imp.path.pos)
        ctx.imported.append(imported)
        _load(ctx, imported, seen, [*chain, target])


def list_files(ctx: CheckContext) -> None:
    """Expand every list: inline items are strings; `from` files hold one term per line (# comments)."""
    for name, decl in ctx.lists.items():
        if decl.items is not None:
            terms = []
            for item in decl.items.items:
                if not isinstance(item, ast.Str):
                    ctx.report(codes.BAD_LIST_ITEM, "list items are quoted strings", item.pos, f'write "{value_python(item)}"')
                    continue
                if not item.value.strip():
                    ctx.report(codes.BAD_LIST_ITEM, "empty list item", item.pos)
                    continue
                terms.append(item.value)
            ctx.list_terms[name] = tuple(terms)
            continue
        assert decl.file is not None
        path = Path(decl.pos.file).resolve().parent / decl.file.value
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            ctx.report(codes.LIST_FILE_UNREADABLE, f"list file not found: {decl.file.value}", decl.file.pos,
                       f"looked at {shown_path(path)}; paths are relative to the spec file")
            continue
        except (OSError, UnicodeDecodeError) as exc:
            ctx.report(codes.LIST_FILE_UNREADABLE, f"cannot read list file {decl.file.value}: {exc}", decl.file.pos)
            continue
        terms = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        if not terms:
            ctx.warn(codes.LIST_FILE_EMPTY, f"list file {decl.file.value} has no terms", decl.file.pos)
        ctx.list_terms[name] = tuple(terms)


def seed_file(ctx: CheckContext) -> None:
    """The seed file exists, is readable, and has every mapped column; `from seeds` needs seeds."""
    statements = ctx.statements(ast.SeedsStmt)
    needs_seeds = [
        (name, decl) for name, decl in ctx.fields.items()
        if getattr(decl.type, "from_seeds", False)
    ]
    if not statements:
        for name, decl in needs_seeds:
            ctx.report(codes.FROM_SEEDS_WITHOUT_SEEDS, f"`{name}` is `from seeds` but the dataset declares no seeds", decl.type.pos,
                       'add `seeds "path/to/examples.jsonl"`')
        return
    seeds = statements[0]
    fmt = seeds.format.value if seeds.format else infer_format(seeds.path.value)
    if seeds.format and fmt not in SEED_FORMATS:
        ctx.report(codes.SEED_FORMAT, f"unknown seed format `{fmt}`", seeds.format.pos, f"formats: {', '.join(SEED_FORMATS)}")
        return
    if fmt is None:
        ctx.report(codes.SEED_FORMAT, f"cannot tell the format of {seeds.path.value!r}", seeds.path.pos,
                   "name it .jsonl, .csv or .tsv, or add `format jsonl|csv|tsv`")
        return
    path = ctx.base_dir / seeds.path.value
    if not path.is_file():
        ctx.report(codes.SEED_FILE_NOT_FOUND, f"seed file not found: {seeds.path.value}", seeds.path.pos,
                   f"looked at {shown_path(path)}; seed paths are relative to the spec file")
        return
    _mapped_twice(ctx, seeds)
    try:
        rows = read_table(path, fmt)
    except SynthspecError as exc:
        problem = exc.diagnostics[0]
        where = shown_path(path) + (f":{problem.line}" if problem.line is not None else "")
        ctx.report(codes.SEED_FILE_UNREADABLE, f"cannot read seed file {where}: {problem.message}", seeds.path.pos, problem.hint)
        return
    if not rows:
        ctx.report(codes.SEED_FILE_EMPTY, "the seed file has no rows", seeds.path.pos)
        return
    columns: list[str] = []
    for row in rows[:200]:
        columns.extend(k for k in row if k not in columns)
    ctx.seed_columns = columns
    ctx.seed_rows = rows
    mapped = {m.field.value: m for m in seeds.columns or []}
    for field_name, mapping in mapped.items():
        if field_name not in ctx.fields and field_name != "id":
            ctx.report(codes.SEED_MAPPING_UNKNOWN_FIELD, f"column mapped to unknown field `{field_name}`", mapping.field.pos,
                       did_you_mean(field_name, ctx.fields) or "map columns to declared fields (or `id`)")
        if mapping.column.value not in columns:
            ctx.report(codes.SEED_COLUMN_MISSING, f"the seed file has no column {mapping.column.value!r}", mapping.column.pos,
                       did_you_mean(mapping.column.value, columns) or f"columns: {', '.join(columns)}")
    for name, decl in needs_seeds:
        column = mapped[name].column.value if name in mapped else name
        if column not in columns:
            ctx.report(codes.FROM_SEEDS_COLUMN_MISSING, f"`{name}` is `from seeds` but the seed file has no column {column!r}", decl.type.pos,
                       f"map it: seeds \"{seeds.path.value}\" {{ {name} <- \"COLUMN\" }}; columns: {', '.join(columns)}")


def _mapped_twice(ctx: CheckContext, seeds: ast.SeedsStmt) -> None:
    """`{ text <- "a"  text <- "b" }` would silently keep the last mapping."""
    first: dict[str, ast.ColumnMap] = {}
    for mapping in seeds.columns or []:
        name = mapping.field.value
        if name in first:
            ctx.report(codes.SEED_FIELD_MAPPED_TWICE, f"`{name}` is mapped to a seed column twice", mapping.field.pos,
                       f"first mapped to {first[name].column.value!r} at line {first[name].pos.line}; keep one")
        else:
            first[name] = mapping


def prompt_file(ctx: CheckContext) -> None:
    """A prompt template override exists and is a jinja2 template."""
    for prompt in ctx.statements(ast.PromptStmt):
        path = ctx.base_dir / prompt.path.value
        if not path.is_file():
            ctx.report(codes.PROMPT_NOT_FOUND, f"prompt template not found: {prompt.path.value}", prompt.path.pos,
                       f"looked at {shown_path(path)}; paths are relative to the spec file")
            continue
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        try:
            ImmutableSandboxedEnvironment().parse(path.read_text(encoding="utf-8"))
        except (jinja2.TemplateSyntaxError, UnicodeDecodeError) as exc:
            ctx.report(codes.PROMPT_INVALID, f"invalid prompt template: {exc}", prompt.path.pos)
