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
# llama.cpp is compiled from source, for the instruction sets this CPU has, named one by one: AVX2, plus AVX-512 with
# VNNI, VBMI and BF16 where the CPU has all of them (1.2-1.3x prompt evaluation and batched decoding measured,
# bench/bench_kernels.py).  Never GGML_NATIVE (it segfaulted here) nor AMX.  The wheel is built outside pip's cache,
# so an AVX-512 build is never reused on a machine without AVX-512.  CMAKE_ARGS set by the caller wins.
if [ "$(uname -m)" = "x86_64" ] && [ -z "${CMAKE_ARGS:-}" ]; then
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) "
  avx512=1
  for flag in avx512f avx512bw avx512vl avx512dq avx512_vnni avx512_bf16 avx512vbmi; do
    case "$flags" in *" $flag "*) ;; *) avx512=0 ;; esac
  done
  if [ "$avx512" = 1 ]; then
    CMAKE_ARGS="$CMAKE_ARGS -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
  fi
  export CMAKE_ARGS
  echo "install.sh: llama.cpp build flags: $CMAKE_ARGS"
fi
"$PY" -m pip install --quiet --no-cache-dir "llama-cpp-python[server]>=0.3.8"
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
