"""Compiling llguidance grammars once, and checking text against them.

Lowering emits Lark text; llguidance wants its grammar spec (JSON).  The
conversion and the validation against the grammar language are cached on disk
keyed by the grammar's hash, so a second build of the same spec compiles
nothing.  `accepts` re-checks a finished text with a byte-level tokenizer: it
needs no model, so it works for every backend, including servers that may not
have enforced the grammar at all.

llguidance itself is imported on first use, not with this module: `synthspec check` of a spec whose grammars are
already in the disk cache never needs it, and importing it costs ~35 ms (a third of that its GBNF converter).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.cache import atomic_write_bytes, cache_dir, text_sha256

if TYPE_CHECKING:
    import llguidance

_EOS = 256


class _ByteVocabulary:
    """A 257-token vocabulary (every byte plus EOS): the simplest exact tokenizer."""

    eos_token_id = _EOS
    bos_token_id = None
    tokens = [bytes([i]) for i in range(256)] + [b"\xff<eos>"]
    special_token_ids = [_EOS]

    def __call__(self, data: bytes) -> list[int]:
        return list(data)


@lru_cache(maxsize=1)
def byte_tokenizer() -> llguidance.LLTokenizer:
    """The byte-level llguidance tokenizer used for model-free checks."""
    import llguidance

    return llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteVocabulary()))


@lru_cache(maxsize=4096)
def compile_grammar(grammar: str) -> str:
    """The llguidance grammar spec for Lark text, validated; cached in memory and on disk.

    A grammar llguidance rejects is a bug in lowering, not in the user's spec,
    but it still surfaces as a SynthspecError naming the problem rather than a
    model that silently produces garbage.
    """
    key = text_sha256(grammar)
    path = cache_dir("grammars") / f"{key}.json"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    import llguidance

    try:
        spec = llguidance.grammar_from("lark", grammar)
    except ValueError as exc:
        raise _bad_grammar(grammar, str(exc)) from None
    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(spec, byte_tokenizer())
    if is_error:
        raise _bad_grammar(grammar, "; ".join(messages))
    try:
        atomic_write_bytes(path, spec.encode("utf-8"))
    except OSError:
        pass  # an unwritable cache only costs time
    return spec


def _bad_grammar(grammar: str, message: str) -> SynthspecError:
    first = grammar.strip().splitlines()[0] if grammar.strip() else "<empty>"
    return SynthspecError(
        f"internal error: a lowered grammar is not valid llguidance Lark: {message}",
        code=codes.GRAMMAR_INVALID,
        hint=f"please report this with your spec; grammar starts with: {first[:80]}",
    )


def parser_limits() -> llguidance.LLParserLimits:
    """Parser limits for our grammars.

    Text grammars unroll word positions into rules (to count words and place included values), so
    computing one token mask over Gemma's 262k vocabulary can visit more Earley items than
    llguidance's default step limit of 50,000; at the limit the matcher errors and the row ends
    early (seen as truncated texts).  Ten times the default keeps a step well under a millisecond
    budget in practice.
    """
    import llguidance

    return llguidance.LLParserLimits(step_max_items=500_000)


def accepts(grammar: str, text: str) -> bool:
    """True when `text` is a complete sentence of `grammar` (nothing missing, nothing extra)."""
    import llguidance

    matcher = llguidance.LLMatcher(byte_tokenizer(), compile_grammar(grammar), log_level=0, limits=parser_limits())
    if not matcher.consume_tokens(list(text.encode("utf-8"))):
        return False
    return matcher.is_accepting() and not matcher.is_error()
