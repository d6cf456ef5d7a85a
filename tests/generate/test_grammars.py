"""Grammar compilation (with its on-disk cache) and the model-free acceptance check."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.cache import text_sha256

GRAMMAR = 'start: "The " WORD " is " ("red"|"blue") ".\\n"\nWORD: /[a-z]{2,10}/\n'


def test_accepts_exactly_the_language():
    assert grammars.accepts(GRAMMAR, "The cat is red.\n")
    assert not grammars.accepts(GRAMMAR, "The cat is red.")  # incomplete
    assert not grammars.accepts(GRAMMAR, "The cat is red.\nmore")  # trailing text
    assert not grammars.accepts(GRAMMAR, "The Cat is red.\n")  # outside the regex
    assert not grammars.accepts(GRAMMAR, "The café is red.\n")  # non-ASCII byte


def test_compiled_grammar_is_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHSPEC_CACHE", str(tmp_path))
    grammars.compile_grammar.cache_clear()
    text = 'start: "cached " /[0-9]{3}/\n'
    spec = grammars.compile_grammar(text)
    stored = tmp_path / "grammars" / f"{text_sha256(text)}.json"
    assert stored.read_text(encoding="utf-8") == spec
    # a new process (simulated by clearing the memo) reads the stored spec instead of recompiling:
    # plant a different (marked) spec under the same key and see it come back
    planted = spec.replace("cached ", "planted")
    stored.write_text(planted, encoding="utf-8")
    grammars.compile_grammar.cache_clear()
    assert grammars.compile_grammar(text) == planted


def test_invalid_grammar_is_a_clear_error():
    grammars.compile_grammar.cache_clear()
    with pytest.raises(SynthspecError) as info:
        grammars.compile_grammar("start: undefined_rule\n")
    assert "G001" in info.value.render()
    assert "undefined_rule" in info.value.render()
