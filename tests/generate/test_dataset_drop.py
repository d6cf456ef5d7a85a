"""Dataset-level `drop`: records a dataset validator removes are regenerated, so the count holds.

Real pieces throughout: the tiny transformers model, the engine, the built-in
`dedup` validator through the `synthspec build` command.  The fixture's only
generated field has six possible values, so duplicates are common.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from synthspec.cli import main
from synthspec.generate.journal import read_jsonl_tail_safe

LETTERS = str(Path(__file__).parent / "fixtures" / "letters.synth")


def _build(out: Path, model: Path, *extra: str) -> int:
    return main(["build", LETTERS, "--out", str(out), "--backend", "transformers", "--model", str(model),
                 "--progress", "off", *extra])


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _side(out: Path, suffix: str) -> Path:
    return out.with_name(out.name + suffix)


def test_dropped_duplicates_are_logged_and_regenerated(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "letters.jsonl"
    assert _build(out, tiny_model_dir, "--seed", "5") == 0
    assert "dropped by dataset validators and regenerated" in capsys.readouterr().out
    records = _jsonl(out)
    letters = [r["letter"] for r in records]
    assert len(records) == 4 and len(set(letters)) == 4  # the count holds, and no duplicate is left
    assert [r["_provenance"]["index"] for r in records] == [0, 1, 2, 3]

    dataset_rejects = [r for r in _jsonl(_side(out, ".rejects.jsonl")) if r.get("stage") == "dataset"]
    assert dataset_rejects, "this seed produces duplicates; the test needs at least one drop"
    journal = _jsonl(_side(out, ".journal.jsonl"))
    drops = [e for e in journal if "dropped" in e]
    assert len(drops) == len(dataset_rejects)
    for reject in dataset_rejects:
        assert reject["validator"] == "dedup" and "duplicate of record" in reject["reason"]
        assert reject["raw"]["letter"] in letters  # it duplicated a record that stayed
    for index in {r["index"] for r in dataset_rejects}:
        final = records[index]["_provenance"]
        assert final["round"] >= 3  # regenerated rounds come after the first generation's three
        versions = [e["record"]["letter"] for e in journal if e.get("index") == index and "record" in e]
        assert len(versions) == 1 + sum(1 for d in drops if d["index"] == index)

    manifest = json.loads(_side(out, ".manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["counts"]["dropped_by_dataset_check"] == len(drops)
    spent = [e for e in journal if "record" in e]
    assert manifest["tokens"]["completion_tokens"] == sum(e["completion_tokens"] for e in spent)
    report = json.loads(_side(out, ".report.json").read_text())
    assert report["dropped"] == []


def test_resume_in_the_middle_of_regeneration_matches_an_uninterrupted_build(tmp_path, tiny_model_dir):
    whole = tmp_path / "whole.jsonl"
    assert _build(whole, tiny_model_dir, "--seed", "5") == 0
    cut = tmp_path / "cut.jsonl"
    for suffix in ("", ".journal.jsonl", ".rejects.jsonl", ".manifest.json"):
        shutil.copy(_side(whole, suffix), _side(cut, suffix))
    # a kill right after the first drop was journaled, before its replacement was
    lines = _side(cut, ".journal.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    first_drop = next(i for i, line in enumerate(lines) if '"dropped"' in line)
    _side(cut, ".journal.jsonl").write_text("".join(lines[: first_drop + 1]) + lines[first_drop + 1][:7],
                                            encoding="utf-8")
    assert _build(cut, tiny_model_dir, "--seed", "5") == 0

    def strip(records: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "_provenance"} | {"round": r["_provenance"]["round"]}
                for r in records]

    assert strip(_jsonl(cut)) == strip(_jsonl(whole))
    tokens = [json.loads(_side(p, ".manifest.json").read_text())["tokens"] for p in (whole, cut)]
    assert tokens[0] == tokens[1]  # nothing counted twice on resume
    assert read_jsonl_tail_safe(_side(cut, ".journal.jsonl"))  # journal parseable after the torn tail


def test_a_drop_that_cannot_be_satisfied_ends_incomplete_and_keeps_duplicates_out(tmp_path, tiny_model_dir,
                                                                                 capsys):
    out = tmp_path / "seven.jsonl"
    # seven records over six letters: some duplicate survives every pass
    assert _build(out, tiny_model_dir, "--count", "7", "--seed", "2") == 1
    err = capsys.readouterr().err
    assert "stayed dropped" in err and "Traceback" not in err
    letters = [r["letter"] for r in _jsonl(out)]
    assert len(letters) == len(set(letters)) <= 6
    manifest = json.loads(_side(out, ".manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["counts"]["written"] == len(letters)
    # a re-run tries the missing records again and still keeps duplicates out
    assert _build(out, tiny_model_dir, "--count", "7", "--seed", "2") == 1
    again = [r["letter"] for r in _jsonl(out)]
    assert len(again) == len(set(again))


def test_a_record_validator_with_policy_fail_logs_the_record_and_stops_the_build(tmp_path, tiny_model_dir,
                                                                                capsys):
    spec = tmp_path / "strict.synth"
    text = Path(LETTERS).read_text(encoding="utf-8")
    # every letter is forbidden, so the first finished record stops the build
    spec.write_text(text.replace('validate dedup(fields = ["letter"], near = false, semantic = false) drop',
                                 'validate forbidden(patterns = ["[A-F]"], fields = ["letter"]) fail'),
                    encoding="utf-8")
    out = tmp_path / "strict.jsonl"
    code = main(["build", str(spec), "--out", str(out), "--backend", "transformers", "--model", str(tiny_model_dir),
                 "--progress", "off"])
    err = capsys.readouterr().err
    assert code == 1 and "V004" in err and "policy fail" in err and "Traceback" not in err
    rejects = _jsonl(_side(out, ".rejects.jsonl"))
    assert rejects and rejects[0]["validator"] == "forbidden" and rejects[0]["raw"]["letter"]
    assert json.loads(_side(out, ".manifest.json").read_text())["status"] == "failed"
