#!/usr/bin/env python3
"""Engine benchmark: SmolLM2-135M-Instruct prefill and decode tokens/s and peak RSS for
Finch (`finch generate`), transformers (fp32, `generate`) and llama.cpp (llama-cpp-python on the
original Q4_1 GGUF, a reference row), all in the same run on the same prompt.

    python benchmarks/engine/run.py --finch .build/release/finch \
        --gguf .testdata/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --threads 2 --out benchmarks/engine/results.md

Needs torch + transformers (and optionally llama-cpp-python) in the running Python. Each engine runs in
its own process (peak RSS from /usr/bin/time); every figure is the best of --repeats runs.
Decode runs --new-tokens tokens past EOS (greedy); prefill is the prompt's single forward pass.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PARAGRAPH = (
    "Finch is a self-hosted fine-tuning server that speaks the OpenAI API. A team uploads a JSONL file, "
    "creates a job, watches its events, and calls the fine-tuned model through chat completions. "
)


def timed_run(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (stdout, stderr, peak RSS in MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "RSSKB=%M"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {p.stderr[-2000:]}")
    rss = int(re.search(r"RSSKB=(\d+)", p.stderr).group(1)) / 1024
    return p.stdout, p.stderr, rss


def bench_finch(a, model_dir, prompt):
    best = None
    for _ in range(a.repeats):
        _, err, rss = timed_run([a.finch, "generate", "--model", model_dir, "--prompt", prompt,
                                 "--max-tokens", str(a.new_tokens), "--ignore-eos"],
                                env=dict(os.environ, FINCH_THREADS=str(a.threads)))
        m = re.search(r"\[(\d+) prompt tokens, ([\d.]+) tok/s prefill; (\d+) new tokens, ([\d.]+) tok/s decode", err)
        r = {"prompt_tokens": int(m.group(1)), "prefill_tps": float(m.group(2)), "decode_tps": float(m.group(4)),
             "peak_rss_mb": rss}
        best = r if best is None else {k: max(best[k], r[k]) if k.endswith("tps") else min(best[k], r[k]) for k in r}
    return best


def bench_transformers(a, model_dir, prompt):
    out, _, rss = timed_run([sys.executable, os.path.join(HERE, "bench_transformers.py"), model_dir, "--prompt", prompt,
                             "--new-tokens", str(a.new_tokens), "--threads", str(a.threads),
                             "--repeats", str(a.repeats)])
    r = json.loads(out.strip().splitlines()[-1])
    r["peak_rss_mb"] = rss
    return r


def bench_llamacpp(a, prompt):
    code = f"""
import json, time
from llama_cpp import Llama
llm = Llama(model_path={a.gguf!r}, n_ctx=1024, n_threads={a.threads}, n_threads_batch={a.threads}, n_batch=512,
            verbose=False)
toks = llm.tokenize({prompt!r}.encode(), add_bos=False)
best_p, best_d = 0, 0
for _ in range({a.repeats}):
    llm.reset()
    t = time.perf_counter(); llm.eval(toks); tp = time.perf_counter() - t
    t = time.perf_counter()
    for i in range({a.new_tokens}):
        nxt = int(llm.scores[llm.n_tokens - 1].argmax())
        llm.eval([nxt])
    td = time.perf_counter() - t
    best_p, best_d = max(best_p, len(toks) / tp), max(best_d, {a.new_tokens} / td)
print(json.dumps({{"prompt_tokens": len(toks), "prefill_tps": best_p, "decode_tps": best_d}}))
"""
    out, _, rss = timed_run([sys.executable, "-c", code])
    r = json.loads(out.strip().splitlines()[-1])
    r["peak_rss_mb"] = rss
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--finch", required=True)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-repeat", type=int, default=4, help="paragraph copies in the prompt (~37 tokens each)")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    prompt = PARAGRAPH * a.prompt_repeat
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([a.finch, "models", "import", a.gguf, "--name", "smollm2", "--data", data], check=True,
                       capture_output=True)
        model_dir = os.path.join(data, "models", "smollm2")
        rows = [("Finch (Swift, fp32)", bench_finch(a, model_dir, prompt)),
                ("transformers generate (PyTorch, fp32)", bench_transformers(a, model_dir, prompt))]
        try:
            import llama_cpp  # noqa: F401
            rows.append(("llama.cpp via llama-cpp-python (Q4_1, reference)", bench_llamacpp(a, prompt)))
        except ImportError:
            print("llama-cpp-python not installed: no llama.cpp row", file=sys.stderr)
    hf = rows[1][1]
    lines = [
        "| engine | prompt tokens | prefill tok/s | decode tok/s | decode vs transformers | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r.get('prompt_tokens', '')} | {r['prefill_tps']:.1f} | {r['decode_tps']:.1f} | "
                     f"{r['decode_tps'] / hf['decode_tps']:.2f}x | {r['peak_rss_mb']:.0f} |")
    table = "\n".join(lines)
    print(table)
    if a.out:
        import torch
        import transformers
        load = os.getloadavg()[0]
        new = not os.path.exists(a.out)
        with open(a.out, "a") as f:
            if new:
                f.write("# Engine benchmark: SmolLM2-135M-Instruct\n\n")
                f.write("Finch and transformers run the same dequantized fp32 weights (the directory `finch models "
                        "import` writes from the Q4_1 GGUF); llama.cpp runs the original Q4_1 file, reading about "
                        "1/6 of the bytes per decoded token. Prompt: a fixed paragraph repeated; greedy decoding "
                        "past EOS; prefill computes logits for the last position only. Each section is one run of "
                        "the command above its table (appended by `--out`).\n")
            f.write(f"\n## {a.threads} thread(s), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n")
            f.write(f"    python {os.path.relpath(sys.argv[0])} {' '.join(sys.argv[1:])}\n\n")
            f.write(f"{platform.machine()}, {os.cpu_count()} cores shared with other work (1-min load average "
                    f"{load:.1f} at the end); torch {torch.__version__}, transformers {transformers.__version__}; "
                    f"{a.new_tokens} new tokens; best of {a.repeats}.\n\n")
            f.write(table + "\n")

if __name__ == "__main__":
    main()
