"""Ray: the build's model in actors on a cluster, the build itself in this process.

Ray is the engine here, not something we manage: `ray.init(address)` joins a
running cluster (or starts a local one), one actor per CPU slot loads the local
backend (llama.cpp by default) on whichever node Ray places it, and the
scheduler sees a `DecodeSession` with one *lane* per actor.  Each actor holds a
decode session of the build's batch size, exactly the session a
single-process build opens, and the scheduler gives each lane whole windows
of records, submitting and polling on it exactly as it does on the local
session: so every window decodes the same text on an actor as in one process,
and the records are byte-for-byte those of `synthspec build` without `--ray`
at the same seed and batch size.  The driver keeps the single journal, output
and manifest, so resume, exact counts and provenance are those of a
single-process build; the backend's identity is the actors' (they must all
load the same model file).

An actor that dies (its process or its node killed) loses only the window in
flight on it: the scheduler redoes that window from its start (its tokens are
counted as spent), on a replacement actor Ray starts where it finds room.
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
    LaneLost,
    ModelIdentity,
    decode_all,
)

#: a lane that loses its actor this many times in a row without one step coming back (a window that
#: crashes every actor it runs on, or a cluster that keeps killing them): the build stops and says so
MAX_LOSSES_IN_A_ROW = 5


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
        """One local backend in one Ray worker process, with the decode session of one lane."""

        def __init__(self, backend: str, ref: str | None, threads: int) -> None:
            os.environ["SYNTHSPEC_THREADS"] = str(threads)
            if backend == "transformers":
                from synthspec.generate.backends.transformers import TransformersBackend

                self.backend: Backend = TransformersBackend(ref)
            else:
                from synthspec.generate.backends.llamacpp import LlamaCppBackend

                self.backend = LlamaCppBackend(ref, threads=threads)
            self.sessions: dict[int, DecodeSession] = {}

        def identity(self) -> dict[str, Any]:
            return {**dataclasses.asdict(self.backend.identity), "pid": os.getpid(),
                    "node": ray.get_runtime_context().get_node_id()}

        def open(self, lane: int, slots: int) -> None:
            """A fresh decode session for `lane` (an actor hosts another's lanes after it died)."""
            self.close_session(lane)
            self.sessions[lane] = self.backend.open_session(slots)

        def step(self, lane: int, submits: list[tuple[Hashable, GenRequest]]) -> list[tuple[Hashable, GenResult]]:
            """Submit, then poll: the calls a single-process build makes on its session, in its order."""
            session = self.sessions[lane]
            for key, request in submits:
                session.submit(key, request)
            return session.poll()

        def close_session(self, lane: int) -> None:
            session = self.sessions.pop(lane, None)
            if session is not None:
                session.close()

    return ModelActor


@dataclasses.dataclass(eq=False)
class _Actor:
    handle: Any
    pid: int
    node: str
    in_flight: int = 0  # requests of its lanes not yet returned
    lanes: int = 0  # lanes of the open session it hosts
    alive: bool = True


class RayBackend(Backend):
    """A local backend replicated over Ray actors; see the module docstring."""

    name = "ray"

    def __init__(self, ref: str | None = None, *, address: str | None = None, backend: str = "llamacpp",
                 actors: int | None = None, threads: int = 1) -> None:
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
        self.backend_name, self.ref, self.threads = backend, ref, threads
        self._cls = _actor_class(ray)
        count = actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // max(1, threads))
        self.actors: list[_Actor] = []
        self._pending: list[tuple[Any, Any]] = []  # replacements still loading: (handle, identity ref)
        self.lost = 0
        self.redone = 0
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

    def _spawn(self) -> Any:
        return self._cls.remote(self.backend_name, self.ref, self.threads)

    @property
    def identity(self) -> ModelIdentity:
        return self._identity

    def manifest_info(self) -> dict[str, Any]:
        return {"ray": {"address": self.address or "local", "actors": len(self.live()),
                        "nodes": len({a.node for a in self.live()}), "actors_lost": self.lost,
                        "windows_redone": self.redone}}

    # ------------------------------------------------------------ actors

    def live(self) -> list[_Actor]:
        return [a for a in self.actors if a.alive]

    def busy_pids(self) -> list[int]:
        """Processes of the actors that have requests in flight (what a kill would cost)."""
        return [a.pid for a in self.live() if a.in_flight]

    def adopt_ready(self, wait: float = 0.0) -> None:
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

    def died(self, actor: _Actor) -> None:
        """Count a dead actor once and ask Ray for a replacement (placed where there is room)."""
        if actor.alive:
            actor.alive = False
            actor.in_flight = actor.lanes = 0
            self.lost += 1
            handle = self._spawn()
            self._pending.append((handle, handle.identity.remote()))

    def least_loaded(self) -> _Actor:
        """The live actor hosting the fewest lanes (waiting for a replacement if none is alive)."""
        self.adopt_ready()
        if not self.live():
            self.adopt_ready(wait=300.0)
        live = self.live()
        if not live:
            raise SynthspecError("every Ray actor died and no replacement could start", code=codes.RAY_FAILED,
                                 hint="check the cluster (`ray status`), then re-run: finished records are kept")
        return min(live, key=lambda a: (a.lanes, self.actors.index(a)))

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
    """One lane per actor, each lane a decode session of `slots` sequences on its actor (module docstring)."""

    #: what a lane decodes depends on what else is in flight on it, as on the local session
    batch_invariant = False

    def __init__(self, backend: RayBackend, slots: int) -> None:
        super().__init__(slots)
        self.backend = backend
        live = backend.live()
        self.lanes = len(live)
        self._host: list[_Actor] = []
        self._outbox: list[list[tuple[Hashable, GenRequest]]] = [[] for _ in range(self.lanes)]
        self._count = [0] * self.lanes  # submitted to the lane and not yet returned
        self._losses = [0] * self.lanes  # actor losses since the lane's last step came back
        self._steps: dict[Any, int] = {}  # a step in progress -> its lane
        for lane, actor in enumerate(live):
            self._host.append(actor)
            self._open(lane, actor)

    def _open(self, lane: int, actor: _Actor) -> None:
        actor.lanes += 1
        actor.handle.open.remote(lane, self.slots)  # runs before any later call of this driver on that actor

    def _rehost(self, lane: int) -> None:
        """Give `lane` a fresh session on a live actor: at a window's start, or after its host died."""
        old = self._host[lane]
        if old.alive:
            old.lanes -= 1
            old.handle.close_session.remote(lane)
        new = self.backend.least_loaded()
        self._host[lane] = new
        self._open(lane, new)

    def submit(self, key: Hashable, request: GenRequest) -> None:
        self.submit_to(0, key, request)

    def submit_to(self, lane: int, key: Hashable, request: GenRequest) -> None:
        if self._count[lane] == 0:  # a window starts: move off a dead or shared host if a better one is free
            self.backend.adopt_ready()
            host = self._host[lane]
            if not host.alive or (host.lanes > 1 and self.backend.least_loaded().lanes == 0):
                self._rehost(lane)
        self._outbox[lane].append((key, request))
        self._count[lane] += 1
        self._host[lane].in_flight += 1

    def in_flight(self) -> int:
        return sum(self._count)

    def poll(self) -> list[tuple[Hashable, GenResult]]:
        return self.poll_lane()[1]

    def poll_lane(self) -> tuple[int, list[tuple[Hashable, GenResult]]]:
        ray = self.backend.ray
        busy = set(self._steps.values())
        for lane in range(self.lanes):
            if self._count[lane] and lane not in busy:
                submits, self._outbox[lane] = self._outbox[lane], []
                self._steps[self._host[lane].handle.step.remote(lane, submits)] = lane
        if not self._steps:
            return 0, []
        [ref], _ = ray.wait(list(self._steps), num_returns=1)
        lane = self._steps.pop(ref)
        actor = self._host[lane]
        try:
            results = ray.get(ref)
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError) as exc:
            self.backend.died(actor)
            self._losses[lane] += 1
            if self._losses[lane] >= MAX_LOSSES_IN_A_ROW:
                raise SynthspecError(f"a window of records lost its Ray actor {self._losses[lane]} times in a row",
                                     code=codes.RAY_FAILED, hint="check the cluster (`ray status`) and the actors' "
                                     "logs, then re-run: finished records are kept") from None
            self.backend.redone += 1
            self._count[lane] = 0
            self._outbox[lane] = []
            self._rehost(lane)
            raise LaneLost(lane, _cause(exc)) from None
        except ray.exceptions.RayTaskError as exc:  # the backend itself raised (e.g. prompt too long)
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SynthspecError):
                raise cause from None
            raise SynthspecError(f"a Ray actor failed: {_cause(exc)}", code=codes.RAY_FAILED) from None
        self._count[lane] -= len(results)
        self._losses[lane] = 0
        actor.in_flight -= len(results)
        return lane, results

    def close(self) -> None:
        ray = self.backend.ray
        for ref in self._steps:
            ray.cancel(ref)
        self._steps.clear()
        for lane, actor in enumerate(self._host):
            actor.in_flight = 0
            if actor.alive:
                actor.lanes -= 1
                actor.handle.close_session.remote(lane)
