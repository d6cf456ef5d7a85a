"""The build identity: what forces a refusal to resume, and what does not."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import ModelIdentity
from synthspec.generate.manifest import build_identity, check_resumable, spec_hash
from synthspec.ir.model import CategoryField, OutputSpec, PatternField, Span, Spec

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
