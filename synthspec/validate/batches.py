"""Streaming reads for validation: a data file as a sequence of small, self-describing chunks.

`plan_chunks(path)` makes one cheap pass that only finds chunk boundaries and
the global index of each chunk's first record; a `Chunk` is then read by
whichever worker processes it (another process, a Ray actor), so the driver
never holds the records and no record is pickled between processes:

* JSONL: byte ranges ending at line ends (a JSON string cannot hold a raw
  newline); each line parsed with `json.loads`, as `read_table` does, with the
  same `D001` errors naming the line.  pyarrow.json is not used because it
  infers one type per column and rejects mixed-type columns read_table accepts.
* CSV/TSV: pyarrow's streaming CSV reader with every column read as a string
  (as the csv module does), chunks carried as Arrow tables.
* Parquet: row groups, read by the worker with pyarrow.

For a Ray cluster the file must be at the same path on every node.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.datafiles import infer_format
from synthspec.diagnostics import Diagnostic, SynthspecError

TARGET_BYTES = 4 << 20  # ~4 MiB of text a chunk: ~40k short records, ~4k 150-word ones
STREAM_FORMATS = ("jsonl", "csv", "tsv", "parquet")


def stream_format(path: str | Path) -> str | None:
    """The format of a data file for streaming (read_table's formats plus Parquet)."""
    name = str(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return infer_format(path)


def _error(path: str | Path, message: str, hint: str | None = None, line: int | None = None) -> SynthspecError:
    return SynthspecError(Diagnostic(code=codes.DATA_FILE_UNREADABLE, message=message, file=str(path), line=line, hint=hint))


@dataclass(frozen=True)
class Chunk:
    """Records [start, start + count) of `path`: a byte range (JSONL), row groups (Parquet) or an Arrow table."""

    path: str
    fmt: str
    start: int
    count: int
    offset: int = 0  # JSONL: byte offset
    length: int = 0  # JSONL: byte length
    first_line: int = 1  # JSONL: line number of the first byte
    row_groups: tuple[int, ...] = ()  # Parquet
    table: Any = None  # CSV/TSV: a pyarrow.Table of strings

    def records(self) -> list[dict[str, Any]]:
        if self.fmt == "jsonl":
            return self._jsonl()
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(self.path).read_row_groups(list(self.row_groups)).to_pylist()
        if isinstance(self.table, list):
            return self.table
        return self.table.to_pylist()

    def _jsonl(self) -> list[dict[str, Any]]:
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            raw = fh.read(self.length)
        if self.offset == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        rows: list[dict[str, Any]] = []
        for number, line in enumerate(raw.split(b"\n"), start=self.first_line):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except UnicodeDecodeError:
                raise _error(self.path, "invalid UTF-8", "save the file as UTF-8", line=number) from None
            except json.JSONDecodeError as exc:
                raise _error(self.path, f"invalid JSON: {exc.msg}", "one JSON object per line", line=number) from None
            if not isinstance(row, dict):
                raise _error(self.path, "each line must be a JSON object", line=number)
            rows.append(row)
        return rows


def _check_file(path: Path) -> None:
    if not path.exists():
        raise _error(path, "file not found", "check the path")
    if path.is_dir():
        raise _error(path, "is a directory, not a data file")


def plan_chunks(path: str | Path, target_bytes: int = TARGET_BYTES) -> Iterator[Chunk]:
    """The chunks of a data file, in order, each knowing the global index of its first record."""
    path = Path(path)
    fmt = stream_format(path)
    if fmt not in STREAM_FORMATS:
        raise _error(path, f"cannot tell the format of {path.name}", "name it .jsonl, .csv, .tsv or .parquet")
    _check_file(path)
    if fmt == "jsonl":
        yield from _jsonl_chunks(path, target_bytes)
    elif fmt == "parquet":
        yield from _parquet_chunks(path, target_bytes)
    else:
        yield from _csv_chunks(path, fmt, target_bytes)


def _jsonl_chunks(path: Path, target_bytes: int) -> Iterator[Chunk]:
    start = 0
    offset = 0
    line = 1
    carry = b""
    with open(path, "rb") as fh:
        head = fh.read(65536)
        if b"\x00" in head:
            raise _error(path, "looks like a binary file (NUL bytes)", "data files are UTF-8 text")
        fh.seek(0)
        while True:
            block = fh.read(target_bytes)
            data = carry + block
            if not block:
                if data.strip():
                    yield Chunk(str(path), "jsonl", start, _count(data), offset, len(data), line)
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            piece, carry = data[: cut + 1], data[cut + 1 :]
            count = _count(piece)
            if count:
                yield Chunk(str(path), "jsonl", start, count, offset, len(piece), line)
            start += count
            offset += len(piece)
            line += piece.count(b"\n")


def _count(data: bytes) -> int:
    """Non-blank lines (read_table skips blank ones, so record indices skip them too)."""
    lines = data.split(b"\n")
    return sum(1 for x in lines if x.strip())


def _parquet_chunks(path: Path, target_bytes: int) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise _error(path, f"not a readable Parquet file: {exc}") from None
    start = 0
    groups: list[int] = []
    count = size = 0
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        groups.append(g)
        count += rg.num_rows
        size += rg.total_byte_size
        if size >= target_bytes:
            yield Chunk(str(path), "parquet", start, count, row_groups=tuple(groups))
            start += count
            groups, count, size = [], 0, 0
    if groups:
        yield Chunk(str(path), "parquet", start, count, row_groups=tuple(groups))


def _csv_chunks(path: Path, fmt: str, target_bytes: int) -> Iterator[Chunk]:
    import csv

    delimiter = "," if fmt == "csv" else "\t"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh, delimiter=delimiter), None)
    if not header:
        return
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pyarrow is optional: the csv module, in chunks of rows
        yield from _csv_chunks_plain(path, fmt, delimiter)
        return
    names = [h if h else f"_column{i}" for i, h in enumerate(header)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=max(1 << 16, target_bytes), column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        start = 0
        for batch in reader:
            if batch.num_rows:
                yield Chunk(str(path), fmt, start, batch.num_rows, table=pa.Table.from_batches([batch]))
                start += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise _error(path, f"malformed {fmt.upper()}: {exc}") from None


def _csv_chunks_plain(path: Path, fmt: str, delimiter: str, rows_per_chunk: int = 20_000) -> Iterator[Chunk]:
    import csv

    start = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        rows: list[dict[str, Any]] = []
        try:
            for row in reader:
                rows.append({k: v for k, v in row.items() if k is not None})
                if len(rows) >= rows_per_chunk:
                    yield Chunk(str(path), fmt, start, len(rows), table=rows)
                    start, rows = start + len(rows), []
        except csv.Error as exc:
            raise _error(path, f"malformed {fmt.upper()}: {exc}", line=reader.line_num) from None
    if rows:
        yield Chunk(str(path), fmt, start, len(rows), table=rows)


__all__ = ["Chunk", "STREAM_FORMATS", "plan_chunks", "stream_format"]
