"""Parsing `.synth` text into the AST, with positions kept and syntax errors explained.

LALR with lark's contextual lexer: linear time (a 1 MB spec parses in well under a
second) and keywords that do not steal field names.  The lark grammar ships inside
the package (`synthspec/grammar/synth.lark`).
"""

from __future__ import annotations

import contextvars
import functools
import re
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError
from synthspec.parse import ast
from synthspec.parse.source import Source
from synthspec.parse.strings import StringEscapeError, unescape_string
from synthspec.parse.syntax_errors import describe_syntax_error

_STRING_RE = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')


@functools.lru_cache(maxsize=1)
def _grammar_text() -> str:
    return resources.files("synthspec.grammar").joinpath("synth.lark").read_text(encoding="utf-8")


_COMMENT_SINK: contextvars.ContextVar[list[ast.Comment] | None] = contextvars.ContextVar("comments", default=None)


def _collect_comment(token: Token) -> Token:
    sink = _COMMENT_SINK.get()
    if sink is not None:
        sink.append(ast.Comment(str(token), token.line, token.column))
    return token


def _cache_file() -> str | bool:
    """Where lark keeps the analysed grammar between processes (a third of the cold `check`), or False.

    A per-user cache folder, not lark's default in the shared temp dir: the cache is a pickle, and only the
    user's own files should be unpickled.  lark stores the grammar's hash in the file and rebuilds when it differs.
    """
    import os
    import sys
    from pathlib import Path

    import lark

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "synthspec"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return str(folder / f"synth-grammar-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.pickle")


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    """The one parser instance (building it costs ~0.1 s, loading it from the cache a third of that); comments go
    to the sink of the current parse."""
    return Lark(
        _grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        lexer_callbacks={"COMMENT": _collect_comment},
        cache=_cache_file(),
    )


def _parse_tree(text: str, comments: list[ast.Comment] | None = None):
    """Parse text into a lark tree, collecting comments into `comments` when given (for `fmt`)."""
    reset = _COMMENT_SINK.set(comments)
    try:
        return _parser().parse(text)
    finally:
        _COMMENT_SINK.reset(reset)


class _ToAst(Transformer):
    """lark tree → AST dataclasses.  Each rule method receives `meta` for positions."""

    def __init__(self, path: str) -> None:
        super().__init__(visit_tokens=True)
        self.path = path

    # -- helpers
    def _pos(self, meta) -> ast.Pos:
        if getattr(meta, "empty", True):
            return ast.Pos(self.path, 0, 0, 0, 0)
        return ast.Pos(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tpos(self, token: Token) -> ast.Pos:
        return ast.Pos(self.path, token.line, token.column, token.end_line or token.line, token.end_column or token.column)

    # -- tokens
    def STRING(self, token: Token) -> ast.Str:
        try:
            return ast.Str(unescape_string(str(token)[1:-1]), self._tpos(token))
        except StringEscapeError as exc:
            raise SynthspecError(
                Diagnostic(
                    code=codes.BAD_STRING_ESCAPE,
                    message=f"invalid escape {exc.sequence!r} in string",
                    file=self.path,
                    line=token.line,
                    column=token.column + 1 + exc.offset,
                    end_column=token.column + 1 + exc.offset + len(exc.sequence),
                    hint='use \\" \\\\ \\n \\t \\r \\/ or \\uXXXX',
                )
            ) from None

    def NAME(self, token: Token) -> ast.Name:
        return ast.Name(str(token), self._tpos(token))

    def REGEX(self, token: Token) -> ast.Regex:
        body = str(token)[1:-1].replace("\\/", "/")
        return ast.Regex(body, self._tpos(token))

    def SIGNED_NUMBER(self, token: Token) -> ast.Num:
        text = str(token)
        value: int | float = float(text) if "." in text else int(text)
        return ast.Num(value, text, self._tpos(token))

    def _strings_in(self, token: Token) -> list[ast.Str]:
        """The string literals inside a fast-path list token, each with its own position."""
        text = str(token)
        items = []
        line, line_start = token.line, -(token.column - 1)
        scanned = 0
        for match in _STRING_RE.finditer(text):
            newlines = text.count("\n", scanned, match.start())
            if newlines:
                line += newlines
                line_start = text.rfind("\n", scanned, match.start()) + 1
            scanned = match.start()
            column = match.start() - line_start + 1
            literal = match.group(0)
            if "\\" in literal:
                inner = Token("STRING", literal, line=line, column=column, end_line=line,
                              end_column=column + len(literal))
                items.append(self.STRING(inner))
            else:
                pos = ast.Pos(self.path, line, column, line, column + len(literal))
                items.append(ast.Str(literal[1:-1], pos))
        return items

    def STRING_LIST(self, token: Token) -> ast.ListValue:
        return ast.ListValue(list(self._strings_in(token)), self._tpos(token))

    def STRING_TUPLE(self, token: Token) -> list[ast.CategoryValue]:
        return [ast.CategoryValue(item.value, None, item.pos) for item in self._strings_in(token)]

    def TRUE(self, token: Token) -> ast.Bool:
        return ast.Bool(True, self._tpos(token))

    def FALSE(self, token: Token) -> ast.Bool:
        return ast.Bool(False, self._tpos(token))

    # -- values
    @v_args(meta=True)
    def list_value(self, meta, children):
        return ast.ListValue(list(children), self._pos(meta))

    @v_args(meta=True)
    def range(self, meta, children):
        return ast.Range(children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def argument(self, meta, children):
        return ast.Argument(children[0].value, children[1], self._pos(meta))

    @v_args(meta=True)
    def call_args(self, meta, children):
        return list(children)

    @v_args(meta=True)
    def name_list(self, meta, children):
        return list(children)

    # -- top level
    @v_args(meta=True)
    def start(self, meta, children):
        return ast.SpecFile(self.path, list(children))

    @v_args(meta=True)
    def import_stmt(self, meta, children):
        return ast.Import(children[0], self._pos(meta))

    @v_args(meta=True)
    def list_inline(self, meta, children):
        return ast.ListDecl(children[0], children[1], None, self._pos(meta))

    @v_args(meta=True)
    def list_file(self, meta, children):
        return ast.ListDecl(children[0], None, children[1], self._pos(meta))

    @v_args(meta=True)
    def dataset(self, meta, children):
        return ast.Dataset(children[0], list(children[1:]), self._pos(meta))

    # -- simple statements
    @v_args(meta=True)
    def count_stmt(self, meta, children):
        return ast.CountStmt(children[0].value, self._pos(meta))

    @v_args(meta=True)
    def seed_stmt(self, meta, children):
        return ast.SeedStmt(children[0].value, self._pos(meta))

    @v_args(meta=True)
    def format_clause(self, meta, children):
        return children[0]

    @v_args(meta=True)
    def output_stmt(self, meta, children):
        return ast.OutputStmt(children[0], children[1] if len(children) > 1 else None, self._pos(meta))

    @v_args(meta=True)
    def column_map(self, meta, children):
        return ast.ColumnMap(children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def seed_map(self, meta, children):
        return list(children)

    @v_args(meta=True)
    def seeds_stmt(self, meta, children):
        path = children[0]
        fmt = next((c for c in children[1:] if isinstance(c, ast.Name)), None)
        columns = next((c for c in children[1:] if isinstance(c, list)), None)
        return ast.SeedsStmt(path, fmt, columns, self._pos(meta))

    @v_args(meta=True)
    def use_stmt(self, meta, children):
        return ast.UseStmt(children[0], self._pos(meta))

    @v_args(meta=True)
    def prompt_stmt(self, meta, children):
        return ast.PromptStmt(children[0], self._pos(meta))

    # -- fields
    @v_args(meta=True)
    def field_decl(self, meta, children):
        return ast.FieldDecl(children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def from_seeds(self, meta, children):
        return True

    @v_args(meta=True)
    def category_value(self, meta, children):
        weight = children[1] if len(children) > 1 else None
        return ast.CategoryValue(children[0].value, weight, self._pos(meta))

    @v_args(meta=True)
    def category_type(self, meta, children):
        values = [c for c in children if isinstance(c, ast.CategoryValue)]
        return ast.CategoryType(values, any(c is True for c in children), self._pos(meta))

    @v_args(meta=True)
    def category_fast(self, meta, children):
        return ast.CategoryType(list(children[0]), len(children) > 1, self._pos(meta))

    @v_args(meta=True)
    def category_from_seeds(self, meta, children):
        return ast.CategoryType([], True, self._pos(meta))

    @v_args(meta=True)
    def integer_type(self, meta, children):
        return ast.IntegerType(children[0], any(c is True for c in children), self._pos(meta))

    @v_args(meta=True)
    def integer_from_seeds(self, meta, children):
        return ast.IntegerType(None, True, self._pos(meta))

    @v_args(meta=True)
    def places(self, meta, children):
        return ("places", children[0])

    @v_args(meta=True)
    def decimal_type(self, meta, children):
        places = next((c[1] for c in children[1:] if isinstance(c, tuple)), None)
        return ast.DecimalType(children[0], places.value if places is not None else None,
                               any(c is True for c in children), self._pos(meta), places)

    @v_args(meta=True)
    def boolean_type(self, meta, children):
        return ast.BooleanType(children[0] if children else None, self._pos(meta))

    @v_args(meta=True)
    def string_type(self, meta, children):
        return ast.StringType(children[0], self._pos(meta))

    @v_args(meta=True)
    def text_type(self, meta, children):
        return ast.TextType(list(children), self._pos(meta))

    @v_args(meta=True)
    def derived_type(self, meta, children):
        return ast.DerivedType(children[0], self._pos(meta))

    @v_args(meta=True)
    def words_prop(self, meta, children):
        return ast.WordsProp(children[0], self._pos(meta))

    @v_args(meta=True)
    def words_from_seeds(self, meta, children):
        return ast.WordsFromSeeds(self._pos(meta))

    @v_args(meta=True)
    def no_repeat_prop(self, meta, children):
        return ast.NoRepeat(children[0].value, self._pos(meta), children[0].text)

    @v_args(meta=True)
    def chars_prop(self, meta, children):
        return ast.CharsProp(children[0], self._pos(meta))

    @v_args(meta=True)
    def tone_prop(self, meta, children):
        return ast.ToneProp(children[0], self._pos(meta))

    @v_args(meta=True)
    def style_prop(self, meta, children):
        return ast.StyleProp(children[0], self._pos(meta))

    @v_args(meta=True)
    def include_item(self, meta, children):
        return ast.IncludeItem(children[0], self._pos(meta))

    @v_args(meta=True)
    def must_include(self, meta, children):
        return ast.MustInclude(list(children), self._pos(meta))

    @v_args(meta=True)
    def case_flag(self, meta, children):
        return "case_sensitive"

    @v_args(meta=True)
    def forbid_item(self, meta, children):
        return ast.ForbidItem(children[0], "case_sensitive" in children[1:], self._pos(meta))

    @v_args(meta=True)
    def must_not_include(self, meta, children):
        return ast.MustNotInclude(list(children), self._pos(meta))

    # -- rules
    @v_args(meta=True)
    def forbid_stmt(self, meta, children):
        return ast.ForbidStmt(children[0], self._pos(meta))

    @v_args(meta=True)
    def condition(self, meta, children):
        return ast.Condition(children[0], str(children[1]), children[2], self._pos(meta))

    @v_args(meta=True)
    def target_rule(self, meta, children):
        return ast.TargetRule(children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def when_stmt(self, meta, children):
        conditions = [c for c in children if isinstance(c, ast.Condition)]
        rules = [c for c in children if isinstance(c, ast.TargetRule)]
        return ast.WhenStmt(conditions, rules, self._pos(meta))

    @v_args(meta=True)
    def flip(self, meta, children):
        return ast.Flip(children[0], children[2], str(children[1]) == "<->", self._pos(meta))

    @v_args(meta=True)
    def keep_clause(self, meta, children):
        return ("keep", children[0])

    @v_args(meta=True)
    def regenerate_clause(self, meta, children):
        return ("regenerate", children[0])

    @v_args(meta=True)
    def counterfactual_stmt(self, meta, children):
        flips = [c for c in children[1:] if isinstance(c, ast.Flip)]
        keep = next((c[1] for c in children if isinstance(c, tuple) and c[0] == "keep"), [])
        regenerate = next((c[1] for c in children if isinstance(c, tuple) and c[0] == "regenerate"), [])
        return ast.CounterfactualStmt(children[0], flips, keep, regenerate, self._pos(meta))

    @v_args(meta=True)
    def technique_stmt(self, meta, children):
        return ast.TechniqueStmt(children[0], children[1] if len(children) > 1 else [], self._pos(meta))

    @v_args(meta=True)
    def validator_use(self, meta, children):
        name = children[0]
        args: list[ast.Argument] = []
        policy = None
        required = False
        for child in children[1:]:
            if isinstance(child, list):
                args = child
            elif isinstance(child, Token) and child.type == "POLICY":
                policy = str(child)
            elif isinstance(child, Token) and child.type == "REQUIRED":
                required = True
        return ast.ValidatorUse(name, args, policy, required, self._pos(meta))

    @v_args(meta=True)
    def validate_stmt(self, meta, children):
        return ast.ValidateStmt(list(children), self._pos(meta))

    @v_args(meta=True)
    def model_prop(self, meta, children):
        return ast.ModelProp(children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def model_stmt(self, meta, children):
        return ast.ModelStmt(list(children), self._pos(meta))


def parse_source(source: Source, keep_comments: bool = False) -> ast.SpecFile:
    """Parse normalised spec text into an AST, or raise a `SynthspecError` with one diagnostic."""
    comments: list[ast.Comment] | None = [] if keep_comments else None
    try:
        tree = _parse_tree(source.text, comments)
    except UnexpectedInput as exc:
        raise SynthspecError(describe_syntax_error(exc, source), sources={source.path: source.text}) from None
    try:
        spec_file = _ToAst(source.path).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, SynthspecError):
            exc.orig_exc.sources = {source.path: source.text}
            raise exc.orig_exc from None
        raise
    if comments is not None:
        spec_file.comments = comments
    return spec_file


__all__ = ["parse_source", "UnexpectedCharacters", "UnexpectedEOF", "UnexpectedToken"]
