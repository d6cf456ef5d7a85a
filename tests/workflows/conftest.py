"""Fixtures: the tiny random-weight model of tests/generate and a private cache (shared in tests/tiny_model_fixtures.py)."""

from tiny_model_fixtures import _private_cache, tiny_model_dir  # noqa: F401
