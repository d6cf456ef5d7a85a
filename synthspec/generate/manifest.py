"""The build manifest (lock file): what a build is, so a re-run can tell resume from clash.

`<out>.manifest.json` pins the build identity — spec hash, count, seed,
every model setting, backend, model hash, the contents of the prompt template
and the seed file, and the shard.  A re-run with the same
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

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import ModelIdentity
from synthspec.generate.cache import atomic_write_bytes, text_sha256
from synthspec.ir.model import TRANSPORT_SETTINGS, Spec

MANIFEST_VERSION = 2


def spec_hash(spec: Spec) -> str:
    """Content hash of what a spec asks for, minus what is pinned separately or is only a location.

    Left out: count, seed and the model block (pinned on their own), the output,
    and every path (the spec file's, the prompt template's, the seed file's) —
    the template's and seed file's *contents* are hashed instead, so moving the
    checkout never refuses a resume and editing a file always does.
    """
    data = spec.model_dump(mode="json", exclude={"count", "seed", "model", "output", "source_file",
                                                 "prompt_template"})
    if isinstance(data.get("seeds"), dict):
        data["seeds"] = {k: v for k, v in data["seeds"].items() if k not in ("path", "resolved_path")}
    return text_sha256(json.dumps(_strip_spans(data), sort_keys=True))


def _strip_spans(value: Any) -> Any:
    """Spans (file/line positions) do not change what is generated: leave them out of the hash."""
    if isinstance(value, dict):
        return {k: _strip_spans(v) for k, v in value.items() if k != "span"}
    if isinstance(value, list):
        return [_strip_spans(v) for v in value]
    return value


def template_sha256(spec: Spec) -> str | None:
    """Content hash of the spec's prompt template file (None: the built-in template, pinned by the version)."""
    if not spec.prompt_template:
        return None
    path = Path(spec.prompt_template)
    try:
        return text_sha256(path.read_bytes())
    except OSError:
        return None  # lowering reports the missing template with its location


def model_settings(spec: Spec) -> dict[str, Any]:
    """Every setting of the model block except where the model is (its content is pinned by `model_sha256`).

    Derived from the model's dump, so a setting added to `ModelSpec` (e.g.
    `repeat_penalty`) is part of the identity without anyone listing it here.
    """
    return spec.model.model_dump(mode="json", exclude={"ref", *TRANSPORT_SETTINGS})


def build_identity(spec: Spec, model: ModelIdentity, seeds_sha256: str | None,
                   shard: tuple[int, int] | None = None) -> dict[str, Any]:
    """Everything that decides the records; equal identity ⇒ identical records."""
    return {
        "spec_hash": spec_hash(spec),
        "count": spec.count,
        "seed": spec.seed,
        "backend": model.backend,
        "model": model.model_id,
        "model_sha256": model.model_sha256,
        "sampling": model_settings(spec),  # every model setting (the name predates repeat_penalty &c.)
        "prompt_template_sha256": template_sha256(spec),
        "seeds_sha256": seeds_sha256,
        "shard": f"{shard[0]}/{shard[1]}" if shard else None,
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
                code=codes.MANIFEST_UNREADABLE,
                hint="re-run with --force to start the build over",
            ) from None

    def save(self, data: dict[str, Any]) -> None:
        from synthspec.generate.journal import fsync_dir, write_error

        try:
            atomic_write_bytes(self.path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n")
            fsync_dir(self.path.parent)
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
            code=codes.BUILD_SETTINGS_CHANGED,
            hint="re-run with --force to discard the old records and start over, or choose another --out",
        )
