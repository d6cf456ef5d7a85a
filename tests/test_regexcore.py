"""The one regex core: every form derived from one parse agrees with Python's own engine on real strings."""

from __future__ import annotations

import re

import pytest

from synthspec import regexcore
from synthspec.check.regexes import regex_width
from synthspec.generate.gbnf import lark_to_gbnf

PATTERNS = [r"[A-Z0-9]{3}-[0-9]{6}", r"\d{2,4}(\.\d\d)?", r"(foo|ba[rz])+", r"[^x]y", r"a.c", r"\w+ \w+",
            r"(?i)scam", r"[a-c\s]", r"colou?r", r"\S+"]
SAMPLES = ["AB1-123456", "12", "1234.56", "foobarbaz", "zy", "abc", "a c", "hello world", "SCAM", "b", " ", "color",
           "colour", "no-space", "x", "", "a\tb"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_llguidance_form_matches_what_the_pattern_matches(pattern: str) -> None:
    ours = re.compile(regexcore.to_llg(pattern))
    theirs = re.compile(pattern)
    for sample in SAMPLES:
        if "\n" not in sample:
            assert bool(ours.fullmatch(sample)) == bool(theirs.fullmatch(sample)), (pattern, sample)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_width_bounds_every_match(pattern: str) -> None:
    low, high = regex_width(pattern)
    for sample in SAMPLES:
        if re.fullmatch(pattern, sample):
            assert low <= len(sample) and (high is None or len(sample) <= high), (pattern, sample)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_can_match_space_is_never_wrong_when_it_says_no(pattern: str) -> None:
    spaced = [s for s in SAMPLES if any(c.isspace() for c in s) and re.fullmatch(pattern, s)]
    if spaced:
        assert regexcore.can_match_space(pattern), (pattern, spaced)
    assert regexcore.can_match_space("[a-z]+") is False and regexcore.can_match_space("a b") is True


def test_one_parse_serves_every_form() -> None:
    regexcore.parse.cache_clear()
    pattern = r"[A-Z]{2}\d+"
    regexcore.width(pattern)
    regexcore.to_llg(pattern)
    regexcore.to_gbnf(pattern)
    regexcore.can_match_space(pattern)
    info = regexcore.parse.cache_info()
    assert info.misses == 1 and info.hits >= 3


def test_gbnf_form_of_a_pattern_terminal() -> None:
    gbnf = lark_to_gbnf('start: " " VALUE "\\n"\nVALUE: /[A-Z]{2}\\d+/\n')
    assert "[A-Z]" in gbnf and "[0-9]" in gbnf and "root ::=" in gbnf
    with pytest.raises(regexcore.Untranslatable):
        regexcore.to_gbnf(r"(a)\1")
    with pytest.raises(regexcore.Unsupported):
        regexcore.to_llg(r"(?<=a)b")
    assert regex_width("(") is None
