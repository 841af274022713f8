#!/usr/bin/env python3
"""The results table of one run.sh run: wall time, tokens/s, model GFLOP/s, MFU against the sgemm peak measured
before and after the Finch run (the higher of the two, burst and sustained; see sgemm_peak.py), peak RSS.

    summarize.py RESULTS_DIR MODEL_DIR

Model FLOPs (the same for both stacks): 4 x linear parameters x tokens (forward + input gradient; frozen
weights need no weight gradient) + 4 x hidden x vocab x loss tokens (the LM head only where a loss is taken)."""
import json
import os
import sys

out, model = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(os.path.join(out, name)))
cfg = json.load(open(os.path.join(model, "config.json")))
C, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
NH = cfg["num_attention_heads"]
NKV = cfg.get("num_key_value_heads", NH)
hd = cfg.get("head_dim", C // NH)
linear = L * (C * NH * hd * 2 + C * NKV * hd * 2 + 3 * C * I)
finch, peft = load("finch.json"), load("peft.json")
peaks = [load(f) for f in ("sgemm.json", "sgemm-after.json") if os.path.exists(os.path.join(out, f))]
burst = max(p["sgemm_gflops"] for p in peaks)
sustained = max(p.get("sustained_gflops", 0) for p in peaks)
flops = 4 * linear * peft["tokens"] + 4 * C * V * peft["loss_tokens"]

print(f"linear parameters {linear / 1e6:.1f} M, tokens {peft['tokens']}, loss tokens {peft['loss_tokens']}, "
      f"model FLOPs {flops / 1e12:.2f} TFLOP")
print(f"sgemm peak (max of before/after the Finch run): burst {burst:.1f} GFLOP/s, sustained {sustained:.1f} GFLOP/s "
      f"({finch['compute']})")
print()
print("| stack | wall (s) | tokens/s | model GFLOP/s | MFU vs sustained sgemm | MFU vs burst sgemm | peak RSS |")
print("|---|---|---|---|---|---|---|")
for name, r in (("Finch (`finch train`, whole process)", finch), ("transformers + peft (training loop only)", peft)):
    g = flops / r["wall_s"] / 1e9
    print(f"| {name} | {r['wall_s']:.1f} | {peft['tokens'] / r['wall_s']:.0f} | {g:.1f} | {100 * g / sustained:.1f} % | "
          f"{100 * g / burst:.1f} % | {r['peak_rss_mb'] / 1024:.2f} GB |")
print()
print(f"Finch / peft speed: {peft['wall_s'] / finch['wall_s']:.2f}x; train loss Finch {finch['first_loss']:.3f} -> "
      f"{finch['last_loss']:.3f}, peft {peft['first_loss']:.3f} -> {peft['last_loss']:.3f} ({finch['steps']} steps)")
