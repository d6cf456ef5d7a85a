"""Per-record signatures shared by validators: computed once a batch, kept for the run, cached on disk.

dedup, seed_copy, contamination and diversity all need "the text of a record"
in some derived form: its normalised text, a key for exact matching, a MinHash
signature, an embedding.  Computing them separately per validator (as the
one-shot validators did) costs the same work three times; here a batch's
`BatchFeatures` computes each once, whichever validator asks first.

Three lifetimes:

* `BatchFeatures` — one batch, in the worker that processes it.
* `RunStore` — the features a validator needs again in `finish` (signatures,
  embeddings), appended batch after batch to flat files in a temporary
  directory and read back as memory maps: the driver never holds them all.
* `SignatureCache` — on disk across runs, keyed by a content hash of the text,
  so re-validating a file after a small change computes signatures and
  embeddings only for records whose text is new.  Shards of sorted 64-bit keys
  plus a raw value file; lookups are binary searches over memory maps.

Exact keys are the first 8 bytes of BLAKE2b over the normalised text: two
different texts share a key with probability ~n²/2⁶⁵ (3·10⁻⁶ at 10M records).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthspec.validate import minhash
from synthspec.validate.text import normalize, text_of

Fields = tuple[str, ...]
FeatureKey = tuple[str, Fields]  # (kind, fields)

PERSISTED = ("exact", "minhash", "embedding")  # kinds kept for `finish` (RunStore)
CACHED = ("minhash", "embedding")  # kinds worth an on-disk cache (expensive to compute)
MINHASH_TAG = f"minhash-k{minhash.SHINGLE}-p{minhash.NUM_PERM}-s1"
EMBEDDING_TAG = "embedding-all-MiniLM-L6-v2"


def content_keys(texts: Sequence[str]) -> np.ndarray:
    """A uint64 content hash per text (BLAKE2b, 8 bytes)."""
    out = np.empty(len(texts), dtype=np.uint64)
    for i, t in enumerate(texts):
        out[i] = int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
    return out


def default_cache_dir() -> Path:
    """`$SYNTHSPEC_CACHE_DIR/signatures`, else `~/.cache/synthspec/signatures` (XDG_CACHE_HOME honoured)."""
    base = os.environ.get("SYNTHSPEC_CACHE_DIR")
    if base:
        return Path(base) / "signatures"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "synthspec" / "signatures"


class SignatureCache:
    """Content-hash-keyed values of one kind (e.g. MinHash signatures) in shards under `root/tag/`.

    Read-only in workers (`lookup`); the driver adds one shard per run
    (`ShardWriter`).  A shard is `keys.npy` (sorted uint64), `rows.npy` (the row
    of each key in `values.bin`) and `meta.json` (dtype, width, count); it is
    written in a temporary folder and renamed into place, so a crash never
    leaves a half shard that a later run would read.
    """

    def __init__(self, root: Path, tag: str) -> None:
        self.dir = Path(root) / tag
        self._shards: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def _load(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if self._shards is None:
            self._shards = []
            if self.dir.is_dir():
                for shard in sorted(self.dir.glob("shard-*")):
                    try:
                        meta = json.loads((shard / "meta.json").read_text())
                        keys = np.load(shard / "keys.npy", mmap_mode="r")
                        rows = np.load(shard / "rows.npy", mmap_mode="r")
                        values = np.memmap(
                            shard / "values.bin",
                            dtype=np.dtype(meta["dtype"]),
                            mode="r",
                            shape=(int(meta["count"]), int(meta["width"])),
                        )
                    except (OSError, ValueError, KeyError):
                        continue  # an unreadable shard is a cache miss, never an error
                    if len(keys):
                        self._shards.append((keys, rows, values))
        return self._shards

    def lookup(self, keys: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Fill `out[i]` for every key found; returns the boolean mask of keys found."""
        found = np.zeros(len(keys), dtype=bool)
        for skeys, rows, values in self._load():
            todo = np.flatnonzero(~found)
            if len(todo) == 0:
                break
            pos = np.searchsorted(skeys, keys[todo])
            pos[pos >= len(skeys)] = 0
            hit = np.asarray(skeys[pos]) == keys[todo]
            if hit.any():
                idx = todo[hit]
                out[idx] = np.asarray(values[np.asarray(rows[pos[hit]])])
                found[idx] = True
        return found

    def shard_count(self) -> int:
        return len(self._load())


class ShardWriter:
    """Appends (key, value) rows of one run and publishes them as one new shard of a `SignatureCache`."""

    def __init__(self, cache: SignatureCache, dtype: np.dtype, width: int) -> None:
        self.cache = cache
        self.dtype = np.dtype(dtype)
        self.width = width
        self.cache.dir.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.cache.dir))
        self._values = open(self.tmp / "values.bin", "wb")
        self._keys: list[np.ndarray] = []
        self.count = 0

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(keys) == 0:
            return
        self._keys.append(np.asarray(keys, dtype=np.uint64))
        self._values.write(np.ascontiguousarray(values, dtype=self.dtype).tobytes())
        self.count += len(keys)

    def publish(self) -> None:
        """Write keys and metadata and rename the shard into place (nothing when no row was added)."""
        self._values.close()
        if self.count == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        keys = np.concatenate(self._keys)
        order = np.argsort(keys, kind="stable")
        np.save(self.tmp / "keys.npy", keys[order])
        np.save(self.tmp / "rows.npy", order.astype(np.int64))
        meta = {"dtype": self.dtype.str, "width": self.width, "count": self.count}
        (self.tmp / "meta.json").write_text(json.dumps(meta))
        os.replace(self.tmp, self.cache.dir / f"shard-{uuid.uuid4().hex}")

    def discard(self) -> None:
        self._values.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class BatchFeatures:
    """What validators share about one batch, computed on first use.

    `cache_dir` (None: no disk cache) is read here, in the worker; the rows
    computed because they were not in the cache are reported by `new_rows`
    so the driver can add them to the cache.
    """

    def __init__(self, records: Sequence[dict[str, Any]], cache_dir: str | None = None) -> None:
        self.records = records
        self.cache_dir = cache_dir
        self._values: dict[FeatureKey, Any] = {}
        self._new: dict[FeatureKey, np.ndarray] = {}  # rows computed (not from the cache)
        self._content: dict[FeatureKey, np.ndarray] = {}  # cache keys of the rows

    def texts(self, fields: Sequence[str]) -> list[str]:
        key = ("text", tuple(fields))
        if key not in self._values:
            self._values[key] = [text_of(r, fields) for r in self.records]
        return self._values[key]

    def normalized(self, fields: Sequence[str]) -> list[str]:
        key = ("normalized", tuple(fields))
        if key not in self._values:
            self._values[key] = [normalize(t) for t in self.texts(fields)]
        return self._values[key]

    def exact_keys(self, fields: Sequence[str]) -> np.ndarray:
        """uint64 content hash of each record's normalised text (equal text <=> equal key, bar collisions)."""
        key = ("exact", tuple(fields))
        if key not in self._values:
            self._values[key] = content_keys(self.normalized(fields))
        return self._values[key]

    def minhash(self, fields: Sequence[str]) -> np.ndarray:
        """(n, 64) uint32 MinHash signatures (a function of the normalised text, so cached by `exact_keys`)."""
        key = ("minhash", tuple(fields))
        if key not in self._values:
            keys = self.exact_keys(fields)
            self._values[key] = self._cached(
                key, keys, MINHASH_TAG, np.dtype(np.uint32), minhash.NUM_PERM,
                lambda idx: minhash.signatures([self.normalized(fields)[i] for i in idx], normalized=True),
            )
        return self._values[key]

    def embeddings(self, fields: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors of the raw texts (cached by a hash of the raw text)."""
        from synthspec.embeddings import DIMENSION, embed

        key = ("embedding", tuple(fields))
        if key not in self._values:
            texts = self.texts(fields)
            self._values[key] = self._cached(
                key, content_keys(texts), EMBEDDING_TAG, np.dtype(np.float32), DIMENSION,
                lambda idx: embed([texts[i] for i in idx]),
            )
        return self._values[key]

    def _cached(self, key: FeatureKey, ckeys: np.ndarray, tag: str, dtype: np.dtype, width: int, compute) -> np.ndarray:
        out = np.empty((len(ckeys), width), dtype=dtype)
        found = np.zeros(len(ckeys), dtype=bool)
        if self.cache_dir is not None:
            found = SignatureCache(Path(self.cache_dir), tag).lookup(ckeys, out)
        missing = np.flatnonzero(~found)
        if len(missing):
            out[missing] = compute(missing)
        self._new[key] = missing
        self._content[key] = ckeys
        return out

    def get(self, kind: str, fields: Sequence[str]) -> np.ndarray | None:
        """As `RunStore.get`, for a one-batch run (the batch is the whole dataset)."""
        return self._values.get((kind, tuple(fields)))

    def export(self) -> dict[FeatureKey, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """The persisted features: kind -> (values, cache keys of new rows, new rows' values)."""
        out = {}
        for key, value in self._values.items():
            if key[0] not in PERSISTED:
                continue
            new = self._new.get(key)
            if new is not None and len(new):
                out[key] = (value, self._content[key][new], value[new])
            else:
                out[key] = (value, None, None)
        return out


RUN_PREFIX = "synthspec-run-"


def sweep_stale_runs(tmp: Path) -> list[Path]:
    """Remove the run folders of validations that were killed (their process is gone); returns them.

    A run's features are gigabytes at 10^7 records (a 2.5 GB signature file), removed when the run ends —
    but a SIGKILL or a lost machine skips that, so each new run clears what dead ones left.  A folder is
    `synthspec-run-<pid>-…`; one whose process still exists is left alone (it may be another run).
    """
    removed: list[Path] = []
    for folder in tmp.glob(f"{RUN_PREFIX}*-*"):
        pid_text = folder.name[len(RUN_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class RunStore:
    """The persisted features of every record of one run, in dataset order, as flat files; `get` maps them.

    Batches must be appended in order (start = records so far).  Also collects
    the rows that were not in the disk cache and publishes them as new cache
    shards when the run ends (`close`).
    """

    def __init__(self, cache_dir: str | None = None, workdir: str | None = None) -> None:
        sweep_stale_runs(Path(workdir or tempfile.gettempdir()))
        self.dir = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-", dir=workdir))
        self.cache_dir = cache_dir
        self._files: dict[FeatureKey, Any] = {}
        self._meta: dict[FeatureKey, tuple[np.dtype, int, int]] = {}  # dtype, width, rows
        self._writers: dict[FeatureKey, ShardWriter] = {}

    def append(self, start: int, features: dict[FeatureKey, tuple[np.ndarray, Any, Any]]) -> None:
        for key, (values, new_keys, new_values) in features.items():
            values = np.asarray(values)
            width = 1 if values.ndim == 1 else values.shape[1]
            if key not in self._files:
                if start != 0:
                    raise RuntimeError(f"feature {key} first appeared at record {start}: ask for it in every batch")
                name = f"{key[0]}-{hashlib.sha1(repr(key[1]).encode()).hexdigest()[:10]}.bin"
                self._files[key] = open(self.dir / name, "wb")
                self._meta[key] = (values.dtype, width, 0)
            dtype, w, rows = self._meta[key]
            if rows != start:
                raise RuntimeError(f"feature {key}: batch at {start} after {rows} rows")
            self._files[key].write(np.ascontiguousarray(values, dtype=dtype).tobytes())
            self._meta[key] = (dtype, w, rows + len(values))
            if new_keys is not None and self.cache_dir is not None and key[0] in CACHED:
                if key not in self._writers:
                    tag = MINHASH_TAG if key[0] == "minhash" else EMBEDDING_TAG
                    self._writers[key] = ShardWriter(SignatureCache(Path(self.cache_dir), tag), dtype, w)
                self._writers[key].add(new_keys, new_values)

    def get(self, kind: str, fields: Sequence[str]) -> np.ndarray | None:
        """The feature for all records as a read-only memory map ((n,) or (n, width)), or None if never computed."""
        key = (kind, tuple(fields))
        if key not in self._files:
            return None
        self._files[key].flush()
        dtype, width, rows = self._meta[key]
        if rows == 0:
            return np.zeros((0, width) if width > 1 else 0, dtype=dtype)
        shape = (rows, width) if width > 1 or kind != "exact" else (rows,)
        return np.memmap(self._files[key].name, dtype=dtype, mode="r", shape=shape)

    def new_rows(self) -> dict[str, int]:
        """kind -> rows computed in this run (the rest came from the disk cache)."""
        return {k[0]: w.count for k, w in self._writers.items()}

    def close(self, publish: bool = True) -> None:
        for f in self._files.values():
            f.close()
        for w in self._writers.values():
            w.publish() if publish else w.discard()
        self._writers.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = [
    "BatchFeatures",
    "RunStore",
    "ShardWriter",
    "SignatureCache",
    "content_keys",
    "default_cache_dir",
    "sweep_stale_runs",
]
