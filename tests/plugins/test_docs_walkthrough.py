"""The walk-through in docs/plugins.md works: its files, built and pip-installed, give a working plugin.

The code blocks of the walk-through are extracted from the markdown, written
to a temporary folder in the documented layout, installed with
`pip install --target`, and the documented test is run against it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

DOC = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")


def _block(after_heading: str, lang: str) -> str:
    section = DOC.split(after_heading, 1)[1]
    match = re.search(rf"```{lang}\n(.*?)```", section, re.S)
    assert match, f"no ```{lang} block after {after_heading!r}"
    return match.group(1)


def test_documented_plugin_builds_installs_and_passes_its_documented_test(tmp_path: Path) -> None:
    project = tmp_path / "synthspec-shouting"
    package = project / "src" / "synthspec_shouting"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(_block("### 2.", "toml"))
    (project / "README.md").write_text("# synthspec-shouting\n")
    (package / "__init__.py").write_text("")
    (package / "validator.py").write_text(_block("### 3.", "python"))
    tests = project / "tests"
    tests.mkdir()
    (tests / "test_shouting.py").write_text(_block("### 4.", "python"))
    target = tmp_path / "site"
    pip = subprocess.run(
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
            str(project),
        ],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    listing = subprocess.run(
        [sys.executable, "-m", "synthspec", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert '"synthspec-shouting"' in listing.stdout
