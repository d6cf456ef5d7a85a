"""Every public part of the plugin API is documented in docs/plugins.md (like datasette's hook-docs test)."""

from __future__ import annotations

import re

import pytest

from synthspec.validate import api, testing
from synthspec.validate.api import Finding, Validator, ValidatorContext, ValidatorResult
from tests.conftest import REPO

DOC = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")


def _documented(name: str) -> bool:
    return re.search(rf"`[^`]*\b{re.escape(name)}\b[^`]*`", DOC) is not None


@pytest.mark.parametrize("name", api.__all__)
def test_public_name_is_documented(name: str) -> None:
    assert _documented(name), f"synthspec.validate.api.{name} is not mentioned in docs/plugins.md"


@pytest.mark.parametrize("cls", [Finding, ValidatorResult, ValidatorContext])
def test_every_field_of_the_data_classes_is_documented(cls) -> None:
    missing = [f for f in cls.__dataclass_fields__ if not _documented(f)]
    assert not missing, f"{cls.__name__} fields not in docs/plugins.md: {missing}"


def test_every_validator_attribute_and_hook_is_documented() -> None:
    names = [
        "name",
        "api_version",
        "Params",
        "scope",
        "default_policy",
        "description",
        "prepare",
        "check_record",
        "check_dataset",
        "finding",
        "check_limit",
    ]
    assert all(hasattr(Validator, n) for n in names)
    assert [n for n in names if not _documented(n)] == []


def test_the_testing_helper_and_the_api_version_are_documented() -> None:
    assert _documented(testing.run_validator.__name__)
    assert f"API version {api.API_VERSION}" in DOC or f"API_VERSION = {api.API_VERSION}" in DOC
