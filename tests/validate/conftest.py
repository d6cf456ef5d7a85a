"""Fixtures for validator tests: the BANKING77 slice (tests/fixtures/banking77, CC BY 4.0) and its spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthspec.datafiles import read_table
from synthspec.ir.compile import compile_spec
from synthspec.ir.model import Spec, ValidatorUse
from synthspec.validate.runner import load_seeds

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "banking77"
BUILTINS = (
    "bias",
    "combinations",
    "consistency",
    "contamination",
    "counterfactual",
    "dedup",
    "distribution",
    "diversity",
    "forbidden",
    "leakage",
    "schema",
    "seed_copy",
)


@pytest.fixture(scope="session")
def banking_spec() -> Spec:
    return compile_spec(FIXTURES / "banking.synth").spec


@pytest.fixture(scope="session")
def banking_seeds(banking_spec):
    return load_seeds(banking_spec)


@pytest.fixture()
def banking_sample() -> list[dict]:
    return read_table(FIXTURES / "sample.csv")


def with_validators(spec: Spec, *uses: ValidatorUse) -> Spec:
    """The spec with its validator list replaced (the IR is frozen; model_copy makes a new one)."""
    return spec.model_copy(update={"validators": tuple(uses)})


def all_builtins(spec: Spec, *, exclude: tuple[str, ...] = (), **params_by_name: dict) -> Spec:
    """Every built-in validator but `exclude`, with per-validator params (e.g. dedup={"semantic": False})."""
    names = [n for n in BUILTINS if n not in exclude]
    return with_validators(spec, *(ValidatorUse(name=n, params=params_by_name.get(n, {})) for n in names))
