"""`synthspec fmt`: in-place rewrite, --check, --diff, and errors as diagnostics.

The command is registered on a real argparse parser exactly as the CLI does and
run on real files in a temporary folder.
"""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest

from synthspec.cli import fmt_cmd
from synthspec.diagnostics import SynthspecError

MESSY = "dataset d{count 3 field t:text{words 1..5}# note\n}\n"
CANONICAL = "dataset d {\n  count 3\n  field t: text {\n    words 1..5\n  }  # note\n}\n"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="synthspec")
    fmt_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fmt", *argv])
    return args.handler(args)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_rewrites_in_place_keeping_mode_and_leaving_no_temp_files(tmp_path: Path, capsys):
    path = write(tmp_path, "a.synth", MESSY)
    path.chmod(0o640)
    assert run(str(path)) == 0
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.synth"]
    assert f"reformatted {path}" in capsys.readouterr().out
    assert run(str(path)) == 0
    assert "already formatted" in capsys.readouterr().out


def test_check_names_files_that_would_change_and_writes_nothing(tmp_path: Path, capsys):
    messy = write(tmp_path, "messy.synth", MESSY)
    tidy = write(tmp_path, "tidy.synth", CANONICAL)
    assert run("--check", str(messy), str(tidy)) == 1
    out = capsys.readouterr().out
    assert f"would reformat {messy}" in out
    assert str(tidy) not in out
    assert messy.read_text(encoding="utf-8") == MESSY
    assert run("--check", str(tidy)) == 0


def test_crlf_file_counts_as_changed(tmp_path: Path):
    path = write(tmp_path, "crlf.synth", CANONICAL.replace("\n", "\r\n").encode())
    assert run("--check", str(path)) == 1
    assert run(str(path)) == 0
    assert path.read_bytes() == CANONICAL.encode()


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path, capsys):
    path = write(tmp_path, "a.synth", MESSY)
    assert run("--diff", str(path)) == 0
    out = capsys.readouterr().out
    assert "+++ " in out and "(formatted)" in out
    assert "+  count 3\n" in out
    assert path.read_text(encoding="utf-8") == MESSY


def test_syntax_error_is_a_diagnostic_and_other_files_are_still_formatted(tmp_path: Path):
    bad = write(tmp_path, "bad.synth", "dataset d {\n  field n integer 1..5\n}\n")
    good = write(tmp_path, "good.synth", MESSY)
    with pytest.raises(SynthspecError) as info:
        run(str(bad), str(good))
    diagnostic = info.value.diagnostics[0]
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == ("P011", str(bad), 2)
    assert "field n integer" in info.value.render()  # the offending source line is shown
    assert bad.read_text(encoding="utf-8").startswith("dataset d {\n  field n integer")
    assert good.read_text(encoding="utf-8") == CANONICAL


def test_missing_file_is_a_diagnostic(tmp_path: Path):
    with pytest.raises(SynthspecError) as info:
        run(str(tmp_path / "nope.synth"))
    assert info.value.diagnostics[0].code == "P024"
