"""The `finch` command-line client (files, jobs, chat) against the real server binary: commands run as
subprocesses like a user would type them; `jobs follow` both through pipes (plain lines) and in a
pseudo-terminal (a progress line redrawn in place)."""

import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
import time

from conftest import KEY_A, SMOLLM2, finch_binary
from test_jobs_e2e import MARV, finch  # noqa: F401  (the server with the tiny llama as base model `tiny-llama`)

CLEAR_LINE = b"\r\x1b[2K"


def client_env(server) -> dict:
    """The environment the client reads its defaults from, as the openai SDK does."""
    env = dict(os.environ)
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY_A, TERM="xterm")
    return env


def cli(server, *args, check=True, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([finch_binary(), *args], env=client_env(server), capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    if check:
        assert result.returncode == 0, f"finch {' '.join(args)} exited {result.returncode}: {result.stderr}"
    return result


def create_job(server, *extra) -> str:
    out = cli(server, "jobs", "create", "--model", "tiny-llama", "--training-file", str(MARV), *extra).stdout
    job_id, status = out.split()[:2]
    assert job_id.startswith("ftjob-") and status == "validating_files"
    return job_id


def test_files_upload_list_get_delete(finch):
    uploaded = cli(finch, "files", "upload", str(MARV), "--purpose", "fine-tune").stdout
    file_id = uploaded.split()[0]
    assert file_id.startswith("file-") and "marv_train.jsonl" in uploaded

    listed = cli(finch, "files", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "PURPOSE", "SIZE", "CREATED", "FILENAME"] and listed[1].startswith(file_id)
    as_json = json.loads(cli(finch, "files", "get", file_id, "--json").stdout)
    assert as_json["id"] == file_id and as_json["bytes"] == MARV.stat().st_size
    assert json.loads(cli(finch, "files", "list", "--json").stdout)["data"][0]["id"] == file_id

    assert cli(finch, "files", "delete", file_id).stdout.strip() == f"Deleted {file_id}."
    gone = cli(finch, "files", "get", file_id, check=False)
    assert gone.returncode == 1 and gone.stderr.strip() == f"Error: No such File object: {file_id} (HTTP 404)"


def test_jobs_follow_in_plain_mode_prints_lines_and_ends_with_the_model(finch):
    job_id = create_job(finch, "--epochs", "1", "--batch-size", "16", "--suffix", "cli")
    follow = cli(finch, "jobs", "follow", job_id, "--interval", "0.2", timeout=300)
    lines = follow.stdout.splitlines()
    model = f"ft:tiny-llama:org-a:cli:{job_id[-8:]}"
    assert lines[-1].endswith(f"Fine-tuned model: {model}"), lines[-3:]
    assert lines[0].endswith(f"Created fine-tuning job: {job_id}")
    steps = [line for line in lines if "Step " in line and ": training loss=" in line]
    assert len(steps) == 10 and "Step 10/10: training loss=" in steps[-1]
    assert "\x1b" not in follow.stdout and "\r" not in follow.stdout

    details = cli(finch, "jobs", "get", job_id).stdout
    assert f"fine_tuned_model  {model}" in details and "n_epochs=1 batch_size=16" in details
    job = json.loads(cli(finch, "jobs", "get", job_id, "--json").stdout)
    assert job["status"] == "succeeded"
    csv = cli(finch, "files", "content", job["result_files"][0]).stdout.splitlines()
    assert csv[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy" and len(csv) == 11
    assert cli(finch, "jobs", "list").stdout.splitlines()[1].split()[:2] == [job_id, "succeeded"]
    events = cli(finch, "jobs", "events", job_id, "--limit", "2").stdout.splitlines()
    assert len(events) == 2 and events[-1].endswith("The job has successfully completed")


def read_pty(args, env, timeout=300) -> tuple[bytes, int]:
    """Runs `args` with a 120-column pseudo-terminal as stdin/stdout/stderr; returns all it wrote and its status."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(args, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    output = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return output, process.wait(timeout=30)


def test_jobs_follow_in_a_terminal_redraws_a_progress_line(finch):
    # 300 steps: the tiny model trains ~100 steps a second, and rates (so the ETA) need step events that span
    # more than one of their whole-second timestamps; a 20-step job can finish inside one second.
    job_id = create_job(finch, "--epochs", "30", "--batch-size", "16", "--suffix", "tty")
    output, status = read_pty([finch_binary(), "jobs", "follow", job_id, "--interval", "0.1"], client_env(finch))
    text = output.decode()
    assert status == 0, text
    assert output.count(CLEAR_LINE) >= 2, text
    segments = [segment.decode().split("\r\n") for segment in output.split(CLEAR_LINE)[1:]]
    frames = [line for lines in segments for line in lines if line.startswith("[")]  # the progress line's states
    assert any(frame.startswith("[█") and "/300" in frame and "loss " in frame and "ETA " in frame for frame in frames), frames
    assert "300/300" in frames[-1] and "epoch 30/30" in frames[-1] and frames[-1].endswith("succeeded")
    assert f"Created fine-tuning job: {job_id}" in text and "Checkpoint at step 10:" in text
    assert "Step 3/300: training loss=" not in text  # metrics are in the progress line, not printed above it
    assert text.rstrip().splitlines()[-1].endswith(f"Fine-tuned model: ft:tiny-llama:org-a:tty:{job_id[-8:]}")


def test_a_failed_job_ends_follow_with_its_error_and_a_nonzero_status(finch, tmp_path):
    few = tmp_path / "few.jsonl"
    few.write_bytes(MARV.read_bytes().split(b"\n")[0] + b"\n")
    result = cli(finch, "jobs", "create", "--model", "tiny-llama", "--training-file", str(few), "--follow", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Uploaded ")
    assert result.stdout.splitlines()[-1].endswith("(invalid_n_examples)") and " failed: " in result.stdout


def test_errors_are_the_servers_messages(finch):
    cancelled = cli(finch, "jobs", "cancel", "ftjob-nope", check=False)
    assert cancelled.returncode == 1 and cancelled.stderr.strip() == "Error: No such FineTuningJob object: ftjob-nope (HTTP 404)"
    wrong_key = cli(finch, "files", "list", "--api-key", "sk-wrong", check=False)
    assert wrong_key.returncode == 1 and "Incorrect API key provided" in wrong_key.stderr
    nobody = cli(finch, "jobs", "list", "--base-url", "http://127.0.0.1:9/v1", check=False)
    assert nobody.returncode == 1 and "could not connect" in nobody.stderr
    unknown_model = cli(finch, "chat", "nope", "-m", "Hi", check=False)
    assert unknown_model.returncode == 1 and "The model `nope` does not exist" in unknown_model.stderr


def test_chat_one_shot_and_conversation(serving_finch):
    def one_shot(question):
        return cli(serving_finch, "chat", SMOLLM2, "-m", question, *GREEDY, timeout=300).stdout

    assert "Paris" in one_shot("What is the capital of France?")
    questions = ["What is the capital of France?", "What is the capital of Italy?", "/reset", "What is the capital of Italy?"]
    repl = cli(serving_finch, "chat", SMOLLM2, *GREEDY, input="\n".join(questions) + "\n/exit\n", timeout=300)
    france, italy_after_france, italy_alone = repl.stdout.splitlines()
    assert "Paris" in france and "Rome" in italy_after_france, repl.stdout
    # The second question was asked with the first one and its answer; after /reset it is asked alone.
    assert italy_alone == one_shot("What is the capital of Italy?").rstrip("\n") != italy_after_france


GREEDY = ["--temperature", "0", "--max-tokens", "24"]
