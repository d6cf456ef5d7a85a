"""Gap filling on the BANKING77 slice: category PSI against uniform, before and after, per budget.

PSI plain is seeds + a `from seeds` draw in expected proportions (what the plain technique adds).

Pure computation (no model): the allocation is what the build will generate.
Run: python bench/techniques_gap_fill.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synthspec.datafiles import load_seed_examples  # noqa: E402
from synthspec.generate.techniques import get_technique  # noqa: E402
from synthspec.generate.techniques.gap_filling import psi  # noqa: E402
from synthspec.ir import compile_spec  # noqa: E402
from synthspec.lower.plan import RecordPlan  # noqa: E402


def main() -> None:
    base = compile_spec("specs/banking77_gap_fill.synth").spec
    src = base.seeds
    seeds = load_seed_examples(src.resolved_path, src.format, src.columns, src.id_column)
    print(f"{'budget':>6} {'PSI seeds':>10} {'PSI plain':>10} {'PSI gap-fill':>13} {'ratio':>6}  "
          "added to thinnest labels")
    for budget in (20, 50, 100, 200):
        spec = base.model_copy(update={"count": budget})
        technique = get_technique(spec, seeds)
        technique.plan([RecordPlan(i, i, {"intent": None}) for i in range(budget)])
        r = technique.report
        n = sum(r["seed_counts"].values())
        plain = {k: v + budget * v / n for k, v in r["seed_counts"].items()}  # `from seeds`: proportional
        plain_psi = psi(plain, technique.target_distribution())
        top = sorted(r["added"].items(), key=lambda kv: -kv[1])[:3]
        print(f"{budget:>6} {r['psi_before']:>10.4f} {plain_psi:>10.4f} {r['psi_after']:>13.4f} "
              f"{r['psi_after'] / r['psi_before']:>6.2f}  {', '.join(f'{k} +{v}' for k, v in top)}")


if __name__ == "__main__":
    main()
