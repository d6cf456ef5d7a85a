"""Joining the shards of a build (`synthspec build --shard K/N`) into one build.

`assemble` checks that the parts are the N shards of one build (the same
identity apart from the shard, every K from 1 to N once, each complete, the
same batch size), then writes a build directory for the merged output: the
parts' journals and rejects ledgers concatenated in shard order, and a
manifest with the unsharded identity.  Resuming that build with the normal
engine finds every record present, runs the dataset validators once over the
whole set, regenerates what they drop through the scheduler and writes one
manifest — exactly what the unsharded build does after its first pass, so a
merge equals the unsharded build record for record (where the backend's
results depend only on their own request; see docs/build.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.journal import AppendFile, read_jsonl_tail_safe
from synthspec.generate.manifest import MANIFEST_VERSION, Manifest
from synthspec.generate.state import BuildLock, BuildPaths, entry_json, parse_entry


def _error(message: str, hint: str | None = None) -> SynthspecError:
    return SynthspecError(message, code=codes.MERGE_FAILED, hint=hint)


def read_parts(parts: list[Path]) -> list[tuple[int, Path, dict[str, Any]]]:
    """(K, path, manifest) of every part, in shard order, after checking they make one whole build."""
    loaded = []
    for part in parts:
        manifest = Manifest(BuildPaths(part).manifest).load()
        if manifest is None:
            raise _error(f"{part} is not a build output (no {BuildPaths(part).manifest.name} beside it)",
                         "name the outputs of `synthspec build SPEC --shard K/N --out PART`")
        shard = (manifest.get("identity") or {}).get("shard")
        if not isinstance(shard, str) or "/" not in shard:
            raise _error(f"{part} is not a shard (built without --shard)")
        if manifest.get("status") != "complete":
            raise _error(f"shard {shard} ({part}) is {manifest.get('status')}, not complete",
                         "re-run its build command to finish it, then merge")
        k, n = (int(x) for x in shard.split("/"))
        loaded.append((k, n, part, manifest))
    ns = {n for _, n, _, _ in loaded}
    if len(ns) != 1:
        raise _error(f"the parts come from different shardings: {sorted(ns)} parts")
    n = ns.pop()
    ks = sorted(k for k, _, _, _ in loaded)
    if ks != list(range(1, n + 1)):
        missing = sorted(set(range(1, n + 1)) - set(ks))
        twice = sorted({k for k in ks if ks.count(k) > 1})
        raise _error(f"the parts are not the {n} shards of one build"
                     + (f"; missing shard(s) {', '.join(f'{k}/{n}' for k in missing)}" if missing else "")
                     + (f"; shard(s) given twice: {twice}" if twice else ""))
    first = _unsharded(loaded[0][3]["identity"])
    for k, _, part, manifest in loaded:
        identity = _unsharded(manifest["identity"])
        changed = sorted(key for key in set(first) | set(identity) if first.get(key) != identity.get(key))
        if changed:
            raise _error(f"shard {k}/{n} ({part}) was built with other settings ({', '.join(changed)})",
                         "every shard must be built from the same spec, seed, count and model")
    sizes = {m.get("batch_size") for _, _, _, m in loaded}
    if len(sizes) != 1:
        raise _error(f"the shards were built with different batch sizes {sorted(map(str, sizes))}",
                     "build every shard with the same --batch-size, so the merge equals an unsharded build")
    return [(k, part, manifest) for k, _, part, manifest in sorted(loaded, key=lambda t: t[0])]


def _unsharded(identity: dict[str, Any]) -> dict[str, Any]:
    return {**identity, "shard": None}


def assemble(out: Path, parts: list[Path], force: bool = False) -> dict[str, Any]:
    """Write the merged build's journal, ledger and manifest beside `out`; returns the parts' first manifest."""
    ordered = read_parts(parts)
    paths = BuildPaths(out)
    if any(Path(part).resolve() == out.resolve() for _, part, _ in ordered):
        raise _error("the merged output cannot be one of the parts")
    with BuildLock(paths.lock):
        existing = [p for p in paths.all() if p.exists()]
        if existing and not force:
            raise SynthspecError(f"{out} already exists", code=codes.OUTPUT_NOT_OURS,
                                 hint="re-run with --force to replace it, or choose another output")
        for path in existing:
            path.unlink()
        journal, rejects = AppendFile(paths.journal), AppendFile(paths.rejects)
        for _, part, _ in ordered:
            part_paths = BuildPaths(part)
            entries = [entry_json(parse_entry(row)) for row in read_jsonl_tail_safe(part_paths.journal,
                                                                                    repair=False)]
            journal.append_lines(entries)
            rejects.append_lines(read_jsonl_tail_safe(part_paths.rejects, repair=False))
        first = ordered[0][2]
        Manifest(paths.manifest).save({
            "manifest_version": MANIFEST_VERSION,
            "identity": _unsharded(first["identity"]),
            "status": "merging",
            "format": first.get("format"),
            "batch_size": first.get("batch_size"),
            "merged_from": [str(part) for _, part, _ in ordered],
            "runs": [run for _, _, m in ordered for run in m.get("runs", [])],
        })
    return first

