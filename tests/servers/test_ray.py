"""`--ray`: a build on a real two-node Ray cluster (two `ray start` processes on loopback).

One build with an actor SIGKILLed mid-build equals the default single-process build (batched
llama.cpp, the same spec, seed and batch size), provenance included: each actor decodes whole
windows of records on a session of the build's batch size, submitted and polled as the
single-process build does, and the window a dead actor had in flight is redone from its start.
Kept small (one reference build, one Ray build) because starting a cluster costs tens of seconds
on this machine.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate import BuildOptions, run_build
from synthspec.generate.backends import open_backend
from synthspec.ir import compile_spec
from synthspec.ir.model import ModelSpec
from tests.servers.helpers import RayCluster

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install synthspec[ray]")

MINI = Path(__file__).resolve().parent.parent / "generate" / "fixtures" / "mini.synth"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = RayCluster(str(tmp_path_factory.mktemp("ray")))
    try:
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.stop()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ray_refuses_a_server_fleet():
    with pytest.raises(SynthspecError) as info:
        open_backend(ModelSpec(servers=("http://127.0.0.1:1",)), ray="")
    assert "M013" in info.value.render()


def test_ray_build_with_a_killed_actor_equals_the_single_process_build(tmp_path, cluster):
    from synthspec.generate.backends.llamacpp import LlamaCppBackend
    from synthspec.generate.backends.raycluster import RayBackend

    spec = compile_spec(MINI).spec.model_copy(update={"count": 6})
    with LlamaCppBackend() as local:  # the default backend and session, on every core of this machine
        reference = run_build(spec, local, BuildOptions(out=tmp_path / "local.jsonl", batch_size=2, progress="off"))
    assert reference.written == 6

    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
    cluster.wait_for_nodes(2)
    backend = RayBackend(None, address=cluster.address)
    killed: list[int] = []
    out = tmp_path / "ray.jsonl"

    def kill_a_busy_actor() -> None:  # after the first batch is safe, SIGKILL an actor that is decoding
        journal = out.with_name(out.name + ".journal.jsonl")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            busy = backend.busy_pids() if journal.exists() and journal.stat().st_size else []
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.01)

    try:
        assert len(backend.actors) == 2 and len({a.node for a in backend.actors}) == 2  # one per node
        assert backend.identity == local.identity  # so provenance says llamacpp and the same model hash
        killer = threading.Thread(target=kill_a_busy_actor, daemon=True)
        killer.start()
        result = run_build(spec, backend, BuildOptions(out=out, batch_size=2, progress="off"))
        killer.join(timeout=5)
        info = backend.manifest_info()["ray"]
    finally:
        backend.close()
    assert killed and info["actors_lost"] >= 1 and info["windows_redone"] >= 1
    assert result.written == 6 and result.failed == 0
    assert _jsonl(out) == _jsonl(reference.paths.out)  # record for record, provenance included
