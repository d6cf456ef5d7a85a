"""The on-disk cache: where compiled artefacts live between builds, keyed by content.

Everything cached is keyed by a content hash (grammar text, model file bytes,
tokenizer vocabulary), never by a path or a time, so a stale entry can never be
served for changed input: changed input simply has another key.  The location
is `$SYNTHSPEC_CACHE`, else `~/.cache/synthspec`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from synthspec.datafiles import file_sha256


def cache_dir(*parts: str) -> Path:
    """The cache directory (created on demand), or a sub-directory of it."""
    root = Path(os.environ.get("SYNTHSPEC_CACHE") or Path.home() / ".cache" / "synthspec")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def text_sha256(text: str | bytes) -> str:
    """Hex sha256 of a text (UTF-8) or bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so a reader sees the old content or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are ordinary user files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_file_sha256(path: str | Path) -> str:
    """sha256 of a (large) model file, memoised on disk by (path, size, mtime).

    Hashing a 250 MB GGUF takes about a second; doing it on every build would
    dominate a warm start, so the digest is remembered until the file changes.
    """
    path = Path(path).resolve()
    stat = path.stat()
    key = text_sha256(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    memo = cache_dir("filehash") / f"{key}.json"
    try:
        return json.loads(memo.read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        pass
    digest = file_sha256(path)
    try:
        atomic_write_bytes(memo, json.dumps({"path": str(path), "sha256": digest}).encode())
    except OSError:
        pass  # an unwritable cache only costs time
    return digest


def directory_sha256(path: str | Path) -> str:
    """A content hash of a model directory: names and hashes of its files."""
    root = Path(path).resolve()
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        digest.update(model_file_sha256(file).encode() + b"\n")
    return digest.hexdigest()
