"""`synthspec build` through the real command line (tiny transformers model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


LETTERS = str(Path(__file__).parent / "fixtures" / "letters.synth")


def _letters(out: Path, model: Path, *extra: str) -> int:
    return main(["build", LETTERS, "--out", str(out), "--backend", "transformers", "--model", str(model),
                 "--progress", "off", "--batch-size", "2", "--seed", "4", *extra])


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_merged_shards_equal_the_unsharded_build(tmp_path, tiny_model_dir, capsys):
    whole = tmp_path / "whole.jsonl"
    assert _letters(whole, tiny_model_dir) == 0
    parts = [tmp_path / f"part{k}.jsonl" for k in (1, 2)]
    for k, part in enumerate(parts, 1):
        assert _letters(part, tiny_model_dir, "--shard", f"{k}/2") == 0
        assert "shard" in capsys.readouterr().out
    assert [r["_provenance"]["index"] for r in _records(parts[0])] == [0, 1]
    merged = tmp_path / "merged.jsonl"
    assert main(["merge", str(merged), str(parts[1]), str(parts[0]), "--progress", "off"]) == 0
    assert "merged 2 shards" in capsys.readouterr().out
    # this seed gives duplicates: the merge drops and regenerates them as the whole build does
    manifest = json.loads(merged.with_name("merged.jsonl.manifest.json").read_text())
    assert manifest["counts"]["dropped_by_dataset_check"] > 0 and manifest["status"] == "complete"
    assert _records(merged) == _records(whole)  # record for record, provenance included
    reference = json.loads(whole.with_name("whole.jsonl.manifest.json").read_text())
    assert manifest["counts"] == reference["counts"] and manifest["identity"] == reference["identity"]


def test_shard_and_merge_refuse_what_cannot_be_joined(tmp_path, tiny_model_dir, capsys):
    part = tmp_path / "p1.jsonl"
    assert main(["merge", str(tmp_path / "m.jsonl"), str(part)]) == 1
    assert "not a build output" in capsys.readouterr().err
    assert _letters(part, tiny_model_dir, "--shard", "1/2") == 0
    assert main(["merge", str(tmp_path / "m.jsonl"), str(part)]) == 1
    assert "missing shard(s) 2/2" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _letters(tmp_path / "x.jsonl", tiny_model_dir, "--shard", "3/2")
    assert "1 <= K <= N" in capsys.readouterr().err


def test_a_technique_with_cross_record_state_refuses_shard(tmp_path, tiny_model_dir, capsys):
    spec = str(Path(__file__).resolve().parents[2] / "specs" / "self_instruct.synth")
    code = main(["build", spec, "--out", str(tmp_path / "si.jsonl"), "--backend", "transformers", "--model",
                 str(tiny_model_dir), "--progress", "off", "--shard", "1/2"])
    err = capsys.readouterr().err
    assert code == 1 and "B021" in err and "cannot be sharded" in err and "Traceback" not in err
