"""Records per minute: the single-process build vs llama.cpp server fleets (1, 2, 4 processes) vs Ray (1, 2 workers).

    python bench/bench_scale.py [--count 8] [--spec tests/generate/fixtures/mini.synth] [--skip-ray] [--skip-servers]

Every configuration builds the same spec at the same seed and batch size in one run, side by side:
- `single`: llama.cpp in this process, one thread;
- `servers xN`: N `python -m llama_cpp.server` processes on loopback (one thread each, `--n_batch 1`, so a
  build is reproducible against the fleet), the server backend with one request in flight per server;
  `servers x2 nb`: the same without `--n_batch 1` (prompts evaluated in batches: faster, not reproducible);
- `ray xW`: a local Ray instance with W CPUs (`ray.init(num_cpus=W)`, one process tree; the tests use a
  real two-node cluster) and W actors, one thread each.
`single again` repeats the first row at the end, to show how much the load on a shared machine drifted.
Start-up (model loads, server starts, Ray) is timed apart from generation; records/min counts generation
only.  The Ray rows must reproduce the single-process records exactly (checked and printed).  Every
configuration uses one thread per model: on a machine with C idle cores, up to C of them run at once, so
the speed-up is bounded by the idle cores, not by the number of workers.  Say in any figure you publish
how loaded the machine was (`os.getloadavg()` is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from synthspec.generate import BuildOptions, run_build  # noqa: E402
from synthspec.ir import compile_spec  # noqa: E402
from tests.servers.helpers import start_llama_server, stop  # noqa: E402


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _fields(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "_provenance"} for r in records]


def run(name: str, spec, open_backend, out: Path, batch: int) -> dict:
    started = time.monotonic()
    backend = open_backend()
    ready = time.monotonic()
    try:
        result = run_build(spec, backend, BuildOptions(out=out, batch_size=batch, progress="off", force=True))
    finally:
        backend.close()
    seconds = time.monotonic() - ready
    return {"name": name, "startup_s": round(ready - started, 1), "build_s": round(seconds, 1),
            "records": result.written, "per_min": 60.0 * result.written / max(seconds, 1e-9),
            "rejected": result.rejected, "out": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--spec", default=str(REPO / "tests/generate/fixtures/mini.synth"))
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--skip-servers", action="store_true")
    args = parser.parse_args()
    spec = compile_spec(args.spec).spec.model_copy(update={"count": args.count})
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}; count {args.count}, "
          f"batch size {args.batch_size}", flush=True)
    rows = []

    from synthspec.generate.backends.llamacpp import LlamaCppBackend

    rows.append(run("single", spec, lambda: LlamaCppBackend(threads=1), tmp / "single.jsonl", args.batch_size))
    print(rows[-1], flush=True)

    from synthspec.generate.backends.server import ServerBackend

    for n, exact in () if args.skip_servers else ((1, True), (2, True), (4, True), (2, False)):
        procs = []

        def fleet(n: int = n, exact: bool = exact, procs: list = procs):
            started = [start_llama_server(token_by_token=exact) for _ in range(n)]
            procs.extend(p for _, p in started)
            return ServerBackend([u for u, _ in started], per_server=1)

        name = f"servers x{n}" + ("" if exact else " nb")
        try:
            rows.append(run(name, spec, fleet, tmp / f"servers{n}{exact}.jsonl", args.batch_size))
        finally:
            for proc in procs:
                stop(proc)
        print(rows[-1], flush=True)

    if not args.skip_ray:
        import ray

        from synthspec.generate.backends.raycluster import RayBackend

        for workers in (1, 2):
            def cluster(workers: int = workers):
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                return RayBackend(None, actors=workers)

            try:
                rows.append(run(f"ray x{workers}", spec, cluster, tmp / f"ray{workers}.jsonl", args.batch_size))
            finally:
                ray.shutdown()
            print(rows[-1], flush=True)

    # the machine is shared: the single-process build again at the end brackets how the load drifted
    rows.append(run("single again", spec, lambda: LlamaCppBackend(threads=1), tmp / "single2.jsonl",
                    args.batch_size))
    print(rows[-1], flush=True)
    base = rows[0]["per_min"]
    reference = _records(rows[0]["out"])
    print(f"\nload average after: {os.getloadavg()}")
    print(f"{'configuration':<14} {'startup s':>9} {'build s':>8} {'records':>7} {'rec/min':>8} {'vs single':>9}  "
          "same records as single")
    for row in rows:
        records = _records(row["out"])
        same = ("yes (provenance too)" if records == reference else
                "fields only" if _fields(records) == _fields(reference) else "no")
        print(f"{row['name']:<14} {row['startup_s']:>9} {row['build_s']:>8} {row['records']:>7} "
              f"{row['per_min']:>8.1f} {row['per_min'] / base:>8.2f}x  {same if row is not rows[0] else '-'}")


if __name__ == "__main__":
    main()
