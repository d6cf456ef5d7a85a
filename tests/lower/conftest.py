"""Fixtures for the lowering tests: a real llguidance tokenizer built offline, and IR builders.

The tokenizer is a byte-level BPE trained here on a few sentences with the
`tokenizers` library (no download): its merges make tokens that span a
word and the following space or punctuation, as a real model's do, so the
grammars are exercised across lexeme boundaries the way decoding meets them.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

import llguidance
import llguidance.hf
import pytest

sys.path.insert(0, str(Path(__file__).parent))

CORPUS = [
    "I am writing about my order ABC-123456 because the card I received does not work.",
    "Please help me, my transfer has not arrived after two days and I need the money.",
    "The exchange rate was wrong, can you explain why I was charged 2.50 extra?",
    "Call me at 555 123 4567 or write to jane.doe@example.com about the 4111 1111 1111 1111 card.",
    "Great service, I love it! Acme and Globex are worse. Scam? No, a scammer.",
] * 10


@pytest.fixture(scope="session")
def lltok() -> llguidance.LLTokenizer:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=600, min_frequency=1, special_tokens=["<s>", "</s>"])
    fast = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>")
    return llguidance.hf.from_tokenizer(fast)


@pytest.fixture(scope="session")
def accepts(lltok) -> Callable[[str, str], bool]:
    """accepts(grammar, text): is `text` a complete sentence of the grammar?  Fails on a broken grammar."""

    def check(grammar: str, text: str) -> bool:
        matcher = llguidance.LLMatcher(lltok, llguidance.grammar_from("lark", grammar), log_level=0)
        assert not matcher.is_error(), matcher.get_error()
        ok = matcher.consume_tokens(lltok.tokenize_str(text))
        return bool(ok) and not matcher.is_error() and matcher.is_accepting()

    return check


@pytest.fixture(scope="session")
def sample(lltok) -> Callable[[str, int], str]:
    """sample(grammar, seed): a random sentence of the grammar, drawn token by token through the mask.

    Space and short tokens are favoured so a walk reaches the word limits; the
    point is that whatever the grammar lets through is a valid value.
    """
    import numpy as np
    from llguidance.numpy import allocate_token_bitmask, fill_next_token_bitmask

    def walk(grammar: str, seed: int) -> str:
        rng = random.Random(seed)
        matcher = llguidance.LLMatcher(lltok, llguidance.grammar_from("lark", grammar), log_level=0)
        mask = allocate_token_bitmask(1, lltok.vocab_size)
        out: list[int] = []
        for _ in range(5000):
            if matcher.is_stopped() or matcher.is_error():
                break
            fill_next_token_bitmask(matcher, mask, 0)
            bits = np.unpackbits(mask[0].view(np.uint8), bitorder="little")[: lltok.vocab_size]
            allowed = [t for t in np.flatnonzero(bits).tolist() if t != lltok.eos_token]
            if not allowed:
                break
            spaced = [t for t in allowed if lltok.decode_bytes([t]).startswith(b" ")]
            newline = [t for t in allowed if lltok.decode_bytes([t]) == b"\n"]
            if newline and rng.random() < 0.2:
                choice = newline[0]
            elif spaced and rng.random() < 0.35:
                choice = rng.choice(spaced)
            else:
                choice = rng.choice(allowed)
            assert matcher.consume_token(choice), matcher.get_error()
            out.append(choice)
        assert not matcher.is_error(), matcher.get_error()
        assert matcher.is_accepting(), "the walk did not finish a sentence"
        return lltok.decode_bytes(out).decode("utf-8")

    return walk
