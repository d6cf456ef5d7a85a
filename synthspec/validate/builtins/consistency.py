"""`consistency`: keep a record only when a classifier trained on the seeds agrees with its label.

A small model asked for a "lost_or_stolen_card" query sometimes writes about a fee; the record is
well formed, on-tone and wrong — and a training set full of such records teaches the wrong thing.
A classifier trained on the seeds (a `synthspec.targets` target; by default TF-IDF + logistic
regression) scores every record's text; the record is kept when its label is among the classifier's
`top_k` answers and has probability ≥ `min_p`.  Opt-in, dataset scope (one fit per pass, not one per
record), default policy `drop`: in a build the engine regenerates what it drops, and the rejects
ledger keeps the classifier's answer.

Not a judge of quality — a judge of *label fidelity*: it cannot tell a fluent text from a poor one
of the right topic, and it is only as good as the seeds (with 15 queries an intent, TF-IDF + LR
knows the intents' keywords, not their paraphrases; `top_k = 2` forgives near misses).
"""

from __future__ import annotations

from synthspec.validate.api import Params, Scope, Validator, ValidatorContext, ValidatorResult, record_id
from synthspec.validate.text import text_fields, text_of


class ConsistencyParams(Params):
    """`label`: the category field to check (default: the first category field the seeds carry);
    `fields`: the text fields the classifier reads (default: every text field)."""

    classifier: str = "tfidf_lr"
    top_k: int = 1
    min_p: float = 0.0
    label: str | None = None
    fields: list[str] | None = None


def _label_field(ctx: ValidatorContext, chosen: str | None) -> str | None:
    if chosen:
        return chosen
    for f in ctx.spec.fields:
        if f.kind == "category" and any(s.values.get(f.name) not in (None, "") for s in ctx.seeds):
            return f.name
    return None


class ConsistencyValidator(Validator):
    name = "consistency"
    Params = ConsistencyParams
    scope = Scope.DATASET
    default_policy = "drop"
    description = "a classifier trained on the seeds ranks each record's label in its top k (label fidelity)"

    def check_dataset(self, ctx: ValidatorContext) -> ValidatorResult:
        from synthspec.generate.techniques.targets import load_target

        p: ConsistencyParams = ctx.params
        res = ValidatorResult()
        if p.top_k < 1 or not 0.0 <= p.min_p <= 1.0:
            res.notes.append("consistency needs top_k >= 1 and 0 <= min_p <= 1: nothing checked")
            return res
        label = _label_field(ctx, p.label)
        fields = text_fields(ctx.spec, p.fields)
        if label is None or not fields:
            res.notes.append("no category field with seed labels, or no text field: nothing to check")
            return res
        train = [(text_of(s.values, fields), str(s.values[label])) for s in ctx.seeds
                 if s.values.get(label) not in (None, "") and text_of(s.values, fields).strip()]
        labels = {lab for _, lab in train}
        if len(labels) < 2:
            res.notes.append(f"the seeds need texts of at least two `{label}` values to train a classifier")
            return res
        judged = [i for i, r in enumerate(ctx.records)
                  if str(r.get(label)) in labels and text_of(r, fields).strip()]
        unseen = len([r for r in ctx.records if str(r.get(label)) not in labels])
        if unseen:
            res.notes.append(f"{unseen} record(s) carry a `{label}` the seeds do not have: not judged")
        if not judged:
            return res
        target = load_target(p.classifier)
        scores = target([text_of(ctx.records[i], fields) for i in judged],
                        [t for t, _ in train], [lab for _, lab in train])
        agree = 0
        for i, probs in zip(judged, scores, strict=True):
            want = str(ctx.records[i].get(label))
            ranked = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))
            rank = next((n for n, (lab, _) in enumerate(ranked, 1) if lab == want), len(ranked) + 1)
            p_want = float(probs.get(want, 0.0))
            if rank <= p.top_k and p_want >= p.min_p:
                agree += 1
                continue
            answer = ", ".join(f"{lab} {prob:.2f}" for lab, prob in ranked[:3])
            res.findings.append(self.finding(
                "error", f"the text does not read as {label}={want!r}: the classifier ranks it #{rank} "
                         f"(p = {p_want:.2f}); its answer: {answer}",
                record_index=i, record_id=record_id(ctx.records[i]), field=label, value=round(p_want, 4),
                threshold=p.min_p if p.min_p else p.top_k, code="label_inconsistent"))
        res.metrics["judged"] = len(judged)
        res.metrics["agreement_rate"] = round(agree / len(judged), 4)
        res.metrics["classifier"] = p.classifier
        return res

