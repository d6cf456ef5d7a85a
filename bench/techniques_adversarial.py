"""Adversarial hardening: how often the target fails on adversarial records vs random synthetic ones.

Both arms build specs/banking77_adversarial.synth on the embedded model in one run, the same fields,
seeds, count and model; the random arm swaps the technique for `plain(shots = 4)` (intents drawn in the
seeds' proportions, few-shot from the seeds).  The target is the spec's own (`tfidf_lr`, TF-IDF + LR)
trained on every seed, i.e. the classifier the records are meant to harden.  Failure = the target's
prediction differs from the record's intent.
Run: python bench/techniques_adversarial.py [--count 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from techniques_common import build_variant, read_csv  # noqa: E402

from synthspec.generate.techniques.adversarial import failure_stats  # noqa: E402
from synthspec.generate.techniques.targets import tfidf_lr  # noqa: E402

SPEC = Path(__file__).resolve().parent.parent / "specs" / "banking77_adversarial.synth"
SEEDS = SPEC.parent.parent / "data" / "banking77" / "gap_seeds.csv"
ADVERSARIAL = 'technique adversarial(target = "tfidf_lr", pick = 10, shots = 4)'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    text = SPEC.read_text(encoding="utf-8").replace("count 10", f"count {args.count}")
    assert ADVERSARIAL in text, "the example spec changed; update the bench"
    seeds = read_csv(SEEDS)
    train_texts, train_labels = [r["text"] for r in seeds], [r["category"] for r in seeds]
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for name, spec_text in (("adversarial", text), ("random", text.replace(ADVERSARIAL, "technique plain(shots = 4)"))):
            print(f"[{name}]")
            records = build_variant(SPEC, spec_text, Path(work) / f"{name}.jsonl", name)
            results[name] = failure_stats(tfidf_lr, [r["text"] for r in records], [r["intent"] for r in records],
                                          train_texts, train_labels)
    print(f"\n{'records':<12} {'n':>3} {'target failure rate':>20} {'mean p(true intent)':>20}")
    for name, r in results.items():
        print(f"{name:<12} {r['records_scored']:>3} {r.get('target_failure_rate', 0):>20.3f} "
              f"{r.get('target_mean_p_true', 0):>20.3f}")
    adv, rnd = results["adversarial"], results["random"]
    if rnd.get("target_failure_rate"):
        print(f"ratio failure adversarial / random: {adv['target_failure_rate'] / rnd['target_failure_rate']:.2f}x")
    else:
        print("random records: the target never failed")


if __name__ == "__main__":
    main()
