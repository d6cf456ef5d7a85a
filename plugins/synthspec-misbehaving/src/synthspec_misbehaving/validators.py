"""Validators that misbehave on purpose (see README)."""

from synthspec.validate.api import Scope, Validator


class ReturnsText(Validator):
    name = "returns_text"
    scope = Scope.RECORD
    default_policy = "flag"
    description = "returns a string instead of a list of findings"

    def check_record(self, record, index, ctx):
        return "looks fine to me"


class Explodes(Validator):
    name = "explodes"
    scope = Scope.DATASET
    default_policy = "flag"
    description = "raises from check_dataset"

    def check_dataset(self, ctx):
        raise RuntimeError("boom")
