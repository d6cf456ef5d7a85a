#!/usr/bin/env bash
# End-to-end check of the vLLM dialect on a machine with a GPU and vLLM (>= 0.12) installed:
#   bash bench/gpu_vllm_check.sh            # MODEL, PORT, COUNT may be set in the environment
# 1. starts vLLM on a small model with the guidance structured-output backend (it reads llguidance Lark);
# 2. builds a tiny spec with `dialect vllm` (a category, a regex code, a text that must include the code and
#    must not include two words: llguidance's & and ~) and checks every record and the manifest (probe passed,
#    constraints server-enforced);
# 3. shows that the probe catches a server ignoring its constraint: vLLM does not know llama.cpp's `grammar`
#    field, so the same build with `--dialect llamacpp` must stop with M012 before writing a record.
# MODEL may be a local directory (no download) or a Hugging Face id vLLM can fetch. Exits non-zero on any failure.
set -euo pipefail

MODEL="${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}"
PORT="${PORT:-8765}"
COUNT="${COUNT:-20}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
LOG="$WORK/vllm.log"
cd "$REPO"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

python3 -c "import vllm, synthspec; print('vllm', vllm.__version__)"

vllm serve "$MODEL" --host 127.0.0.1 --port "$PORT" --max-model-len 4096 --gpu-memory-utilization 0.5 \
  --structured-outputs-config.backend guidance --generation-config vllm >"$LOG" 2>&1 &
VLLM_PID=$!
trap 'kill "$VLLM_PID" 2>/dev/null || true; wait "$VLLM_PID" 2>/dev/null || true' EXIT

echo "waiting for vLLM on port $PORT (log: $LOG)"
for _ in $(seq 1 600); do
  if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
  if ! kill -0 "$VLLM_PID" 2>/dev/null; then echo "vLLM exited:"; tail -50 "$LOG"; exit 1; fi
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null || { echo "vLLM did not come up"; tail -50 "$LOG"; exit 1; }

cat >"$WORK/vllm_check.synth" <<SPEC
dataset vllm_check {
  count $COUNT
  seed 7
  list banned = ["Monzo", "Revolut"]
  field topic: category("card payment", "refund", "login")
  field code: string /[A-Z]{3}-[0-9]{4}/
  field text: text {
    words 12..40
    about topic
    must include code
    must not include banned
  }
  model {
    servers ["http://127.0.0.1:$PORT"]
    dialect vllm
    per_server 16
    timeout 120
  }
}
SPEC

echo "== explain: what vLLM receives per field"
synthspec explain "$WORK/vllm_check.synth" --section grammar | grep "servers (vllm)"

echo "== build with dialect vllm"
synthspec build "$WORK/vllm_check.synth" --out "$WORK/out.jsonl" --progress off

python3 - "$WORK" "$COUNT" <<'PY'
import json, re, sys
from pathlib import Path
work, count = Path(sys.argv[1]), int(sys.argv[2])
records = [json.loads(l) for l in (work / "out.jsonl").read_text().splitlines()]
assert len(records) == count, f"{len(records)} records, expected {count}"
for r in records:
    assert re.fullmatch(r"[A-Z]{3}-[0-9]{4}", r["code"]), r
    assert r["code"] in r["text"], r
    assert not re.search(r"monzo|revolut", r["text"], re.I), r
    assert r["_provenance"]["backend"] == "openai"
manifest = json.loads((work / "out.jsonl.manifest.json").read_text())
info = manifest["backend_info"]
assert info["constraints"] == "server-enforced, re-checked", info
assert all(p["enforced"] and p["dialect"] == "vllm" for p in info["probe"]), info["probe"]
rejects = [json.loads(l) for l in (work / "out.jsonl.rejects.jsonl").read_text().splitlines() if l.strip()]
print(f"OK: {count} valid records; probe enforced on vLLM; {len(rejects)} rejected generations; "
      f"tokens {manifest['tokens']}")
print("routes:", json.dumps(info["fields"], indent=1))
PY

echo "== the probe refuses a dialect vLLM ignores (llama.cpp's top-level grammar field)"
set +e
synthspec build "$WORK/vllm_check.synth" --out "$WORK/wrong.jsonl" --progress off --dialect llamacpp \
  >"$WORK/wrong.out" 2>"$WORK/wrong.err"
status=$?
set -e
cat "$WORK/wrong.err"
if [ "$status" -ne 1 ] || ! grep -q "M012" "$WORK/wrong.err"; then
  echo "FAIL: expected the conformance probe to stop the build (exit 1, M012), got exit $status"; exit 1
fi
if [ -s "$WORK/wrong.jsonl" ]; then echo "FAIL: records were written"; exit 1; fi
echo "OK: vLLM ignoring \`grammar\` was caught before the first record"
echo "ALL CHECKS PASSED"
