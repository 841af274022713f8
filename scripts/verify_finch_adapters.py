#!/usr/bin/env python3
"""Adapters written by Finch load in Python peft and give Finch's loss.

    FINCH_PEFT_EXPORT=/tmp/peft-export swift test -c release --filter PeftExportTests
    /work/venv-torch/bin/python scripts/verify_finch_adapters.py /tmp/peft-export

For each tiny architecture, the Swift test trains a LoRA adapter with Trainer.run and records Finch's weighted
loss on Tests/FinchTrainingTests/Fixtures/<arch>/batch.json; here PeftModel.from_pretrained loads that adapter
(unmerged) on the same base model and computes the same loss.
"""
import json
import os
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests")


def main():
    out = sys.argv[1]
    worst = 0.0
    for arch in ["llama", "qwen2", "qwen3", "gpt2"]:
        base = AutoModelForCausalLM.from_pretrained(f"{ROOT}/FinchModelsTests/Fixtures/tiny/{arch}", dtype=torch.float32).eval()
        model = PeftModel.from_pretrained(base, f"{out}/{arch}/out/adapter").eval()
        seqs = json.load(open(f"{ROOT}/FinchTrainingTests/Fixtures/{arch}/batch.json"))["sequences"]
        total, wsum = 0.0, 0.0
        with torch.no_grad():
            for s in seqs:
                ids = torch.tensor([s["ids"]])
                w = torch.tensor(s["weights"][1:])
                logits = model(input_ids=ids).logits[0]
                ce = torch.nn.functional.cross_entropy(logits[:-1], ids[0, 1:], reduction="none")
                total += float((w * ce).sum())
                wsum += float(w.sum())
        finch = float(open(f"{out}/{arch}/finch_loss.txt").read())
        diff = abs(total / wsum - finch)
        worst = max(worst, diff)
        print(f"{arch}: peft {total / wsum:.7f}  finch {finch:.7f}  diff {diff:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
