"""`term_regex` (a trie of terms) matches exactly what a flat longest-first alternation of the terms matches."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from synthspec.grammar.terms import term_regex

# few characters, so that terms share prefixes, differ only in case and sit next to word boundaries
CHARS = "abAB .-'éÉſs"
terms_st = st.lists(st.text(alphabet=CHARS, min_size=1, max_size=5).filter(str.strip), min_size=1, max_size=8)


def flat(terms: list[str], case_sensitive: bool) -> re.Pattern[str]:
    cleaned = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(t) for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", 0 if case_sensitive else re.IGNORECASE)


@settings(max_examples=400, deadline=None)
@given(terms=terms_st, case_sensitive=st.booleans(),
       texts=st.lists(st.text(alphabet=CHARS, max_size=14), min_size=1, max_size=10))
def test_the_trie_finds_what_the_flat_alternation_finds(terms, case_sensitive, texts) -> None:
    trie, reference = term_regex(terms, case_sensitive), flat(terms, case_sensitive)
    assert trie is not None
    for text in texts:
        got, want = trie.search(text), reference.search(text)
        assert (got and (got.span(), got.group(0))) == (want and (want.span(), want.group(0))), (terms, text)


def test_a_longer_term_wins_over_its_prefix_whatever_the_case() -> None:
    rx = term_regex(["B", "b.", "ass", "asshole"])
    assert rx is not None
    assert rx.search("-b..").group(0) == "b."
    assert rx.search("you ASSHOLE!").group(0) == "ASSHOLE"
    assert rx.search("a class act") is None
