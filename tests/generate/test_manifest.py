"""The build identity: what forces a refusal to resume, and what does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import ModelIdentity
from synthspec.generate.manifest import build_identity, check_resumable, spec_hash
from synthspec.ir.model import CategoryField, OutputSpec, PatternField, SeedSource, Span, Spec

MODEL = ModelIdentity("llamacpp", "m.gguf", "abc")


def _spec(**update) -> Spec:
    base = Spec(name="d", source_file="a.synth", output=OutputSpec(path="o.jsonl"),
                fields=(CategoryField(name="c", values=("x", "y")), PatternField(name="p", pattern="[0-9]{3}")))
    return base.model_copy(update=update)


def test_spans_and_paths_do_not_change_the_hash():
    moved = _spec(source_file="elsewhere/b.synth", output=OutputSpec(path="x/o.csv", format="csv"),
                  fields=(CategoryField(name="c", values=("x", "y"), span=Span(file="b", line=3, column=1,
                                                                               end_line=3, end_column=9)),
                          PatternField(name="p", pattern="[0-9]{3}")))
    assert spec_hash(moved) == spec_hash(_spec())


def test_content_changes_the_hash():
    changed = _spec(fields=(CategoryField(name="c", values=("x", "z")), PatternField(name="p", pattern="[0-9]{3}")))
    assert spec_hash(changed) != spec_hash(_spec())


def test_resume_refused_names_what_changed(tmp_path):
    old = {"identity": build_identity(_spec(seed=1), MODEL, None)}
    check_resumable(old, build_identity(_spec(seed=1), MODEL, None), tmp_path / "o.jsonl")  # same: fine
    with pytest.raises(SynthspecError) as info:
        check_resumable(old, build_identity(_spec(seed=2), MODEL, None), tmp_path / "o.jsonl")
    text = info.value.render()
    assert "seed: 1 → 2" in text and "--force" in text
    other_model = ModelIdentity("llamacpp", "m.gguf", "def")
    with pytest.raises(SynthspecError, match="model_sha256"):
        check_resumable(old, build_identity(_spec(seed=1), other_model, None), tmp_path / "o.jsonl")


def test_every_model_setting_is_in_the_identity():
    """`repeat_penalty` (and any setting added to the model block later) changes what is generated."""
    base = _spec(seed=1)
    penalised = base.model_copy(update={"model": base.model.model_copy(update={"repeat_penalty": 1.3})})
    old = {"identity": build_identity(base, MODEL, None)}
    with pytest.raises(SynthspecError, match="sampling"):
        check_resumable(old, build_identity(penalised, MODEL, None), Path("o.jsonl"))
    # where the model file lives is not part of it (its content hash is)
    moved = base.model_copy(update={"model": base.model.model_copy(update={"ref": "/elsewhere/m.gguf"})})
    check_resumable(old, build_identity(moved, MODEL, None), Path("o.jsonl"))


def test_prompt_template_is_identified_by_content_not_path(tmp_path):
    first, second = tmp_path / "a" / "t.j2", tmp_path / "b" / "t.j2"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text("{{ header }}\n{{ target }}:", encoding="utf-8")
    here = build_identity(_spec(prompt_template=str(first)), MODEL, None)
    moved = build_identity(_spec(prompt_template=str(second)), MODEL, None)
    assert here == moved  # moving the checkout does not refuse a resume
    second.write_text("{{ header }}\nWrite it.\n{{ target }}:", encoding="utf-8")
    edited = build_identity(_spec(prompt_template=str(second)), MODEL, None)
    with pytest.raises(SynthspecError, match="prompt_template_sha256"):
        check_resumable({"identity": here}, edited, tmp_path / "o.jsonl")


def test_seed_file_location_is_not_in_the_spec_hash():
    seeds = SeedSource(path="seeds.jsonl", resolved_path="/a/seeds.jsonl", format="jsonl", columns={"c": "c"})
    moved = seeds.model_copy(update={"path": "../data/seeds.jsonl", "resolved_path": "/b/data/seeds.jsonl"})
    assert spec_hash(_spec(seeds=seeds)) == spec_hash(_spec(seeds=moved))
    remapped = seeds.model_copy(update={"columns": {"c": "label"}})
    assert spec_hash(_spec(seeds=seeds)) != spec_hash(_spec(seeds=remapped))


def test_shard_is_part_of_the_identity():
    whole = build_identity(_spec(), MODEL, None)
    part = build_identity(_spec(), MODEL, None, shard=(1, 2))
    assert part["shard"] == "1/2" and whole["shard"] is None
    with pytest.raises(SynthspecError, match="shard"):
        check_resumable({"identity": whole}, part, Path("o.jsonl"))
