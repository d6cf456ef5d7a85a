"""What the semantic passes share: the parsed files, the symbol tables, the diagnostics.

The passes are small functions over one `CheckContext`; they never raise for a
user mistake, they `report` it, so one run shows every problem of a spec.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthspec.diagnostics import Diagnostic, Severity
from synthspec.ir.params import BACKENDS as BACKENDS  # re-exported: the one list lives in ir/params.py
from synthspec.ir.params import DIALECTS as DIALECTS
from synthspec.ir.params import TECHNIQUES as TECHNIQUES
from synthspec.parse import ast

BUILTIN_CLASSES = {"pii": "class", "profanity": "list"}
OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
SEED_FORMATS = ("jsonl", "csv", "tsv")


@dataclass
class CheckContext:
    """State shared by the passes.

    `validators` maps installed validator names to their pydantic parameter
    model (or None when it declares none); it is injected by the caller so this
    stage never imports the validate stage.
    """

    main: ast.SpecFile
    sources: dict[str, str]
    imported: list[ast.SpecFile] = field(default_factory=list)
    validators: Mapping[str, Any] | None = None
    # validator name -> why its plugin failed to load (so a spec naming it hears that, not "not installed")
    validator_failures: Mapping[str, str] | None = None
    dataset_name: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    dataset: ast.Dataset | None = None
    fields: dict[str, ast.FieldDecl] = field(default_factory=dict)
    shared_fields: dict[str, ast.FieldDecl] = field(default_factory=dict)
    lists: dict[str, ast.ListDecl] = field(default_factory=dict)
    list_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seed_columns: list[str] | None = None
    seed_rows: list[dict[str, Any]] | None = None

    @property
    def base_dir(self) -> Path:
        return Path(self.main.path).resolve().parent

    def report(
        self,
        code: str,
        message: str,
        pos: ast.Pos | None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
        notes: tuple[str, ...] = (),
    ) -> None:
        """Record one diagnostic at a node's position."""
        if pos is None or pos.line == 0:
            self.diagnostics.append(Diagnostic(code, message, file=self.main.path, hint=hint, severity=severity, notes=notes))
            return
        end = pos.end_column if pos.end_line == pos.line else None
        self.diagnostics.append(
            Diagnostic(code, message, file=pos.file, line=pos.line, column=pos.column, end_column=end,
                       hint=hint, severity=severity, notes=notes)
        )

    def warn(self, code: str, message: str, pos: ast.Pos | None, hint: str | None = None) -> None:
        self.report(code, message, pos, hint, Severity.WARNING)

    def statements(self, kind: type) -> list:
        """The dataset's statements of one kind, in source order."""
        if self.dataset is None:
            return []
        return [s for s in self.dataset.body if isinstance(s, kind)]

    def field_type(self, name: str) -> ast.FieldType | None:
        decl = self.fields.get(name)
        return decl.type if decl else None

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def did_you_mean(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """A 'did you mean X?' suggestion, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def shown_path(path: Path) -> str:
    """A path as a person wants to read it: relative to the working directory when under it."""
    normal = os.path.normpath(path)
    try:
        relative = os.path.relpath(normal)
    except ValueError:
        return normal
    return normal if relative.startswith("..") else relative


def article(kind: str) -> str:
    """'an integer', 'a text': for messages that name a field kind."""
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def kind_of(field_type: ast.FieldType) -> str:
    """The field kind as the IR names it."""
    return {
        ast.CategoryType: "category",
        ast.IntegerType: "integer",
        ast.DecimalType: "decimal",
        ast.BooleanType: "boolean",
        ast.StringType: "pattern",
        ast.TextType: "text",
        ast.DerivedType: "derived",
    }[type(field_type)]


def value_python(value: ast.Value) -> Any:
    """An AST value as a plain Python value (names become strings)."""
    if isinstance(value, ast.ListValue):
        return [value_python(v) for v in value.items]
    if isinstance(value, ast.Regex):
        return value.pattern
    return value.value
