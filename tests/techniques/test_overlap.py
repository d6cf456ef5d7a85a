"""ROUGE-L, the pruned novelty pool and word edit distance."""

from __future__ import annotations

import itertools

from synthspec.datafiles import read_table
from synthspec.generate.techniques.overlap import (
    RougePool,
    lcs_length,
    normalized_edit_distance,
    rouge_l,
    word_edit_distance,
)


def test_lcs_and_rouge_l_by_hand() -> None:
    assert lcs_length("a b c d e".split(), "a c e x".split()) == 3
    # LCS 3, recall 3/5, precision 3/4 -> F = 2·0.6·0.75/1.35
    assert abs(rouge_l("a b c d e", "a c e x") - (2 * 0.6 * 0.75 / 1.35)) < 1e-12
    assert rouge_l("Write a poem.", "write a POEM") == 1.0
    assert rouge_l("completely different", "nothing shared here") == 0.0
    assert rouge_l("", "anything") == 0.0
    assert rouge_l("the cat sat", "sat the cat") == rouge_l("sat the cat", "the cat sat")


def test_pool_maximum_equals_brute_force_on_real_seed_tasks() -> None:
    instructions = [row["instruction"] for row in read_table("data/self_instruct/seed_tasks.jsonl")]
    pool = RougePool(instructions[:120])
    for candidate in itertools.islice(instructions[120:], 0, 55, 5):
        brute = max(rouge_l(candidate, other) for other in instructions[:120])
        assert abs(pool.max_similarity(candidate) - brute) < 1e-12
    assert pool.max_similarity(instructions[7]) == 1.0
    assert pool.max_similarity(instructions[7], stop_at=0.7) >= 0.7


def test_word_edit_distance() -> None:
    assert word_edit_distance("the film was bad", "the film was good") == 1
    assert word_edit_distance("a b c", "") == 3
    assert normalized_edit_distance("one two three four", "one two three four") == 0.0
    assert normalized_edit_distance("a b", "c d e f") == 1.0
