"""Ray: the build's model in actors on a cluster, the build itself in this process.

Ray is the engine here, not something we manage: `ray.init(address)` joins a
running cluster (or starts a local one), one actor per CPU slot loads the local
backend (llama.cpp by default) on whichever node Ray places it, and the
scheduler sees a `DecodeSession` that hands each request to the least busy
actor.  The driver keeps the single journal, output and manifest, so resume,
exact counts and provenance are those of a single-process build; the backend's
identity is the actors' (they must all load the same model file), so the
records are byte-for-byte those of `synthspec build` without `--ray` at the
same seed and batch size.

An actor that dies (its process or its node killed) loses only the requests in
flight on it: they are resubmitted to the others (same request, same seed, so
the same text) and a replacement actor is started where Ray finds room.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import (
    Backend,
    DecodeSession,
    GenRequest,
    GenResult,
    ModelIdentity,
    decode_all,
)

MAX_RESUBMITS = 5  # per request: more means actors keep dying, and the build should stop and say so


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SynthspecError("--ray needs Ray, which is not installed", code=codes.RAY_MISSING,
                             hint='pip install "synthspec[ray]"') from None
    return ray


def _actor_class(ray: Any) -> Any:
    @ray.remote(num_cpus=1, max_restarts=0, max_concurrency=1)
    class ModelActor:
        """One local backend in one Ray worker process."""

        def __init__(self, backend: str, ref: str | None, threads: int) -> None:
            os.environ["SYNTHSPEC_THREADS"] = str(threads)
            if backend == "transformers":
                from synthspec.generate.backends.transformers import TransformersBackend

                self.backend: Backend = TransformersBackend(ref)
            else:
                from synthspec.generate.backends.llamacpp import LlamaCppBackend

                self.backend = LlamaCppBackend(ref, threads=threads)

        def identity(self) -> dict[str, Any]:
            return {**dataclasses.asdict(self.backend.identity), "pid": os.getpid(),
                    "node": ray.get_runtime_context().get_node_id()}

        def generate(self, requests: list[GenRequest]) -> list[GenResult]:
            return self.backend.generate(requests)

    return ModelActor


@dataclasses.dataclass
class _Actor:
    handle: Any
    pid: int
    node: str
    in_flight: int = 0
    alive: bool = True


class RayBackend(Backend):
    """A local backend replicated over Ray actors; see the module docstring."""

    name = "ray"

    def __init__(self, ref: str | None = None, *, address: str | None = None, backend: str = "llamacpp",
                 actors: int | None = None, threads: int = 1, per_actor: int = 2) -> None:
        ray = self.ray = _ray()
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                local = {} if address else {"_node_ip_address": "127.0.0.1"}  # a cluster of our own stays on loopback
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False, ignore_reinit_error=True, **local)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise SynthspecError(f"cannot join the Ray cluster {address or '(local)'}: {exc}", code=codes.RAY_FAILED,
                                     hint="start it with `ray start --head`, and pass its address to --ray "
                                          "(or 'auto' on one of its nodes)") from None
        self.address = address
        if ref is not None and Path(ref).expanduser().exists():
            ref = str(Path(ref).expanduser().resolve())  # actors do not share the driver's working directory
        self.backend_name, self.ref, self.threads, self.per_actor = backend, ref, threads, max(1, per_actor)
        self._cls = _actor_class(ray)
        count = actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // max(1, threads))
        self.actors: list[_Actor] = []
        self._pending: list[tuple[Any, Any]] = []  # replacements still loading: (handle, identity ref)
        self.lost = 0
        self.resubmitted = 0
        handles = [self._spawn() for _ in range(count)]
        try:
            infos = ray.get([h.identity.remote() for h in handles])
        except ray.exceptions.RayError as exc:
            raise SynthspecError(f"a Ray actor could not load the model: {_cause(exc)}", code=codes.RAY_FAILED,
                                 hint="every node needs synthspec and the model file at the same path") from None
        for handle, info in zip(handles, infos, strict=True):
            self.actors.append(_Actor(handle, info["pid"], info["node"]))
        kinds = {(i["backend"], i["model_id"], i["model_sha256"]) for i in infos}
        if len(kinds) != 1:
            self.close()
            raise SynthspecError(f"the Ray actors loaded different models: {sorted(kinds)}", code=codes.RAY_FAILED,
                                 hint="give every node the same model file (--model PATH)")
        backend_, model_id, sha = kinds.pop()
        self._identity = ModelIdentity(backend_, model_id, sha)  # the records are those of that backend
        self.preferred_batch = max(8, 2 * len(self.actors) * self.per_actor)

    def _spawn(self) -> Any:
        return self._cls.remote(self.backend_name, self.ref, self.threads)

    @property
    def identity(self) -> ModelIdentity:
        return self._identity

    def manifest_info(self) -> dict[str, Any]:
        return {"ray": {"address": self.address or "local", "actors": len(self.live()),
                        "nodes": len({a.node for a in self.live()}), "actors_lost": self.lost,
                        "requests_resubmitted": self.resubmitted}}

    # ------------------------------------------------------------ actors

    def live(self) -> list[_Actor]:
        return [a for a in self.actors if a.alive]

    def busy_pids(self) -> list[int]:
        """Processes of the actors that have requests in flight (what a kill would cost)."""
        return [a.pid for a in self.live() if a.in_flight]

    def _adopt_ready(self, wait: float = 0.0) -> None:
        """Move replacement actors that finished loading into the pool."""
        if not self._pending:
            return
        ray = self.ray
        ready, _ = ray.wait([ref for _, ref in self._pending], num_returns=len(self._pending), timeout=wait)
        keep = []
        for handle, ref in self._pending:
            if ref not in ready:
                keep.append((handle, ref))
                continue
            try:
                info = ray.get(ref)
            except ray.exceptions.RayError:
                continue
            self.actors.append(_Actor(handle, info["pid"], info["node"]))
        self._pending = keep

    def _died(self, actor: _Actor) -> None:
        if actor.alive:
            actor.alive = False
            self.lost += 1
            handle = self._spawn()  # Ray places it where there is room
            self._pending.append((handle, handle.identity.remote()))

    def pick(self) -> _Actor:
        self._adopt_ready()
        live = self.live()
        if not live:
            self._adopt_ready(wait=300.0)
            live = self.live()
        if not live:
            raise SynthspecError("every Ray actor died and no replacement could start", code=codes.RAY_FAILED,
                                 hint="check the cluster (`ray status`), then re-run: finished records are kept")
        return min(live, key=lambda a: (a.in_flight, self.actors.index(a)))

    # ------------------------------------------------------------ decoding

    def open_session(self, slots: int) -> DecodeSession:
        return RaySession(self, slots)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        return decode_all(self.open_session(max(1, len(requests))), requests)

    def close(self) -> None:
        ray = getattr(self, "ray", None)
        if ray is None or not ray.is_initialized():
            return
        for actor in getattr(self, "actors", []):
            if actor.alive:
                ray.kill(actor.handle)
        for handle, _ in getattr(self, "_pending", []):
            ray.kill(handle)
        self.actors, self._pending = [], []
        if self._owns_ray:
            ray.shutdown()


def _cause(exc: BaseException) -> str:
    return str(getattr(exc, "cause", None) or exc).strip().splitlines()[-1][:300]


class RaySession(DecodeSession):
    """Requests in flight on the actors; a dead actor's requests go to the others."""

    def __init__(self, backend: RayBackend, slots: int) -> None:
        super().__init__(slots)
        self.backend = backend
        self._refs: dict[Any, tuple[int, Hashable, GenRequest, _Actor, int]] = {}
        self._seq = 0

    def _send(self, seq: int, key: Hashable, request: GenRequest, resubmits: int) -> None:
        actor = self.backend.pick()
        actor.in_flight += 1
        ref = actor.handle.generate.remote([request])
        self._refs[ref] = (seq, key, request, actor, resubmits)

    def submit(self, key: Hashable, request: GenRequest) -> None:
        self._seq += 1
        self._send(self._seq, key, request, 0)

    def in_flight(self) -> int:
        return len(self._refs)

    def poll(self) -> list[tuple[Hashable, GenResult]]:
        ray = self.backend.ray
        out: list[tuple[int, Hashable, GenResult]] = []
        while self._refs and not out:
            refs = list(self._refs)
            ready, _ = ray.wait(refs, num_returns=1)
            more, _ = ray.wait([r for r in refs if r not in ready], num_returns=len(refs) - len(ready), timeout=0)
            for ref in [*ready, *more]:
                seq, key, request, actor, resubmits = self._refs.pop(ref)
                actor.in_flight -= 1
                try:
                    [result] = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                        ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError):
                    self.backend._died(actor)
                    if resubmits >= MAX_RESUBMITS:
                        raise SynthspecError(f"a request was lost {resubmits + 1} times as Ray actors died",
                                             code=codes.RAY_FAILED, hint="check the cluster (`ray status`), then re-run: "
                                                               "finished records are kept") from None
                    self.backend.resubmitted += 1
                    self._send(seq, key, request, resubmits + 1)
                    continue
                except ray.exceptions.RayTaskError as exc:  # the backend itself raised (e.g. prompt too long)
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, SynthspecError):
                        raise cause from None
                    raise SynthspecError(f"a Ray actor failed: {_cause(exc)}", code=codes.RAY_FAILED) from None
                out.append((seq, key, result))
        return [(key, result) for _, key, result in sorted(out, key=lambda item: item[0])]

    def close(self) -> None:
        for ref, (_, _, _, actor, _) in list(self._refs.items()):
            actor.in_flight -= 1
            self.backend.ray.cancel(ref)
        self._refs.clear()
