"""The IR's models are the one statement of what a spec may say about techniques and the model block.

The checker validates through them (so a range stated in ir/params.py or on ModelSpec is a range the checker
enforces) and backend aliases mean the same in a spec as after `--backend`.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends import backend_name
from synthspec.ir import compile_spec
from synthspec.ir.model import ModelSpec, Technique
from synthspec.ir.params import BACKEND_ALIASES, TECHNIQUE_PARAMS, TECHNIQUES


def _compile(tmp_path: Path, body: str):
    path = tmp_path / "t.synth"
    path.write_text(f"dataset t {{\n  count 4\n  field text: text {{ words 3..5 }}\n{body}\n}}\n", encoding="utf-8")
    return compile_spec(str(path))


def _errors(tmp_path: Path, body: str) -> list[tuple[str, str]]:
    with pytest.raises(SynthspecError) as caught:
        _compile(tmp_path, body)
    return [(d.code, d.message) for d in caught.value.diagnostics if d.is_error]


def test_the_technique_literal_and_the_params_table_agree() -> None:
    assert TECHNIQUES == get_args(Technique)


@pytest.mark.parametrize(("body", "message"), [
    ("  technique plain(shots = -3)", "`shots` must be between 0 and 256, not -3"),
    ("  technique counterfactual(edits = 2)\n  counterfactual text: a -> b", "`edits` must be between 0 and 1, not 2"),
])
def test_technique_ranges_come_from_the_params_models(tmp_path: Path, body: str, message: str) -> None:
    assert ("C094", message) in _errors(tmp_path, body)


def test_every_technique_default_is_inside_its_own_range() -> None:
    for name, model in TECHNIQUE_PARAMS.items():
        # pydantic does not validate defaults: validate their dump explicitly
        assert model.model_validate(model().model_dump()) == model(), name


@pytest.mark.parametrize("alias", sorted(BACKEND_ALIASES))
def test_a_backend_alias_means_the_same_in_a_spec_and_on_the_command_line(tmp_path: Path, alias: str) -> None:
    spec = _compile(tmp_path, f'  model {{ backend "{alias}" }}').spec
    assert spec.model.backend == BACKEND_ALIASES[alias] == backend_name(ModelSpec(), alias)


def test_model_block_ranges_come_from_model_spec(tmp_path: Path) -> None:
    assert ModelSpec.model_fields["repeat_penalty"].metadata  # the limit lives on the IR model
    assert ("C096", "model `repeat_penalty` must be between 1.0 and 2.0") in _errors(
        tmp_path, "  model { repeat_penalty 2.5 }")
    assert _compile(tmp_path, "  model { repeat_penalty 1.3 top_k 40 }").spec.model.top_k == 40
