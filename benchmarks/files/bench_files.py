#!/usr/bin/env python3
"""Files API throughput and memory: upload and download of a large file through a real `finch serve`,
against `cp` of the same file on the same disk, measured in the same run.

    .venv/bin/python benchmarks/files/bench_files.py --finch .build/release/finch [--size-mib 1024]

Writes benchmarks/files/RESULTS.md (the table and the command that produced it)."""

import argparse
import datetime
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "sk-bench-0001"


def timed(args) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - start


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def current_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--finch", default=".build/release/finch")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workdir", default=".bench-tmp", help="on the same disk as the data directory")
    parser.add_argument("--output", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()

    work = Path(args.workdir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = work / "big.bin"
    block = os.urandom(1 << 20)
    with open(source, "wb") as handle:
        for _ in range(args.size_mib):
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
    size = source.stat().st_size
    mib = size / (1 << 20)

    # Reference: cp on the same disk, with and without making the copy durable (Finch fsyncs every blob).
    cp_seconds = timed(["cp", str(source), str(work / "copy.bin")])
    start = time.perf_counter()
    subprocess.run(["cp", str(source), str(work / "copy2.bin")], check=True)
    with open(work / "copy2.bin", "rb") as handle:
        os.fsync(handle.fileno())
    cp_sync_seconds = time.perf_counter() - start
    (work / "copy.bin").unlink()
    (work / "copy2.bin").unlink()

    env = dict(os.environ, FINCH_API_KEYS=f"{KEY}=org-bench")
    server = subprocess.Popen([args.finch, "serve", "--port", "0", "--data", str(work / "data"), "--log-level", "warning",
                               "--max-file-size", f"{args.size_mib + 1}MiB"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r":(\d+)/v1", server.stdout.readline()).group(1))
        base = f"http://127.0.0.1:{port}/v1"
        idle_rss = current_rss_mib(server.pid)

        start = time.perf_counter()
        out = subprocess.run(["curl", "-sS", "-f", "-H", f"Authorization: Bearer {KEY}", "-F", "purpose=user_data",
                              "-F", f"file=@{source}", f"{base}/files"], check=True, capture_output=True, text=True).stdout
        upload_seconds = time.perf_counter() - start
        file_id = re.search(r'"id":"(file-[^"]+)"', out).group(1)
        upload_peak = peak_rss_mib(server.pid)

        target = work / "downloaded.bin"
        download_seconds = timed(["curl", "-sS", "-f", "-H", f"Authorization: Bearer {KEY}", "-o", str(target),
                                  f"{base}/files/{file_id}/content"])
        download_peak = peak_rss_mib(server.pid)
        assert target.stat().st_size == size and sha256(target) == sha256(source), "download is not byte-exact"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("cp (same disk)", cp_seconds, None),
        ("cp + fsync (same disk)", cp_sync_seconds, None),
        ("finch upload (POST /v1/files, curl -F)", upload_seconds, upload_peak),
        ("finch download (GET /v1/files/{id}/content)", download_seconds, download_peak),
    ]
    lines = [
        "# Files API benchmark",
        "",
        f"Command: `{' '.join([Path(sys.executable).name] + sys.argv)}` (run through `make bench`)",
        "",
        f"Date: {datetime.date.today()} · machine: {platform.machine()}, {os.cpu_count()} cores · file: {mib:.0f} MiB "
        f"of random bytes · server idle RSS {idle_rss:.1f} MiB",
        "",
        "| operation | seconds | MiB/s | vs cp | vs cp + fsync | server peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, seconds, peak in rows:
        lines.append(f"| {name} | {seconds:.2f} | {mib / seconds:.0f} | {seconds / cp_seconds:.2f}× | "
                     f"{seconds / cp_sync_seconds:.2f}× | {'' if peak is None else f'{peak:.1f}'} |")
    lines += ["", "Peak RSS is the server's VmHWM after the operation (cumulative since start): the upload streams "
              "to disk, so it stays a few MB above idle whatever the file size."]
    text = "\n".join(lines) + "\n"
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
