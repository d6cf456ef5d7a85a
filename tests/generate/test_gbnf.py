"""Lark → GBNF translation for servers, checked by llama.cpp's own grammar parser."""

from __future__ import annotations

import llama_cpp
import pytest

from synthspec.generate.gbnf import Untranslatable, lark_to_gbnf

CASES = [
    'start: "The " WORD " is " ("red"|"blue") ".\\n"\nWORD: /[a-z]{2,10}/\n',
    'start: VALUE "\\n"\nVALUE: /[A-Z0-9]{3}-[0-9]{6}/\n',
    'start: WORD (" " WORD){4,9} "\\n"\nWORD: /[A-Za-z\'-]{1,12}[.,!?]?/\n',
    'start: item+ [tail]\n     | "none"\nitem: "x" | /\\d+/\ntail: /(ab|cd)*\\s?/\n',
    'start: /[^"\\n]{1,20}/ "\\n"\n',
]


@pytest.mark.parametrize("grammar", CASES)
def test_translation_is_accepted_by_llama_cpp(grammar):
    gbnf = lark_to_gbnf(grammar)
    assert gbnf.startswith("root ::= ")
    llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)  # raises on invalid GBNF


def test_literals_and_repetitions_are_rendered():
    gbnf = lark_to_gbnf('start: "a\\"b" X{2,5} X~3 X~1..2\nX: /[0-9]/\n')
    assert 'root ::= "a\\"b" (r-x-1){2,5} (r-x-1){3,3} (r-x-1){1,2}' in gbnf
    assert "r-x-1 ::= [0-9]" in gbnf


@pytest.mark.parametrize("grammar", [
    'start: /(?=a)b/\n',  # lookahead
    'start: "a"i\n',  # case-insensitive literal
    '%import common.WORD\nstart: WORD\n',  # directives
    'start: missing\n',  # undefined name
])
def test_untranslatable_constructs_are_refused(grammar):
    with pytest.raises(Untranslatable):
        lark_to_gbnf(grammar)
