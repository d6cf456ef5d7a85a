"""An Outlines llguidance logits processor with one grammar per batch row.

Outlines' own `LLGuidanceLogitsProcessor` builds a fresh `LLMatcher` for every
generation and one grammar for the whole batch.  Building a matcher re-parses
the grammar; in a build the same field grammar recurs in every record, so this
subclass keeps one pristine matcher per grammar and deep-copies it (cheap), and
lets every row of a batch carry its own grammar (e.g. a `must_include` of that
record's value) so a batch never has to be split by grammar.  A row whose
matcher has stopped is forced to EOS instead of consuming padding.  A row may
also carry a word n-gram guard (`ngram.py`) that removes, from its mask, the
tokens that would repeat a word n-gram.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import llguidance
from outlines.backends.llguidance import LLGuidanceLogitsProcessor

from synthspec.generate.backends.ngram import TokenWords, WordNgramGuard
from synthspec.generate.grammars import parser_limits

_MAX_PRISTINE = 512


def apply_bitmask(row: Any, mask: Any) -> None:
    """Set the logits of the tokens `mask` disallows to -inf, in place (`row` may be a strided view).

    Token i is bit i % 32 of 32-bit word i // 32 (little-endian), as llguidance
    fills it; tokens past the mask are disallowed.  The same result as
    `llguidance.numpy.apply_token_bitmask_inplace`, whose `repeat`/`tile`
    expansion costs ~1 ms a token on a 262k vocabulary: here the bits are
    unpacked in one call and written once.
    """
    import numpy as np

    vocab = row.shape[0]
    words = np.asarray(mask, dtype="<i4").view(np.uint8)
    cut = min(vocab, words.size * 8)
    allowed = np.unpackbits(words, count=cut, bitorder="little").view(bool)
    np.copyto(row[:cut], -np.inf, where=~allowed)
    if cut < vocab:
        row[cut:] = -np.inf


class MatcherPool:
    """Pristine matchers per compiled grammar spec, for one tokenizer."""

    def __init__(self, tokenizer: llguidance.LLTokenizer) -> None:
        self.tokenizer = tokenizer
        self._pristine: OrderedDict[str, llguidance.LLMatcher] = OrderedDict()

    def matcher(self, spec: str) -> llguidance.LLMatcher:
        """A fresh matcher for `spec` (a deep copy of the cached pristine one)."""
        pristine = self._pristine.get(spec)
        if pristine is None:
            pristine = llguidance.LLMatcher(self.tokenizer, spec, log_level=0, limits=parser_limits())
            self._pristine[spec] = pristine
            if len(self._pristine) > _MAX_PRISTINE:
                self._pristine.popitem(last=False)
        else:
            self._pristine.move_to_end(spec)
        return pristine.deep_copy()


class RowGrammarProcessor(LLGuidanceLogitsProcessor):
    """Constrains row i of a batch to grammar i (all grammars compiled llguidance specs)."""

    def __init__(self, specs: Sequence[str], pool: MatcherPool, tensor_library_name: str, *,
                 ngrams: Sequence[int] = (), token_words: Callable[[], TokenWords] | None = None) -> None:
        super().__init__(specs[0], pool.tokenizer, tensor_library_name)
        self.specs = list(specs)
        self.pool = pool
        self.ngrams = list(ngrams) or [0] * len(self.specs)
        self.token_words = token_words
        self.guards: list[WordNgramGuard | None] = []

    def _setup(self, batch_size: int) -> None:
        if batch_size != len(self.specs):
            raise ValueError(f"batch of {batch_size} rows for {len(self.specs)} grammars")
        self.ll_matchers = [self.pool.matcher(spec) for spec in self.specs]
        self.guards = [WordNgramGuard(self.token_words(), n) if n > 0 and self.token_words else None
                       for n in self.ngrams]
        vocab = self.llg_tokenizer.vocab_size
        if self.tensor_library_name == "torch":
            import llguidance.torch

            self.bitmask = llguidance.torch.allocate_token_bitmask(batch_size, vocab)
            self._bias_logits = self._bias_logits_torch_rows  # ours, below
        else:
            import llguidance.numpy

            self.bitmask = llguidance.numpy.allocate_token_bitmask(batch_size, vocab)
            self._bias_logits = self._bias_logits_numpy  # ours, below

    def _bias_logits_numpy(self, input_ids: Any, logits: Any) -> Any:
        import llguidance.numpy

        rows = logits if logits.ndim == 2 else logits[None, :]
        for i in range(rows.shape[0]):
            llguidance.numpy.fill_next_token_bitmask(self.ll_matchers[i], self.bitmask, i)
            if self.guards[i] is not None:
                self.guards[i].restrict(self.bitmask[i])
            apply_bitmask(rows[i], self.bitmask[i])
        return logits

    def _bias_logits_torch_rows(self, input_ids: Any, logits: Any) -> Any:
        """All rows' masks on the CPU (guards applied), then one copy to the logits' device and one masking op."""
        import llguidance.torch

        masks = self.bitmask.numpy()
        for i in range(logits.shape[0]):
            llguidance.torch.fill_next_token_bitmask(self.ll_matchers[i], self.bitmask, i)
            if self.guards[i] is not None:
                self.guards[i].restrict(masks[i])
        llguidance.torch.apply_token_bitmask_inplace(logits, self.bitmask.to(logits.device, non_blocking=True))
        return logits

    def process_logits(self, input_ids: Any, logits: Any) -> Any:
        rows = self.tensor_adapter.shape(input_ids)[0]
        if self.is_first_token:
            self._setup(rows)
            self.is_first_token = False
        else:
            for i in range(rows):
                matcher = self.ll_matchers[i]
                if not matcher.is_stopped() and not matcher.is_error():
                    token = int(input_ids[i][-1])
                    matcher.consume_token(token)
                    if self.guards[i] is not None:
                        self.guards[i].accept(token)
        return self._bias_logits(input_ids, logits)
