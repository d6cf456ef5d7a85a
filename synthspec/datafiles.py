"""Reading tables of records (seed files, datasets to validate) from JSONL, CSV, TSV and Parquet.

Sits below the pipeline: the checker reads a seed file's columns, lowering reads
its category distribution, generation shows seeds in prompts, validators and
`validate` / `release` / `combine` read datasets.  One reader keeps them all
agreeing on what a row is, and one table (`SUFFIX_FORMATS`) says which file
name means which format.  Errors are `SynthspecError`s (code D001) naming the
file and line.

What a row is, per format:

- JSONL: one JSON object per line, lines split on ``\\n`` only.  U+2028 / U+2029
  (and a lone ``\\r`` or form feed) inside a string are data, not line breaks —
  synthspec itself writes JSONL with ``ensure_ascii=False``, so they occur raw.
- CSV / TSV: the stdlib csv module over the stream, so a quoted field may hold
  newlines (``"line one\\nline two"`` stays one value with its newline).
- Parquet: pyarrow, in record batches (the optional `parquet` extra).

Everything is read as a stream: `iter_record_batches` yields lists of at most
`batch_size` rows and never holds the whole file, so a large dataset can be
validated piece by piece; `read_records` collects them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from synthspec import codes
from synthspec.diagnostics import Diagnostic, SynthspecError

# The one "file name → format" table: seeds, datasets to validate, build and combine outputs all use it.
SUFFIX_FORMATS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}
FORMATS = ("jsonl", "csv", "tsv", "parquet")
TEXT_FORMATS = ("jsonl", "csv", "tsv")
DEFAULT_BATCH = 1024
_SNIFF_BYTES = 65536

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def infer_format(path: str | Path) -> str | None:
    """The table format implied by a file name, or None if it is not one we read."""
    name = str(path).lower()
    for suffix, fmt in SUFFIX_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    return None


def suffixes_for(formats: Iterable[str]) -> str:
    """`.jsonl, .csv or .parquet`: the file names a command accepts, for hints."""
    wanted = set(formats)
    names = [s for s, f in SUFFIX_FORMATS.items() if f in wanted and s not in (".ndjson", ".json")]
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1] if names else ""


def _error(path: Path, message: str, hint: str | None = None, line: int | None = None) -> SynthspecError:
    return SynthspecError(Diagnostic(code=codes.DATA_FILE_UNREADABLE, message=message, file=str(path), line=line, hint=hint))


def _resolve(path: str | Path, fmt: str | None) -> tuple[Path, str]:
    path = Path(path)
    fmt = fmt or infer_format(path)
    if fmt not in FORMATS:
        raise _error(path, f"cannot tell the format of {path.name}",
                     "name it .jsonl, .csv, .tsv or .parquet, or give `format`")
    if not path.exists():
        raise _error(path, "file not found", "check the path; relative paths are relative to the spec file")
    if path.is_dir():
        raise _error(path, "is a directory, not a data file")
    return path, fmt


def _open(path: Path) -> BinaryIO:
    try:
        return open(path, "rb", buffering=_SNIFF_BYTES)  # noqa: SIM115 - closed by the generator owning it
    except OSError as exc:
        raise _error(path, f"cannot read: {exc.strerror or exc}") from None


def _text_lines(path: Path, handle: BinaryIO) -> Iterator[tuple[int, str]]:
    """(1-based line number, decoded line with its ending) for each `\\n`-terminated line.

    Binary iteration splits on b"\\n" only, so U+2028/U+2029/\\r inside a line stay
    where they are.  A leading UTF-8 BOM is dropped; NUL bytes in the first
    64 KiB mean a binary file; invalid UTF-8 is an error at its line.
    """
    head = handle.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]  # type: ignore[attr-defined]
    if b"\x00" in head:
        raise _error(path, "looks like a binary file (NUL bytes)", "data files are UTF-8 text (or .parquet)")
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _error(path, f"invalid UTF-8 at byte {exc.start} of the line", "save the file as UTF-8",
                         line=number) from None


def _jsonl_rows(path: Path, handle: BinaryIO) -> Iterator[dict[str, Any]]:
    for number, line in _text_lines(path, handle):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _error(path, f"invalid JSON: {exc.msg}", "one JSON object per line",
                         line=number) from None
        except RecursionError:
            raise _error(path, "JSON nested too deeply", line=number) from None
        if not isinstance(row, dict):
            raise _error(path, "each line must be a JSON object", "one JSON object per line", line=number)
        yield row


def _delimited_rows(path: Path, handle: BinaryIO, fmt: str) -> Iterator[dict[str, Any]]:
    position = {"line": 0}

    def lines() -> Iterator[str]:
        for number, line in _text_lines(path, handle):
            position["line"] = number
            yield line

    reader = csv.reader(lines(), delimiter="," if fmt == "csv" else "\t", strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip() and len(header) > 1):
                continue  # blank line
            if len(row) > len(header):
                raise _error(path, f"row has {len(row)} fields but the header has {len(header)}",
                             "quote values that contain the delimiter", line=reader.line_num)
            yield {name: (row[i] if i < len(row) else None) for i, name in enumerate(header)}
    except csv.Error as exc:
        raise _error(path, f"malformed {fmt.upper()}: {exc}", line=position["line"]) from None


def _parquet_batches(path: Path, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise _error(path, "reading Parquet needs pyarrow", "pip install 'synthspec[parquet]'") from None
    try:
        reader = pq.ParquetFile(path)
        for batch in reader.iter_batches(batch_size=batch_size):
            yield batch.to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise _error(path, f"not a readable Parquet file: {exc}", "write it with pyarrow or pandas") from None


def iter_record_batches(
    path: str | Path, batch_size: int = DEFAULT_BATCH, fmt: str | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The rows of a JSONL / CSV / TSV / Parquet file as lists of at most `batch_size` dicts, streamed.

    The file is opened when iteration starts and closed when it ends (or the
    iterator is closed); bad input raises `SynthspecError` D001 at the line
    where it is found, after the batches before it were yielded.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    path, fmt = _resolve(path, fmt)
    if fmt == "parquet":
        yield from _parquet_batches(path, batch_size)
        return
    with _open(path) as handle:
        rows = _jsonl_rows(path, handle) if fmt == "jsonl" else _delimited_rows(path, handle, fmt)
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch


def iter_records(path: str | Path, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """The rows of a table one by one (streamed; see `iter_record_batches`)."""
    for batch in iter_record_batches(path, DEFAULT_BATCH, fmt):
        yield from batch


def read_records(path: str | Path, fmt: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """All rows of a JSONL / CSV / TSV / Parquet file as dicts (at most `limit`)."""
    rows: list[dict[str, Any]] = []
    if limit is not None and limit <= 0:
        return rows
    batches = iter_record_batches(path, min(limit, DEFAULT_BATCH) if limit else DEFAULT_BATCH, fmt)
    try:
        for batch in batches:
            rows.extend(batch)
            if limit is not None and len(rows) >= limit:
                return rows[:limit]
    finally:
        batches.close()
    return rows


# The name the seed-reading callers have always used; the same reader.
read_table = read_records


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
    """Seed rows mapped to field names.  Ids are the id column, else `row-N` (1-based row order)."""
    examples = []
    for number, row in enumerate(iter_records(path, fmt), start=1):
        values = {field: row.get(column) for field, column in columns.items()}
        seed_id = str(row.get(id_column)) if id_column and row.get(id_column) is not None else f"row-{number}"
        examples.append(SeedExample(id=seed_id, values=values))
    return examples
