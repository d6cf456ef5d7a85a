"""The transformers backend on a tiny random-weight model: constrained output is always in the grammar."""

from __future__ import annotations

import re

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends import open_backend
from synthspec.generate.backends.base import GenRequest
from synthspec.generate.grammars import accepts
from synthspec.ir.model import ModelSpec

ORDER = 'start: /[A-Z]{3}-[0-9]{4}/ "\\n"\n'
SENTENCE = 'start: "The " WORD " is " ("red"|"blue") ".\\n"\nWORD: /[a-z]{2,10}/\n'


def test_random_weights_still_give_grammatical_values(tiny_backend):
    requests = [GenRequest("Order id:", ORDER, 24, seed) for seed in range(6)]
    results = tiny_backend.generate(requests)
    for result in results:
        assert not result.truncated
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{4}\n", result.text), result.text
        assert result.completion_tokens > 0 and result.prompt_tokens > 0
    assert len({r.text for r in results}) > 1  # sampling, not one fixed string


def test_each_row_has_its_own_grammar(tiny_backend):
    requests = [GenRequest("x", ORDER if i % 2 else SENTENCE, 40, i) for i in range(4)]
    for request, result in zip(requests, tiny_backend.generate(requests), strict=True):
        assert not result.truncated
        assert accepts(request.grammar, result.text)


def test_same_seeds_same_text(tiny_backend):
    requests = [GenRequest("Colour:", SENTENCE, 40, seed) for seed in (11, 12, 13)]
    assert tiny_backend.generate(requests) == tiny_backend.generate(requests)


def test_budget_exhaustion_is_reported_truncated(tiny_backend):
    [result] = tiny_backend.generate([GenRequest("Colour:", SENTENCE, 3, 5)])
    assert result.truncated
    assert not accepts(SENTENCE, result.text)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(SynthspecError) as info:
        open_backend(ModelSpec(backend="transformers", ref=str(tmp_path / "nope")))
    assert "no local transformers model" in info.value.render()
    assert "never downloaded" in info.value.render()


def test_unknown_backend_name():
    with pytest.raises(SynthspecError) as info:
        open_backend(ModelSpec(backend="vllm-magic"))
    assert "unknown backend" in info.value.render()
