"""Self-instruct on the embedded model: how varied and how new the bootstrapped tasks are, beside the seeds.

Builds specs/self_instruct.synth (175 human seed tasks of Wang et al. 2022) with `--count` records and
compares the generated instructions with the seed instructions, side by side in one run:
  kept / requested and the rejections by reason (from the build's rejects ledger);
  distinct-2: unique word bigrams / all bigrams over the set (higher = more varied);
  mean pairwise ROUGE-L within the set (lower = less alike), on equal-size samples;
  max ROUGE-L of each generated instruction against every seed (the novelty filter keeps it < 0.7).
Run: python bench/techniques_self_instruct.py [--count 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from techniques_common import build_variant  # noqa: E402

from synthspec.generate.techniques.overlap import RougePool, rouge_l, tokens  # noqa: E402

SPEC = Path(__file__).resolve().parent.parent / "specs" / "self_instruct.synth"
SEEDS = SPEC.parent.parent / "data" / "self_instruct" / "seed_tasks.jsonl"


def distinct_2(texts: list[str]) -> float:
    grams = [tuple(t[i:i + 2]) for t in map(tokens, texts) for i in range(len(t) - 1)]
    return len(set(grams)) / max(1, len(grams))


def mean_pairwise_rouge(texts: list[str]) -> float:
    return statistics.mean(rouge_l(a, b) for a, b in itertools.combinations(texts, 2)) if len(texts) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    seeds = [json.loads(line)["instruction"] for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    text = SPEC.read_text(encoding="utf-8").replace("count 10", f"count {args.count}")
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "si.jsonl"
        records = build_variant(SPEC, text, out, "self_instruct")
        ledger = out.with_name(out.name + ".rejects.jsonl")
        rejects = [json.loads(line) for line in ledger.read_text().splitlines()] if ledger.exists() else []
    ours = [r["instruction"] for r in records]
    reasons = Counter("novelty (ROUGE-L >= 0.7)" if "not novel" in r["reason"] else r["validator"] for r in rejects)
    sample = random.Random(0).sample(seeds, min(len(ours), len(seeds)))
    pool = RougePool(seeds)
    max_vs_seeds = [pool.max_similarity(t) for t in ours]
    print(f"kept {len(records)}/{args.count}; rejections: {dict(reasons) or 'none'}")
    print(f"\n{'instructions':<22} {'n':>4} {'distinct-2':>11} {'mean pairwise ROUGE-L':>22}")
    for name, texts in (("human seeds (sample)", sample), ("synthspec", ours)):
        print(f"{name:<22} {len(texts):>4} {distinct_2(texts):>11.3f} {mean_pairwise_rouge(texts):>22.3f}")
    if max_vs_seeds:
        print(f"\nmax ROUGE-L of a generated instruction vs the 175 seeds: mean {statistics.mean(max_vs_seeds):.3f}, "
              f"highest {max(max_vs_seeds):.3f} (novelty ceiling 0.7)")
    print(f"ratio distinct-2 synthspec / seeds: {distinct_2(ours) / distinct_2(sample):.2f}x")
    for t in ours[:5]:
        print("  -", t[:110])


if __name__ == "__main__":
    main()
