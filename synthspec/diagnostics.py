"""Diagnostics: what every stage reports to a person when input is wrong.

A diagnostic carries a stable code (so docs and tests can name it), a place
(`file:line:col`), a message, and a hint that says what to do.  Rendering shows
the offending source line with a caret, the way compilers do.  A
`SynthspecError` is the one exception type the CLI turns into a clean message
and exit code 1; anything else is a bug and shows a traceback only with
`--debug`.

This module sits below the whole pipeline: every stage may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from synthspec import codes

MAX_REPORTED = 50


class Severity(str, Enum):
    """How bad a spec diagnostic or a validator finding is — the one severity type of synthspec.

    A spec ERROR stops `check`/`build`; a validator's ERROR finding triggers its
    policy (drop, fail, flag).  WARNING and INFO are only reported.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a spec (or in any input), with where and what to do."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_column: int | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        """`file:line:col`, or as much of it as is known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self, source: str | None = None) -> str:
        """The diagnostic as plain text: header, source line with caret, hint."""
        out = [f"{self.location}: {self.severity.value}[{self.code}]: {self.message}"]
        snippet = _snippet(source, self.line, self.column, self.end_column)
        if snippet:
            out.extend(snippet)
        for note in self.notes:
            out.append(f"  = note: {note}")
        if self.hint:
            out.append(f"  = hint: {self.hint}")
        return "\n".join(out)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }


def _snippet(source: str | None, line: int | None, column: int | None, end_column: int | None) -> list[str]:
    if source is None or line is None:
        return []
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return []
    text = lines[line - 1].expandtabs(1)
    shown_from = 0
    if len(text) > 160:  # a huge line: show a window around the column
        centre = (column or 1) - 1
        shown_from = max(0, centre - 60)
        text = ("..." if shown_from else "") + text[shown_from : shown_from + 120] + "..."
        if shown_from:
            shown_from -= 3
    gutter = f"{line:>4} | "
    result = [f"{' ' * (len(gutter) - 2)}|", f"{gutter}{text}"]
    if column is not None:
        start = max(0, column - 1 - shown_from)
        width = 1
        if end_column is not None and end_column > column:
            width = min(end_column - column, max(1, len(text) - start))
        result.append(f"{' ' * (len(gutter) - 2)}| {' ' * start}{'^' * width}")
    return result


class SynthspecError(Exception):
    """An error a user can act on: bad input, a missing file, a failed build.

    Carries one or more diagnostics.  The CLI prints them (never a traceback
    unless `--debug`) and exits with `exit_code`.
    """

    def __init__(
        self,
        diagnostics: Diagnostic | list[Diagnostic] | str,
        *,
        hint: str | None = None,
        code: str = codes.UNCATEGORISED,
        exit_code: int = 1,
        sources: dict[str, str] | None = None,
    ) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(code=code, message=diagnostics, hint=hint)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self.exit_code = exit_code
        self.sources = sources or {}
        super().__init__(self.render())

    def render(self) -> str:
        return render_all(self.diagnostics, self.sources)


def render_all(diagnostics: list[Diagnostic], sources: dict[str, str] | None = None, cap: int = MAX_REPORTED) -> str:
    """Render a list of diagnostics, errors first in file order, capped with '... and N more'."""
    sources = sources or {}
    ordered = sorted(
        diagnostics,
        key=lambda d: (d.file or "", d.line or 0, d.column or 0),
    )
    shown = ordered[:cap]
    parts = [d.render(sources.get(d.file or "")) for d in shown]
    if len(ordered) > cap:
        parts.append(f"... and {len(ordered) - cap} more")
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    if errors or warnings:
        parts.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n\n".join(parts)
