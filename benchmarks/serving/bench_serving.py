#!/usr/bin/env python3
"""Serving throughput on SmolLM2-135M-Instruct, for the base model and a LoRA fine-tuned model (rank 8 on all
7 projections, served unmerged on the shared base):

- single-stream decode tokens/s through the HTTP API (streamed chat completion, timed between the first and
  the last content chunk), against `finch generate` on the same prompt (the engine alone) for the base;
- the adapter's decode overhead (base / adapter single-stream decode rate, same server, same prompt);
- total generated tokens/s with 1, 4 and 16 concurrent (non-streaming) requests, base and adapter.

    .venv/bin/python benchmarks/serving/bench_serving.py --finch .build/release/finch [--data DIR] [--tokens 128]

Imports the model from .testdata/smollm2 into the data directory unless it is there already, and trains the
adapter with a one-epoch fine-tuning job through the API unless the data directory has one from an earlier
run. The machine may be shared: every measurement records the load average (/proc/loadavg) around it, and
each figure is the median of --repeats runs. Writes benchmarks/serving/RESULTS.md."""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
MODEL = "SmolLM2-135M-Instruct"
GGUF = ROOT / ".testdata" / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT = "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle."
HEADERS = {"Authorization": "Bearer sk-bench"}
SUFFIX = "bench-r8"


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: unlike wall time, it does not grow while other work has the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(finch: str, data: str):
    process = subprocess.Popen([finch, "serve", "--port", "0", "--data", data, "--log-level", "warning"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/v1", line)
    if not match:
        process.kill()
        sys.exit(f"finch did not start: {line!r}")
    base = f"http://127.0.0.1:{match.group(1)}/v1"
    for _ in range(200):
        try:
            if httpx.get(base.removesuffix("/v1") + "/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process, base


def with_retries(action, attempts: int = 3):
    """A loaded machine can time a request out; try again before giving up."""
    for attempt in range(attempts):
        try:
            return action()
        except (httpx.HTTPError, KeyError, IndexError, ZeroDivisionError) as error:
            if attempt == attempts - 1:
                raise
            print(f"retrying after {error!r}", file=sys.stderr)
            time.sleep(2)


def chat_body(model: str, tokens: int, stream: bool, seed: int = 0) -> dict:
    # temperature with a seed keeps replies long and varied (greedy SmolLM2 ends its story early)
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": tokens,
            "temperature": 0.7, "seed": seed, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def streamed_decode_rate(base: str, model: str, tokens: int, seed: int, server_pid: int | None = None):
    """Decode tokens/s of one streamed request: (tokens - 1) / (last - first content chunk time); with the
    server's pid, also the server's CPU milliseconds per generated token (prompt included)."""
    times, usage = [], None
    cpu_start = cpu_seconds(server_pid) if server_pid else 0
    with httpx.stream("POST", base + "/chat/completions", json=chat_body(model, tokens, True, seed), headers=HEADERS,
                      timeout=600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                usage = chunk["usage"]
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                times.append(time.perf_counter())
    n = usage["completion_tokens"] if usage else len(times)
    rate = (n - 1) / (times[-1] - times[0])
    return (rate, 1000 * (cpu_seconds(server_pid) - cpu_start) / n) if server_pid else rate


def generate_decode_rate(finch: str, data: str, tokens: int, seed: int) -> float:
    result = subprocess.run([finch, "generate", "--model", MODEL, "--data", data, "--chat", "--prompt", PROMPT,
                             "--max-tokens", str(tokens), "--temperature", "0.7", "--seed", str(seed)],
                            capture_output=True, text=True, check=True)
    return float(re.search(r"([\d.]+) tok/s decode", result.stderr).group(1))


def concurrent_rate(base: str, model: str, streams: int, tokens: int, server_pid: int) -> tuple[float, float]:
    """Total generated tokens/s of `streams` concurrent requests, and the server's CPU ms per generated token."""
    def one(i: int) -> int:
        response = httpx.post(base + "/chat/completions", json=chat_body(model, tokens, False, seed=100 + i),
                              headers=HEADERS, timeout=1800)
        response.raise_for_status()
        return response.json()["usage"]["completion_tokens"]

    start, cpu_start = time.perf_counter(), cpu_seconds(server_pid)
    with concurrent.futures.ThreadPoolExecutor(streams) as pool:
        total = sum(pool.map(one, range(streams)))
    return total / (time.perf_counter() - start), 1000 * (cpu_seconds(server_pid) - cpu_start) / total


def training_file() -> bytes:
    """Twelve short chat examples: enough for a valid job; the adapter's weights only need to be non-zero."""
    lines = []
    for i in range(12):
        lines.append(json.dumps({"messages": [
            {"role": "system", "content": "You answer in one short, cheerful sentence."},
            {"role": "user", "content": f"What is {i} plus {i}?"},
            {"role": "assistant", "content": f"{i} plus {i} is {2 * i}, happy counting!"}]}))
    return ("\n".join(lines) + "\n").encode()


def adapter_model(base: str) -> tuple[str, float]:
    """The fine-tuned model of an earlier run's job, else a new one-epoch LoRA job (rank 8, all projections)."""
    client = httpx.Client(base_url=base, headers=HEADERS, timeout=120)
    for job in client.get("/fine_tuning/jobs", params={"limit": 100}).json()["data"]:
        if job["status"] == "succeeded" and f":{SUFFIX}:" in (job["fine_tuned_model"] or ""):
            return job["fine_tuned_model"], 0.0
    start = time.time()
    uploaded = client.post("/files", data={"purpose": "fine-tune"},
                           files={"file": ("bench.jsonl", training_file(), "application/jsonl")}).json()
    job = client.post("/fine_tuning/jobs", json={"training_file": uploaded["id"], "model": MODEL, "suffix": SUFFIX,
                                                 "hyperparameters": {"n_epochs": 1}}).json()
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(3)
        job = client.get(f"/fine_tuning/jobs/{job['id']}").json()
    if job["status"] != "succeeded":
        sys.exit(f"the adapter's job {job['status']}: {job.get('error')}")
    return job["fine_tuned_model"], time.time() - start


class Measure:
    """Median of repeated runs with the 1-minute load average before and after them."""

    def __init__(self, repeats: int):
        self.repeats = repeats
        self.rows: list[tuple[str, str, float, float]] = []

    def run(self, label: str, unit: str, action) -> float:
        before = load_average()
        return self.record(label, unit, [with_retries(action) for _ in range(self.repeats)], before=before)

    def record(self, label: str, unit: str, values: list[float], before: float | None = None, digits: int = 1) -> float:
        """Adds the median of `values` (measured since load average `before`, else just now) to the table."""
        before = load_average() if before is None else before
        value = statistics.median(values)
        runs = ", ".join(f"{v:.{digits}f}" for v in values)
        self.rows.append((label, f"{value:.{digits}f} {unit} ({runs})", before, load_average()))
        print(f"{label}: {value:.{digits}f} {unit} (runs {runs}; load {before:.1f})", file=sys.stderr)
        return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--finch", default=str(ROOT / ".build" / "release" / "finch"))
    parser.add_argument("--data")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency-repeats", type=int, default=2)
    args = parser.parse_args()

    data = args.data or tempfile.mkdtemp(prefix="finch-bench-serving-")
    if not (Path(data) / "models" / MODEL / "config.json").exists():
        subprocess.run([args.finch, "models", "import", str(GGUF), "--name", MODEL, "--data", data], check=True)

    load_start = load_average()
    m = Measure(args.repeats)
    process, base = start_server(args.finch, data)
    try:
        adapter, trained = adapter_model(base)
        for model in (MODEL, adapter):
            with_retries(lambda: streamed_decode_rate(base, model, 8, 0))  # load the model and warm up
        # base and adapter alternate, run by run, so that a change of load hits both alike; the server's CPU time
        # per token compares them even on a busy machine (wall time there mostly measures the others' work)
        before = load_average()
        pairs = [(with_retries(lambda: streamed_decode_rate(base, MODEL, args.tokens, seed, process.pid)),
                  with_retries(lambda: streamed_decode_rate(base, adapter, args.tokens, seed, process.pid)))
                 for seed in range(1, args.repeats + 1)]
        http_base = m.record("HTTP streamed decode, one stream, base", "tok/s", [b[0] for b, _ in pairs], before)
        m.record("HTTP streamed decode, one stream, base + rank-8 adapter (unmerged)", "tok/s", [a[0] for _, a in pairs],
                 before)
        cpu_base = m.record("server CPU per generated token, base", "ms", [b[1] for b, _ in pairs], before)
        cpu_adapter = m.record("server CPU per generated token, base + rank-8 adapter", "ms", [a[1] for _, a in pairs],
                               before)
        wall_ratio = m.record("adapter decode overhead in wall time (base / adapter rate, per alternating pair)", "×",
                              [b[0] / a[0] for b, a in pairs], before, digits=2)
        totals = {}
        for label, model in (("base", MODEL), ("adapter", adapter)):
            for n in (1, 4, 16):
                before = load_average()
                runs = [with_retries(lambda: concurrent_rate(base, model, n, args.tokens, process.pid))
                        for _ in range(args.concurrency_repeats)]
                totals[label, n] = m.record(f"total generated, {n} concurrent request(s), {label}", "tok/s",
                                            [rate for rate, _ in runs], before)
                m.record(f"server CPU per generated token, {n} concurrent request(s), {label}", "ms",
                         [cpu for _, cpu in runs], before)
    finally:
        process.terminate()
        process.wait(timeout=60)
    seeds = iter(range(1, 10_000))
    engine = m.run("`finch generate` decode (engine alone, base, same prompt and sampling)", "tok/s",
                   lambda: generate_decode_rate(args.finch, data, args.tokens, next(seeds)))

    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    lines = [
        "# Serving benchmark: SmolLM2-135M-Instruct (fp32 weights from the Q4_1 GGUF)",
        "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}); "
        f"1-minute load average {load_start:.1f} at the start, {load_average():.1f} at the end"
        f"{' (a shared machine: other work ran at the same time, so these are noisy lower bounds)' if load_start > 1.5 else ''}; "
        f"{args.tokens} tokens per request, median of {args.repeats} runs ({args.concurrency_repeats} for concurrency).",
        f"Adapter: `{adapter}`, LoRA rank 8 on q/k/v/o/gate/up/down "
        f"({'trained by this run in ' + format(trained / 60, '.1f') + ' min' if trained else 'trained by an earlier run'}), "
        "served unmerged on the shared base.",
        "",
        "| measure | median (runs) | load before | load after |",
        "|---|---|---|---|",
    ]
    lines += [f"| {label} | {value} | {before:.1f} | {after:.1f} |" for label, value, before, after in m.rows]
    lines += [
        "",
        f"- HTTP overhead (engine / HTTP decode, base): **{engine / http_base:.2f}**",
        f"- adapter overhead: **{cpu_adapter / cpu_base:.2f}×** the base's CPU time per token "
        f"({wall_ratio:.2f}× in wall time, median of alternating pairs)",
        f"- 16 streams vs 1 (total tokens/s): base {totals['base', 16] / totals['base', 1]:.2f}, "
        f"adapter {totals['adapter', 16] / totals['adapter', 1]:.2f}",
        "",
        "Requests share one compute thread and take turns one token at a time (round-robin), so total",
        "throughput stays about flat with concurrency while each stream slows down in proportion; batching",
        "decode steps across streams is the next step for throughput. An adapter adds two rank-8 GEMVs per",
        "adapted linear layer to each decode step.",
        "",
        "Command:",
        "",
        "```",
        f".venv/bin/python benchmarks/serving/bench_serving.py --finch {args.finch} --tokens {args.tokens} "
        f"--repeats {args.repeats} --concurrency-repeats {args.concurrency_repeats}",
        "```",
    ]
    out = Path(__file__).with_name("RESULTS.md")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
