"""llama.cpp kernels: the portable AVX2 build against a build for this CPU, side by side in one run.

`scripts/install.sh` picks the llama.cpp build flags from the CPU it runs on (AVX2, or AVX-512 with VNNI, VBMI and
BF16 where the CPU has all of them; never AMX or GGML_NATIVE).  This bench measures what that choice is worth: each
build runs in a child process of its own (one process cannot load two llama.cpp libraries) on the embedded Gemma 3
270M, with the same threads, measuring

  prompt      prompt evaluation, a 512-token prompt in one batch (tokens/s, best of 3)
  decode      single-stream decoding, one token per `llama_decode`, no sampling (tokens/s, best of 3)
  batch N     the build's batched constrained session on the short-query workload of bench_throughput.py (N slots):
              completion tokens/s and valid records/min

and prints each build's figures with its ratio to the first build.  Build a variant into its own folder first, e.g.

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON \
      -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON" pip wheel --no-cache-dir --no-deps \
      --no-binary llama-cpp-python llama-cpp-python==0.3.36 -w /tmp/wheel512
    pip install --no-deps --target /tmp/llama512 /tmp/wheel512/*.whl

Run: python bench/bench_kernels.py --build portable= --build avx512=/tmp/llama512 [--threads 2] [--records 24]
(an empty path is the installed llama-cpp-python).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def child(threads: int, records: int, slots: int) -> dict:
    """Measure the llama_cpp this process imports (see the module docstring)."""
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(BENCH))
    import bench_throughput as bt
    import llama_cpp

    from synthspec.generate.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(threads=threads)
    llm = backend.llm
    tokens = llm.tokenize(("The quick brown fox jumps over the lazy dog. " * 60).encode())[:512]
    prompt_rates, decode_rates = [], []
    for _ in range(3):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        prompt_rates.append(len(tokens) / (time.perf_counter() - started))
        llm.reset()
        llm.eval(tokens[:16])
        started = time.perf_counter()
        for token in tokens[16:112]:
            llm.eval([token])
        decode_rates.append(96 / (time.perf_counter() - started))
    with tempfile.TemporaryDirectory() as tmp:
        chains, _ = bt.plan_chains(backend, bt.short_spec(Path(tmp)), records, 0)
        run = bt.run_session(f"N={slots}", backend, slots, chains)
    backend.close()
    return {"library": llama_cpp.__file__, "features": backend.build_info["cpu_features"],
            "prompt": max(prompt_rates), "decode": max(decode_rates),
            "batch_tok_s": run.completion / run.wall, "batch_rec_min": 60 * run.valid / run.wall,
            "valid": run.valid, "records": len(chains)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="append", default=[], metavar="NAME=PATH",
                        help="a llama-cpp-python build: NAME=folder it is installed in (empty: the installed one)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--records", type=int, default=24, help="short-query records for the batched run")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.threads, args.records, args.slots)))
        return
    builds = [tuple(b.split("=", 1)) for b in (args.build or ["portable="])]
    print(f"bench_kernels: embedded Gemma 3 270M, {args.threads} threads, batched run: {args.records} short-query "
          f"records at N={args.slots}; load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for name, path in builds:
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        if path:
            env["PYTHONPATH"] = os.pathsep.join([path, env.get("PYTHONPATH", "")])
        proc = subprocess.run([sys.executable, __file__, "--child", "--threads", str(args.threads),
                               "--records", str(args.records), "--slots", str(args.slots)],
                              capture_output=True, text=True, env=env, cwd=REPO)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(f"  {name:<10} failed (exit {proc.returncode}: {tail})")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append((name, row))
        print(f"  {name:<10} {' '.join(row['features'])}")
    if not rows:
        return
    base = rows[0][1]
    print(f"\n  {'build':<10}{'prompt tok/s':>14}{'decode tok/s':>14}{'batch tok/s':>13}{'batch rec/min':>15}"
          f"{'valid':>8}")
    for name, row in rows:
        print(f"  {name:<10}{row['prompt']:>9.0f} {row['prompt'] / base['prompt']:>4.2f}x"
              f"{row['decode']:>9.1f} {row['decode'] / base['decode']:>4.2f}x"
              f"{row['batch_tok_s']:>8.1f} {row['batch_tok_s'] / base['batch_tok_s']:>4.2f}x"
              f"{row['batch_rec_min']:>10.1f} {row['batch_rec_min'] / base['batch_rec_min']:>4.2f}x"
              f"{row['valid']:>5}/{row['records']}")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
