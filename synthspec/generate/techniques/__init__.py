"""Generation techniques: self-instruct, paraphrase, counterfactual pairs, adversarial, gap filling.

`get_technique(spec, seeds)` returns the object the engine consults at its
hook points (see `base.Technique`).  One module per technique.
"""

from __future__ import annotations

from collections.abc import Sequence

from synthspec.datafiles import SeedExample
from synthspec.generate.techniques.adversarial import Adversarial
from synthspec.generate.techniques.base import Technique
from synthspec.generate.techniques.counterfactual import Counterfactual
from synthspec.generate.techniques.gap_filling import GapFilling
from synthspec.generate.techniques.paraphrase import Paraphrase
from synthspec.generate.techniques.self_instruct import SelfInstruct
from synthspec.ir.model import Spec

TECHNIQUES: dict[str, type[Technique]] = {
    "plain": Technique,
    "self_instruct": SelfInstruct,
    "paraphrase": Paraphrase,
    "counterfactual": Counterfactual,
    "adversarial": Adversarial,
    "gap_filling": GapFilling,
}


def get_technique(spec: Spec, seeds: Sequence[SeedExample] = ()) -> Technique:
    """The technique object for one build of `spec` (holds its pool/state)."""
    return TECHNIQUES[spec.technique.name](spec, seeds)


__all__ = ["TECHNIQUES", "Technique", "get_technique"]
