"""Shared test setup: run from the repository root, offline, with golden-file helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)


def update_goldens() -> bool:
    """Set SYNTHSPEC_UPDATE_GOLDENS=1 to rewrite golden files from the current output."""
    return os.environ.get("SYNTHSPEC_UPDATE_GOLDENS") == "1"


def assert_golden(path: Path, actual: str) -> None:
    """Compare with a golden file (or write it when updating)."""
    if update_goldens() or not path.exists():
        if not update_goldens() and os.environ.get("CI"):
            raise AssertionError(f"golden file missing in CI: {path}")
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path} (SYNTHSPEC_UPDATE_GOLDENS=1 to accept)"
