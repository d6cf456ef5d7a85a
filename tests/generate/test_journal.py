"""Durability of the build files: torn tails are cut, failed writes leave earlier records intact."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.journal import AppendFile, read_jsonl_tail_safe


def test_torn_last_line_is_truncated(tmp_path):
    path = tmp_path / "j.jsonl"
    AppendFile(path).append_lines([{"index": 0}, {"index": 1}])
    with open(path, "ab") as handle:
        handle.write(b'{"index": 2, "rec')  # a crash in the middle of a write
    rows = read_jsonl_tail_safe(path)
    assert rows == [{"index": 0}, {"index": 1}]
    assert path.read_bytes() == b'{"index": 0}\n{"index": 1}\n'
    AppendFile(path).append_lines([{"index": 2}])
    assert [r["index"] for r in read_jsonl_tail_safe(path)] == [0, 1, 2]


def test_damage_before_a_good_line_is_an_error_not_a_silent_cut(tmp_path):
    path = tmp_path / "j.jsonl"
    data = b'{"index": 0}\n{"index": \x00garbage\n{"index": 2}\n'
    path.write_bytes(data)
    with pytest.raises(SynthspecError) as info:
        read_jsonl_tail_safe(path)
    assert info.value.diagnostics[0].code == "B012" and "line 2" in info.value.render()
    assert path.read_bytes() == data  # nothing after the damage was thrown away


def test_an_unreadable_last_line_is_a_torn_write_and_is_cut(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"index": 0}\n{"index": 1, "re\x00\x00\n')  # a torn write padded with NULs
    assert read_jsonl_tail_safe(path) == [{"index": 0}]
    assert path.read_bytes() == b'{"index": 0}\n'


def test_full_disk_keeps_written_records(tmp_path):
    """A real write failure (file size limit → EFBIG, like a full disk) in a child process."""
    path = tmp_path / "j.jsonl"
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from synthspec.diagnostics import SynthspecError
        from synthspec.generate.journal import AppendFile
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
        journal = AppendFile(__import__("pathlib").Path({str(path)!r}))
        try:
            for batch in range(100):
                journal.append_lines([{{"index": batch * 4 + i, "text": "x" * 60}} for i in range(4)])
        except SynthspecError as exc:
            print(exc.render())
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "cannot write" in done.stdout and "B010" in done.stdout
    data = path.read_bytes()
    assert data.endswith(b"\n")  # no torn line: the failed batch was cut back
    rows = [json.loads(line) for line in data.splitlines()]
    assert len(rows) % 4 == 0 and len(rows) > 0  # whole batches only
    assert [r["index"] for r in rows] == list(range(len(rows)))
