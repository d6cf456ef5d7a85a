"""The word n-gram guard on Gemma's real tokenizer, and no repeated 4-gram in text decoded with it."""

from __future__ import annotations

import numpy as np
import pytest

from synthspec.generate.backends.base import GenRequest
from synthspec.generate.backends.ngram import WordNgramGuard, repeated_ngrams
from synthspec.generate.grammars import accepts
from synthspec.validate.text import words

pytestmark = pytest.mark.e2e

TEXT = 'start: " " WORD (" " WORD){5,59} "\\n"\nWORD: /[A-Za-z]{1,12}[.,!?]?/\n'
LOOPING = "Say it again and again: the card, the card, the card, the card, the card, the card,"


@pytest.fixture(scope="module")
def gemma():
    from synthspec.generate.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend()
    yield backend
    backend.close()


def _token(gemma, text: str) -> int:
    """The vocabulary's token whose text is exactly `text`."""
    return gemma.token_pieces.index(text.encode())


def _allowed(mask: np.ndarray, token: int) -> bool:
    return bool((int(mask[token // 32]) >> (token % 32)) & 1)


def _guard_after(gemma, text: str, n: int = 4) -> WordNgramGuard:
    guard = WordNgramGuard(gemma.token_words(), n)
    for token in gemma.llm.tokenize(text.encode(), add_bos=False, special=False):
        guard.accept(token)
    return guard


def _full_mask(gemma) -> np.ndarray:
    return np.full((gemma.tokenizer.vocab_size + 31) // 32, -1, dtype=np.int32)


def test_the_vocabulary_index_knows_word_starts_and_delimiters(gemma):
    index = gemma.token_words()
    have, space_have = _token(gemma, "have"), _token(gemma, " have")
    assert space_have in index.by_start["have"] and have in index.by_piece["have"]
    assert _allowed(index.delimiter_led, space_have) and not _allowed(index.delimiter_led, have)


def test_the_token_beginning_a_repeated_ngram_is_banned(gemma):
    guard = _guard_after(gemma, "we have a cat and we have a")
    mask = _full_mask(gemma)
    guard.restrict(mask)
    cat, dog = _token(gemma, " cat"), _token(gemma, " dog")
    assert not _allowed(mask, cat) and _allowed(mask, dog)
    assert not guard.violates(dog)


def test_finishing_a_banned_word_bans_the_delimiter(gemma):
    guard = _guard_after(gemma, "we have a cat and we have a cat")
    mask = _full_mask(gemma)
    guard.restrict(mask)
    # "cat" may only go on as a longer word ("cats"); a delimiter after it would complete the repeat
    assert not _allowed(mask, _token(gemma, " and")) and _allowed(mask, _token(gemma, "s"))
    assert guard.violates(_token(gemma, " and")) and not guard.violates(_token(gemma, "s"))


def test_a_token_closing_the_word_with_a_mark_is_banned(gemma):
    guard = _guard_after(gemma, "we have a cat and we have a cat")
    mask = _full_mask(gemma)
    guard.restrict(mask)
    closing = [_token(gemma, "',"), _token(gemma, "'.")]  # "cat'," is the word "cat" again
    assert all(not _allowed(mask, t) and guard.violates(t) for t in closing)
    assert _allowed(mask, _token(gemma, "s")) and not guard.violates(_token(gemma, "s"))


def test_words_are_counted_as_the_reports_count_them(gemma):
    guard = _guard_after(gemma, "Don't PANIC, it's fine. don't panic, it's")
    assert guard.words == words("Don't PANIC, it's fine. don't panic,")
    mask = _full_mask(gemma)
    guard.restrict(mask)
    assert not _allowed(mask, _token(gemma, " fine"))  # case and punctuation do not hide a repeat


def test_the_guard_never_empties_the_mask(gemma):
    guard = _guard_after(gemma, "we have a cat and we have a")
    mask = np.zeros_like(_full_mask(gemma))
    cat = _token(gemma, " cat")
    mask[cat // 32] = np.int32(1 << (cat % 32)) if cat % 32 < 31 else np.int32(-(2**31))
    guard.restrict(mask)
    assert _allowed(mask, cat)  # the grammar allows only the banned token: validity wins


def test_decoding_with_no_repeat_4_has_no_repeated_4gram(gemma):
    plain, guarded = (gemma.generate([GenRequest(LOOPING, TEXT, 90, 5, temperature=0.3, repeat_penalty=1.0,
                                                 no_repeat_ngram=n)])[0] for n in (0, 4))
    assert repeated_ngrams(words(plain.text), 4)  # the prompt makes this model loop without the guard
    assert not guarded.truncated and accepts(TEXT, guarded.text)
    assert repeated_ngrams(words(guarded.text), 4) == [], guarded.text


def test_the_sequential_outlines_path_guards_too(gemma):
    [result] = gemma.generate_outlines([GenRequest(LOOPING, TEXT, 90, 5, temperature=0.3, repeat_penalty=1.0,
                                                   no_repeat_ngram=4)])
    assert accepts(TEXT, result.text) and repeated_ngrams(words(result.text), 4) == [], result.text
