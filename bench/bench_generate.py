"""Generation benchmarks, each measured side by side in one run on the embedded Gemma 3 270M.

1. valid records/min: synthspec (grammar-constrained, llama.cpp) vs a naive peer
   (few-shot prompt → free generation → parse JSON → validate → retry), same model;
2. constrained vs unconstrained decoding speed (tokens/s), same prompts and budget;
3. grammar compile: cold (empty cache) vs warm (on-disk cache), and model load cold vs warm;
4. backends: llama.cpp vs transformers tokens/s; transformers batch-size scaling;
5. server throughput with 1 and 2 `llama_cpp.server` processes.

Run: python bench/bench_generate.py [--only records,speed,compile,backends,servers] [--records N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from synthspec.generate import BuildOptions, run_build  # noqa: E402
from synthspec.generate.backends.base import GenRequest  # noqa: E402
from synthspec.ir import compile_spec  # noqa: E402

SPEC = REPO / "tests" / "generate" / "fixtures" / "mini.synth"
CODE = re.compile(r"[A-Z]{3}-[0-9]{3}")
TEXT_GRAMMAR = 'start: WORD (" " WORD){29,59} "\\n"\nWORD: /[A-Za-z]{1,12}[.,!]?/\n'
FEW_SHOT = """Customer notes as JSON lines. "code" is 3 capital letters, a dash, 3 digits; "note" has 3 to 8 words and
contains the code.
{"sentiment": "positive", "stars": 5, "code": "QXR-381", "note": "Order QXR-381 arrived early, thanks!"}
{"sentiment": "negative", "stars": 1, "code": "LMA-902", "note": "LMA-902 broke after one day."}
{"sentiment": "positive", "stars": 4, "code": "BTC-117", "note": "Happy with BTC-117, good value."}
"""


def _row(name: str, value: str) -> None:
    print(f"  {name:<58} {value}", flush=True)


def naive_valid(record: dict) -> bool:
    """The checks the spec's grammar enforces, applied after the fact."""
    code, note = record.get("code"), record.get("note")
    if not isinstance(code, str) or not isinstance(note, str) or not CODE.fullmatch(code):
        return False
    return 3 <= len(note.split()) <= 8 and code in note


def bench_records(backend, n: int) -> dict:
    spec = compile_spec(SPEC).spec.model_copy(update={"count": n})
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_build(spec, backend, BuildOptions(out=Path(tmp) / "o.jsonl", progress="off"))
        ours = time.perf_counter() - start
    ours_rate = 60 * result.written / ours
    # the naive peer: same model, same sampled values, same sampling settings
    from synthspec.lower import plan_records

    start = time.perf_counter()
    valid = attempts = tokens = 0
    for plan in plan_records(spec, []):
        prefix = json.dumps(plan.sampled)[:-1] + ', "code": "'
        for attempt in range(5):
            attempts += 1
            got = backend.generate_unconstrained(GenRequest(FEW_SHOT + prefix, "", 60, plan.sub_seed + attempt,
                                                            spec.model.temperature, spec.model.top_p),
                                                 stop=["\n"])  # a fair peer stops at the end of its line
            tokens += got.completion_tokens
            line = (prefix + got.text).split("\n", 1)[0]
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and naive_valid(record):
                valid += 1
                break
    peer = time.perf_counter() - start
    peer_rate = 60 * valid / peer
    print(f"\n[records] {n} records of tests/generate/fixtures/mini.synth, llama.cpp backend")
    _row("synthspec valid records/min", f"{ours_rate:.1f} ({result.written}/{n} valid, "
         f"{result.rejected} rejected generations, {ours:.1f}s)")
    _row("naive peer valid records/min (<=5 tries each)", f"{peer_rate:.1f} ({valid}/{n} valid after {attempts} "
         f"generations, {peer:.1f}s)")
    _row("ratio synthspec / peer", f"{ours_rate / peer_rate:.2f}x" if peer_rate else "peer produced none")
    return {"ours_per_min": ours_rate, "peer_per_min": peer_rate, "peer_valid": valid, "n": n}


def bench_speed(backend, reps: int = 4) -> dict:
    prompt = "Write a short product review:\n"
    constrained = [GenRequest(prompt, TEXT_GRAMMAR, 120, seed) for seed in range(reps)]
    start = time.perf_counter()
    results = backend.generate(constrained)
    c_time = time.perf_counter() - start
    c_tokens = sum(r.completion_tokens for r in results)
    start = time.perf_counter()
    u_tokens = 0
    for seed in range(reps):
        u_tokens += backend.generate_unconstrained(GenRequest(prompt, "", 80, seed)).completion_tokens
    u_time = time.perf_counter() - start
    c_rate, u_rate = c_tokens / c_time, u_tokens / u_time
    print(f"\n[speed] {reps} generations each, llama.cpp, embedded model")
    _row("constrained tokens/s (30..60-word text grammar)", f"{c_rate:.1f}")
    _row("unconstrained tokens/s", f"{u_rate:.1f}")
    _row("ratio constrained / unconstrained", f"{c_rate / u_rate:.2f}")
    return {"constrained_tps": c_rate, "unconstrained_tps": u_rate}


def bench_compile() -> dict:
    """Cold vs warm, each in a fresh process so in-memory memos do not help the warm run."""
    script = r"""
import json, sys, time
from synthspec.ir import compile_spec
from synthspec.lower import field_order, plan_field, plan_records
t0 = time.perf_counter()
from synthspec.generate.backends.llamacpp import LlamaCppBackend
backend = LlamaCppBackend()
load = time.perf_counter() - t0
spec = compile_spec(sys.argv[1]).spec
from synthspec.generate import grammars
texts = set()
for plan in plan_records(spec, [])[:20]:
    values = dict(plan.sampled)
    for name in field_order(spec):
        fp = plan_field(spec, name, plan, values, [])
        texts.add(fp.grammar)
        values[name] = "ABC-123" if name == "code" else "x"
t1 = time.perf_counter()
specs = [grammars.compile_grammar(t) for t in texts]
compile_s = time.perf_counter() - t1
t2 = time.perf_counter()
for s in specs:
    backend.pool.matcher(s)
matcher_s = time.perf_counter() - t2
t3 = time.perf_counter()
for s in specs:
    backend.pool.matcher(s)
reuse_s = time.perf_counter() - t3
print(json.dumps({"load": load, "compile": compile_s, "matchers": matcher_s, "reuse": reuse_s, "n": len(specs)}))
"""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SYNTHSPEC_CACHE": cache}
        runs = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", script, str(SPEC)], env=env, capture_output=True, text=True,
                                 check=True, cwd=REPO)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    cold, warm = runs
    print(f"\n[compile] {cold['n']} distinct field grammars of mini.synth (20 records), fresh process each")
    _row("grammar compile cold (empty cache) ms", f"{1000 * cold['compile']:.1f}")
    _row("grammar compile warm (on-disk cache) ms", f"{1000 * warm['compile']:.1f}")
    _row("matcher build, first use per process ms", f"{1000 * warm['matchers']:.1f}")
    _row("matcher reuse (pristine deep copy) ms", f"{1000 * warm['reuse']:.2f}")
    _row("model load cold / warm s (token-bytes cache)", f"{cold['load']:.2f} / {warm['load']:.2f}")
    ratio = cold["compile"] / warm["compile"] if warm["compile"] else float("inf")
    _row("ratio compile cold / warm", f"{ratio:.1f}x")
    return {"cold": cold, "warm": warm}


def bench_backends(llama, reps: int = 4) -> dict:
    from synthspec.generate.backends.transformers import TransformersBackend

    requests = [GenRequest("Write a short product review:\n", TEXT_GRAMMAR, 120, seed) for seed in range(reps)]
    start = time.perf_counter()
    tokens = sum(r.completion_tokens for r in llama.generate(requests))
    llama_tps = tokens / (time.perf_counter() - start)
    start = time.perf_counter()
    hf = TransformersBackend()  # dequantised once, then loaded from the cache
    hf_load = time.perf_counter() - start
    rows = {}
    for size in (1, 2, 4, 8):
        batch = [GenRequest("Write a short product review:\n", TEXT_GRAMMAR, 120, seed) for seed in range(size)]
        start = time.perf_counter()
        tokens = sum(r.completion_tokens for r in hf.generate(batch))
        rows[size] = tokens / (time.perf_counter() - start)
    print(f"\n[backends] constrained text, embedded model (transformers load {hf_load:.1f}s)")
    _row("llama.cpp tokens/s (sequential)", f"{llama_tps:.1f}")
    for size, tps in rows.items():
        _row(f"transformers tokens/s, batch {size}", f"{tps:.1f} ({tps / rows[1]:.2f}x batch 1)")
    best = max(rows.values())
    _row("ratio llama.cpp / best transformers", f"{llama_tps / best:.2f}x")
    return {"llama_tps": llama_tps, "hf": rows}


def _free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _start_servers(count: int, threads: int) -> tuple[list[subprocess.Popen], list[str]]:
    from synthspec.generate.backends.llamacpp import embedded_model_path

    procs, urls = [], []
    for _ in range(count):
        port = _free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        port = int(url.rsplit(":", 1)[1])
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
    return procs, urls


def bench_servers(n: int = 8) -> dict:
    from synthspec.generate.backends.openai import OpenAIBackend

    cores = os.cpu_count() or 2
    out = {}
    for count in (1, 2):
        procs, urls = _start_servers(count, max(1, cores // count))
        try:
            backend = OpenAIBackend(urls, per_server=1)
            requests = [GenRequest("Write a short product review:\n", TEXT_GRAMMAR, 120, seed) for seed in range(n)]
            start = time.perf_counter()
            results = backend.generate(requests)
            seconds = time.perf_counter() - start
            out[count] = (n / seconds * 60, sum(r.completion_tokens for r in results) / seconds,
                          sum(not r.truncated for r in results))
            backend.close()
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait()
    print(f"\n[servers] {n} constrained texts over llama_cpp.server processes ({cores} cores shared)")
    for count, (per_min, tps, ok) in out.items():
        _row(f"{count} server(s): generations/min, tokens/s", f"{per_min:.1f}, {tps:.1f} ({ok}/{n} grammatical)")
    _row("ratio 2 servers / 1 server", f"{out[2][0] / out[1][0]:.2f}x")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="records,speed,compile,backends,servers")
    parser.add_argument("--records", type=int, default=12)
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(f"bench_generate: {os.cpu_count()} cores")
    if "compile" in parts:
        bench_compile()
    llama = None
    if parts & {"records", "speed", "backends"}:
        from synthspec.generate.backends.llamacpp import LlamaCppBackend

        llama = LlamaCppBackend()
    if "records" in parts:
        bench_records(llama, args.records)
    if "speed" in parts:
        bench_speed(llama)
    if "backends" in parts:
        bench_backends(llama)
    if "servers" in parts:
        bench_servers()


if __name__ == "__main__":
    main()
