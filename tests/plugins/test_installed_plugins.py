"""The two example third-party plugins, installed with pip as a user would (`pip install ./plugins/<name>`).

They must be installed in the test environment (see docs/plugins.md); these
tests go through the real entry points, the real checker and the real CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.ir.compile import compile_spec
from synthspec.validate.finder import find_plugins, load_plugins
from synthspec.validate.registry import validator_param_models
from tests.conftest import REPO

PLUGINS = {
    "reading_level": ("synthspec-readability", "0.2.0"),
    "toxicity": ("synthspec-toxicity-lexicon", "0.1.3"),
}


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthspec", *args], capture_output=True, text=True, **kw)


def test_plugins_are_found_with_package_and_version_and_load() -> None:
    found = {p.name: (p.package, p.version) for p in find_plugins()}
    for name, where in PLUGINS.items():
        assert found.get(name) == where, f"{where[0]} is not installed: pip install ./plugins/{where[0]}"
    loaded = load_plugins(find_plugins())
    assert set(PLUGINS) <= set(loaded.plugins) and not loaded.failures


def test_plugins_command_lists_them() -> None:
    proc = _cli("plugins", "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["toxicity"]["status"] == "loaded" and rows["toxicity"]["version"] == "0.1.3"
    assert rows["reading_level"]["package"] == "synthspec-readability"
    assert rows["schema"]["package"] == "synthspec"


def test_checker_validates_plugin_parameters_at_compile_time(tmp_path: Path) -> None:
    assert "max_grade" in validator_param_models()["reading_level"].model_fields
    spec = tmp_path / "s.synth"
    spec.write_text(
        'dataset d {\n  output "o.jsonl"\n  field text: text\n  validate reading_level(max_grade="hard")\n}\n'
    )
    with pytest.raises(SynthspecError) as err:
        compile_spec(spec, validators=validator_param_models())
    text = err.value.render()
    assert "max_grade" in text and ":4:" in text


def test_validate_runs_plugins_named_in_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "s.synth"
    spec.write_text(
        'dataset d { output "o.jsonl" field text: text validate toxicity drop, reading_level(max_grade=6) flag }\n'
    )
    data = tmp_path / "d.jsonl"
    data.write_text(
        json.dumps({"text": "I know where you live, watch your back."})
        + "\n"
        + json.dumps(
            {
                "text": "Notwithstanding institutional heterogeneity, macroeconomic stabilization "
                "necessitates intergovernmental coordination."
            }
        )
        + "\n"
        + json.dumps({"text": "My card came today. Thanks."})
        + "\n"
    )
    proc = _cli("validate", str(data), "--spec", str(spec), "--json")
    report = json.loads(proc.stdout)
    runs = {r["name"]: r for r in report["validators"]}
    assert set(runs) == {"toxicity", "reading_level"}
    assert runs["toxicity"]["package"] == "synthspec-toxicity-lexicon"
    assert report["dropped"] == [0] and report["flagged"] == [1]


def test_the_plugins_own_test_suites_pass() -> None:
    for folder in ("synthspec-readability", "synthspec-toxicity-lexicon"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                str(REPO / "plugins" / folder / "tests"),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
