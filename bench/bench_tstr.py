"""Utility of synthetic data: train on synthetic, test on real (TSTR), BANKING77.

One run, side by side, on the same real test set (every BANKING77 test query of
the chosen intents), one synthetic set per `--shots` value and `--seeds` seed:
  real      — TF-IDF + LR trained on a small real slice (`--per-intent` queries per intent);
  synthetic — the same classifier trained only on records synthspec generated from that slice
              (the slice is the spec's seed file; intents drawn uniformly; embedded Gemma 3 270M);
  real+syn  — trained on both (augmentation).
Ratio synthetic/real is the utility figure.  Data: data/banking77 in this repository (CC BY 4.0, see its SOURCE.md).

Run: python bench/bench_tstr.py [--intents 10 --per-intent 8 --synthetic-per-intent 8 --shots 4 8 --seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from techniques_common import accuracy, build, read_csv, train_classifier  # noqa: E402

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
  seeds "slice.csv" format csv {{
    intent <- "category"
    text <- "text"
  }}
  field intent: category({labels})
  field text: text {{
    words 3..30
    style "a short message typed into a banking app's support chat"
  }}
  technique plain(shots = {shots})
}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "banking77")
    parser.add_argument("--work", type=Path, default=Path("out/bench/tstr"))
    parser.add_argument("--intents", type=int, default=10)
    parser.add_argument("--per-intent", type=int, default=8)
    parser.add_argument("--synthetic-per-intent", type=int, default=8)
    parser.add_argument("--shots", type=int, nargs="+", default=[4, 8],
                        help="one synthetic set per value and seed, side by side")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    intents = INTENTS[: args.intents]
    train = read_csv(args.data / "train.csv")
    test = [r for r in read_csv(args.data / "test.csv") if r["category"] in intents]
    taken: dict[str, int] = {}
    real = []
    for row in train:  # the first N training queries of each intent: deterministic, no sampling
        if row["category"] in intents and taken.get(row["category"], 0) < args.per_intent:
            taken[row["category"]] = taken.get(row["category"], 0) + 1
            real.append(row)

    args.work.mkdir(parents=True, exist_ok=True)
    with (args.work / "slice.csv").open("w", encoding="utf-8", newline="") as handle:
        import csv

        writer = csv.DictWriter(handle, fieldnames=["text", "category"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({"text": r["text"], "category": r["category"]} for r in real)
    count = args.synthetic_per_intent * len(intents)
    labels = ", ".join(f'"{i}"' for i in intents)
    test_texts, test_labels = [r["text"] for r in test], [r["category"] for r in test]
    real_texts, real_labels = [r["text"] for r in real], [r["category"] for r in real]
    real_acc = accuracy(train_classifier(real_texts, real_labels), test_texts, test_labels)

    print(f"BANKING77 TSTR: {len(intents)} intents, real slice {len(real)}, synthetic {count}, real test {len(test)}")
    print(f"real slice: {real_acc:.3f}; majority-class baseline: "
          f"{max(test_labels.count(i) for i in intents) / len(test_labels):.3f}")
    results: dict[int, list[tuple[float, float]]] = {}
    for shots in args.shots:
        for seed in args.seeds:
            spec_path = args.work / f"banking77_tstr_shots{shots}_seed{seed}.synth"
            spec_path.write_text(SPEC.format(count=count, seed=seed, labels=labels, shots=shots), encoding="utf-8")
            started = time.monotonic()
            synthetic = build(spec_path, args.work / f"synthetic_shots{shots}_seed{seed}.jsonl", args.batch_size)
            seconds = time.monotonic() - started
            syn_texts = [r["text"] for r in synthetic]
            syn_labels = [r["intent"] for r in synthetic]
            syn = accuracy(train_classifier(syn_texts, syn_labels), test_texts, test_labels)
            both = accuracy(train_classifier(real_texts + syn_texts, real_labels + syn_labels), test_texts,
                            test_labels)
            results.setdefault(shots, []).append((syn, both))
            print(f"shots {shots:>2} seed {seed}: synthetic {syn:.3f}, real + synthetic {both:.3f} "
                  f"({len(synthetic)} records in {seconds:.0f} s)")
    print(f"\n{'shots':>5} {'synthetic (mean)':>17} {'TSTR ratio':>11} {'real+syn (mean)':>16} {'aug. ratio':>11}")
    for shots, runs in results.items():
        syn = sum(r[0] for r in runs) / len(runs)
        both = sum(r[1] for r in runs) / len(runs)
        print(f"{shots:>5} {syn:>17.3f} {syn / real_acc:>11.2f} {both:>16.3f} {both / real_acc:>11.2f}")


if __name__ == "__main__":
    main()
