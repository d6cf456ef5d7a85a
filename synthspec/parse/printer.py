"""Printing an AST back as canonical `.synth` text (what `synthspec fmt` writes).

One layout for every spec, so diffs show meaning rather than whitespace:
2-space indentation, one statement per line, blocks (`dataset`, `text`, `model`,
`seeds`, `when`) opened on the statement's line and closed on their own line,
single spaces around operators, strings re-escaped canonically, numbers exactly
as written, at most one blank line kept where the author left some.

Comments are not in the grammar's tree, so they are woven back in by line
number: a comment on a line of its own goes before the node that follows it; a
comment at the end of a line stays at the end of the printed line of the last
node on that line; a comment inside a construct that prints on one line (say a
category list spread over three lines) moves to just before that construct.
That rule is a fixed point — a second `fmt` finds every comment already where
it would put it — which is what makes the formatter idempotent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from synthspec.parse import ast
from synthspec.parse.strings import escape_string

INDENT = "  "
WRAP_AT = 100  # an inline `list NAME = [...]` longer than this prints one item per line


# ---------------------------------------------------------------- values and clauses (single-line text)


def format_value(value: ast.Value) -> str:
    """A value as canonical source text."""
    if isinstance(value, ast.Str):
        return escape_string(value.value)
    if isinstance(value, ast.Num):
        return value.text
    if isinstance(value, ast.Bool):
        return "true" if value.value else "false"
    if isinstance(value, ast.Name):
        return value.value
    if isinstance(value, ast.Regex):
        return format_regex(value)
    if isinstance(value, ast.ListValue):
        return "[" + ", ".join(format_value(item) for item in value.items) + "]"
    raise TypeError(f"not a value: {value!r}")


def format_regex(regex: ast.Regex) -> str:
    """`/pattern/`, with the slashes inside the pattern escaped again (the parser unescaped them)."""
    return "/" + regex.pattern.replace("/", "\\/") + "/"


def _range(rng: ast.Range) -> str:
    return f"{rng.low.text}..{rng.high.text}"


def _args(args: list[ast.Argument]) -> str:
    if not args:
        return ""
    return "(" + ", ".join(f"{arg.name} = {format_value(arg.value)}" for arg in args) + ")"


def _names(names: list[ast.Name]) -> str:
    return ", ".join(name.value for name in names)


def _must_include(rule: ast.MustInclude) -> str:
    return "must include " + ", ".join(format_value(item.value) for item in rule.items)


def _forbid_item(item: ast.ForbidItem) -> str:
    text = format_value(item.value)
    if item.case_sensitive and not isinstance(item.value, ast.Regex):
        text += " case sensitive"
    return text


def _must_not_include(rule: ast.MustNotInclude) -> str:
    return "must not include " + ", ".join(_forbid_item(item) for item in rule.items)


def _rule(rule: ast.MustInclude | ast.MustNotInclude) -> str:
    return _must_include(rule) if isinstance(rule, ast.MustInclude) else _must_not_include(rule)


def _category(ftype: ast.CategoryType) -> str:
    if not ftype.values and ftype.from_seeds:
        return "category from seeds"
    labels = []
    for value in ftype.values:
        label = escape_string(value.label)
        labels.append(f"{label} = {value.weight.text}" if value.weight is not None else label)
    text = "category(" + ", ".join(labels) + ")"
    return text + " from seeds" if ftype.from_seeds else text


def format_field_type(ftype: ast.FieldType) -> str:
    """Every field type except a `text` with properties (a block) on one line."""
    if isinstance(ftype, ast.CategoryType):
        return _category(ftype)
    if isinstance(ftype, ast.IntegerType):
        if ftype.range is None:
            return "integer from seeds"
        return f"integer {_range(ftype.range)}" + (" from seeds" if ftype.from_seeds else "")
    if isinstance(ftype, ast.DecimalType):
        text = f"decimal {_range(ftype.range)}"
        if ftype.places is not None:
            text += f" places {ftype.places_num.text if ftype.places_num is not None else ftype.places}"
        return text + (" from seeds" if ftype.from_seeds else "")
    if isinstance(ftype, ast.BooleanType):
        return "boolean" if ftype.probability is None else f"boolean({ftype.probability.text})"
    if isinstance(ftype, ast.StringType):
        return f"string {format_regex(ftype.pattern)}"
    if isinstance(ftype, ast.TextType):
        return "text"
    if isinstance(ftype, ast.DerivedType):
        return f"derived {escape_string(ftype.template.value)}"
    raise TypeError(f"not a field type: {ftype!r}")


def _text_prop(prop: ast.TextProp) -> str:
    if isinstance(prop, ast.WordsProp):
        return f"words {_range(prop.range)}"
    if isinstance(prop, ast.WordsFromSeeds):
        return "words from seeds"
    if isinstance(prop, ast.NoRepeat):
        return f"no repeat {prop.text or prop.size}"
    if isinstance(prop, ast.CharsProp):
        return f"chars {_range(prop.range)}"
    if isinstance(prop, ast.ToneProp):
        return f"tone {format_value(prop.value)}"
    if isinstance(prop, ast.StyleProp):
        return f"style {escape_string(prop.value.value)}"
    return _rule(prop)


def _validator(use: ast.ValidatorUse) -> str:
    text = use.name.value + _args(use.args)
    if use.policy is not None:
        text += f" {use.policy}"
    if use.required:
        text += " required"
    return text


def _flip(flip: ast.Flip) -> str:
    arrow = "<->" if flip.both_ways else "->"
    return f"{format_value(flip.source)} {arrow} {format_value(flip.target)}"


def _counterfactual(stmt: ast.CounterfactualStmt) -> str:
    text = f"counterfactual {stmt.field.value}: " + ", ".join(_flip(flip) for flip in stmt.flips)
    if stmt.keep:
        text += f" keep {_names(stmt.keep)}"
    if stmt.regenerate:
        text += f" regenerate {_names(stmt.regenerate)}"
    return text


def _single_line(stmt: object) -> str | None:
    """Statements that always print on one line (None for the block-shaped ones)."""
    if isinstance(stmt, ast.Import):
        return f"import {escape_string(stmt.path.value)}"
    if isinstance(stmt, ast.CountStmt):
        return f"count {stmt.value}"
    if isinstance(stmt, ast.SeedStmt):
        return f"seed {stmt.value}"
    if isinstance(stmt, ast.OutputStmt):
        text = f"output {escape_string(stmt.path.value)}"
        return text + (f" format {stmt.format.value}" if stmt.format is not None else "")
    if isinstance(stmt, ast.UseStmt):
        return f"use {_names(stmt.names)}"
    if isinstance(stmt, ast.PromptStmt):
        return f"prompt {escape_string(stmt.path.value)}"
    if isinstance(stmt, ast.ForbidStmt):
        return _must_not_include(stmt.rule)
    if isinstance(stmt, ast.CounterfactualStmt):
        return _counterfactual(stmt)
    if isinstance(stmt, ast.TechniqueStmt):
        return f"technique {stmt.name.value}{_args(stmt.args)}"
    if isinstance(stmt, ast.FieldDecl) and not (isinstance(stmt.type, ast.TextType) and stmt.type.props):
        return f"field {stmt.name.value}: {format_field_type(stmt.type)}"
    return None


# ---------------------------------------------------------------- layout with comments


Emit = Callable[[int], None]  # prints one child; its argument is the source line where the next thing starts


class _Printer:
    """Accumulates output lines, weaving in comments by source line."""

    def __init__(self, comments: Sequence[ast.Comment]) -> None:
        self.comments = sorted(comments, key=lambda c: (c.line, c.column))
        self.cursor = 0
        self.lines: list[str] = []
        self.depth = 0
        self.last_line = 0
        self.at_block_start = True

    # -- comments
    def _pending(self) -> ast.Comment | None:
        return self.comments[self.cursor] if self.cursor < len(self.comments) else None

    def comments_before(self, line: int) -> None:
        """Print, on their own lines, every comment that starts before source `line`."""
        while (comment := self._pending()) is not None and comment.line < line:
            self.cursor += 1
            self._put(comment.text.rstrip(), comment.line, comment.line)

    def _trailing(self, line: int, next_line: int | None) -> str:
        """The end-of-line comment on `line`, unless a later node on that line will take it."""
        comment = self._pending()
        if comment is None or comment.line != line or next_line == line:
            return ""
        self.cursor += 1
        return INDENT + comment.text.rstrip()

    # -- lines
    def _put(self, text: str, start: int, end: int, blank_ok: bool = True) -> None:
        if blank_ok and not self.at_block_start and self.last_line and start > self.last_line + 1:
            self.lines.append("")
        self.lines.append(INDENT * self.depth + text)
        self.at_block_start = False
        self.last_line = max(self.last_line, end)

    def line(self, text: str, pos: ast.Pos, next_line: int | None) -> None:
        """One node printed on one line; comments inside its source span move before it."""
        self.comments_before(pos.end_line)
        self._put(text + self._trailing(pos.end_line, next_line), pos.line, pos.end_line)

    def block(
        self,
        header: str,
        pos: ast.Pos,
        header_end: int,
        children: list[tuple[int, Emit]],
        next_line: int | None,
        close: str = "}",
    ) -> None:
        """`header {`, the children one per line one level deeper, then the closing line."""
        close_line = pos.end_line
        first_line = children[0][0] if children else close_line
        self.comments_before(header_end)
        self._put(header + self._trailing(header_end, first_line), pos.line, header_end)
        self.depth += 1
        self.at_block_start = True
        for index, (_, emit) in enumerate(children):
            emit(children[index + 1][0] if index + 1 < len(children) else close_line)
        self.comments_before(close_line)
        self.depth -= 1
        self._put(close + self._trailing(close_line, next_line), close_line, close_line, blank_ok=False)

    # -- nodes
    def item(self, node: object, next_line: int | None) -> None:
        """A top-level item or a dataset statement."""
        pos: ast.Pos = node.pos  # type: ignore[attr-defined]
        text = _single_line(node)
        if text is not None:
            self.line(text, pos, next_line)
        elif isinstance(node, ast.ListDecl):
            self._list_decl(node, next_line)
        elif isinstance(node, ast.ValidateStmt):
            self._validate(node, next_line)
        elif isinstance(node, ast.FieldDecl):
            ftype = node.type
            assert isinstance(ftype, ast.TextType)
            children = [(prop.pos.line, self._leaf(_text_prop(prop), prop.pos)) for prop in ftype.props]
            self.block(f"field {node.name.value}: text {{", pos, ftype.pos.line, children, next_line)
        elif isinstance(node, ast.Dataset):
            children = [(stmt.pos.line, self._child(stmt)) for stmt in node.body]
            self.block(f"dataset {node.name.value} {{", pos, node.name.pos.end_line, children, next_line)
        elif isinstance(node, ast.SeedsStmt):
            self._seeds(node, next_line)
        elif isinstance(node, ast.WhenStmt):
            self._when(node, next_line)
        elif isinstance(node, ast.ModelStmt):
            children = [
                (prop.pos.line, self._leaf(f"{prop.name.value} {format_value(prop.value)}", prop.pos))
                for prop in node.props
            ]
            if children:
                self.block("model {", pos, pos.line, children, next_line)
            else:
                self.line("model {}", pos, next_line)
        else:
            raise TypeError(f"cannot print {node!r}")

    def _leaf(self, text: str, pos: ast.Pos) -> Emit:
        return lambda next_line: self.line(text, pos, next_line)

    def _child(self, node: object) -> Emit:
        return lambda next_line: self.item(node, next_line)

    def _list_decl(self, decl: ast.ListDecl, next_line: int | None) -> None:
        if decl.file is not None:
            self.line(f"list {decl.name.value} from {escape_string(decl.file.value)}", decl.pos, next_line)
            return
        assert decl.items is not None
        flat = f"list {decl.name.value} = {format_value(decl.items)}"
        if not decl.items.items or (
            len(INDENT * self.depth + flat) <= WRAP_AT and not self._has_inner_comment(decl.pos)
        ):
            self.line(flat, decl.pos, next_line)
            return
        children = [
            (value.pos.line, self._leaf(format_value(value) + ",", value.pos)) for value in decl.items.items
        ]
        self.block(
            f"list {decl.name.value} = [", decl.pos, decl.items.pos.line, children, next_line, close="]"
        )

    def _has_inner_comment(self, pos: ast.Pos) -> bool:
        """Is there a comment inside `pos`'s span other than at the end of its last line?"""
        self.comments_before(pos.line)
        inner = self._pending()
        return inner is not None and pos.line <= inner.line < pos.end_line

    def _validate(self, stmt: ast.ValidateStmt, next_line: int | None) -> None:
        """One line; when long (or commented inside), one validator per line, continued one level deeper."""
        parts = [_validator(use) for use in stmt.uses]
        flat = "validate " + ", ".join(parts)
        if len(INDENT * self.depth + flat) <= WRAP_AT and not self._has_inner_comment(stmt.pos):
            self.line(flat, stmt.pos, next_line)
            return
        uses = stmt.uses
        for index, use in enumerate(uses):
            last = index + 1 == len(uses)
            text = ("validate " if index == 0 else "") + parts[index] + ("" if last else ",")
            following = next_line if last else uses[index + 1].pos.line
            pos = use.pos
            if index == 0:  # the `validate` keyword belongs to the first line
                pos = ast.Pos(pos.file, stmt.pos.line, stmt.pos.column, pos.end_line, pos.end_column)
            self.line(text, pos, following)
            if index == 0:
                self.depth += 1
        self.depth -= 1

    def _seeds(self, stmt: ast.SeedsStmt, next_line: int | None) -> None:
        header = f"seeds {escape_string(stmt.path.value)}"
        header_end = stmt.path.pos.end_line
        if stmt.format is not None:
            header += f" format {stmt.format.value}"
            header_end = stmt.format.pos.end_line
        if stmt.columns is None:
            self.line(header, stmt.pos, next_line)
        elif not stmt.columns:
            self.line(header + " {}", stmt.pos, next_line)
        else:
            children = [
                (cm.pos.line, self._leaf(f"{cm.field.value} <- {escape_string(cm.column.value)}", cm.pos))
                for cm in stmt.columns
            ]
            self.block(header + " {", stmt.pos, header_end, children, next_line)

    def _when(self, stmt: ast.WhenStmt, next_line: int | None) -> None:
        header = "when " + " and ".join(
            f"{c.field.value} {c.op} {format_value(c.value)}" for c in stmt.conditions
        )
        if not stmt.rules:
            self.line(header + " {}", stmt.pos, next_line)
            return
        children = [
            (rule.pos.line, self._leaf(f"{rule.target.value} {_rule(rule.rule)}", rule.pos))
            for rule in stmt.rules
        ]
        self.block(header + " {", stmt.pos, stmt.conditions[-1].pos.end_line, children, next_line)


def format_spec(spec_file: ast.SpecFile) -> str:
    """The canonical text of a parsed file (parse it with `keep_comments=True` to keep its comments)."""
    printer = _Printer(spec_file.comments)
    items = spec_file.items
    for index, item in enumerate(items):
        printer.item(item, items[index + 1].pos.line if index + 1 < len(items) else None)
    printer.comments_before(10**12)
    return "\n".join(printer.lines) + "\n" if printer.lines else ""


def without_positions(node: object) -> object:
    """A node as plain data with every `pos` left out: two parses of equivalent text compare equal."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        data = {
            f.name: without_positions(getattr(node, f.name))
            for f in dataclasses.fields(node)
            if f.name not in ("pos", "comments", "path")
        }
        return (type(node).__name__, data)
    if isinstance(node, list):
        return [without_positions(item) for item in node]
    return node


__all__ = ["format_field_type", "format_regex", "format_spec", "format_value", "without_positions"]
