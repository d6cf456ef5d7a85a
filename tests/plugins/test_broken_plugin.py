"""A plugin that raises on import is named by package and version, and validation goes on without it.

The broken package (plugins/synthspec-broken) is installed for real with
`pip install --target` into a temporary folder that only the subprocesses
below see on PYTHONPATH, so it never leaks into the rest of the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def broken_env(tmp_path_factory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("broken-site")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(REPO / "plugins" / "synthspec-broken"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthspec", *args], capture_output=True, text=True, env=env, cwd=REPO
    )


def test_plugins_command_reports_the_import_error_by_package_and_version(broken_env) -> None:
    proc = _cli(broken_env, "plugins", "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["broken"]["status"] == "error"
    assert (rows["broken"]["package"], rows["broken"]["version"]) == ("synthspec-broken", "6.6.6")
    assert "refuses to import" in rows["broken"]["error"]
    assert rows["schema"]["status"] == "loaded"


def test_validate_goes_on_without_it(broken_env, tmp_path: Path) -> None:
    spec = tmp_path / "s.synth"
    spec.write_text('dataset d { output "o.jsonl" field text: text validate broken, forbidden }\n')
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "hello"}\n{"text": "mail me: x@example.com"}\n')
    proc = _cli(broken_env, "validate", str(data), "--spec", str(spec), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    runs = {r["name"]: r for r in report["validators"]}
    assert runs["forbidden"]["status"] == "triggered" and report["dropped"] == [1]
    assert runs["broken"]["status"] == "unavailable"
    assert "synthspec-broken 6.6.6" in runs["broken"]["error"]
    assert any(
        f["package"] == "synthspec-broken" and f["version"] == "6.6.6" for f in report["plugin_failures"]
    )
    text = _cli(broken_env, "validate", str(data), "--spec", str(spec))
    assert "synthspec-broken 6.6.6" in text.stdout


def test_a_required_broken_plugin_stops_the_run(broken_env, tmp_path: Path) -> None:
    spec = tmp_path / "s.synth"
    spec.write_text('dataset d { output "o.jsonl" field text: text validate broken required }\n')
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "hello"}\n')
    proc = _cli(broken_env, "validate", str(data), "--spec", str(spec))
    assert proc.returncode == 1 and "broken" in proc.stderr and "Traceback" not in proc.stderr


def test_without_the_folder_on_the_path_it_is_not_installed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "synthspec", "plugins", "--json"], capture_output=True, text=True, cwd=REPO
    )
    assert "broken" not in {r["name"] for r in json.loads(proc.stdout)}
