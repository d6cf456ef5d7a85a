"""The diagnostic registry is complete: every code the source uses is registered, documented and tested.

Like datasette's test that every plugin hook is documented, but over diagnostic codes.  Call sites should use the
constants of `synthspec.codes`; a bare string literal that looks like a code is accepted only when it is registered
(modules owned by other work still pass literals).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from synthspec import codes
from tests.conftest import REPO

PACKAGE = REPO / "synthspec"
ERROR_GOLDENS = REPO / "tests" / "fixtures" / "check" / "errors"

# Error codes of the check and lowering stages that no golden fixture or named test produces, and why.
NOT_COVERED: dict[str, str] = {}


def _sources() -> dict[str, ast.Module]:
    return {str(p.relative_to(REPO)): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(PACKAGE.rglob("*.py")) if p.name != "codes.py"}


def _literal_codes() -> dict[str, list[str]]:
    """Every string literal in synthspec/ that is exactly a code, with where it appears."""
    found: dict[str, list[str]] = {}
    for path, tree in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and codes.CODE_PATTERN.fullmatch(node.value):
                found.setdefault(node.value, []).append(f"{path}:{node.lineno}")
    return found


def _constant_uses() -> set[str]:
    """The registry constants referenced as `codes.NAME` anywhere in synthspec/."""
    names = set()
    for tree in _sources().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "codes":
                names.add(node.attr)
    return names


def _constants() -> dict[str, str]:
    """Registry constant name → code."""
    return {name: value for name, value in vars(codes).items()
            if name.isupper() and isinstance(value, str) and value in codes.REGISTRY}


def test_call_sites_use_the_registry_constants_not_code_literals() -> None:
    # a literal "C030" can name an unregistered code or drift from the registry; `codes.NAME` cannot
    literals = _literal_codes()
    assert not literals, f"use the synthspec.codes constants instead of these literals: {literals}"


def test_every_constant_used_exists_and_every_code_is_used() -> None:
    constants = _constants()
    used = _constant_uses()
    missing = used - set(constants) - {"REGISTRY", "CODE_PATTERN", "lookup", "STAGES"}
    assert not missing, f"codes.{sorted(missing)} are not registry constants"
    reachable = {constants[name] for name in used if name in constants}
    unused = sorted(set(codes.REGISTRY) - reachable - {codes.UNKNOWN_CODE})
    assert not unused, f"registered but never reported (remove them, or use them): {unused}"


def test_every_entry_is_complete_and_one_line() -> None:
    for code, info in codes.REGISTRY.items():
        assert info.code == code and codes.CODE_PATTERN.fullmatch(code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", info.slug), code
        assert info.summary and "\n" not in info.summary and len(info.summary) <= 100, code
        assert len(info.explanation) >= 20, f"{code}: explain what triggers it and what to do"


def test_docs_are_generated_from_the_registry() -> None:
    doc = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert doc == codes.render_docs(), "docs/diagnostics.md is stale: python -m synthspec.codes --write-docs"
    for code, info in codes.REGISTRY.items():
        assert f"### {code} `{info.slug}`" in doc


def test_every_check_and_lowering_error_is_covered_by_a_golden_or_a_test() -> None:
    goldens = " ".join(p.read_text(encoding="utf-8") for p in ERROR_GOLDENS.glob("*.out"))
    tests = " ".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("test_*.py")
                     if p.name != "test_codes.py")
    uncovered = []
    for code, info in sorted(codes.REGISTRY.items()):
        if code[0] not in "CL" or info.severity != "error" or code in NOT_COVERED:
            continue
        if f"error[{code}]" not in goldens and not re.search(rf"\b{code}\b", tests):
            uncovered.append(f"{code} ({info.summary})")
    assert not uncovered, "add a golden under tests/fixtures/check/errors or a test naming:\n" + "\n".join(uncovered)
    stale = [code for code in NOT_COVERED if code not in codes.REGISTRY]
    assert not stale, f"NOT_COVERED names unregistered codes: {stale}"


def test_explain_prints_the_entry_and_refuses_unknown_codes() -> None:
    shown = subprocess.run([sys.executable, "-m", "synthspec", "explain", "c030"], capture_output=True, text=True,
                           cwd=REPO)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("C030 (invalid-regex, error, check): ")
    assert codes.REGISTRY["C030"].explanation.split()[0] in shown.stdout
    unknown = subprocess.run([sys.executable, "-m", "synthspec", "explain", "Q123"], capture_output=True,
                             text=True, cwd=REPO)
    assert unknown.returncode == 1 and "E001" in unknown.stderr and "Traceback" not in unknown.stderr
