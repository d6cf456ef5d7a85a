"""`when` rules parse to the same AST nodes as a text's own rules, whatever their target field is called."""

from __future__ import annotations

import pytest

from synthspec.parse import Source, ast, parse_source


@pytest.mark.parametrize("target", ["text", "words", "tone", "chars", "style", "count", "must"])
def test_rule_targets_may_be_named_like_keywords(target: str) -> None:
    text = (f'dataset d {{ when s == "a" {{ s must include x, "y" {target} must not include "z" case sensitive, '
            f'banned, /q+/ {target} must include w }} }}')
    rules = parse_source(Source("w.synth", text)).datasets[0].body[0].rules
    assert [r.target.value for r in rules] == ["s", target, target]
    include, exclude, last = (r.rule for r in rules)
    assert isinstance(include, ast.MustInclude) and [type(i.value) for i in include.items] == [ast.Name, ast.Str]
    assert isinstance(exclude, ast.MustNotInclude)
    assert [(type(i.value), i.case_sensitive) for i in exclude.items] == [
        (ast.Str, True), (ast.Name, False), (ast.Regex, False)]
    assert isinstance(last, ast.MustInclude) and isinstance(last.items[0], ast.IncludeItem)
