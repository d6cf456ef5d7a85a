"""The checker's validator table loads a plugin only when a spec names it, and agrees with the eager table."""

from __future__ import annotations

import subprocess
import sys

from synthspec.validate.registry import LazyParamModels, validator_param_models
from tests.conftest import REPO


def test_lazy_table_equals_the_eager_one() -> None:
    lazy = LazyParamModels()
    eager = validator_param_models()
    assert "schema" in lazy and "no_such_validator" not in lazy
    assert dict(lazy) == eager and len(lazy) == len(eager)


def _run(probe: str) -> str:
    """Run `probe` in a fresh interpreter (nothing imported yet) and return its last line of output."""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_looking_up_one_validator_imports_only_that_one() -> None:
    probe = (
        "import sys\n"
        "from synthspec.validate.registry import LazyParamModels\n"
        "table = LazyParamModels()\n"
        "assert 'near_threshold' in table['dedup'].model_fields\n"
        "print(sorted(m for m in sys.modules if m.startswith('synthspec.validate.builtins.')))\n"
    )
    assert _run(probe) == "['synthspec.validate.builtins.dedup']"


def test_checking_the_flagship_imports_no_numerics() -> None:
    # `synthspec check` reads the parameters of dedup and distribution and looks the technique up; the
    # numerics those use (numpy, scipy, the MinHash/ANN/embedding helpers) must wait until a check runs
    probe = (
        "import sys\n"
        "from synthspec.cli import main\n"
        "code = main(['check', 'specs/support_tickets.synth'])\n"
        "heavy = ('numpy', 'scipy', 'torch', 'synthspec.validate.minhash', 'synthspec.embeddings')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert _run(probe) == "0 []"
