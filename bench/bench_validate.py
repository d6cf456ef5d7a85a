"""Benchmark: duplicate search and the whole validator suite at 10k / 100k / 1M short records.

Records are BANKING77 training queries (tests/fixtures/banking77/seeds.csv, CC BY 4.0) resampled with small
edits (word shuffles, a number appended, a word dropped), so the data has real duplicates and near duplicates.
Side by side in one run:

* exact dedup (normalised-text hash), near dedup (numpy MinHash + LSH, this project),
* the naive O(n²) loop: exact Jaccard of every pair of shingle sets in Python, run under a time budget and
  extrapolated from the pairs it finished when it does not finish,
* the whole built-in suite (semantic dedup off) through `validate_records`,
* semantic dedup (MiniLM embeddings + blocked cosine search) at one size, measured separately.

    python bench/bench_validate.py                     # 10k, 100k, 1M; naive budget 60 s
    python bench/bench_validate.py --sizes 10000 --semantic 2000
"""

from __future__ import annotations

import argparse
import itertools
import platform
import random
import time
from pathlib import Path

from synthspec.datafiles import read_table
from synthspec.ir.model import CategoryField, OutputSpec, SeedSource, Spec, TextField, ValidatorUse
from synthspec.validate import minhash
from synthspec.validate.builtins.dedup import exact_duplicates
from synthspec.validate.runner import load_seeds, validate_records
from synthspec.validate.text import normalize

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "fixtures" / "banking77" / "seeds.csv"


def make_records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    base = read_table(SEEDS)
    out = []
    for _ in range(n):
        row = rng.choice(base)
        words = row["text"].split()
        r = rng.random()
        if r < 0.3:
            rng.shuffle(words)
        elif r < 0.6:
            words.append(str(rng.randint(0, 10**6)))
        elif r < 0.8 and len(words) > 3:
            words.pop(rng.randrange(len(words)))
        out.append({"text": " ".join(words), "category": row["category"]})
    return out


def bench_spec() -> Spec:
    return Spec(
        name="bench",
        source_file=str(ROOT / "bench" / "bench.synth"),
        output=OutputSpec(path="out.jsonl"),
        seeds=SeedSource(
            path=str(SEEDS),
            resolved_path=str(SEEDS),
            format="csv",
            columns={"text": "text", "category": "category"},
        ),
        fields=(CategoryField(name="category", values=(), from_seeds=True), TextField(name="text")),
        validators=tuple(
            ValidatorUse(name=n, params={"semantic": False} if n == "dedup" else {})
            for n in (
                "schema",
                "forbidden",
                "dedup",
                "distribution",
                "diversity",
                "bias",
                "leakage",
                "seed_copy",
                "combinations",
            )
        ),
    )


def naive_pairs(texts: list[str], threshold: float, budget: float) -> tuple[float, bool, int]:
    """The O(n²) loop. Returns (seconds or extrapolated seconds, finished?, duplicates found)."""
    k = minhash.SHINGLE
    start = time.perf_counter()
    sets = []
    for t in texts:
        b = normalize(t).encode().ljust(k)
        sets.append({b[i : i + k] for i in range(len(b) - k + 1)})
    total = len(texts) * (len(texts) - 1) // 2
    done = 0
    dups: set[int] = set()
    for i, j in itertools.combinations(range(len(texts)), 2):
        a, b = sets[i], sets[j]
        if len(a & b) / len(a | b) >= threshold:
            dups.add(j)
        done += 1
        if done % 200_000 == 0 and time.perf_counter() - start > budget:
            elapsed = time.perf_counter() - start
            return elapsed * total / done, False, len(dups)
    return time.perf_counter() - start, True, len(dups)


def near_dedup(texts: list[str]) -> dict:
    return minhash.near_duplicates(minhash.signatures(texts), 0.8)


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--naive-budget", type=float, default=60.0, help="seconds before the naive loop is extrapolated"
    )
    parser.add_argument(
        "--naive-max", type=int, default=100_000, help="largest size the naive loop is tried on"
    )
    parser.add_argument(
        "--semantic", type=int, default=10_000, help="records for the semantic-dedup measurement (0: skip)"
    )
    args = parser.parse_args()
    print(f"# bench_validate  python {platform.python_version()}  {platform.machine()}")
    spec = bench_spec()
    seeds = load_seeds(spec)
    print(
        "| records | exact dedup s | MinHash near-dup s | near dups (MinHash) | naive O(n²) s | near dups (naive) | naive/MinHash | whole suite s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        records = make_records(n)
        texts = [r["text"] for r in records]
        t_exact, exact = timed(exact_duplicates, texts)
        t_near, near = timed(near_dedup, texts)
        if n <= args.naive_max:
            t_naive, finished, naive_found = naive_pairs(texts, 0.8, args.naive_budget)
            naive = f"{t_naive:.1f}" + ("" if finished else " (extrapolated)")
            naive_count = f"{naive_found:,}" if finished else "-"
            ratio = f"{t_naive / t_near:.0f}×"
        else:
            naive, ratio, naive_count = "not run", "-", "-"
        t_suite, report = timed(validate_records, spec, records, seeds)
        print(
            f"| {n:,} | {t_exact:.2f} | {t_near:.2f} | {len(near):,} | {naive} | {naive_count} | {ratio} | {t_suite:.1f} |",
            flush=True,
        )
        slow = sorted(report.runs, key=lambda r: -r.seconds)[:4]
        print(
            "|  | per validator: " + ", ".join(f"{r.name} {r.seconds:.1f}s" for r in slow) + " | | | | | | |",
            flush=True,
        )
    if args.semantic:
        from synthspec.embeddings import embed
        from synthspec.validate.builtins.dedup import semantic_duplicates

        texts = [r["text"] for r in make_records(args.semantic, seed=1)]
        embed(texts[:8])  # load the model outside the timing
        t_embed, vectors = timed(embed, texts)
        t_search, sem = timed(semantic_duplicates, vectors, 0.9)
        print(
            f"\nsemantic dedup, {args.semantic:,} records: embeddings {t_embed:.1f} s "
            f"({args.semantic / t_embed:.0f} texts/s), cosine search {t_search:.2f} s, "
            f"{len(sem) / len(texts):.1%} semantic duplicates at 0.9"
        )


if __name__ == "__main__":
    main()
