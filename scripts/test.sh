#!/usr/bin/env bash
# Install everything and run the whole test suite (lint, unit, end-to-end on the embedded model).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
bash scripts/install.sh dev
python3 -m ruff check .
python3 -m pytest -q "$@"
