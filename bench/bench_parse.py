"""How fast the front end is: parse and full compile of ~1 MB and ~4 MB files, and a cold `synthspec check`.

Prints wall times and the throughput ratio between sizes (linear scaling gives ~1.0).  The cold check is what an
editor integration pays per keystroke-save: a fresh process running `synthspec check` on the flagship spec, beside
a bare interpreter start and `ruff check` on one file (medians of several runs, measured side by side).
Run: python bench/bench_parse.py [--cold-only] [--baseline-tree DIR]  (DIR: another checkout to compare with)

The `synthspec check` rows run the installed console script of this interpreter (`sysconfig`'s scripts folder,
e.g. /root/.pyenv/versions/3.11.7/bin/synthspec), as an editor does: not `python -m synthspec`, and never what
`shutil.which("synthspec")` finds first, which under pyenv is a bash shim adding ~40 ms that a user's editor
(calling the installed script) does not pay.  Without an installed script it falls back to `python -m synthspec`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from synthspec.ir import compile_spec
from synthspec.parse import parse_source, read_source

REPO = Path(__file__).resolve().parent.parent
FLAGSHIP = REPO / "specs" / "support_tickets.synth"


def make_spec(target_bytes: int) -> str:
    """A valid spec of roughly `target_bytes`: many category values and list terms, some fields."""
    lines = ["# generated for bench_parse", "list big = ["]
    i = 0
    while sum(len(x) + 1 for x in lines) < target_bytes * 0.6:
        lines.append(f'  "term number {i} with some padding words",')
        i += 1
    lines.append('  "last"\n]')
    lines.append("dataset big {\n  count 10\n  seed 1")
    j = 0
    while sum(len(x) + 1 for x in lines) < target_bytes:
        values = ", ".join(f'"v{j}_{k}"' for k in range(20))
        lines.append(f"  field f{j}: category({values})")
        j += 1
    lines.append("  field text: text {\n    words 5..50\n    must not include big, pii\n  }\n}")
    return "\n".join(lines) + "\n"


def _median_wall(argv: list[str], runs: int, env: dict[str, str] | None = None,
                 cwd: Path = REPO) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of running argv in a fresh process.

    One warm-up run first: it writes bytecode and the grammar cache, which a user pays once, not per check.  CPU
    time is reported beside wall time because on a shared machine the wall clock also counts waiting for a core.
    """
    walls, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _ruff_binary() -> str | None:
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def synthspec_command() -> list[str]:
    """The installed `synthspec` console script beside this interpreter (not a shim on PATH), else `-m`."""
    script = Path(sysconfig.get_path("scripts")) / ("synthspec.exe" if os.name == "nt" else "synthspec")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "synthspec"]


def _check_modules(spec: str, env: dict[str, str]) -> list[str]:
    """The top-level-first names of every module in `sys.modules` after `synthspec check SPEC` ran in a fresh
    process (importing them all costs what the check's imports cost, whatever imports them lazily)."""
    code = ("import sys, io, contextlib\n"
            "from synthspec.cli import main\n"
            f"sys.argv = ['synthspec', 'check', {spec!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            "    try:\n        main()\n    except SystemExit:\n        pass\n"
            "print(' '.join(sorted(m for m in sys.modules if '.' not in m or m.startswith('synthspec'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, check=True)
    names = done.stdout.split()
    return [m for m in names if m.isidentifier() or all(part.isidentifier() for part in m.split("."))
            if not m.startswith("__")]


def cold_check(runs: int = 7, baseline_tree: str | None = None) -> None:
    """A cold `synthspec check` of the flagship, beside interpreter start-up and `ruff check` of one file."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    spec = str(FLAGSHIP.relative_to(REPO))
    rows = [("python -c pass (interpreter start-up)", _median_wall([sys.executable, "-c", "pass"], runs, env))]
    # the floor under any check on this stack: the three libraries the front end is built on, imported and nothing
    # else (pydantic's model machinery for the IR, lark for the parser, jinja2 for the prompt templates)
    rows.append(("python -c 'import pydantic.main, lark, jinja2' (the front end's libraries alone)",
                 _median_wall([sys.executable, "-c", "import pydantic.main, lark, jinja2"], runs, env)))
    synthspec = synthspec_command()
    rows.append(("synthspec --help", _median_wall([*synthspec, "--help"], runs, env)))
    # every module the flagship check loads, imported and nothing run: check minus this row is the check's work
    rows.append(("python -c 'import <every module the flagship check loads>' (imports only, no work)",
                 _median_wall([sys.executable, "-c", "import " + ", ".join(_check_modules(spec, env))], runs, env)))
    rows.append((f"synthspec check {spec}", _median_wall([*synthspec, "check", spec], runs, env)))
    minimal = "tests/fixtures/check/ok/minimal.synth"
    rows.append((f"synthspec check {minimal}", _median_wall([*synthspec, "check", minimal], runs, env)))
    if baseline_tree:  # `-m` puts the working directory first on sys.path: run from inside the other tree
        base = Path(baseline_tree).resolve()
        base_env = dict(env, PYTHONPATH=str(base), PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="synthspec-pyc-"))
        rows.append((f"baseline ({baseline_tree}) synthspec check {spec}",
                     _median_wall([sys.executable, "-m", "synthspec", "check", str(FLAGSHIP)], runs, base_env, base)))
    ruff = _ruff_binary()
    if ruff:
        rows.append(("ruff check synthspec/cli/check_cmd.py", _median_wall(
            [ruff, "check", "--no-cache", "synthspec/cli/check_cmd.py"], runs, env)))
    startup, check_wall = rows[0][1][0], rows[4][1][0]
    print(f"{'wall':>8} {'cpu':>8} {'wall-startup':>13}  command   (medians of {runs} runs; synthspec = "
          f"{' '.join(synthspec)})")
    for name, (wall, cpu) in rows:
        print(f"{wall * 1000:6.0f}ms {cpu * 1000:6.0f}ms {(wall - startup) * 1000:11.0f}ms  {name}  "
              f"({wall / check_wall:4.2f}x the flagship check's wall time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-only", action="store_true", help="only the cold `synthspec check` figures")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline-tree", metavar="DIR", help="also time `check` from another checkout")
    args = parser.parse_args()
    cold_check(args.runs, args.baseline_tree)
    if args.cold_only:
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (1_000_000, 4_000_000):
            path = Path(tmp) / f"spec_{size}.synth"
            path.write_text(make_spec(size))
            actual = path.stat().st_size
            start = time.perf_counter()
            parse_source(read_source(path))
            parse_s = time.perf_counter() - start
            start = time.perf_counter()
            compile_spec(path)
            compile_s = time.perf_counter() - start
            rows.append((actual, parse_s, compile_s))
            print(f"{actual / 1e6:5.2f} MB  parse {parse_s:6.3f} s  compile (parse+check+IR) {compile_s:6.3f} s  "
                  f"({actual / 1e6 / parse_s:5.2f} MB/s parse)")
    (s1, p1, _), (s2, p2, _) = rows
    print(f"throughput ratio 4 MB vs 1 MB: {(s2 / p2) / (s1 / p1):.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
