#!/usr/bin/env python3
"""Jobs API under load while a job trains, and job throughput.

    .venv/bin/python benchmarks/jobs/bench_jobs.py --finch .build/release/finch [--model-gguf PATH] [--seconds 30]

1. Latency: while a fine-tuning job trains (SmolLM2-135M-Instruct imported from the GGUF when given, else the
   tiny test model), C concurrent clients loop on `GET /v1/fine_tuning/jobs` and `GET …/events`; p50/p99 per endpoint.
   The same load is measured with no job training, as the reference in the same run.
2. Throughput: N tiny jobs (tiny model, 1 epoch of 20 examples) queued back to back; jobs/minute.

Writes benchmarks/jobs/RESULTS.md (the table and the command that produced it)."""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"
TINY = ROOT / "Tests" / "FinchModelsTests" / "Fixtures" / "tiny" / "llama"
KEY = "sk-bench-jobs"


class Server:
    def __init__(self, finch, data):
        env = dict(os.environ, FINCH_API_KEYS=f"{KEY}=org-bench")
        self.process = subprocess.Popen([finch, "serve", "--port", "0", "--data", str(data), "--log-level", "error"],
                                        env=env, stdout=subprocess.PIPE, text=True)
        port = int(re.search(r":(\d+)/v1", self.process.stdout.readline()).group(1))
        self.base = f"http://127.0.0.1:{port}/v1"
        self.client = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)

    def upload(self, name, content):
        return self.client.post("/files", data={"purpose": "fine-tune"}, files={"file": (name, content)}).json()["id"]

    def create(self, **body):
        return self.client.post("/fine_tuning/jobs", json=body).json()

    def job(self, job_id):
        return self.client.get(f"/fine_tuning/jobs/{job_id}").json()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def load(base, paths, clients, seconds):
    """Each client loops over `paths` for `seconds`; returns {path_label: [latency ms]}."""
    results = {label: [] for label, _ in paths}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as client:
            while time.perf_counter() < deadline:
                for label, path in paths:
                    start = time.perf_counter()
                    response = client.get(path)
                    elapsed = (time.perf_counter() - start) * 1000
                    assert response.status_code == 200, response.text
                    with lock:
                        results[label].append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--finch", default=str(ROOT / ".build/release/finch"))
    parser.add_argument("--model-gguf", default=str(ROOT / ".testdata/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--workdir", default=str(ROOT / ".bench-tmp" / "jobs"))
    parser.add_argument("--output", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()

    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    data = work / "data"
    shutil.copytree(TINY, data / "models" / "tiny-llama")
    model = "tiny-llama"
    if Path(args.model_gguf).exists():
        subprocess.run([args.finch, "models", "import", args.model_gguf, "--name", "SmolLM2-135M-Instruct",
                        "--data", str(data)], check=True, capture_output=True)
        model = "SmolLM2-135M-Instruct"

    server = Server(args.finch, data)
    rows = []
    try:
        training = server.upload("marv.jsonl", MARV.read_bytes())
        # Reference: the API idle (one finished job to read).
        warm = server.create(model="tiny-llama", training_file=training, hyperparameters={"n_epochs": 1, "batch_size": 16})
        while server.job(warm["id"])["status"] not in ("succeeded", "failed"):
            time.sleep(0.2)
        paths = [("GET /v1/fine_tuning/jobs", "/fine_tuning/jobs"),
                 ("GET /v1/fine_tuning/jobs/{id}/events", f"/fine_tuning/jobs/{warm['id']}/events")]
        idle = load(server.base, paths, args.clients, args.seconds)

        job = server.create(model=model, training_file=training, hyperparameters={"n_epochs": 3, "batch_size": 8})
        while server.job(job["id"])["status"] != "running":
            time.sleep(0.1)
        busy_paths = [paths[0], ("GET /v1/fine_tuning/jobs/{id}/events", f"/fine_tuning/jobs/{job['id']}/events")]
        busy = load(server.base, busy_paths, args.clients, args.seconds)
        still_running = server.job(job["id"])["status"] == "running"
        server.client.post(f"/fine_tuning/jobs/{job['id']}/cancel")

        for label, _ in paths:
            a, b = idle[label], busy[label]
            rows.append((label, len(b), statistics.median(b), percentile(b, 99), statistics.median(a), percentile(a, 99)))

        # Throughput: tiny jobs back to back.
        small = server.upload("small.jsonl", b"\n".join(MARV.read_bytes().split(b"\n")[:20]) + b"\n")
        start = time.perf_counter()
        ids = [server.create(model="tiny-llama", training_file=small, hyperparameters={"n_epochs": 1, "batch_size": 4})["id"]
               for _ in range(args.jobs)]
        while any(server.job(i)["status"] not in ("succeeded", "failed") for i in ids):
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        succeeded = sum(server.job(i)["status"] == "succeeded" for i in ids)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "# Jobs API benchmark", "",
        f"Command: `{' '.join([Path(sys.executable).name] + sys.argv)}`", "",
        f"Date: {datetime.date.today()} · {os.cpu_count()} cores · {args.clients} concurrent clients for {args.seconds:.0f} s "
        f"per phase · training job: {model}, Marv (150 examples), 3 epochs, batch 8, LoRA r=8"
        f"{'' if still_running else ' (the job finished before the load phase ended)'}", "",
        "| endpoint | requests while training | p50 ms (training) | p99 ms (training) | p50 ms (idle) | p99 ms (idle) | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, count, p50, p99, idle50, idle99 in rows:
        lines.append(f"| {label} | {count} | {p50:.1f} | {p99:.1f} | {idle50:.1f} | {idle99:.1f} | {p99 / idle99:.2f}× |")
    lines += ["", f"Throughput: {succeeded}/{args.jobs} tiny jobs (tiny llama, 20 examples, 1 epoch) succeeded in "
              f"{elapsed:.1f} s back to back: {args.jobs / elapsed * 60:.1f} jobs/minute.", ""]
    text = "\n".join(lines)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
