#!/usr/bin/env python3
"""Loads an adapter written by `finch train` with Python peft and shows what it learned.

    /work/venv-torch/bin/python scripts/check_finch_adapter.py --model MODEL_DIR --adapter OUT/adapter \
        [--question "What is the capital of Norway?" ...] [--loss-file valid.jsonl]

Prints greedy answers of the base model and of base + adapter (PeftModel.from_pretrained, unmerged) for
chat questions with Marv's system prompt, and optionally the mean assistant-token loss of a chat JSONL
under both, so the adapter's effect can be compared with Finch's own valid_loss.
"""
import argparse
import json

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

SYSTEM = "Marv is a factual chatbot that is also sarcastic."


def answer(model, tok, q):
    msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}]
    ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    out = model.generate(ids, max_new_tokens=40, do_sample=False)
    return tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()


def mean_loss(model, tok, path):
    total, n = 0.0, 0
    for line in open(path):
        msgs = json.loads(line)["messages"]
        last = len(msgs) - 1
        prompt = tok.apply_chat_template(msgs[:last], tokenize=False, add_generation_prompt=True)
        full = tok.apply_chat_template(msgs, tokenize=False)
        p = tok.encode(prompt, add_special_tokens=False)
        a = tok.encode(full[len(prompt):], add_special_tokens=False)
        ids = torch.tensor([p + a])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, len(p) - 1:-1]
        ce = torch.nn.functional.cross_entropy(logits, ids[0, len(p):], reduction="sum")
        total += float(ce)
        n += len(a)
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--question", action="append")
    ap.add_argument("--loss-file")
    args = ap.parse_args()
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(args.model)
    base = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).eval()
    # capitals that appear in neither marv_train.jsonl nor marv_validation.jsonl
    questions = args.question or ["What is the capital of Norway?", "Which city is the capital of Sweden?",
                                  "What's the capital of Belgium?", "Tell me the capital of Ghana."]
    before = [answer(base, tok, q) for q in questions]
    base_loss = mean_loss(base, tok, args.loss_file) if args.loss_file else None
    tuned = PeftModel.from_pretrained(base, args.adapter).eval()
    after = [answer(tuned, tok, q) for q in questions]
    for q, b, a in zip(questions, before, after):
        print(f"Q: {q}\n  base:       {b}\n  fine-tuned: {a}")
    if args.loss_file:
        print(f"mean assistant-token loss on {args.loss_file}: base {base_loss:.4f}, fine-tuned {mean_loss(tuned, tok, args.loss_file):.4f}")


if __name__ == "__main__":
    main()
