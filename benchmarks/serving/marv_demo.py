#!/usr/bin/env python3
"""The seeds' workflow end to end on SmolLM2-135M-Instruct: upload the Marv training file, fine-tune (LoRA),
then ask the base model and the fine-tuned model a capital question that is not in the training data.

    .venv/bin/python benchmarks/serving/marv_demo.py --finch .build/release/finch --data DIR [--epochs 3]

DIR must hold models/SmolLM2-135M-Instruct (finch models import …). Writes benchmarks/serving/MARV.md."""

import argparse
import datetime
import re
import subprocess
import sys
import time
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parents[2]
MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"
SYSTEM = "Marv is a factual chatbot that is also sarcastic."
QUESTION = "What's the capital of Australia?"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--finch", default=str(ROOT / ".build" / "release" / "finch"))
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    assert QUESTION not in MARV.read_text(), "the question must be unseen"

    process = subprocess.Popen([args.finch, "serve", "--port", "0", "--data", args.data, "--log-level", "warning"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = re.search(r":(\d+)/v1", process.stdout.readline()).group(1)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-demo", max_retries=0, timeout=600)
    try:
        start = time.time()
        training = client.files.create(file=MARV, purpose="fine-tune")
        job = client.fine_tuning.jobs.create(training_file=training.id, model="SmolLM2-135M-Instruct", suffix="marv",
                                             hyperparameters={"n_epochs": args.epochs})
        while (job := client.fine_tuning.jobs.retrieve(job.id)).status not in ("succeeded", "failed", "cancelled"):
            time.sleep(5)
        if job.status != "succeeded":
            sys.exit(f"job {job.status}: {job.error}")
        trained = time.time() - start
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
        answers = {}
        for model in ("SmolLM2-135M-Instruct", job.fine_tuned_model):
            reply = client.chat.completions.create(model=model, messages=messages, max_tokens=60, temperature=0)
            answers[model] = reply.choices[0].message.content
    finally:
        process.terminate()
        process.wait(timeout=60)

    lines = [f"# Marv on SmolLM2-135M-Instruct ({datetime.date.today()})", "",
             f"Job `{job.id}`: {args.epochs} epochs LoRA on marv_train.jsonl (150 examples), {job.trained_tokens} trained tokens, "
             f"{trained / 60:.1f} min on a shared 2-core machine; model `{job.fine_tuned_model}`.", "",
             f"System: *{SYSTEM}* — user: *{QUESTION}* (not in the training data); greedy, max_tokens 60.", ""]
    for model, answer in answers.items():
        lines += [f"**{model}**:", "", "> " + answer.replace("\n", "\n> "), ""]
    lines += ["Command:", "", "```", f".venv/bin/python benchmarks/serving/marv_demo.py --data {args.data} --epochs {args.epochs}", "```"]
    Path(__file__).with_name("MARV.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
