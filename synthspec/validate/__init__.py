"""Stage 7: the validator plugin API, plugin discovery, the runner and the built-in validators.

Public entry points (see docs/plugins.md for the plugin API itself):
`validator_param_models()` for the checker, `make_record_check()` for the
build engine's per-record callback, `run_dataset_validators()` after
generation, `validate_records()` for `synthspec validate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthspec.validate.api import API_VERSION, Finding, Rejection, Scope, Severity, Validator
from synthspec.validate.registry import get_registry, refresh_registry, validator_param_models

if TYPE_CHECKING:
    from synthspec.validate.results import Report, ValidatorRun
    from synthspec.validate.runner import (
        load_seeds,
        make_record_check,
        run_dataset_validators,
        validate_records,
    )

# The runner and its reports are imported on first use: `synthspec check` imports this package for the validator
# table (registry) and the plugin API only, and never runs a validator.
_LAZY = {
    "Report": "synthspec.validate.results",
    "ValidatorRun": "synthspec.validate.results",
    "load_seeds": "synthspec.validate.runner",
    "make_record_check": "synthspec.validate.runner",
    "run_dataset_validators": "synthspec.validate.runner",
    "validate_records": "synthspec.validate.runner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synthspec.validate' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "API_VERSION",
    "Finding",
    "Rejection",
    "Report",
    "Scope",
    "Severity",
    "Validator",
    "ValidatorRun",
    "get_registry",
    "load_seeds",
    "make_record_check",
    "refresh_registry",
    "run_dataset_validators",
    "validate_records",
    "validator_param_models",
]
