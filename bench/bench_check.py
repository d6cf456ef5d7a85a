"""What lowering in `check` costs, and `check` / `explain` on a ten-million-record spec.

For every example spec: the checker alone (`compile_spec`), then the preflight added to it (`check_spec`: every
generated field lowered for each distinct rule configuration, grammars compiled by llguidance, the technique set
up), in one process, warm imports.  Then `count 10000000`: the preflight (which plans no record) and `explain`'s
one-record plan (`plan_record`) against the full plan it replaced (`plan_records`, measured at 1,000,000 records
and scaled, since ten million does not fit comfortably), with peak Python memory from tracemalloc.
Run: python bench/bench_check.py
"""

from __future__ import annotations

import glob
import tempfile
import time
import tracemalloc
from pathlib import Path

from synthspec.generate.grammars import compile_grammar
from synthspec.generate.techniques import get_technique
from synthspec.ir import compile_spec
from synthspec.lower import plan_record, plan_records
from synthspec.lower.preflight import check_spec, load_seeds
from synthspec.validate import validator_param_models

BIG = """dataset big {
  count COUNT
  field product: category("standard" = 6, "premium" = 3, "metal" = 1)
  field urgent: boolean(0.2)
  field rating: integer 1..5
  field text: text { words 5..60 must include product }
  when rating == 1 { text must include "sorry" }
}
"""


def timed(call, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def peak(call) -> tuple[float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, top / 2**20


def main() -> None:
    validators = validator_param_models()
    print("| spec | checker ms | check (with lowering) ms | lowering share |")
    print("|---|---:|---:|---:|")
    for path in sorted(glob.glob("specs/*.synth")):
        compile_grammar.cache_clear()
        checker = timed(lambda p=path: compile_spec(p, validators=validators))
        full = timed(lambda p=path: check_spec(p, validators=validators, grammar_check=compile_grammar,
                                               technique_check=get_technique))
        print(f"| {Path(path).name} | {checker * 1000:.0f} | {full * 1000:.0f} | {(full - checker) / full:.0%} |")
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.synth"
        big.write_text(BIG.replace("COUNT", "10000000"), encoding="utf-8")
        seconds, mib = peak(lambda: check_spec(big, validators=validators, grammar_check=compile_grammar))
        print(f"\ncheck, count 10,000,000: {seconds:.2f} s, peak {mib:.0f} MiB")
        spec = compile_spec(big).spec
        seconds, mib = peak(lambda: plan_record(spec, load_seeds(spec), 0))
        print(f"explain's plan of record 0, count 10,000,000: {seconds:.2f} s, peak {mib:.0f} MiB")
        million = spec.model_copy(update={"count": 1_000_000})
        seconds, mib = peak(lambda: plan_records(million, []))
        print(f"the full plan it replaced, count 1,000,000: {seconds:.2f} s, peak {mib:.0f} MiB "
              f"(x10 for ten million: ~{seconds * 10:.0f} s, ~{mib * 10 / 1024:.1f} GiB)")


if __name__ == "__main__":
    main()
