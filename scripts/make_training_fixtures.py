#!/usr/bin/env python3
"""Reference losses and gradients for the Swift trainer (Tests/FinchTrainingTests), from PyTorch + peft.

Run by hand (needs torch, transformers, safetensors, peft):
    /work/venv-torch/bin/pip install peft
    /work/venv-torch/bin/python scripts/make_training_fixtures.py

Uses the tiny random models of scripts/make_tiny_models.py (Tests/FinchModelsTests/Fixtures/tiny/<arch>)
and writes Tests/FinchTrainingTests/Fixtures/<arch>/:
  batch.json                 two sequences (packed by Finch, run separately here) with per-token loss
                             weights (0, 0.01 and 1): loss = sum(w * ce) / sum(w)
  full_grads.safetensors     the loss and dLoss/dθ for every weight (full fine-tuning)
  lora_init/                 a peft adapter with random A and B (init_lora_weights=False, r=4, alpha=8)
  lora_grads.safetensors     dLoss/d(lora_A, lora_B) for that adapter, PEFT names
  run_init/                  peft's default-initialised adapter (B = 0) for the 10-step run
  run.json                   the 10-step run: settings and the loss at each step
"""
import json
import os

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests", "FinchModelsTests", "Fixtures", "tiny")
OUT = os.path.join(ROOT, "Tests", "FinchTrainingTests", "Fixtures")
ARCHS = ["llama", "qwen2", "qwen3", "gpt2"]


def make_batch(V, seed):
    g = torch.Generator().manual_seed(seed)
    seqs = []
    for n in (9, 6):
        ids = torch.randint(0, V, (n,), generator=g).tolist()
        # weight[i] weighs predicting ids[i]; i = 0 is never predicted
        w = [0.0] + [0.01 if i < 3 else (0.0 if i == 4 else 1.0) for i in range(1, n)]
        seqs.append({"ids": ids, "weights": w})
    return seqs


def weighted_loss(model, seqs):
    total, wsum = 0.0, 0.0
    for s in seqs:
        ids = torch.tensor([s["ids"]])
        logits = model(input_ids=ids).logits[0].float()
        w = torch.tensor(s["weights"][1:])
        ce = torch.nn.functional.cross_entropy(logits[:-1], ids[0, 1:], reduction="none")
        total = total + (w * ce).sum()
        wsum += float(w.sum())
    return total / wsum


def targets(arch):
    return ["c_attn", "c_proj", "c_fc"] if arch == "gpt2" else \
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def lora_state(model):
    return {k.replace(".default", ""): v for k, v in model.named_parameters() if "lora_" in k}


def save_adapter(model, d, arch):
    """peft's save_pretrained, minus the model card, with a relative base model path."""
    model.save_pretrained(d)
    os.remove(os.path.join(d, "README.md"))
    p = os.path.join(d, "adapter_config.json")
    cfg = json.load(open(p))
    cfg["base_model_name_or_path"] = "../../FinchModelsTests/Fixtures/tiny/" + arch
    json.dump(cfg, open(p, "w"), indent=2, sort_keys=True)


def main():
    torch.use_deterministic_algorithms(True)
    for i, arch in enumerate(ARCHS):
        src = os.path.join(MODELS, arch)
        d = os.path.join(OUT, arch)
        os.makedirs(d, exist_ok=True)
        model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32)
        model.eval()  # gradients still flow; GPT-2's dropout must be off
        V = model.config.vocab_size
        seqs = make_batch(V, 500 + i)
        with open(os.path.join(d, "batch.json"), "w") as f:
            json.dump({"sequences": seqs}, f)

        # full fine-tuning gradients
        model.zero_grad()
        loss = weighted_loss(model, seqs)
        loss.backward()
        grads = {n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters() if p.grad is not None}
        grads["__loss__"] = loss.detach().reshape(1)
        save_file(grads, os.path.join(d, "full_grads.safetensors"))

        # LoRA gradients with a random (non-zero B) adapter
        torch.manual_seed(600 + i)
        cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=targets(arch), init_lora_weights=False,
                         task_type="CAUSAL_LM", fan_in_fan_out=(arch == "gpt2"))
        base = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32)
        peft_model = get_peft_model(base, cfg)
        save_adapter(peft_model, os.path.join(d, "lora_init"), arch)
        peft_model.zero_grad()
        loss = weighted_loss(peft_model, seqs)
        loss.backward()
        lg = {k: v.grad.detach().clone().contiguous() for k, v in lora_state(peft_model).items()}
        lg["__loss__"] = loss.detach().reshape(1)
        save_file(lg, os.path.join(d, "lora_grads.safetensors"))

        # 10-step LoRA run from peft's default init: AdamW, linear warmup + decay, clipping
        torch.manual_seed(700 + i)
        cfg = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=targets(arch), task_type="CAUSAL_LM",
                         fan_in_fan_out=(arch == "gpt2"))
        base = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32)
        peft_model = get_peft_model(base, cfg)
        save_adapter(peft_model, os.path.join(d, "run_init"), arch)
        settings = {"lr": 5e-3, "weight_decay": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "warmup_steps": 2,
                    "total_steps": 10, "max_grad_norm": 1.0}
        params = [p for p in peft_model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=settings["lr"], betas=tuple(settings["betas"]), eps=settings["eps"],
                                weight_decay=settings["weight_decay"])
        W, T = settings["warmup_steps"], settings["total_steps"]
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: s / max(1, W) if s < W else max(0.0, (T - s) / max(1, T - W)))
        g = torch.Generator().manual_seed(800 + i)
        data = []
        for _ in range(4):
            n = int(torch.randint(5, 12, (1,), generator=g))
            ids = torch.randint(0, V, (n,), generator=g).tolist()
            data.append({"ids": ids, "weights": [0.0] + [1.0] * (n - 1)})
        losses = []
        for step in range(T):
            batch = [data[(2 * step) % 4], data[(2 * step + 1) % 4]]
            opt.zero_grad()
            loss = weighted_loss(peft_model, batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, settings["max_grad_norm"])
            opt.step()
            sched.step()
            losses.append(float(loss))
        with open(os.path.join(d, "run.json"), "w") as f:
            json.dump({"settings": settings, "data": data, "losses": losses, "rank": 8, "alpha": 16}, f)
        save_adapter(peft_model, os.path.join(d, "run_final"), arch)
        print(arch, "loss", float(grads["__loss__"]), "run", losses[0], "->", losses[-1])


if __name__ == "__main__":
    main()
