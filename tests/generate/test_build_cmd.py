"""`synthspec build` through the real command line (tiny transformers model)."""

from __future__ import annotations

import json
from pathlib import Path

from synthspec.cli import main

MINI = str(Path(__file__).parent / "fixtures" / "mini.synth")


def _args(out: Path, model: Path, *extra: str) -> list[str]:
    return ["build", MINI, "--out", str(out), "--backend", "transformers", "--model", str(model),
            "--progress", "off", *extra]


def test_build_resume_refuse_force(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "data.jsonl"
    assert main(_args(out, tiny_model_dir, "--count", "3", "--seed", "5")) == 0
    assert "built 3/3 records" in capsys.readouterr().out
    assert len(out.read_text().splitlines()) == 3
    assert main(_args(out, tiny_model_dir, "--count", "3", "--seed", "5")) == 0
    assert "3 kept from an earlier run" in capsys.readouterr().out
    assert main(_args(out, tiny_model_dir, "--count", "3", "--seed", "6")) == 1
    err = capsys.readouterr().err
    assert "refusing to mix records" in err and "--force" in err and "Traceback" not in err
    assert main(_args(out, tiny_model_dir, "--count", "2", "--seed", "6", "--force")) == 0
    assert len(out.read_text().splitlines()) == 2
    manifest = json.loads(out.with_name("data.jsonl.manifest.json").read_text())
    assert manifest["identity"]["count"] == 2 and manifest["identity"]["seed"] == 6


def test_bad_options_are_clear_errors(tmp_path, tiny_model_dir, capsys):
    assert main(_args(tmp_path / "data.xlsx", tiny_model_dir)) == 1
    assert "cannot tell the output format" in capsys.readouterr().err
    assert main(_args(tmp_path / "d.jsonl", tmp_path / "no-such-model")) == 1
    assert "no local transformers model" in capsys.readouterr().err
    assert main(_args(tmp_path / "d.jsonl", tiny_model_dir, "--count", "0")) == 1
    assert "--count must be at least 1" in capsys.readouterr().err
