"""Bad input of every kind ends in a clear message naming the file, exit code 1, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _check(path: Path | str) -> subprocess.CompletedProcess:
    # timeout is a hang guard, not a timing assertion
    return subprocess.run([sys.executable, "-m", "synthspec", "check", str(path)], capture_output=True, text=True,
                          timeout=120)


def _assert_clean_failure(result: subprocess.CompletedProcess, shown: str, words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert shown in result.stderr
    assert words in result.stderr.lower()


CASES = {
    "empty": (b"", "empty"),
    "whitespace": (b"   \n\n  ", "empty"),
    "binary": (bytes(range(256)) * 4, "nul bytes"),
    "nul_in_text": (b"dataset d {\n field t: text\x00\n}", "nul bytes"),
    "invalid_utf8": (b"dataset d {\n field t: text { style \"caf\xe9\" }\n}", "invalid utf-8"),
    "utf16": ("dataset d { field t: text }".encode("utf-16"), "utf-16"),
    "deep_brackets": (b"dataset d { field c: category(" + b"(" * 100_000 + b")", "nested"),
    "deep_lists": (b"dataset d { validate x(a = " + b"[" * 100_000 + b") }", "nested"),
    "huge_line": (b"dataset d { field t: text { style \"" + b"x" * 3_000_000 + b"\" } " + b"y" * 10 + b" }",
                  "unexpected"),
    "unterminated_string": (b'dataset d { field t: text { style "abc } }', "unexpected"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_a_clean_error(tmp_path: Path, name: str) -> None:
    data, words = CASES[name]
    spec = tmp_path / f"{name}.synth"
    spec.write_bytes(data)
    _assert_clean_failure(_check(spec), spec.name, words)


def test_missing_path(tmp_path: Path) -> None:
    _assert_clean_failure(_check(tmp_path / "nope.synth"), "nope.synth", "no such file")


def test_directory(tmp_path: Path) -> None:
    _assert_clean_failure(_check(tmp_path), str(tmp_path), "directory")


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    spec = tmp_path / "crlf.synth"
    spec.write_bytes(b"\xef\xbb\xbfdataset crlf {\r\n  count 3\r\n  field text: text { words 1..5 }\r\n}\r\n")
    result = _check(spec)
    assert result.returncode == 0, result.stderr
    assert "ok:" in result.stdout


def test_crlf_positions_match_lf(tmp_path: Path) -> None:
    body = "dataset d {\n  field t: text {\n    words 9..1\n  }\n}\n"
    lf = tmp_path / "lf.synth"
    crlf = tmp_path / "crlf.synth"
    lf.write_text(body)
    crlf.write_bytes(body.replace("\n", "\r\n").encode())
    out_lf = _check(lf).stderr.replace("lf.synth", "X")
    out_crlf = _check(crlf).stderr.replace("crlf.synth", "X")
    assert ":3:11:" in out_lf
    assert out_lf == out_crlf


def test_many_errors_are_capped(tmp_path: Path) -> None:
    lines = ["dataset d {"] + [f"  field f{i}: integer {i + 5}..1" for i in range(80)] + ["}"]
    spec = tmp_path / "many.synth"
    spec.write_text("\n".join(lines))
    result = _check(spec)
    assert result.returncode == 1
    assert "... and 30 more" in result.stderr
    assert "80 error(s)" in result.stderr


def test_debug_shows_traceback_only_when_asked(tmp_path: Path) -> None:
    spec = tmp_path / "bad.synth"
    spec.write_text("dataset d { field x: nope }")
    plain = _check(spec)
    debug = subprocess.run([sys.executable, "-m", "synthspec", "--debug", "check", str(spec)],
                           capture_output=True, text=True, timeout=120)
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr
