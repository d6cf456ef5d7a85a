"""Decoding throughput on the embedded Gemma 3 270M: single stream against continuous batching, side by side.

Two workloads made by lowering real specs (real prompts, real grammars):
`short`, the BANKING77 short-query shape of bench_tstr.py (10 intents, 8 shots,
`words 3..30`), and `flagship`, specs/support_tickets.synth (an order number,
then a 50..150-word text whose prompt extends the first field's).  A record's
fields are a chain: its next field is submitted when the previous one returns,
as the build scheduler does.

Configurations, all in one run on the same requests:
  raw        llama-cpp-python's own completion call, single stream, unconstrained, no Python logits processor
             (each request decodes as many tokens as the constrained `solo` run did): the single-stream limit
  outlines   the earlier sequential path: Outlines' generator + the row-grammar processor + llama.cpp's sampler
  solo       `backend.generate`: a one-slot session, no prefix reuse (each request alone)
  N=k        `backend.open_session(k)`, constrained, and `N=k free` the same requests unconstrained (no grammar,
             each request capped at the tokens its constrained twin decoded)

Printed per configuration: completion tokens/s, all tokens/s (prompt tokens evaluated + completion), valid
records/min, p50/p95 seconds per record, prompt tokens served from the KV cache, and ratios against `raw`,
`outlines` and the unconstrained twin.  With --profile, where the session's time goes at the largest N.

Run: python bench/bench_throughput.py [--workloads short flagship] [--records 24 8] [--slots 1 4 8 16]
     [--threads 1] [--ngram 0]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthspec import lower  # noqa: E402
from synthspec.generate.backends.base import GenRequest, GenResult  # noqa: E402
from synthspec.generate.engine import load_seeds  # noqa: E402
from synthspec.ir import compile_spec  # noqa: E402


@dataclass
class Chain:
    """One record: its fields' requests in decoding order (prompts fixed by the `solo` run)."""

    requests: list[GenRequest] = field(default_factory=list)


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    results: list[list[GenResult]]
    latencies: list[float]

    @property
    def completion(self) -> int:
        return sum(r.completion_tokens for chain in self.results for r in chain)

    @property
    def evaluated(self) -> int:
        return sum(r.prompt_tokens - r.cached_prompt_tokens + r.completion_tokens
                   for chain in self.results for r in chain)

    @property
    def cached(self) -> int:
        return sum(r.cached_prompt_tokens for chain in self.results for r in chain)

    @property
    def valid(self) -> int:
        return sum(all(not r.truncated for r in chain) for chain in self.results)


def short_spec(work: Path) -> Path:
    import bench_tstr

    rows = list(csv.DictReader((REPO / "data" / "banking77" / "gap_seeds.csv").open(encoding="utf-8")))
    with (work / "slice.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({"text": r["text"], "category": r["category"]} for r in rows)
    labels = ", ".join(f'"{i}"' for i in bench_tstr.INTENTS)
    path = work / "short.synth"
    # the short-query shape: `words 3..30` (bench_tstr's "before" text block), default 8 shots
    path.write_text(bench_tstr.SPEC.format(count=64, seed=3, labels=labels, slice="slice.csv",
                                           text=bench_tstr.BEFORE, technique="plain"), encoding="utf-8")
    return path


def plan_chains(backend, spec_path: Path, records: int, ngram: int) -> tuple[list[Chain], Run]:
    """Lower `records` records and decode them with `backend.generate` (the `solo` run), fixing every prompt."""
    spec = compile_spec(spec_path).spec
    spec = spec.model_copy(update={"count": max(records, 1)})
    seeds, _ = load_seeds(spec)
    model = spec.model
    chains, results, latencies = [], [], []
    wall, cpu = time.perf_counter(), time.process_time()
    for plan in lower.plan_records(spec, seeds)[:records]:
        values, chain, got = dict(plan.sampled), Chain(), []
        started = time.perf_counter()
        for name in lower.field_order(spec):
            if name in values:
                continue
            fp = lower.plan_field(spec, name, plan, values, seeds)
            budget = min(fp.max_tokens, model.max_tokens) if model.max_tokens else fp.max_tokens
            request = GenRequest(fp.prompt, fp.grammar, budget, plan.sub_seed, model.temperature, model.top_p,
                                 model.top_k, model.repeat_penalty, no_repeat_ngram=ngram)
            [result] = backend.generate([request])
            chain.requests.append(request)
            got.append(result)
            if result.truncated:
                break
            values[name] = lower.parse_value(spec, name, result.text)
        latencies.append(time.perf_counter() - started)
        chains.append(chain)
        results.append(got)
    return chains, Run("solo", time.perf_counter() - wall, time.process_time() - cpu, results, latencies)


def run_sequential(name: str, chains: list[Chain], one: Callable[[GenRequest], GenResult]) -> Run:
    results, latencies = [], []
    wall, cpu = time.perf_counter(), time.process_time()
    for chain in chains:
        started = time.perf_counter()
        results.append([one(request) for request in chain.requests])
        latencies.append(time.perf_counter() - started)
    return Run(name, time.perf_counter() - wall, time.process_time() - cpu, results, latencies)


def run_session(name: str, backend, slots: int, chains: list[Chain], profile: dict | None = None) -> Run:
    """Continuous batching: submit while slots are free; a record's next field goes first in the queue."""
    from synthspec.generate.backends.llamacpp_batch import LlamaBatchSession

    session = LlamaBatchSession(backend, slots, ignore_eos=True)  # free twins decode their whole budget
    queue = [(index, 0) for index in range(len(chains))]
    results: list[list[GenResult]] = [[] for _ in chains]
    started: dict[int, float] = {}
    latencies = [0.0] * len(chains)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        while queue or session.in_flight():
            while queue and session.free_slots() > 0:
                index, step = queue.pop(0)
                started.setdefault(index, time.perf_counter())
                session.submit((index, step), chains[index].requests[step])
            for (index, step), result in session.poll():
                results[index].append(result)
                request = chains[index].requests[step]
                # a free twin never stops on its grammar (it has none): its chain goes on regardless
                if step + 1 < len(chains[index].requests) and (not result.truncated or not request.grammar):
                    queue.insert(0, (index, step + 1))
                else:
                    latencies[index] = time.perf_counter() - started[index]
        if profile is not None:
            profile.update(getattr(session, "timings", {}))
    finally:
        session.close()
    return Run(name, time.perf_counter() - wall, time.process_time() - cpu, results, latencies)


def unconstrained(chains: list[Chain], twin: Run) -> list[Chain]:
    """The same requests with no grammar, each capped at the tokens its constrained twin decoded."""
    out = []
    for chain, results in zip(chains, twin.results, strict=True):
        out.append(Chain([replace(r, grammar="", max_tokens=max(1, res.completion_tokens))
                          for r, res in zip(chain.requests, results, strict=False)]))
    return out


def raw_one(backend) -> Callable[[GenRequest], GenResult]:
    """llama-cpp-python's own token loop and sampler chain, exactly `max_tokens` tokens, nothing in Python per token."""
    llm = backend.llm

    def one(request: GenRequest) -> GenResult:
        tokens = llm.tokenize(request.prompt.encode("utf-8"), add_bos=True, special=True)
        llm.set_seed(request.seed)
        produced = 0
        for _ in llm.generate(tokens, top_k=request.top_k or 0, top_p=request.top_p, temp=request.temperature,
                              repeat_penalty=request.repeat_penalty):
            produced += 1
            if produced >= request.max_tokens:
                break
        llm.reset()
        return GenResult("", len(tokens), produced, False)
    return one


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def report(title: str, runs: list[Run]) -> None:
    """One line per configuration; ratios on CPU seconds (robust on a shared machine) and on wall time."""
    by_name = {r.name: r for r in runs}
    raw, outlines = by_name.get("raw"), by_name.get("outlines")

    def cpu_rate(run: Run | None) -> float:
        return run.completion / run.cpu if run and run.cpu else 0.0

    def wall_rate(run: Run | None) -> float:
        return run.completion / run.wall if run and run.wall else 0.0

    print(f"\n[{title}] completion tokens per second of wall time and of CPU time; ratios on CPU (wall)")
    print(f"  {'config':<16}{'tok/s':>7}{'tok/cpu-s':>10}{'all/cpu-s':>10}{'rec/min':>8}{'rec/cpu-min':>12}"
          f"{'p50 s':>7}{'p95 s':>7}{'cached':>7}{'x raw':>13}{'x outlines':>13}{'c/u':>6}")
    for run in runs:
        twin = by_name.get(run.name + " free")
        ratio_u = f"{cpu_rate(run) / cpu_rate(twin):.2f}" if twin and cpu_rate(twin) else ""
        x_raw = f"{cpu_rate(run) / cpu_rate(raw):.2f} ({wall_rate(run) / wall_rate(raw):.2f})" if raw else ""
        x_out = (f"{cpu_rate(run) / cpu_rate(outlines):.2f} ({wall_rate(run) / wall_rate(outlines):.2f})"
                 if outlines else "")
        records = run.name != "raw" and "free" not in run.name
        per_min = f"{60 * run.valid / run.wall:.1f}" if records else "-"
        per_cpu_min = f"{60 * run.valid / run.cpu:.1f}" if records else "-"
        print(f"  {run.name:<16}{wall_rate(run):>7.1f}{cpu_rate(run):>10.1f}{run.evaluated / run.cpu:>10.1f}"
              f"{per_min:>8}{per_cpu_min:>12}{statistics.median(run.latencies):>7.2f}"
              f"{percentile(run.latencies, 0.95):>7.2f}{run.cached:>7}{x_raw:>13}{x_out:>13}{ratio_u:>6}",
              flush=True)


def shared_prompts(chains: list[Chain], group: int) -> list[Chain]:
    """Prompt reuse: each group of `group` records decodes from the first one's prompt (its own seed)."""
    out = []
    for index, chain in enumerate(chains):
        head = chains[index - index % group]
        out.append(Chain([replace(head.requests[0], seed=chain.requests[0].seed)] + chain.requests[1:]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["short", "flagship"])
    parser.add_argument("--records", type=int, nargs="+", default=[24, 8], help="records per workload")
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (1: the machine is shared)")
    parser.add_argument("--ngram", type=int, default=0, help="no_repeat_ngram for every request")
    parser.add_argument("--skip-outlines", action="store_true")
    parser.add_argument("--profile", action="store_true", help="time split of the session at the largest N")
    parser.add_argument("--share", type=int, default=4,
                        help="short workload: also decode groups of this many records from one prompt (0: off)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from synthspec.generate.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(threads=args.threads)
    print(f"bench_throughput: embedded Gemma 3 270M, llama.cpp threads={backend.threads}, "
          f"build: {' '.join(backend.build_info['cpu_features'])}")
    with tempfile.TemporaryDirectory() as tmp:
        specs = {"short": short_spec(Path(tmp)), "flagship": REPO / "specs" / "support_tickets.synth"}
        for workload, records in zip(args.workloads, args.records, strict=False):
            chains, solo = plan_chains(backend, specs[workload], records, args.ngram)
            fields = sum(len(c.requests) for c in chains)
            prompt = sum(r.prompt_tokens for chain in solo.results for r in chain) / max(fields, 1)
            print(f"\n{workload}: {len(chains)} records, {fields} field requests, mean prompt {prompt:.0f} tokens, "
                  f"mean completion {solo.completion / max(fields, 1):.1f} tokens")
            # raw decodes what solo decoded: the same prompts, each capped at solo's completion length
            runs = [run_sequential("raw", unconstrained(chains, solo), raw_one(backend))]
            if not args.skip_outlines:
                runs.append(run_sequential("outlines", chains, lambda r: backend.generate_outlines([r])[0]))
            runs.append(solo)
            profile: dict = {}
            for slots in args.slots:
                constrained = run_session(f"N={slots}", backend, slots, chains,
                                          profile if args.profile and slots == max(args.slots) else None)
                runs.append(constrained)
                runs.append(run_session(f"N={slots} free", backend, slots, unconstrained(chains, constrained)))
            if args.share and workload == "short":
                best = max(args.slots)
                shared = shared_prompts(chains, args.share)
                runs.append(run_session(f"N={best} share{args.share}", backend, best, shared))
            report(workload, runs)
            if profile:
                total = sum(profile.values())
                print(f"  session time at N={max(args.slots)}: "
                      + ", ".join(f"{k} {v:.1f}s ({v / total:.0%})" for k, v in profile.items()))
    backend.close()


if __name__ == "__main__":
    main()
