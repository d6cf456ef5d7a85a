"""What a cold `synthspec check` leaves undone: each pins one saving of docs/benchmarks.md (issue 13).

The imports and work below are put off, not removed: each probe runs in a fresh interpreter, checks the flagship
the way the console script does, and names what must still be missing afterwards.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import entrypoints

from synthspec.cli.gcpause import collector_paused
from synthspec.validate.entry_files import iter_group_files
from synthspec.validate.finder import GROUP
from tests.conftest import REPO

FLAGSHIP = "specs/support_tickets.synth"


def _run(probe: str, cache: Path) -> str:
    """Run `probe` in a fresh interpreter with its own synthspec cache; its last line of output."""
    env = dict(os.environ, SYNTHSPEC_CACHE=str(cache))
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def _check_as_program(after: str) -> str:
    """A probe that runs `synthspec check FLAGSHIP` as the console script does (`main()`), then `after`."""
    return (
        "import sys, io, contextlib\n"
        "from synthspec.cli import main\n"
        f"sys.argv = ['synthspec', 'check', {FLAGSHIP!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main()\n"
        f"{after}\n"
    )


def test_check_with_cached_grammars_imports_no_llguidance_printer_or_validator_runner(tmp_path: Path) -> None:
    # the first check fills the grammar cache (and needs llguidance); the second finds every grammar there
    probe = _check_as_program("print(code, sorted(m for m in ('llguidance', 'synthspec.parse.printer', "
                              "'synthspec.validate.runner', 'synthspec.validate.results') if m in sys.modules))")
    _run(probe, tmp_path)
    assert _run(probe, tmp_path) == "0 []"


def test_check_compiles_no_pii_pattern_and_builds_only_the_named_technique(tmp_path: Path) -> None:
    probe = _check_as_program(
        "import synthspec.pii as pii, synthspec.validate.pii as vpii\n"
        "from synthspec.deferred_re import DeferredPattern\n"
        "from synthspec.ir import params\n"
        "compiled = sorted(n for m in (pii, vpii) for n, v in vars(m).items()\n"
        "                  if isinstance(v, DeferredPattern) and v._compiled is not None)\n"
        "built = sorted(k for k, m in params.TECHNIQUE_PARAMS.items() if m.__pydantic_complete__)\n"
        "print(code, compiled, built)"
    )
    assert _run(probe, tmp_path) == "0 [] ['plain']"


def test_check_as_program_runs_no_collection_and_leaves_the_collector_on(tmp_path: Path) -> None:
    probe = _check_as_program(
        "import gc\n"
        "print(code, gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    probe = probe.replace("from synthspec.cli import main\n", "from synthspec.cli import main\nimport gc\n"
                          "runs = []\ngc.callbacks.append(lambda phase, info: runs.append(phase))\n")
    probe = probe.replace("print(code,", "print(code, len(runs),")
    assert _run(probe, tmp_path) == "0 0 True True"


def test_a_pause_in_process_restores_the_collector_and_freezes_nothing() -> None:
    frozen = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_entry_point_files_agree_with_entrypoints_for_the_validator_group() -> None:
    def described(pairs):
        return [(sorted(config[GROUP].items()), distro.name, distro.version)
                for config, distro in pairs if GROUP in config]

    everything = described(entrypoints.iter_files_distros(repeated_distro="keep"))
    assert everything and described(iter_group_files(GROUP)) == everything


def test_the_same_include_shapes_share_one_unrolling() -> None:
    from synthspec.lower.grammar import _Include, _unrolled

    one = [_Include("INC0", "/a b/", 2, False)]
    other = [_Include("INC0", "/c d/", 2, False)]  # another text of the same shape
    assert _unrolled(1, 30, one, True) == _unrolled(1, 30, other, True)
    first = _unrolled(1, 30, one, True)
    first.append("changed by the caller")
    assert "changed by the caller" not in _unrolled(1, 30, one, True)  # each caller gets its own list
