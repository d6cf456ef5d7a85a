"""The pipeline's import rule: a stage imports only the stages before it (and the base modules)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "synthspec"
BASE = {"diagnostics", "codes", "regexcore", "datafiles", "embeddings", "pii", "__init__"}
ENTRY = {"__main__"}  # the entry point sits above the pipeline
ORDER = ["grammar", "parse", "check", "ir", "lower", "generate", "validate", "report", "cli"]
# The IR's models are the bottom of the front end: they sit between parse and check, so the checker validates a
# spec through them (they import nothing of the pipeline).
IR_MODELS = {"synthspec.ir.model", "synthspec.ir.params"}


def _layer(module: str) -> float | None:
    """The pipeline position of a dotted module name inside synthspec (None for base modules)."""
    if module in IR_MODELS:
        return ORDER.index("parse") + 0.5
    parts = module.split(".")
    if parts[0] != "synthspec" or len(parts) == 1:
        return None
    head = parts[1]
    if head in ENTRY:
        return None
    if head in BASE:
        return -1
    return ORDER.index(head) if head in ORDER else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_every_stage_is_a_known_folder() -> None:
    for child in PACKAGE.iterdir():
        if child.is_dir() and not child.name.startswith("__"):
            assert child.name in ORDER, f"synthspec/{child.name} is not a pipeline stage: add it to docs/architecture.md"


def test_imports_point_down_the_pipeline() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(REPO).with_suffix("")
        own = _layer(".".join(relative.parts).removesuffix(".__init__"))
        if own is None:
            continue
        for imported in _imports(path):
            target = _layer(imported)
            if target is not None and target > own:
                violations.append(f"{relative} imports {imported}")
    assert not violations, "imports pointing up the pipeline:\n" + "\n".join(violations)
