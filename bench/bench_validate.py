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

Streaming (issue 14): `--compare N...` writes N records to a JSONL file and runs, side by side, today's
in-memory suite (read_table + validate_records) and the streaming suite (validate/stream.py) on 1 process,
2 processes and a 2-actor local Ray, checking that the findings are identical and printing wall time and
peak RSS of each (measured in a fresh child process).  `--long` uses 100-150-word texts (several
BANKING77 queries of one intent joined).  `--ann N` compares exact and HNSW semantic search (hnswlib,
faiss-cpu) on N vectors: recall of the exact search's duplicates and search time.

    python bench/bench_validate.py --sizes --semantic 0 --compare 100000 1000000
    python bench/bench_validate.py --sizes --semantic 0 --compare 1000000 --long --modes stream1 stream2
    python bench/bench_validate.py --sizes --semantic 0 --ann 100000 [--ann-ef 12 16] [--ann-dims 96 384]
    python bench/bench_validate.py --sizes --semantic 0 --compare 1000000 --modes stream2 --pii-detector regex

`--pii-detector regex` runs forbidden's PII check with the structural patterns only: Presidio's spaCy NER (the
default where installed) reads ~10^2 texts a second per core, so at 10^6-10^7 records it alone is hours.
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


def make_long_records(n: int, seed: int = 0) -> list[dict]:
    """100-150-word texts: BANKING77 queries of one intent joined until the length is reached."""
    rng = random.Random(seed)
    base = read_table(SEEDS)
    by_cat: dict[str, list[str]] = {}
    for row in base:
        by_cat.setdefault(row["category"], []).append(row["text"])
    cats = sorted(by_cat)
    out = []
    for _ in range(n):
        cat = rng.choice(cats)
        target = rng.randint(100, 150)
        words: list[str] = []
        while len(words) < target:
            words.extend(rng.choice(by_cat[cat]).split())
        out.append({"text": " ".join(words[:target]), "category": cat})
    return out


def bench_spec(pii_detector: str = "auto") -> Spec:
    """The benchmark suite; `pii_detector` is forbidden's `detector` (auto: Presidio + spaCy NER when installed)."""
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
            ValidatorUse(name=n, params={"semantic": False} if n == "dedup" else
                         {"detector": pii_detector} if n == "forbidden" and pii_detector != "auto" else {})
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
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
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
    if not args.sizes:
        return
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


def _child(mode: str, path: str, queue, pii_detector: str = "auto") -> None:
    """One measured run in a fresh process: wall seconds, peak RSS of the process tree, the findings."""
    import resource

    from synthspec.validate.stream import validate_file

    spec = bench_spec(pii_detector)
    start = time.perf_counter()
    if mode == "memory":
        records = read_table(path)
        report = validate_records(spec, records)
        peak_children = 0
    else:
        workers = {"stream1": 1, "stream2": 2, "ray2": 2}[mode]
        report = validate_file(spec, path, workers=workers, ray_address="local" if mode == "ray2" else None,
                               cache_dir=None)
        peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    findings = {r.name: _digest(r.result.findings) for r in report.runs}
    findings["(dropped, flagged)"] = (len(report.dropped), len(report.flagged))
    per = {r.name: round(r.peak_rss / 2**20) for r in report.runs if r.peak_rss}
    queue.put((seconds, peak, peak_children, findings, per, {r.name: round(r.seconds, 1) for r in report.runs}))


CLI_SPEC = ROOT / "bench" / "validate_suite.synth"


def _cli_child(path: str, workers: int, queue) -> None:
    """`synthspec validate` itself on the file, in a fresh process tree: wall, peak RSS, exit code, summary."""
    import re
    import resource
    import subprocess
    import sys

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "synthspec", "validate", path, "--spec", str(CLI_SPEC),
                             "--workers", str(workers)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeMemory(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.stop()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest process of the tree
    found = re.search(r"(\d+) records would be dropped, (\d+) flagged", stdout)
    summary = (int(found.group(1)), int(found.group(2))) if found else None
    queue.put((seconds, peak, proc.returncode, summary, stderr[-2000:], sampler.peak_pss, sampler.peak_used))


class TreeMemory:
    """Samples, once a second, the memory of a process and all its descendants, as the machine sees it.

    Why: the peak RSS of the largest process undercounts a tree (the driver and two banding children run at once)
    and the sum of RSS overcounts it (the children map the same signature file, and each counts those pages).  PSS
    (`/proc/PID/smaps_rollup`, Linux) shares each page among the processes that map it, so the tree's sum is what
    it occupies; `MemTotal - MemAvailable` growth over the start is the machine-wide cost (page cache excluded).
    Sampling misses peaks shorter than the interval.  Off Linux both stay 0.
    """

    def __init__(self, root: int, interval: float = 1.0) -> None:
        import threading

        self.root, self.interval = root, interval
        self.peak_pss = self.peak_used = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._baseline = self._used()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _used() -> int:
        try:
            info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        except OSError:
            return 0
        return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) * 1024

    def _tree(self) -> list[int]:
        parents: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:  # the field after the parenthesised command name is the state, then the parent pid
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                parents.setdefault(ppid, []).append(int(entry.name))
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(parents.get(pid, []))
        return tree

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pss = 0
            for pid in self._tree():
                try:
                    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                        if line.startswith("Pss:"):
                            pss += int(line.split()[1]) * 1024
                            break
                except OSError:
                    continue
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_used = max(self.peak_used, self._used() - self._baseline)


def _digest(findings) -> tuple[int, str]:
    """(count, SHA-1 of every finding's JSON in order): compared across runs without holding 10^7 dicts."""
    import hashlib
    import json

    h = hashlib.sha1()
    count = 0
    for f in findings:
        h.update(json.dumps(f.to_json(), sort_keys=True).encode())
        count += 1
    return count, h.hexdigest()


def compare(sizes: list[int], long: bool, modes: list[str], pii_detector: str = "auto") -> None:
    import hashlib
    import json
    import multiprocessing
    import tempfile

    ctx = multiprocessing.get_context("spawn")
    print("\n| records | texts | run | wall s | peak RSS MiB (driver / largest worker) | findings | same as in-memory |")
    print("|---:|---|---|---:|---:|---:|---|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.jsonl"
            with open(path, "w") as fh:
                step = 100_000
                for k in range(0, n, step):
                    rows = (make_long_records if long else make_records)(min(step, n - k), seed=k)
                    fh.write("".join(json.dumps(r) + "\n" for r in rows))
            reference = None
            for mode in modes:
                if mode.startswith("cli"):
                    queue = ctx.Queue()
                    proc = ctx.Process(target=_cli_child, args=(str(path), int(mode[3:]), queue))
                    proc.start()
                    seconds, peak, code, summary, err, tree_pss, used = queue.get()
                    proc.join()
                    want = reference.get("(dropped, flagged)") if reference else None
                    same = f"exit {code}: {err}" if code != 0 else (
                        "same drop/flag counts" if want and summary == tuple(want) else f"counts {summary} vs {want}")
                    counts = f"{summary[0]:,} dropped, {summary[1]:,} flagged" if summary else "?"
                    print(f"| {n:,} | {'100-150 words' if long else 'short'} | `synthspec validate --workers "
                          f"{mode[3:]}` (exit {code}) | {seconds:.1f} | {peak / 2**20:.0f} (largest process); whole tree "
                          f"{tree_pss / 2**20:.0f} PSS; machine +{used / 2**20:.0f} used | "
                          f"{counts} | {same} |", flush=True)
                    continue
                queue = ctx.Queue()
                proc = ctx.Process(target=_child, args=(mode, str(path), queue, pii_detector))
                proc.start()
                seconds, peak, peak_children, findings, per, secs = queue.get()
                proc.join()
                per_validator = {k: v for k, v in findings.items() if k != "(dropped, flagged)"}  # as runs before
                digest = hashlib.sha1(json.dumps(per_validator, sort_keys=True).encode()).hexdigest()[:10]
                total = sum(count for key, (count, _) in findings.items() if key != "(dropped, flagged)")
                if reference is None:
                    reference = findings
                same = "reference" if mode == modes[0] else (
                    "yes" if findings == reference else
                    "NO: " + ", ".join(k for k in findings if findings[k] != reference.get(k))
                )
                workers = f" / {peak_children / 2**20:.0f}" if peak_children else ""
                print(f"| {n:,} | {'100-150 words' if long else 'short'} | {mode} | {seconds:.1f} | "
                      f"{peak / 2**20:.0f}{workers} | {total:,} ({digest}) | {same} |", flush=True)
                print(f"|  |  | per validator s: {secs}; peak RSS MiB: {per} | | | | |", flush=True)


def ann(n: int, base_n: int = 2_000, queries: int = 2_000, efs: tuple[int, ...] = (12,),
        dims: tuple[int, ...] = (96, 384)) -> None:
    """Exact vs HNSW earlier-neighbour search on n vectors: base_n MiniLM embeddings plus jittered copies.

    Recall is measured on `queries` random rows, whose exact best earlier neighbour is computed directly
    (queries x n dot products); the exact search's full time is measured on its last blocks (the largest:
    each block searches all earlier rows) and extrapolated, because the n^2 search itself is what ANN avoids.
    """
    import numpy as np

    from synthspec.embeddings import embed
    from synthspec.validate.ann import BLOCK, approximate_earlier, exact_earlier

    texts = [r["text"] for r in make_records(base_n, seed=7)]
    t_embed, base = timed(embed, texts)
    rng = np.random.default_rng(0)
    reps = [base]
    while sum(len(r) for r in reps) < n:
        scale = rng.uniform(0.005, 0.04, size=(len(base), 1))  # cosine to the original ~0.99 down to ~0.8
        jitter = base + (rng.normal(size=base.shape) * scale).astype(np.float32)
        reps.append(jitter / np.linalg.norm(jitter, axis=1, keepdims=True))
    vectors = np.ascontiguousarray(np.concatenate(reps)[:n][rng.permutation(n)])
    sample = np.sort(rng.choice(np.arange(1, n), size=queries, replace=False))
    truth_sim = np.array([float((vectors[:i] @ vectors[i]).max()) for i in sample])
    truth = truth_sim >= 0.9
    # exact search time: the last 3 blocks measured, the whole extrapolated by the n^2 work per block
    tail = vectors[: n]
    start = time.perf_counter()
    last = max(0, n - 3 * BLOCK)
    for s0 in range(last, n, BLOCK):
        _ = tail[s0 : s0 + BLOCK] @ tail[: min(n, s0 + BLOCK)].T
    measured = time.perf_counter() - start
    work_all = sum(min(n, s0 + BLOCK) for s0 in range(0, n, BLOCK))
    work_tail = sum(min(n, s0 + BLOCK) for s0 in range(last, n, BLOCK))
    t_exact = measured * work_all / work_tail
    print(f"\nANN, {n:,} vectors ({base_n:,} MiniLM embeddings in {t_embed:.0f} s, the rest jittered copies), "
          f"recall on {queries:,} sampled rows ({int(truth.sum()):,} have an earlier neighbour at cosine >= 0.9)")
    print("| search | seconds, total | of which graph building | search only | recall vs exact (sampled rows) "
          "| exact / total | exact / search only |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| exact (blocked BLAS; extrapolated from its last 3 blocks) | {t_exact:.0f} | – | {t_exact:.0f} | 1.000 "
          "| 1× | 1× |", flush=True)
    if n <= 20_000:
        t_full, _ = timed(exact_earlier, vectors)
        print(f"| exact, measured whole | {t_full:.1f} | 1.000 | |")
    for backend, ef, dim in ((b, e, d) for b in ("hnswlib", "faiss") for e in efs for d in dims):
        clock: dict[str, float] = {}
        try:
            t, (ai, as_) = timed(
                lambda b=backend, e=ef, d=dim, c=clock: approximate_earlier(vectors, backend=b, ef=e, dims=d,
                                                                           timings=c)
            )
        except ImportError:
            print(f"| {backend} | not installed | | | | | |")
            continue
        got = as_[sample] >= 0.9
        recall = (got & truth).sum() / max(1, truth.sum())
        search = clock["query"] + clock["block"]
        shape = f"{dim} principal components" if dim < vectors.shape[1] else f"all {vectors.shape[1]} dimensions"
        print(f"| {backend} HNSW M=16 ef={ef}, {shape}, 4 candidates re-scored | {t:.1f} | {clock['build']:.1f} "
              f"| {search:.1f} | {recall:.3f} | {t_exact / t:.1f}× | {t_exact / search:.1f}× |", flush=True)


if __name__ == "__main__":
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--compare", type=int, nargs="*", default=[])
    extra.add_argument("--long", action="store_true")
    extra.add_argument("--modes", nargs="+", default=["memory", "stream1", "stream2", "ray2"])
    extra.add_argument("--ann", type=int, default=0)
    extra.add_argument("--ann-ef", type=int, nargs="+", default=[12], help="HNSW ef (search breadth) values to try")
    extra.add_argument("--ann-dims", type=int, nargs="+", default=[96, 384],
                       help="principal components the graph searches (the embedding's size: all of them)")
    extra.add_argument("--pii-detector", default="auto", choices=["auto", "presidio", "regex"],
                       help="forbidden's PII detector in --compare (regex: the structural patterns only, no NER)")
    known, rest = extra.parse_known_args()
    import sys

    sys.argv = [sys.argv[0], *rest]
    main()
    if known.compare:
        compare(known.compare, known.long, known.modes, known.pii_detector)
    if known.ann:
        ann(known.ann, efs=tuple(known.ann_ef), dims=tuple(known.ann_dims))
