"""The build manifest (lock file): what a build is, so a re-run can tell resume from clash.

`<out>.manifest.json` pins the build identity — spec hash, count, seed,
sampling settings, backend, model hash, seed-file hash.  A re-run with the same
identity resumes; any difference is refused (naming what changed) unless
`--force`, because mixing records from two different builds in one file would
silently break reproducibility.  It also carries counts, token totals (summed
from the journal, so a resume never double-counts) and timings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import ModelIdentity
from synthspec.generate.cache import atomic_write_bytes, text_sha256
from synthspec.ir.model import Spec

MANIFEST_VERSION = 1


def spec_hash(spec: Spec) -> str:
    """Content hash of what a spec asks for, minus what is pinned separately (count, seed, model, paths)."""
    data = spec.model_dump(mode="json", exclude={"count", "seed", "model", "output", "source_file"})
    return text_sha256(json.dumps(_strip_spans(data), sort_keys=True))


def _strip_spans(value: Any) -> Any:
    """Spans (file/line positions) do not change what is generated: leave them out of the hash."""
    if isinstance(value, dict):
        return {k: _strip_spans(v) for k, v in value.items() if k != "span"}
    if isinstance(value, list):
        return [_strip_spans(v) for v in value]
    return value


def build_identity(spec: Spec, model: ModelIdentity, seeds_sha256: str | None) -> dict[str, Any]:
    """Everything that decides the records; equal identity ⇒ identical records."""
    m = spec.model
    return {
        "spec_hash": spec_hash(spec),
        "count": spec.count,
        "seed": spec.seed,
        "backend": model.backend,
        "model": model.model_id,
        "model_sha256": model.model_sha256,
        "sampling": {"temperature": m.temperature, "top_p": m.top_p, "top_k": m.top_k, "max_tokens": m.max_tokens},
        "seeds_sha256": seeds_sha256,
    }


@dataclass
class Manifest:
    """The lock file on disk."""

    path: Path

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SynthspecError(
                f"the build manifest {self.path} is unreadable",
                code="B002",
                hint="re-run with --force to start the build over",
            ) from None

    def save(self, data: dict[str, Any]) -> None:
        from synthspec.generate.journal import write_error

        try:
            atomic_write_bytes(self.path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n")
        except OSError as exc:
            raise write_error(self.path, exc) from None


def check_resumable(previous: dict[str, Any], identity: dict[str, Any], out: Path) -> None:
    """Refuse to resume a build whose identity differs from the one on disk."""
    old = previous.get("identity", {})
    changed = [key for key in identity if old.get(key) != identity[key]]
    if changed:
        details = ", ".join(f"{key}: {old.get(key)!r} → {identity[key]!r}" for key in changed)
        raise SynthspecError(
            f"{out} was built with different settings ({details}); refusing to mix records of two builds",
            code="B001",
            hint="re-run with --force to discard the old records and start over, or choose another --out",
        )
