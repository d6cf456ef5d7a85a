#!/usr/bin/env bash
# Install synthspec and everything it needs on a fresh machine (CPU only, no network but package registries).
# Usage: bash scripts/install.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
PY="${PYTHON:-python3}"
# A CPU build of torch first: any torch range asked for later is then already satisfied,
# so pip never pulls a multi-GB CUDA build.
"$PY" -m pip install --quiet "torch==2.13.0"
# llama.cpp is compiled from source: build for AVX2-class x86 CPUs rather than this exact CPU,
# so a wheel cached on one machine never crashes on another.
if [ "$(uname -m)" = "x86_64" ] && [ -z "${CMAKE_ARGS:-}" ]; then
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
fi
if [ "${1:-}" = "dev" ]; then
  "$PY" -m pip install --quiet -e ".[dev]"
  # the example third-party validator packages, installed exactly as a user would install them
  for plugin in plugins/*/; do
    if [ -f "$plugin/pyproject.toml" ] && [ ! -f "$plugin/.not-installed-by-default" ]; then
      "$PY" -m pip install --quiet "$plugin"
    fi
  done
else
  "$PY" -m pip install --quiet -e ".[embeddings,parquet,pii]"
fi
