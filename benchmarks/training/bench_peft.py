#!/usr/bin/env python3
"""The Marv job with transformers + peft (the stack a user would otherwise pick), same settings as Finch:
SmolLM2-135M-Instruct, LoRA r=8 alpha=16 on q,k,v,o,gate,up,down, 3 epochs, batch 8, lr 1e-3 (linear decay,
no warmup), AdamW (weight decay 0), grad clip 1.0, loss on assistant turns with weight != 0 (the same chat
template prefix rule as Finch), fp32, dynamic padding to the longest example of each batch.

    python bench_peft.py --model DIR --data marv_train.jsonl [--threads 2] [--json out.json]
"""
import argparse
import json
import random
import resource
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer


def tokenize(tok, ex):
    msgs = ex["messages"]
    full = tok.apply_chat_template(msgs, tokenize=False)
    cuts = []
    for i, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = tok.apply_chat_template(msgs[:i], tokenize=False, add_generation_prompt=True) if i else ""
        through = tok.apply_chat_template(msgs[: i + 1], tokenize=False)
        cuts.append((len(before), len(through), 0 if m.get("weight", 1) == 0 else 1))
    ids, weights, pos = [], [], 0
    for s, e, w in cuts:
        for text, ww in ((full[pos:s], 0), (full[s:e], w)):
            t = tok.encode(text, add_special_tokens=False) if text else []
            ids += t
            weights += [ww] * len(t)
        pos = e
    t = tok.encode(full[pos:], add_special_tokens=False) if full[pos:] else []
    ids += t
    weights += [0] * len(t)
    return ids, weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--max-steps", type=int, help="stop after this many steps (timing a prefix of the run)")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    cfg = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                     target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(model, cfg)
    model.train()
    data = [tokenize(tok, json.loads(l)) for l in open(args.data) if l.strip()]
    steps_per_epoch = (len(data) + args.batch_size - 1) // args.batch_size
    total = steps_per_epoch * args.epochs
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, (total - s) / total))
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    rng = random.Random(0)
    tokens = 0
    loss_tokens = 0
    losses = []
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        order = list(range(len(data)))
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            batch = [data[i] for i in order[b * args.batch_size:(b + 1) * args.batch_size]]
            T = max(len(ids) for ids, _ in batch)
            ids = torch.full((len(batch), T), pad)
            att = torch.zeros((len(batch), T), dtype=torch.long)
            w = torch.zeros((len(batch), T))
            for r, (x, ww) in enumerate(batch):
                ids[r, : len(x)] = torch.tensor(x)
                att[r, : len(x)] = 1
                w[r, : len(x)] = torch.tensor(ww, dtype=torch.float)
                tokens += len(x)
            logits = model(input_ids=ids, attention_mask=att).logits
            ce = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                                                   reduction="none").view(len(batch), T - 1)
            loss = (ce * w[:, 1:]).sum() / w[:, 1:].sum()
            loss_tokens += int((w[:, 1:] > 0).sum())
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss))
            print(f"step {len(losses)}/{total} loss {losses[-1]:.4f}", flush=True)
            if args.max_steps and len(losses) >= args.max_steps:
                break
        if args.max_steps and len(losses) >= args.max_steps:
            break
    wall = time.perf_counter() - t0
    out = {"wall_s": wall, "tokens": tokens, "loss_tokens": loss_tokens, "tokens_per_s": tokens / wall,
           "steps": len(losses),
           "first_loss": losses[0], "last_loss": losses[-1],
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))
    if args.json:
        json.dump(out, open(args.json, "w"))


if __name__ == "__main__":
    main()
