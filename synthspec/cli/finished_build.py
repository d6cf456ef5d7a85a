"""Reading what a finished build wrote: the commands that act on a dataset after `synthspec build`.

`release` and `combine` must only ever see a complete build, as the build
wrote it, so both go through `load_finished_build`: the manifest must say
`complete` and the data file must hold the records the build counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthspec import codes
from synthspec.datafiles import read_records
from synthspec.diagnostics import SynthspecError

if TYPE_CHECKING:
    from synthspec.ir.model import Spec


@dataclass
class FinishedBuild:
    """A complete build's data file, its manifest and its records."""

    data: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]


def load_finished_build(spec: Spec, data_arg: str | None, spec_path: str) -> FinishedBuild:
    """The build of `spec` (or the file `data_arg`), refused unless it is complete and unchanged."""
    from synthspec.cli.build_cmd import output_target

    data = Path(data_arg) if data_arg else output_target(spec, None)[0]
    build_hint = f"build it first: synthspec build {spec_path}"
    if not data.exists():
        raise SynthspecError(f"{data} does not exist", code=codes.NOT_A_FINISHED_BUILD, hint=build_hint)
    manifest_path = data.with_name(data.name + ".manifest.json")
    if not manifest_path.exists():
        raise SynthspecError(f"{data} has no build manifest ({manifest_path.name})", code=codes.NOT_A_FINISHED_BUILD,
                             hint=f"only what a build wrote can be used here; {build_hint}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SynthspecError(f"the build manifest {manifest_path} is unreadable", code=codes.NOT_A_FINISHED_BUILD,
                             hint=f"rebuild: synthspec build {spec_path} --force") from None
    status = manifest.get("status")
    if status != "complete":
        raise SynthspecError(f"the build of {data} is {status or 'unfinished'}, not complete", code=codes.BUILD_INCOMPLETE,
                             hint=f"finish it first: synthspec build {spec_path}")
    records = read_records(data)
    written = manifest.get("counts", {}).get("written")
    if len(records) != written:
        raise SynthspecError(f"{data} holds {len(records)} records but its build wrote {written}: it was changed "
                             "after the build", code=codes.BUILD_INCOMPLETE, hint=f"rebuild it: synthspec build {spec_path}")
    return FinishedBuild(data, manifest, records)
