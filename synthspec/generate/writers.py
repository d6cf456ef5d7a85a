"""Dataset writers: JSONL, CSV and Parquet outputs of a build.

JSONL and CSV are appended batch by batch, so a long build leaves a readable
partial file at every moment.  Parquet cannot be appended to, so it is written
(atomically) from the journal when the build stops, finished or interrupted.
On resume the output is rewritten from the journal first, which also drops any
torn tail left by a crash.  Provenance is nested JSON in JSONL and a JSON
string column in CSV/Parquet (flat formats have no nesting).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.journal import AppendFile, fsync_dir, write_error

PROVENANCE = "_provenance"


def _flat(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


class DatasetWriter:
    """Writes records (dicts with the spec's fields plus `_provenance`) to one output file."""

    def __init__(self, path: Path, fmt: str, columns: Sequence[str]) -> None:
        self.path = path
        self.fmt = fmt
        self.columns = [*columns, PROVENANCE]
        self._file = AppendFile(path)

    def rewrite(self, records: list[dict[str, Any]]) -> None:
        """Replace the whole output with `records` (resume start, Parquet finish)."""
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "parquet":
                self._write_parquet(tmp, records)
                with open(tmp, "rb+") as handle:  # pyarrow closes without fsync: make the bytes durable first
                    os.fsync(handle.fileno())
            else:
                with open(tmp, "wb") as handle:
                    handle.write(self._encode(records, header=self.fmt == "csv"))
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            fsync_dir(self.path.parent)  # the rename itself survives a power cut
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise write_error(self.path, exc) from None

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append a batch (JSONL/CSV); Parquet waits for `finish`."""
        if self.fmt == "parquet" or not records:
            return
        header = self.fmt == "csv" and (not self.path.exists() or self.path.stat().st_size == 0)
        self._file.append(self._encode(records, header=header))

    def _encode(self, records: list[dict[str, Any]], header: bool) -> bytes:
        if self.fmt == "jsonl":
            return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n")
        if header:
            writer.writeheader()
        for record in records:
            writer.writerow({k: _flat(record.get(k)) for k in self.columns})
        return buffer.getvalue().encode("utf-8")

    def _write_parquet(self, target: Path, records: list[dict[str, Any]]) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise SynthspecError(
                "Parquet output needs pyarrow", code=codes.PARQUET_NEEDS_PYARROW,
                hint="pip install pyarrow, or write JSONL/CSV"
            ) from None
        columns = {name: [_flat(r.get(name)) if name == PROVENANCE else r.get(name) for r in records]
                   for name in self.columns}
        pq.write_table(pa.table(columns), target)
