"""Stage 6: generation — model backends, the engine, resume, provenance, manifest, outputs.

Public surface (what the orchestrator and CLI call):

- `open_backend(model: ModelSpec, *, backend=None, ref=None) -> Backend`
- `run_build(spec, backend, options: BuildOptions, record_check=None, dataset_check=None) -> BuildResult`
- `Rejection(validator, message, field=None, policy="drop")`: what an injected `record_check` returns
- `DatasetCheck`: records in index order -> {position: [Rejection]}; those records are removed and regenerated
"""

from synthspec.generate.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    Backend,
    GenRequest,
    GenResult,
    open_backend,
)
from synthspec.generate.engine import (
    BuildOptions,
    BuildPaths,
    BuildResult,
    DatasetCheck,
    RecordCheck,
    Rejection,
    run_build,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Backend",
    "BuildOptions",
    "BuildPaths",
    "BuildResult",
    "DatasetCheck",
    "GenRequest",
    "GenResult",
    "RecordCheck",
    "Rejection",
    "open_backend",
    "run_build",
]
