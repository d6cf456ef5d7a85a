"""Self-Instruct (Wang et al. 2022): bootstrap new tasks from a seed pool.

Each record's prompt shows `shots` human seed tasks plus up to `pool_shots`
tasks the build has already kept (the paper uses 6 + 2), drawn afresh per
record so the few-shot context rotates.  A finished record is kept only if
its instruction is novel: ROUGE-L against every task in the pool (seeds and
kept records) stays below `novelty` (0.7 in the paper).  Kept records join the
pool, so later prompts and later novelty checks see them.

Reproducibility: the pool grows in record order and the engine finishes
batches in index order, so the same spec, seed, model and batch size give the
same records; on resume the engine replays the kept records through
`on_accept` in index order to rebuild the same pool.
"""

from __future__ import annotations

from typing import Any

from synthspec.generate.techniques.base import Technique, block, stable_rng, technique_error
from synthspec.generate.techniques.overlap import RougePool
from synthspec.lower.plan import RecordPlan


class SelfInstruct(Technique):
    """Rotating few-shot context from seeds + kept records; ROUGE-L novelty filter."""

    name = "self_instruct"
    cross_record = True  # the novelty pool and the few-shot pool grow with every kept record

    def __init__(self, spec, seeds=()) -> None:
        super().__init__(spec, seeds)
        texts = [f.name for f in spec.generated_fields if f.kind == "text"]
        if not texts:
            raise technique_error(spec, "self_instruct needs a text field to hold the new instruction")
        self.key = "instruction" if "instruction" in texts else texts[0]
        self.shots = int(self._param("shots"))
        self.pool_shots = int(self._param("pool_shots"))
        self.novelty = float(self._param("novelty"))
        if not 0.0 < self.novelty <= 1.0:
            raise technique_error(spec, f"self_instruct novelty must be in (0, 1], not {self.novelty:g}")
        self.human = [s for s in self.seeds if s.values.get(self.key) not in (None, "")]
        if not self.human:
            raise technique_error(spec, f"self_instruct: no seed has a value for `{self.key}`",
                                  f"map a seed column onto `{self.key}`")
        self.pool = RougePool([str(s.values[self.key]) for s in self.human])
        self.kept: list[dict[str, Any]] = []
        # records accepted by `accept` whose batch has not finished yet (the engine calls `on_accept`
        # after the batch): later records of the same batch must be novel against them too
        self.tentative: dict[int, str] = {}
        self.refused = 0

    def prompt_context(self, plan: RecordPlan, values: dict[str, Any]) -> dict[str, Any]:
        """Few-shot tasks for this record: human seeds first, then machine tasks kept so far."""
        rng = stable_rng(self.spec, "self_instruct", plan.index, len(self.kept))
        fields = [f.name for f in self.spec.fields if f.kind != "derived"]
        human = rng.sample(self.human, min(self.shots, len(self.human)))
        machine = rng.sample(self.kept, min(self.pool_shots, len(self.kept)))
        examples = [{k: s.values.get(k) for k in fields} for s in human]
        examples += [{k: r.get(k) for k in fields} for r in machine]
        prompt = ("Come up with a new task, different from these examples in topic and wording.\n"
                  + "\n---\n".join(block({k: v for k, v in e.items() if v not in (None, "")}) for e in examples))
        return {**super().prompt_context(plan, values), "technique": "self_instruct",
                "examples": examples, "example_ids": [s.id for s in human], "prompt": prompt}

    def accept(self, plan: RecordPlan, values: dict[str, Any]) -> list[str]:
        text = values.get(self.key)
        if text in (None, ""):
            return []
        score = self.pool.max_similarity(str(text), stop_at=self.novelty)
        others = [t for i, t in sorted(self.tentative.items()) if i != plan.index]
        if others and score < self.novelty:
            score = max(score, RougePool(others).max_similarity(str(text)))
        if score >= self.novelty:
            self.refused += 1
            return [f"{self.key} is not novel: ROUGE-L {score:.2f} ≥ novelty {self.novelty:g} against the pool"]
        self.tentative[plan.index] = str(text)
        return []

    def on_accept(self, plan: RecordPlan | None, values: dict[str, Any]) -> None:
        if plan is not None:
            self.tentative = {i: t for i, t in self.tentative.items() if i > plan.index}
        text = values.get(self.key)
        if text in (None, ""):
            return
        self.pool.add(str(text))
        self.kept.append(dict(values))
        self.report = {"pool": len(self.pool), "kept": len(self.kept), "refused_not_novel": self.refused}
