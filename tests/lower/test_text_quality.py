"""Degeneration control, clean endings and `words from seeds`: language → IR → grammar → re-check.

Grammars are compiled and run by llguidance itself (the `accepts` fixture); specs are compiled from
real `.synth` text by the real checker; seeds are the shipped BANKING77 slice.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from lower_ir import make_spec, ticket_spec

from synthspec.datafiles import load_seed_examples
from synthspec.diagnostics import SynthspecError
from synthspec.ir.compile import compile_spec
from synthspec.ir.model import DEFAULT_NO_REPEAT, IntRange, TextField
from synthspec.lower import plan_field, plan_records, verify_record
from synthspec.lower.textshape import ending_problem, repeated_ngram, sentence_end_share

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "data" / "banking77" / "support_seeds.jsonl"


def spec_text(tmp_path: Path, text_props: str, seeds: bool = True, count: int = 60) -> Path:
    lines = ["dataset q {", f"  count {count}", "  seed 5"]
    if seeds:
        lines.append(f'  seeds "{SEEDS}" {{ label <- "category" text <- "text" }}')
        lines.append("  field label: category from seeds")
    lines.append(f"  field text: text {{ {text_props} }}")
    lines.append("}")
    path = tmp_path / "q.synth"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def compiled(tmp_path: Path, text_props: str, **kw):
    spec = compile_spec(spec_text(tmp_path, text_props, **kw)).spec
    seeds = load_seed_examples(spec.seeds.resolved_path, spec.seeds.format, dict(spec.seeds.columns),
                               spec.seeds.id_column) if spec.seeds else []
    return spec, seeds


def codes(tmp_path: Path, text_props: str, **kw) -> set[str]:
    with pytest.raises(SynthspecError) as info:
        compile_spec(spec_text(tmp_path, text_props, **kw))
    return {d.code for d in info.value.diagnostics}


# ------------------------------------------------------------------ language


def test_new_statements_reach_the_ir(tmp_path):
    spec, _ = compiled(tmp_path, "words from seeds  no repeat 3")
    text = spec.field("text")
    assert text.words_from_seeds and text.no_repeat == 3 and text.words is None
    plain, _ = compiled(tmp_path, "words 5..9", seeds=False)
    assert plain.field("text").no_repeat == DEFAULT_NO_REPEAT == 4
    assert not plain.field("text").words_from_seeds


def test_checker_rejects_what_cannot_work(tmp_path):
    assert "C047" in codes(tmp_path, "no repeat 1")
    assert "C047" in codes(tmp_path, "no repeat 2.5")
    assert "C047" in codes(tmp_path, "no repeat -3")
    assert "C031" in codes(tmp_path, "words from seeds  words 5..9")
    assert "C031" in codes(tmp_path, "no repeat 3  no repeat 4")
    assert "C080" in codes(tmp_path, "words from seeds", seeds=False)


# ------------------------------------------------------------------ words from seeds


def test_word_bounds_follow_each_categorys_seeds(tmp_path):
    spec, seeds = compiled(tmp_path, "words from seeds", count=300)
    plans = plan_records(spec, seeds)
    assert all("text" in p.words for p in plans)
    # every drawn bound brackets the length of some seed of the record's own label
    by_label: dict[str, set[int]] = {}
    for s in seeds:
        by_label.setdefault(s.values["label"], set()).add(len(s.values["text"].split()))
    for p in plans:
        low, high = p.words["text"]
        assert any(low <= n <= high for n in by_label[p.sampled["label"]])
    # and the midpoints follow the seeds' length distribution
    mids = [sum(p.words["text"]) / 2 for p in plans]
    seed_lengths = [len(s.values["text"].split()) for s in seeds]
    assert abs(statistics.median(mids) - statistics.median(seed_lengths)) <= 2
    # reproducible
    assert [p.words for p in plan_records(spec, seeds)] == [p.words for p in plans]


def test_the_grammar_holds_the_drawn_bound(tmp_path, accepts):
    spec, seeds = compiled(tmp_path, "words from seeds")
    plan = plan_records(spec, seeds)[0]
    low, high = plan.words["text"]
    grammar = plan_field(spec, "text", plan, {}, seeds).grammar
    text = lambda n: " " + " ".join(["card"] * (n - 1) + ["here."]) + "\n"  # noqa: E731
    assert accepts(grammar, text(low)) and accepts(grammar, text(high))
    assert not accepts(grammar, text(high + 1))
    if low > 1:
        assert not accepts(grammar, text(low - 1))


# ------------------------------------------------------------------ endings and repeats in the grammar


def test_seeds_that_end_sentences_make_texts_end_one(tmp_path, accepts):
    spec, seeds = compiled(tmp_path, "words 3..6")
    assert sentence_end_share(s.values["text"] for s in seeds) > 0.8
    plan = plan_records(spec, seeds)[0]
    assert "text" in plan.sentence_end
    grammar = plan_field(spec, "text", plan, {}, seeds).grammar
    assert accepts(grammar, " where is my card?\n")
    assert accepts(grammar, ' it said "declined."\n')
    assert not accepts(grammar, " where is my card\n")
    assert not accepts(grammar, " where is my card...\n")


@pytest.mark.parametrize("ending", ["107-165-", "money's's", "and,", "the (card", "(I've)", 'said "no', "card...",
                                    "from/to/by."])
def test_no_text_ends_inside_a_word_or_unbalanced(accepts, ending):
    grammar = plan_field(make_spec(TextField(name="text", words=IntRange(min=1, max=8))), "text",
                         plan_records(make_spec(TextField(name="text")), [])[0], {}).grammar
    assert accepts(grammar, " my card 107-165 arrived\n")
    assert not accepts(grammar, f" my {ending}\n")


def test_digit_words_in_the_pii_grammar_end_cleanly(accepts):
    spec = ticket_spec()
    grammar = plan_field(spec, "text", plan_records(spec, [])[0], {"order_number": "ABC-123456"}).grammar
    body = " ".join(["please"] * 55)
    assert accepts(grammar, f" ABC-123456 {body} 107-165.\n")
    assert not accepts(grammar, f" ABC-123456 {body} 107-165-\n")


def test_the_sampler_is_told_the_ngram_size(tmp_path):
    spec, seeds = compiled(tmp_path, "words 3..6  no repeat 3")
    assert plan_field(spec, "text", plan_records(spec, seeds)[0], {}, seeds).no_repeat_ngram == 3
    spec, seeds = compiled(tmp_path, "words 3..6  no repeat 0")
    assert plan_field(spec, "text", plan_records(spec, seeds)[0], {}, seeds).no_repeat_ngram == 0


# ------------------------------------------------------------------ the re-check after decoding


def test_verify_rejects_loops_and_cut_texts():
    spec = make_spec(TextField(name="text", words=IntRange(min=1, max=60)))
    loop = "I want my card back. I want my card back now."
    assert any("repeats the words 'i want my card'" in p for p in verify_record(spec, {"text": loop}))
    assert verify_record(spec, {"text": "I want my card back, and I want it now."}) == []
    assert any("mid-word" in p for p in verify_record(spec, {"text": "my number is 107-165-"}))
    assert any("unbalanced" in p for p in verify_record(spec, {"text": "(search: travel"}))
    off = make_spec(TextField(name="text", words=IntRange(min=1, max=60), no_repeat=0))
    assert verify_record(off, {"text": loop}) == []


def test_shared_measures():
    assert repeated_ngram("a b c d a b c d", 4) == ("a", "b", "c", "d")
    assert repeated_ngram("A b, c d; a B c D", 4) == ("a", "b", "c", "d")  # case and punctuation ignored
    assert repeated_ngram("a b c d a b c e", 4) is None
    assert repeated_ngram("a a a a", 0) is None
    assert ending_problem("I'm...", sentence_end=True) is None  # a sentence end, just a weak one
    assert ending_problem("I will be wearing", sentence_end=True) is not None
    assert ending_problem("I will be wearing") is None
    assert ending_problem('She said "hi"') is None


def test_banking77_seeds_pass_their_own_default():
    texts = [json.loads(line)["text"] for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    assert sum(repeated_ngram(t, DEFAULT_NO_REPEAT) is not None for t in texts) == 0


def test_explain_shows_the_drawn_bound_the_ending_and_the_ngram_size(tmp_path, capsys):
    from synthspec.cli import main

    path = spec_text(tmp_path, "words from seeds  no repeat 3")
    assert main(["explain", str(path), "--section", "grammar"]) == 0
    out = capsys.readouterr().out
    spec, seeds = compiled(tmp_path, "words from seeds  no repeat 3")
    low, high = plan_records(spec, seeds)[0].words["text"]
    assert f"this record may write {low}..{high} words" in out
    assert "all 90 seeds: median" in out
    assert "ends on a sentence end" in out and "no repeat 3" in out
