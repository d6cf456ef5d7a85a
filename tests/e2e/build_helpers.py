"""Running `synthspec build` as a user would, for the end-to-end tests: a real subprocess, the real model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def build(spec: str, out: Path, *args: str, timeout: int = 900) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`synthspec build SPEC --out OUT ARGS...`; the finished process and the records it wrote."""
    result = subprocess.run([sys.executable, "-m", "synthspec", "build", spec, "--out", str(out), "--progress", "off",
                             *args], capture_output=True, text=True, timeout=timeout)
    records = ([json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
               if out.exists() else [])
    return result, records
