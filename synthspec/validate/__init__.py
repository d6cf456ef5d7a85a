"""Stage 7: the validator plugin API, plugin discovery, the runner and the built-in validators.

Public entry points (see docs/plugins.md for the plugin API itself):
`validator_param_models()` for the checker, `make_record_check()` for the
build engine's per-record callback, `run_dataset_validators()` after
generation, `validate_records()` for `synthspec validate`.
"""

from synthspec.validate.api import API_VERSION, Finding, Rejection, Scope, Severity, Validator
from synthspec.validate.registry import get_registry, refresh_registry, validator_param_models
from synthspec.validate.results import Report, ValidatorRun
from synthspec.validate.runner import load_seeds, make_record_check, run_dataset_validators, validate_records

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
