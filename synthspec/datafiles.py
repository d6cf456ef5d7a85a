"""Reading tables of records (seed files, datasets to validate) from JSONL, CSV and TSV.

Sits below the pipeline: the checker reads a seed file's columns, lowering reads
its category distribution, generation shows seeds in prompts, validators compare
against them.  One reader keeps them all agreeing on what a row is.  Errors are
`SynthspecError`s naming the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthspec.diagnostics import Diagnostic, SynthspecError

FORMATS = ("jsonl", "csv", "tsv")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def infer_format(path: str | Path) -> str | None:
    """The table format implied by a file name, or None if it is not one we read."""
    name = str(path).lower()
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".csv", "csv"), (".tsv", "tsv")):
        if name.endswith(suffix):
            return fmt
    return None


def _error(path: Path, message: str, hint: str | None = None, line: int | None = None) -> SynthspecError:
    return SynthspecError(Diagnostic(code="D001", message=message, file=str(path), line=line, hint=hint))


def read_table(path: str | Path, fmt: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """All rows of a JSONL/CSV/TSV file as dicts (at most `limit`)."""
    path = Path(path)
    fmt = fmt or infer_format(path)
    if fmt not in FORMATS:
        raise _error(path, f"cannot tell the format of {path.name}", "name it .jsonl, .csv or .tsv, or give `format`")
    if not path.exists():
        raise _error(path, "file not found", "check the path; relative paths are relative to the spec file")
    if path.is_dir():
        raise _error(path, "is a directory, not a data file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(path, f"cannot read: {exc.strerror or exc}") from None
    if b"\x00" in raw[:65536]:
        raise _error(path, "looks like a binary file (NUL bytes)", "seed files are UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(path, f"invalid UTF-8 at byte {exc.start}", "save the file as UTF-8", line=line) from None
    rows: list[dict[str, Any]] = []
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _error(path, f"invalid JSON: {exc.msg}", "one JSON object per line", line=number) from None
            if not isinstance(row, dict):
                raise _error(path, "each line must be a JSON object", line=number)
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    else:
        reader = csv.DictReader(text.splitlines(), delimiter="," if fmt == "csv" else "\t")
        try:
            for row in reader:
                rows.append({k: v for k, v in row.items() if k is not None})
                if limit is not None and len(rows) >= limit:
                    break
        except csv.Error as exc:
            raise _error(path, f"malformed {fmt.upper()}: {exc}", line=reader.line_num) from None
    return rows


def read_columns(path: str | Path, fmt: str | None = None) -> list[str]:
    """The column names of a table (the union of keys of the first rows for JSONL)."""
    rows = read_table(path, fmt, limit=50)
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def file_sha256(path: str | Path) -> str:
    """Content hash of a file, for provenance and cache keys."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class SeedExample:
    """One real example: its stable id and its values under the spec's field names."""

    id: str
    values: dict[str, Any]


def load_seed_examples(
    path: str | Path, fmt: str | None, columns: dict[str, str], id_column: str | None = None
) -> list[SeedExample]:
    """Seed rows mapped to field names.  Ids are the id column, else `row-N` (1-based line order)."""
    rows = read_table(path, fmt)
    examples = []
    for number, row in enumerate(rows, start=1):
        values = {field: row.get(column) for field, column in columns.items()}
        seed_id = str(row.get(id_column)) if id_column and row.get(id_column) is not None else f"row-{number}"
        examples.append(SeedExample(id=seed_id, values=values))
    return examples
