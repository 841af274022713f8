#!/usr/bin/env bash
# The issue-4 training benchmark: the Marv job run by Finch and by transformers+peft, one after the other on
# this machine, plus the sgemm peak measured in the same run. Writes benchmarks/training/results/*.json.
#
#   benchmarks/training/run.sh MODEL_DIR [FINCH_BINARY] [PYTHON]
#
# MODEL_DIR: an HF directory of SmolLM2-135M-Instruct (e.g. `finch models import
# .testdata/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --name SmolLM2-135M-Instruct --data DIR`; both stacks
# load the same fp32 safetensors). PYTHON needs torch, transformers, peft, numpy.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="$1"
finch="${2:-$root/.build/release/finch}"
py="${3:-python3}"
data="${MARV:-/work/shared/data/marv_train.jsonl}"
threads="${THREADS:-$(nproc)}"
epochs="${EPOCHS:-3}"
out="$here/results"
mkdir -p "$out"
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" FINCH_THREADS="$threads"
# OpenBLAS picks its kernels for the CPU unless OPENBLAS_CORETYPE forces a set; this workplace's machines export
# OPENBLAS_CORETYPE=Haswell (AVX2). BLAS_CORE=auto (default) lets OpenBLAS detect the CPU; BLAS_CORE=Haswell
# (or any OpenBLAS core name) forces one, for Finch and for the sgemm peak alike. torch uses MKL either way.
if [ "${BLAS_CORE:-auto}" = auto ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE="$BLAS_CORE"; fi

"$py" "$here/sgemm_peak.py" | tee "$out/sgemm.json"

run="$(mktemp -d)"
/usr/bin/time -v "$finch" train --model "$model" --training-file "$data" --epochs "$epochs" --batch-size 8 \
  --learning-rate 1e-3 --lora-rank 8 --lora-alpha 16 --seed 0 --output "$run" 2> "$out/finch.time" | tee "$out/finch.log"
"$py" - "$out/finch.time" "$run/results.csv" > "$out/finch.json" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t)
h, m, s = (float(x) if x else 0 for x in wall.groups())
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
rows = [l.split(",") for l in open(sys.argv[2]).read().splitlines()[1:]]
compute = re.search(r"compute: (.*)", t)
print(json.dumps({"compute": compute.group(1) if compute else None,
                  "wall_s": h * 3600 + m * 60 + s, "peak_rss_mb": rss / 1024, "first_loss": float(rows[0][1]),
                  "last_loss": float(rows[-1][1]), "steps": len(rows)}))
PY
rm -rf "$run"
"$py" "$here/sgemm_peak.py" > "$out/sgemm-after.json"
/usr/bin/time -v "$py" "$here/bench_peft.py" --model "$model" --data "$data" --threads "$threads" --epochs "$epochs" \
  --json "$out/peft.json" 2> "$out/peft.time"
"$py" "$here/summarize.py" "$out" "$model" | tee "$out/summary.md"
