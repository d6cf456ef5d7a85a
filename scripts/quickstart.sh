#!/usr/bin/env bash
# Install synthspec and build the flagship example on the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
bash scripts/install.sh
synthspec check specs/support_tickets.synth
synthspec build specs/support_tickets.synth --count 6 --seed 11 --out out/support_tickets.jsonl
