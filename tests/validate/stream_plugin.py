"""Two tiny third-party validators for the streaming tests (imported by module path in worker processes).

`shortest` is written to the two-phase API: it keeps the `keep` shortest texts
and a word count, and flags every text shorter than `min_words`.  `v1_total`
is an API v1 dataset validator (only `check_dataset`), run through the adapter.
"""

from __future__ import annotations

from synthspec.validate.api import Params, Scope, Validator, ValidatorResult, record_id


class ShortestParams(Params):
    min_words: int = 3
    keep: int = 5


class Shortest(Validator):
    name = "shortest"
    Params = ShortestParams
    scope = Scope.DATASET

    def partial(self, batch, ctx):
        words = [(len(str(r.get("text", "")).split()), i) for i, r in batch.indexed()]
        short = [
            self.finding("error", f"only {n} words", record_index=i, record_id=record_id(batch.records[i - batch.start]),
                         value=n, threshold=ctx.params.min_words)
            for n, i in words
            if n < ctx.params.min_words
        ]
        return {"words": sum(n for n, _ in words), "shortest": sorted(words)[: ctx.params.keep], "short": short}

    def merge(self, states, ctx):
        return {
            "words": sum(s["words"] for s in states),
            "shortest": sorted(x for s in states for x in s["shortest"])[: ctx.params.keep],
            "short": [f for s in states for f in s["short"]],
        }

    def finish(self, state, ctx):
        res = ValidatorResult(findings=state["short"])
        res.metrics["words"] = state["words"]
        res.metrics["records"] = ctx.total
        res.metrics["shortest"] = ",".join(str(i) for _, i in state["shortest"])
        return res


class V1Total(Validator):
    name = "v1_total"
    scope = Scope.DATASET

    def check_dataset(self, ctx):
        res = ValidatorResult()
        res.metrics["records"] = len(ctx.records)
        res.metrics["last_text"] = str(ctx.records[-1].get("text")) if ctx.records else None
        return res
