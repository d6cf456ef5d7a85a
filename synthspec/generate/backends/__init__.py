"""Model backends and how a spec's model block picks one.

`open_backend` resolves the model block of a spec (plus CLI overrides) to a
loaded backend.  The default is llama.cpp: measured fastest on CPU for the
embedded model (docs/benchmarks.md, `## Generation`).  A model block with
`servers` defaults to the server-fleet backend (`openai`, also written `server`).
`ray` runs the local backend in actors on a Ray cluster instead of in this
process (docs/scale.md); the records are the same.
"""

from __future__ import annotations

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import Backend, GenRequest, GenResult, ModelIdentity
from synthspec.ir.model import ModelSpec
from synthspec.ir.params import BACKENDS, DEFAULT_BACKEND, canonical_backend  # the one list, with its aliases


def backend_name(model: ModelSpec, override: str | None = None) -> str:
    """Which backend runs: the override, the spec's, `openai` when servers are listed, else the default."""
    name = override or model.backend or ("openai" if model.servers else DEFAULT_BACKEND)
    canonical = canonical_backend(name)
    if canonical is None:
        raise SynthspecError(
            f"unknown backend `{name.lower()}`",
            code=codes.BACKEND_UNKNOWN,
            hint=f"choose one of: {', '.join(BACKENDS)}",
        )
    return canonical


def open_backend(model: ModelSpec, *, backend: str | None = None, ref: str | None = None,
                 ray: str | None = None, allow_unconstrained: bool = False) -> Backend:
    """Load the backend for a model block; `backend`/`ref` are the CLI's --backend/--model overrides.

    `ray` (the CLI's --ray; "" for a local cluster) runs the model in Ray actors;
    `allow_unconstrained` lets a build go on when a server fails the conformance probe.
    """
    name = backend_name(model, backend)
    ref = ref if ref is not None else model.ref
    if ray is not None:
        if name == "openai":
            raise SynthspecError("--ray runs a local model in Ray actors; a server fleet needs no Ray",
                                 code=codes.RAY_NOT_FOR_SERVERS,
                                 hint="drop --ray (the server backend already spreads requests over its servers)")
        from synthspec.generate.backends.raycluster import RayBackend

        return RayBackend(ref, address=ray or None, backend=name)
    if name == "llamacpp":
        from synthspec.generate.backends.llamacpp import LlamaCppBackend

        return LlamaCppBackend(ref)
    if name == "transformers":
        from synthspec.generate.backends.transformers import TransformersBackend

        return TransformersBackend(ref)
    from synthspec.generate.backends.server import ServerBackend

    return ServerBackend(model.servers, ref, dialect=model.dialect, per_server=model.per_server,
                         retries=model.retries, timeout=model.timeout, allow_unconstrained=allow_unconstrained)


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "GenRequest", "GenResult", "ModelIdentity", "backend_name",
           "open_backend"]
