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


# words the tiny tokenizer writes as one token after a space (" time"): the guard bans a repeat where it begins
COLOURS = 'start: WORD (" " WORD){9} "\\n"\nWORD: "time" | "value" | "shop"\n'


def test_no_repeat_ngram_holds_on_every_row(tiny_backend):
    from synthspec.generate.backends.ngram import repeated_ngrams

    plain = tiny_backend.generate([GenRequest("x", COLOURS, 40, seed) for seed in range(4)])
    guarded = tiny_backend.generate([GenRequest("x", COLOURS, 40, seed, no_repeat_ngram=3) for seed in range(4)])
    assert any(repeated_ngrams(r.text.split(), 3) for r in plain)  # three words, ten of them: repeats are likely
    for result in guarded:
        assert not result.truncated and accepts(COLOURS, result.text)
        assert repeated_ngrams(result.text.split(), 3) == [], result.text


def test_device_is_chosen_from_what_torch_sees(tiny_backend, monkeypatch):
    import torch

    from synthspec.generate.backends.transformers import choose_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert tiny_backend.device == expected and tiny_backend.build_info["device"] == expected
    if not torch.cuda.is_available():  # this machine has no GPU: asking for one is a clear error
        monkeypatch.setenv("SYNTHSPEC_DEVICE", "cuda")
        with pytest.raises(SynthspecError) as info:
            choose_device()
        assert "no CUDA GPU" in info.value.render()
    else:  # on a GPU machine the model runs there in half precision
        assert choose_device()[1] in (torch.bfloat16, torch.float16)
