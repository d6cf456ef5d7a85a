"""Utility of synthetic data against the cheap peer, and how degenerate its text is (BANKING77, TSTR).

One run, side by side, on the same real test set (every BANKING77 test query of the chosen intents):
for each real slice size (`--per-intent`, default 5 and 8 queries per intent, the first N training queries of
each intent) a TF-IDF + LR classifier is trained on
  real            — the slice alone;
  real + EDA      — the slice plus EDA-style augmentations of it (Wei & Zou 2019: random swap, deletion and
                    insertion of the text's own words; no synonyms, so no WordNet), as many rows as synthspec adds;
  real + before   — the slice plus a synthspec build seeded with it, written as the spec was before issue 12
                    (`words 3..30`, `no repeat 0`, no label check);
  real + after    — the same with issue 12's statements (`words from seeds`, `no repeat 4`,
                    `consistency(top_k = 2) drop`);
  after alone     — the synthetic records only;
and, as references, real slices of 10 and 20 queries per intent.  Every synthspec build runs once per `--seeds`
seed on the embedded Gemma 3 270M; the table gives the mean over seeds and each seed's figure.
Degeneration: the share of texts with a repeated word 4-gram, the share that stop mid-word / on a comma
(`cut`), the share not ending on `.`/`!`/`?`, and distinct-2, for each build and for the real queries.

Both variants run under this version's grammar (clean endings, no brackets), so "before" isolates the spec-level
changes, not the grammar's.  Data: data/banking77 in this repository (CC BY 4.0, see its SOURCE.md).

With `--share N` the two variants are instead `after` and `after share N` (`technique plain(share_shots = N)`:
N consecutive records show the same shots, so the batched session evaluates their few-shot prefix once), and the
per-build lines add records/min and prompt tokens per record: the trade of prompt reuse against context diversity.

Run: python bench/bench_tstr.py [--per-intent 5 8 --synthetic-per-intent 3 --seeds 0 1] [--share 4]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from techniques_common import accuracy, read_csv, train_classifier  # noqa: E402

from synthspec.lower.textshape import ending_problem, ends_sentence, repeated_ngram, words  # noqa: E402

# The ten intents of data/banking77/gap_seeds.csv (see data/make_slices.py), in that order.
INTENTS = (
    "card_payment_fee_charged", "direct_debit_payment_not_recognised", "cash_withdrawal_charge", "card_arrival",
    "exchange_rate", "lost_or_stolen_card", "card_swallowed", "card_acceptance", "virtual_card_not_working",
    "contactless_not_working",
)

SPEC = """\
# written by bench/bench_tstr.py
dataset banking77_tstr {{
  count {count}
  seed {seed}
  output "synthetic.jsonl"
  seeds "{slice}" format csv {{
    intent <- "category"
    text <- "text"
  }}
  field intent: category({labels})
  field text: text {{
{text}
    style "a short message typed into a banking app's support chat"
  }}
  technique {technique}
}}
"""
BEFORE = "    words 3..30\n    no repeat 0"
AFTER = "    words from seeds\n    no repeat 4"
TOP_K = 2


# ------------------------------------------------------------------ EDA (the cheap peer)


def eda(text: str, rng: random.Random, alpha: float = 0.1) -> str:
    """One EDA-style variant: random swap, deletion or insertion of ~alpha of the words (at least one)."""
    tokens = text.split()
    if len(tokens) < 2:
        return text
    n = max(1, round(alpha * len(tokens)))
    op = rng.choice(("swap", "delete", "insert"))
    for _ in range(n):
        if op == "swap":
            i, j = rng.sample(range(len(tokens)), 2)
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "delete" and len(tokens) > 1:
            del tokens[rng.randrange(len(tokens))]
        else:
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(tokens))
    return " ".join(tokens)


def eda_rows(real: Sequence[dict], total: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"text": eda(real[i % len(real)]["text"], rng), "category": real[i % len(real)]["category"]}
            for i in range(total)]


# ------------------------------------------------------------------ degeneration


def degeneration(texts: Sequence[str]) -> dict[str, float]:
    grams = [tuple(t[i : i + 2]) for t in (words(x) for x in texts) for i in range(len(t) - 1)]
    n = max(1, len(texts))
    return {
        "rep4": sum(repeated_ngram(t, 4) is not None for t in texts) / n,
        "cut": sum(ending_problem(t) is not None for t in texts) / n,
        "no_end": sum(not ends_sentence(t) for t in texts) / n,
        "distinct2": len(set(grams)) / max(1, len(grams)),
        "words": statistics.mean(len(t.split()) for t in texts) if texts else 0.0,
    }


# ------------------------------------------------------------------ building


class Consistency:
    """The build's dataset check for `consistency(top_k = 2) drop`, run through the validator class itself
    (so the bench does not depend on the entry point being installed)."""

    def __init__(self, spec, seeds) -> None:
        self.spec, self.seeds = spec, seeds

    def __call__(self, records: list[dict]) -> dict[int, list]:
        from synthspec.generate import Rejection
        from synthspec.validate.api import ValidatorContext
        from synthspec.validate.builtins.consistency import ConsistencyParams, ConsistencyValidator

        params = ConsistencyParams(top_k=TOP_K)
        result = ConsistencyValidator().check_dataset(ValidatorContext(self.spec, records, self.seeds, params))
        out: dict[int, list] = {}
        for f in result.findings:
            if f.record_index is not None:
                out.setdefault(f.record_index, []).append(Rejection("consistency", f.message, f.field))
        return out


def build(spec_path: Path, out: Path, check: bool) -> tuple[list[dict], float, int, int]:
    """Build a spec on the embedded model; with `check`, the consistency validator drops and regenerates."""
    import json

    from synthspec.generate.backends import open_backend
    from synthspec.generate.engine import BuildOptions, run_build
    from synthspec.ir import compile_spec
    from synthspec.validate.runner import load_seeds

    spec = compile_spec(str(spec_path)).spec
    started = time.monotonic()
    with open_backend(spec.model) as backend:
        result = run_build(spec, backend, BuildOptions(out=out, force=True, progress="off"),
                           dataset_check=Consistency(spec, load_seeds(spec)) if check else None)
    seconds = time.monotonic() - started
    with out.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return records, seconds, result.rejected + result.dropped, result.prompt_tokens


def first_per_intent(train: Sequence[dict], intents: Sequence[str], n: int) -> list[dict]:
    taken: dict[str, int] = {}
    out = []
    for row in train:  # the first N training queries of each intent: deterministic, no sampling
        if row["category"] in intents and taken.get(row["category"], 0) < n:
            taken[row["category"]] = taken.get(row["category"], 0) + 1
            out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "banking77")
    parser.add_argument("--work", type=Path, default=Path("out/bench/tstr"))
    parser.add_argument("--intents", type=int, default=10)
    parser.add_argument("--per-intent", type=int, nargs="+", default=[5, 8])
    parser.add_argument("--synthetic-per-intent", type=int, default=3,
                        help="records per intent per build (3: eight builds finish in ~15 min on an idle machine)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--share", type=int, default=0,
                        help="compare `after` with `after share N` (plain's share_shots = N) instead of before/after")
    args = parser.parse_args()

    intents = INTENTS[: args.intents]
    train = read_csv(args.data / "train.csv")
    test = [r for r in read_csv(args.data / "test.csv") if r["category"] in intents]
    test_texts, test_labels = [r["text"] for r in test], [r["category"] for r in test]

    def score(rows: Sequence[dict]) -> float:
        return accuracy(train_classifier([r["text"] for r in rows], [r["category"] for r in rows]),
                        test_texts, test_labels)

    args.work.mkdir(parents=True, exist_ok=True)
    count = args.synthetic_per_intent * len(intents)
    labels = ", ".join(f'"{i}"' for i in intents)
    print(f"BANKING77 TSTR: {len(intents)} intents, synthetic {count} per build, real test {len(test)}; "
          f"majority class {max(test_labels.count(i) for i in intents) / len(test_labels):.3f}")
    refs = {n: score(first_per_intent(train, intents, n)) for n in (10, 20)}
    print(f"references: real 10/intent {refs[10]:.3f}, real 20/intent {refs[20]:.3f}")
    all_real = [r["text"] for r in first_per_intent(train, intents, 20)]
    degen = {"real queries (20/intent)": degeneration(all_real)}
    table: list[tuple[int, str, list[float]]] = []
    started_all = time.monotonic()
    for n in args.per_intent:
        real = first_per_intent(train, intents, n)
        slice_path = args.work / f"slice{n}.csv"
        with slice_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["text", "category"], lineterminator="\n")
            writer.writeheader()
            writer.writerows({"text": r["text"], "category": r["category"]} for r in real)
        variants = ([("after", AFTER, True, "plain"),
                     (f"share{args.share}", AFTER, True, f"plain(share_shots = {args.share})")] if args.share else
                    [("before", BEFORE, False, "plain"), ("after", AFTER, True, "plain")])
        rows: dict[str, list[float]] = {"real": [score(real)] * len(args.seeds), "real + EDA": []}
        rows.update({f"real + {v[0]}": [] for v in variants})
        rows.update({f"{v[0]} alone": [] for v in variants})
        for seed in args.seeds:
            rows["real + EDA"].append(score(real + eda_rows(real, count, seed)))
            for variant, text, check, technique in variants:
                spec_path = args.work / f"tstr_{n}_{variant}_{seed}.synth"
                spec_path.write_text(SPEC.format(count=count, seed=seed, labels=labels, slice=slice_path.name,
                                                 text=text, technique=technique), encoding="utf-8")
                records, seconds, wasted, prompt_tokens = build(spec_path, args.work / f"syn_{n}_{variant}_{seed}.jsonl", check)
                syn = [{"text": r["text"], "category": r["intent"]} for r in records]
                rows[f"real + {variant}"].append(score(real + syn))
                rows[f"{variant} alone"].append(score(syn))
                d = degeneration([r["text"] for r in syn])
                degen[f"{n}/intent {variant} seed {seed}"] = d
                print(f"  {n}/intent {variant} seed {seed}: {len(syn)} records in {seconds:.0f} s "
                      f"({60 * len(syn) / max(seconds, 1e-9):.1f}/min, {prompt_tokens / max(len(syn), 1):.0f} "
                      f"prompt tokens a record; {wasted} rejected or dropped); alone {rows[f'{variant} alone'][-1]:.3f}, "
                      f"real + synthetic {rows[f'real + {variant}'][-1]:.3f}, real + EDA "
                      f"{rows['real + EDA'][-1]:.3f}; rep4 {d['rep4']:.1%}, cut {d['cut']:.1%}, "
                      f"no end {d['no_end']:.1%}, distinct-2 {d['distinct2']:.3f}, {d['words']:.1f} words",
                      flush=True)
        table += [(n, name, values) for name, values in rows.items()]
    print(f"\nall builds: {time.monotonic() - started_all:.0f} s\n")
    print("| real/intent | training set | mean | per seed | vs real alone |")
    print("|---:|---|---:|---|---:|")
    for n, name, values in table:
        base = next(v for m, nm, v in table if m == n and nm == "real")[0]
        mean = statistics.mean(values)
        print(f"| {n} | {name} | {mean:.3f} | {', '.join(f'{v:.3f}' for v in values)} | {mean - base:+.3f} |")
    print(f"| 10 | real (reference) | {refs[10]:.3f} | | |")
    print(f"| 20 | real (reference) | {refs[20]:.3f} | | |")
    print("\n| texts | repeated 4-gram | cut mid-word / on a comma | no . ! ? at the end | distinct-2 | mean words |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, d in degen.items():
        print(f"| {name} | {d['rep4']:.1%} | {d['cut']:.1%} | {d['no_end']:.1%} | {d['distinct2']:.3f} | "
              f"{d['words']:.1f} |")


if __name__ == "__main__":
    main()
