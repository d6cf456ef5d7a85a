"""Fixtures for the generation tests: a tiny random-weight model built once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_model import build_tiny_model  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_backend(tiny_model_dir):
    from synthspec.generate.backends.transformers import TransformersBackend

    backend = TransformersBackend(str(tiny_model_dir))
    yield backend
    backend.close()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Each test session gets its own synthspec cache, so cache tests see cold and warm states."""
    monkeypatch.setenv("SYNTHSPEC_CACHE", str(tmp_path_factory.getbasetemp() / "synthspec-cache"))
