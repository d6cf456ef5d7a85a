"""No repeated word n-gram: the decode-time half of degeneration control.

The idea of Hugging Face's `no_repeat_ngram_size`, on words instead of tokens:
while a text is decoded, a token may not complete a word n-gram the text already
contains.  Words are what `synthspec.validate.text.words` counts (runs of
letters/digits, inner apostrophes kept, case-folded), so the reports' repeated
n-gram measure and this guard agree.

A token completes a word when a delimiter follows it.  Gemma-style vocabularies
put the delimiter first (`" cat"`), so the common case is cheap: when the word
being written would complete a banned n-gram, every delimiter-led token (a
packed bitmask computed once per vocabulary) is banned, and so are the few
tokens whose text before their first delimiter finishes the banned word (a dict
lookup).  Everything rarer (a token carrying several words) is caught by
`violates`, an exact check of the sampled token: the sampler draws again
without it.  The guard never leaves a row with nothing allowed: when the
grammar admits only tokens the guard bans, validity wins and the ban is lifted
for that step.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_APOSTROPHES = "'’"


def is_word_char(ch: str) -> bool:
    """Letters and digits (not `_`), plus apostrophes, which join `don't` into one word."""
    return ch.isalnum() or ch in _APOSTROPHES


def normalize_word(raw: str) -> str:
    """The word as the reports count it: outer apostrophes dropped, case-folded."""
    return raw.strip(_APOSTROPHES).casefold()


class TokenWords:
    """What every token of a vocabulary does to words, indexed once per vocabulary.

    `delimiter_led` is a packed bitmask (llguidance layout: bit i % 32 of word
    i // 32) of the tokens whose first character ends the word being written;
    `by_lead` maps the case-folded text before a token's first delimiter to the
    tokens that write it and then a delimiter; `by_start` maps a word to the
    tokens that are delimiters and then exactly that word (` have`), which is
    how a banned word is usually begun; `by_piece` maps the text of the tokens
    made of word characters only (`have`, `ve`) to them.
    """

    def __init__(self, token_bytes: Sequence[bytes], eos_tokens: Iterable[int] = ()) -> None:
        self.token_bytes = list(token_bytes)
        size = len(self.token_bytes)
        led = np.zeros(((size + 31) // 32) * 32, dtype=bool)
        self.by_lead: dict[str, list[int]] = {}
        self.by_start: dict[str, list[int]] = {}
        self.by_piece: dict[str, list[int]] = {}
        for token, raw in enumerate(self.token_bytes):
            if not raw or raw[0] == 0xFF:  # special/control tokens write no text
                continue
            text = raw.decode("utf-8", errors="ignore")
            if not text:
                continue
            cut = next((i for i, ch in enumerate(text) if not is_word_char(ch)), -1)
            if cut == 0:
                led[token] = True
            elif cut > 0:
                self.by_lead.setdefault(text[:cut].casefold(), []).append(token)
            rest = text.lstrip("".join(ch for ch in set(text) if not is_word_char(ch)))
            if rest and all(is_word_char(ch) for ch in rest) and normalize_word(rest):
                if rest == text:
                    self.by_piece.setdefault(text.casefold(), []).append(token)
                else:
                    self.by_start.setdefault(normalize_word(rest), []).append(token)
        for token in eos_tokens:  # ending the text completes the last word
            if 0 <= token < size:
                led[token] = True
        self.delimiter_led = np.packbits(led, bitorder="little").view("<i4").copy()


def token_words_from(tokenizer: Any) -> TokenWords:
    """The word index for an llguidance tokenizer (any backend): each token's bytes, specials marked 0xff."""
    pieces = [b"\xff" if tokenizer.is_special_token(t) else tokenizer.decode_bytes([t])
              for t in range(tokenizer.vocab_size)]
    return TokenWords(pieces, [tokenizer.eos_token])


def _clear_bits(mask: np.ndarray, tokens: Iterable[int]) -> None:
    for token in tokens:
        word, bit = divmod(int(token), 32)
        if word < mask.shape[0]:
            mask[word] &= np.int32(~(1 << bit) if bit < 31 else 0x7FFFFFFF)


@dataclass
class WordNgramGuard:
    """The words one sequence has written, and which next words would repeat an n-gram."""

    index: TokenWords
    n: int
    words: list[str] = field(default_factory=list)
    partial: str = ""
    seen: dict[tuple[str, ...], set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def _banned_after(self, words: list[str]) -> set[str]:
        if len(words) < self.n - 1:
            return set()
        return self.seen.get(tuple(words[len(words) - (self.n - 1):]), set())

    def restrict(self, mask: np.ndarray) -> None:
        """Clear, in the packed int32 `mask`, the tokens that would complete or begin a repeated n-gram.

        A banned word is stopped where it begins: every token that begins it
        (` have`, and ` ha`, ` h` when the tokenizer could spell it in pieces),
        since banning only the delimiter after a finished word leaves the model
        one escape, gluing letters on (`havea`).  This bans a few innocent words
        too (` hat` after ` ha`), only at the positions right after a repeated
        n-1 words.
        """
        before = mask.copy()
        current = normalize_word(self.partial)
        banned = self._banned_after(self.words)
        if banned and current:
            if current in banned:
                width = min(mask.shape[0], self.index.delimiter_led.shape[0])
                mask[:width] &= ~self.index.delimiter_led[:width]
            core = self.partial.casefold().lstrip(_APOSTROPHES)
            for word in banned:
                if word.startswith(core):
                    need = word[len(core):]
                    for lead in (need, need + "'", need + "’"):
                        if lead:
                            _clear_bits(mask, self.index.by_lead.get(lead, ()))
                    for end in range(1, len(need) + 1):  # tokens spelling the rest of the banned word
                        _clear_bits(mask, self.index.by_piece.get(need[:end], ()))
        # the word the next token may begin: after the current word if one is being written, which itself
        # completes an n-gram first (so `time time` then `time` is banned before that n-gram is on record)
        following = set(self._banned_after([*self.words, current] if current else self.words))
        if current and len(self.words) >= self.n - 1:
            pending = (*self.words[len(self.words) - (self.n - 1):], current)
            if pending[1:] == pending[:-1]:
                following.add(current)
        for word in following:
            for end in range(1, len(word) + 1):
                _clear_bits(mask, self.index.by_start.get(word[:end], ()))
                if not current:  # right after a delimiter a word may also begin with a bare piece
                    _clear_bits(mask, self.index.by_piece.get(word[:end], ()))
        if not mask.any():
            mask[:] = before  # the grammar allows nothing else: validity wins over the guard

    def _scan(self, text: str) -> tuple[list[str], list[tuple[tuple[str, ...], str]], str]:
        """Appending `text` now: (words it completes, their (previous n-1 words, word) pairs, new partial word)."""
        words, partial, added, pairs = list(self.words), self.partial, [], []
        for ch in text:
            if is_word_char(ch):
                partial += ch
                continue
            word = normalize_word(partial)
            partial = ""
            if word:
                if len(words) >= self.n - 1:
                    pairs.append((tuple(words[len(words) - (self.n - 1):]), word))
                words.append(word)
                added.append(word)
        return added, pairs, partial

    def _text_of(self, token: int) -> str:
        raw = self.index.token_bytes[token] if 0 <= token < len(self.index.token_bytes) else b""
        if raw[:1] == b"\xff":
            return ""
        probe = codecs.getincrementaldecoder("utf-8")(errors="replace")
        probe.setstate(self._decoder.getstate())
        return probe.decode(raw)

    def violates(self, token: int) -> bool:
        """True when writing `token` now completes a word n-gram the text already has (or repeats one inside itself)."""
        fresh: dict[tuple[str, ...], set[str]] = {}
        for prefix, word in self._scan(self._text_of(token))[1]:
            if word in self.seen.get(prefix, ()) or word in fresh.get(prefix, ()):
                return True
            fresh.setdefault(prefix, set()).add(word)
        return False

    def accept(self, token: int) -> None:
        """Record that `token` was written."""
        raw = self.index.token_bytes[token] if 0 <= token < len(self.index.token_bytes) else b""
        text = "" if raw[:1] == b"\xff" else self._decoder.decode(raw)
        added, pairs, self.partial = self._scan(text)
        for prefix, word in pairs:
            self.seen.setdefault(prefix, set()).add(word)
        self.words.extend(added)


def repeated_ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The word n-grams that occur more than once (for tests and re-checks)."""
    seen: set[tuple[str, ...]] = set()
    repeated = []
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        if gram in seen:
            repeated.append(gram)
        seen.add(gram)
    return repeated
