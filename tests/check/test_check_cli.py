"""`synthspec check` / `explain` / `build` as a user runs them: the same verdict, JSON on errors, verbatim output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthspec.lower import plan_record, plan_records
from synthspec.lower.preflight import check_spec, load_seeds
from tests.conftest import REPO

SEEDS = [
    {"text": "My card :x: was declined [bold]twice[/bold] at the shop", "label": "card"},
    {"text": "The transfer I sent has not arrived yet", "label": "transfer"},
]


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthspec", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


def _spec(tmp_path: Path, body: str) -> Path:
    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in SEEDS), encoding="utf-8")
    path = tmp_path / "s.synth"
    path.write_text(body, encoding="utf-8")
    return path


def test_check_json_prints_the_errors(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'dataset d {\n  count 1.5\n  field text: text\n  field code: string /(a)\\1/\n}\n')
    proc = _cli("check", str(spec), "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["ok"] is False
    (diag,) = [d for d in report["diagnostics"] if d["code"] == "C009"]
    assert (diag["line"], diag["column"]) == (2, 3) and "whole number" in diag["message"]
    assert "Traceback" not in proc.stderr


def test_check_and_build_refuse_the_same_lowering_error(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'dataset d {\n  count 2\n  field code: string /(?=A)[A-Z]{3}/\n}\n')
    checked = _cli("check", str(spec))
    built = _cli("build", str(spec), "--out", str(tmp_path / "out.jsonl"))
    for proc in (checked, built):
        assert proc.returncode == 1, proc.stderr
        assert "error[L002]" in proc.stderr and ":3:22:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_explain_prints_the_prompt_verbatim_and_json_unwrapped(tmp_path: Path) -> None:
    style = "a customer writing to their bank about a card, a transfer or a refund, in plain words, politely"
    spec = _spec(tmp_path, 'dataset d {\n  count 4\n  seeds "seeds.jsonl" { text <- "text" label <- "label" }\n'
                           '  field label: category from seeds\n'
                           f'  field text: text {{ words 3..20 style "{style}" }}\n}}\n')
    proc = _cli("explain", str(spec))
    assert proc.returncode == 0, proc.stderr
    assert ":x:" in proc.stdout and "[bold]twice[/bold]" in proc.stdout  # no emoji, no markup
    assert f'"style": "{style}"' in proc.stdout  # the IR's JSON line is not cut at 80 columns
    ir_start = proc.stdout.index("{")
    ir = json.JSONDecoder().raw_decode(proc.stdout[ir_start:])[0]
    assert ir["name"] == "d"


def test_explain_draws_one_record_equal_to_the_full_plan(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'dataset d {\n  count 25\n  seeds "seeds.jsonl" { text <- "text" label <- "label" }\n'
                           '  field label: category from seeds\n  field n: integer 1..9\n  field b: boolean(0.3)\n'
                           '  field p: decimal 0.25..1.75 places 0\n  field text: text { words 3..20 }\n}\n')
    compiled = check_spec(spec).spec
    seeds = load_seeds(compiled)
    plans = plan_records(compiled, seeds)
    assert [plan_record(compiled, seeds, i) for i in range(compiled.count)] == plans
    assert {p.sampled["p"] for p in plans} == {1.0}  # rounded into the range, never outside it


def test_check_of_ten_million_records_plans_none(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'dataset d {\n  count 10000000\n  field s: category("a", "b")\n'
                           '  field text: text { words 3..20 must include s }\n}\n')
    proc = _cli("check", str(spec))
    assert proc.returncode == 0, proc.stderr
    assert "10000000 records" in proc.stdout


@pytest.fixture(scope="module")
def broken_env(tmp_path_factory) -> dict[str, str]:
    """The broken example plugin installed for real, visible only to the subprocesses given this env."""
    target = tmp_path_factory.mktemp("broken-site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(REPO / "plugins" / "synthspec-broken")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_a_required_plugin_that_failed_to_load_is_named_as_such(broken_env, tmp_path: Path) -> None:
    spec = _spec(tmp_path, "dataset d {\n  count 2\n  field text: text\n  validate broken required\n}\n")
    proc = _cli("check", str(spec), env=broken_env)
    assert proc.returncode == 1
    assert "error[C105]" in proc.stderr and "synthspec-broken 6.6.6" in proc.stderr
    assert "no installed validator named" not in proc.stderr
    optional = _spec(tmp_path, "dataset d {\n  count 2\n  field text: text\n  validate broken\n}\n")
    proc = _cli("check", str(optional), env=broken_env)
    assert proc.returncode == 0 and "warning[W105]" in proc.stderr
