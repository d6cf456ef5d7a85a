"""How fast the front end is on big specs: parse and full compile of ~1 MB and ~4 MB files.

Prints wall times and the throughput ratio between sizes (linear scaling gives ~1.0).
Run: python bench/bench_parse.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from synthspec.ir import compile_spec
from synthspec.parse import parse_source, read_source


def make_spec(target_bytes: int) -> str:
    """A valid spec of roughly `target_bytes`: many category values and list terms, some fields."""
    lines = ["# generated for bench_parse", "list big = ["]
    i = 0
    while sum(len(x) + 1 for x in lines) < target_bytes * 0.6:
        lines.append(f'  "term number {i} with some padding words",')
        i += 1
    lines.append('  "last"\n]')
    lines.append("dataset big {\n  count 10\n  seed 1")
    j = 0
    while sum(len(x) + 1 for x in lines) < target_bytes:
        values = ", ".join(f'"v{j}_{k}"' for k in range(20))
        lines.append(f"  field f{j}: category({values})")
        j += 1
    lines.append("  field text: text {\n    words 5..50\n    must not include big, pii\n  }\n}")
    return "\n".join(lines) + "\n"


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (1_000_000, 4_000_000):
            path = Path(tmp) / f"spec_{size}.synth"
            path.write_text(make_spec(size))
            actual = path.stat().st_size
            start = time.perf_counter()
            parse_source(read_source(path))
            parse_s = time.perf_counter() - start
            start = time.perf_counter()
            compile_spec(path)
            compile_s = time.perf_counter() - start
            rows.append((actual, parse_s, compile_s))
            print(f"{actual / 1e6:5.2f} MB  parse {parse_s:6.3f} s  compile (parse+check+IR) {compile_s:6.3f} s  "
                  f"({actual / 1e6 / parse_s:5.2f} MB/s parse)")
    (s1, p1, _), (s2, p2, _) = rows
    print(f"throughput ratio 4 MB vs 1 MB: {(s2 / p2) / (s1 / p1):.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
