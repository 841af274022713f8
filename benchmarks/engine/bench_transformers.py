#!/usr/bin/env python3
"""Prefill and decode tokens/s of transformers (fp32, CPU) on a Finch model directory (run.py calls it).

    bench_transformers.py MODEL_DIR --prompt TEXT --new-tokens 64 --threads 2
Prints one JSON line: {"prompt_tokens", "prefill_tps", "decode_tps"}.
Prefill: one forward over the prompt. Decode: greedy generate of N new tokens with the KV cache,
past EOS, minus the prefill time, divided by N - 1 (the first new token comes from the prefill).
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    ids = AutoTokenizer.from_pretrained(a.model)(a.prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        model(ids)  # warm-up
        # as in generate: only the last position needs logits
        prefill = min(timed(lambda: model(ids, use_cache=True, logits_to_keep=1)) for _ in range(a.repeats))
        total = min(timed(lambda: model.generate(ids, max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens,
                                                 do_sample=False, pad_token_id=0)) for _ in range(a.repeats))
    decode = (total - prefill) / (a.new_tokens - 1)
    T = ids.shape[1]
    print(json.dumps({"prompt_tokens": T, "prefill_tps": T / prefill, "decode_tps": 1 / decode}))


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
