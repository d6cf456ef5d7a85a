"""A validation killed mid-run leaves its feature files behind; the next run removes them, and only them."""

from __future__ import annotations

import os
import subprocess
import sys

from synthspec.validate.signatures import RUN_PREFIX, RunStore, sweep_stale_runs


def test_the_next_run_removes_what_a_killed_run_left_and_keeps_live_runs(tmp_path) -> None:
    # a real process that dies without cleaning up: its folder names a pid that no longer exists
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    dead = tmp_path / f"{RUN_PREFIX}{int(child.stdout)}-abc"
    dead.mkdir()
    (dead / "minhash.bin").write_bytes(b"\0" * 4096)
    live = tmp_path / f"{RUN_PREFIX}{os.getpid()}-def"  # this process: alive
    live.mkdir()
    unrelated = tmp_path / "synthspec-run-notes"
    unrelated.mkdir()
    store = RunStore(workdir=str(tmp_path))
    try:
        assert not dead.exists()
        assert live.exists() and unrelated.exists() and store.dir.exists()
        assert store.dir.name.startswith(f"{RUN_PREFIX}{os.getpid()}-")
        assert sweep_stale_runs(tmp_path) == []  # nothing else to remove; the running store is kept
    finally:
        store.close()
    assert not store.dir.exists()
