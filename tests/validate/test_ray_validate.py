"""The Ray Data path on a real local Ray cluster (2 CPUs): same report as the local runner.

Also runs a third-party validator written to the two-phase API (tests/validate/stream_plugin.py)
and an API v1 one, unchanged, on both.  Skipped only where Ray is not installed (it is in the dev extra).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synthspec.validate import minhash
from synthspec.validate.stream import validate_file
from tests.validate.stream_plugin import Shortest, V1Total
from tests.validate.test_stream import assert_same, make_records, suite_spec, with_plugins, write_jsonl

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_ray():
    if not ray.is_initialized():
        path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
                 runtime_env={"env_vars": {"PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}})
    yield
    ray.shutdown()


def test_ray_gives_the_local_report_with_builtins_and_third_party_plugins(
    local_ray, banking_spec, banking_seeds, tmp_path, monkeypatch
) -> None:
    records = make_records(4000, seed=3)
    path = write_jsonl(tmp_path / "data.jsonl", records)
    spec = suite_spec(banking_spec, extra=("shortest", "v1_total"))
    registry = with_plugins(Shortest, V1Total)
    local = validate_file(spec, path, workers=1, seeds=banking_seeds, registry=registry, cache_dir=None,
                          target_bytes=50_000)
    monkeypatch.setattr(minhash, "PARALLEL_MIN", 0)  # the Ray run's finish splits dedup's banding over 2 processes
    on_ray = validate_file(spec, path, workers=2, ray_address="local", seeds=banking_seeds, registry=registry,
                           cache_dir=None, target_bytes=50_000)
    assert on_ray.executor == "ray (2 actors)"
    assert_same(local, on_ray)
    assert len(on_ray.run("dedup").errors) > 100
    assert on_ray.run("shortest").result.metrics["records"] == len(records)
