#!/usr/bin/env python3
"""Greedy generations of SmolLM2-135M-Instruct (Q4_1 GGUF) from transformers, for the Swift tests.

Run by hand after scripts/fetch-testdata.sh (needs torch, transformers, gguf):
    /work/venv-torch/bin/python scripts/make_smollm2_reference.py

transformers dequantizes the GGUF itself (gguf-py) and undoes llama.cpp's q/k permutation, so this is an
independent reference for Finch's importer and engine. Writes
Tests/FinchInferenceTests/Fixtures/smollm2_greedy.json: for each prompt, the chat-formatted prompt text,
its token ids and the greedy continuation ids (fp32, KV cache, stopping at EOS or max_new_tokens).
"""
import json
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF_DIR = os.path.join(os.environ.get("FINCH_TESTDATA", os.path.join(ROOT, ".testdata")), "smollm2")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(ROOT, "Tests", "FinchInferenceTests", "Fixtures", "smollm2_greedy.json")
MAX_NEW = 24
PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "List three colors.",
    "Explain gravity in one sentence.",
    "Hello!",
]


def main():
    tok = AutoTokenizer.from_pretrained(GGUF_DIR, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(GGUF_DIR, gguf_file=GGUF, dtype=torch.float32).eval()
    cases = []
    for p in PROMPTS:
        text = tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
        ids = tok(text, add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=MAX_NEW, do_sample=False, eos_token_id=tok.eos_token_id,
                                 pad_token_id=tok.eos_token_id)
        gen = out[0, ids.shape[1]:].tolist()
        cases.append({"prompt": p, "text": text, "prompt_ids": ids[0].tolist(), "output_ids": gen,
                      "output_text": tok.decode(gen, skip_special_tokens=True)})
        print(repr(p), "->", repr(cases[-1]["output_text"]))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"model": GGUF, "max_new_tokens": MAX_NEW, "eos_token_id": tok.eos_token_id, "cases": cases}, f,
                  indent=1)


if __name__ == "__main__":
    main()
