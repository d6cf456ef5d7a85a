"""Stage 6: generation — model backends, the engine, resume, provenance, manifest, outputs.

Public surface (what the orchestrator and CLI call):

- `open_backend(model: ModelSpec, *, backend=None, ref=None) -> Backend`
- `run_build(spec, backend, options: BuildOptions, record_check=None, dataset_check=None) -> BuildResult`
- `Rejection(validator, message, field=None, policy="drop", findings=())`: what an injected `record_check`
  returns (the validators' record check returns the same type)
- `DatasetCheck`: records in index order -> {position: [Rejection]}; those records are removed and regenerated

Names are imported on first use (PEP 562), so `synthspec.generate.records` (which the validators import
for `Rejection`) does not pull in the engine, the backends or rich.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "BACKENDS": "synthspec.generate.backends",
    "DEFAULT_BACKEND": "synthspec.generate.backends",
    "Backend": "synthspec.generate.backends",
    "GenRequest": "synthspec.generate.backends",
    "GenResult": "synthspec.generate.backends",
    "open_backend": "synthspec.generate.backends",
    "BuildOptions": "synthspec.generate.engine",
    "BuildPaths": "synthspec.generate.state",
    "BuildResult": "synthspec.generate.engine",
    "DatasetCheck": "synthspec.generate.records",
    "RecordCheck": "synthspec.generate.records",
    "Rejection": "synthspec.generate.records",
    "run_build": "synthspec.generate.engine",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'synthspec.generate' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
