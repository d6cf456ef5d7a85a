"""A failing plugin fails: wrong return types and crashes are that validator's `crashed` run, named by
package and version; under policy `fail` they fail the run; load failures of plugins the spec does not
use stay out of its report.

The fixture packages (plugins/synthspec-misbehaving, plugins/synthspec-broken) are installed for real with
`pip install --target` into a temporary folder that only the subprocesses below see on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = "synthspec-misbehaving 0.0.7"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("failing-site")
    for name in ("synthspec-misbehaving", "synthspec-broken"):
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--target", str(target), str(REPO / "plugins" / name)],
            capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stderr
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _validate(env, tmp_path: Path, validators: str, *extra: str) -> subprocess.CompletedProcess:
    spec = tmp_path / "s.synth"
    spec.write_text(f'dataset d {{ output "o.jsonl" field text: text validate {validators} }}\n')
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "hello there"}\n{"text": "mail me: x@example.com"}\n')
    return subprocess.run([sys.executable, "-m", "synthspec", "validate", str(data), "--spec", str(spec), *extra],
                          capture_output=True, text=True, env=env, cwd=REPO)


def _runs(proc: subprocess.CompletedProcess) -> tuple[dict, dict]:
    report = json.loads(proc.stdout)
    return report, {r["name"]: r for r in report["validators"]}


def test_check_record_returning_a_string_is_a_crash_named_by_package(env, tmp_path) -> None:
    proc = _validate(env, tmp_path, "returns_text, forbidden(detector = \"regex\")", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr
    report, runs = _runs(proc)
    assert runs["returns_text"]["status"] == "crashed"
    assert PACKAGE in runs["returns_text"]["error"] and "returned str" in runs["returns_text"]["error"]
    assert runs["forbidden"]["status"] == "triggered" and report["dropped"] == [1]  # the others still ran
    assert report["failed"] is False  # policy flag: reported, not fatal


@pytest.mark.parametrize("validators", ["explodes fail", "returns_text fail"])
def test_a_fail_validator_that_crashes_fails_the_run(env, tmp_path, validators) -> None:
    proc = _validate(env, tmp_path, f"{validators}, schema", "--json")
    assert proc.returncode == 1, proc.stderr
    report, runs = _runs(proc)
    name = validators.split()[0]
    assert runs[name]["status"] == "crashed" and PACKAGE in runs[name]["error"]
    assert report["failed"] is True and runs["schema"]["status"] == "ok"
    text = _validate(env, tmp_path, f"{validators}, schema")
    assert text.returncode == 1 and "internal error" not in text.stderr


def test_a_crash_under_flag_does_not_fail_the_run(env, tmp_path) -> None:
    proc = _validate(env, tmp_path, "explodes", "--json")
    assert proc.returncode == 0
    report, runs = _runs(proc)
    assert runs["explodes"]["status"] == "crashed" and "RuntimeError: boom" in runs["explodes"]["error"]
    assert report["failed"] is False


def test_a_fail_validator_that_cannot_load_fails_the_run(env, tmp_path) -> None:
    proc = _validate(env, tmp_path, "broken fail, schema", "--json")
    assert proc.returncode == 1
    report, runs = _runs(proc)
    assert runs["broken"]["status"] == "unavailable" and report["failed"] is True


def test_load_failures_of_unused_plugins_stay_out_of_the_report(env, tmp_path) -> None:
    proc = _validate(env, tmp_path, "schema", "--json")
    report, _ = _runs(proc)
    assert report["plugin_failures"] == []
    text = _validate(env, tmp_path, "schema")
    assert "synthspec-broken" not in text.stdout + text.stderr
    named = _validate(env, tmp_path, "broken, schema")
    assert "synthspec-broken 6.6.6" in named.stdout
    listing = subprocess.run([sys.executable, "-m", "synthspec", "plugins", "--json"], capture_output=True,
                             text=True, env=env, cwd=REPO)
    rows = {r["name"]: r for r in json.loads(listing.stdout)}
    assert rows["broken"]["status"] == "error" and rows["returns_text"]["status"] == "loaded"


BUILD_CHECK = """
import sys
from synthspec.diagnostics import SynthspecError
from synthspec.validate import make_record_check
from synthspec.validate.testing import compile_text
spec = compile_text('dataset d {{ output "o.jsonl" field text: text validate returns_text {policy} }}')
check = make_record_check(spec, seeds=[])
try:
    print([(r.validator, r.policy, r.message) for r in check({{"text": "hi"}})])
except SynthspecError as exc:
    print("ERROR", exc.diagnostics[0].code, exc.diagnostics[0].message)
"""


@pytest.mark.parametrize("policy,expected", [("flag", "validator crashed: TypeError: check_record returned str"),
                                             ("fail", "ERROR V003 validator (policy fail) 'returns_text' crashed")])
def test_the_build_record_check_handles_the_wrong_type(env, policy, expected) -> None:
    proc = subprocess.run([sys.executable, "-c", BUILD_CHECK.format(policy=policy)], capture_output=True,
                          text=True, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout and PACKAGE in proc.stdout
