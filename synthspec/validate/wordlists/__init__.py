"""Word lists used by the built-in validators: the language's lists (`synthspec/grammar/wordlists/`)."""

from __future__ import annotations

from synthspec.grammar.terms import load_list

__all__ = ["load_list"]
