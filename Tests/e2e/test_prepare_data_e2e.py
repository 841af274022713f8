"""`finch prepare-data` with the real binary: the Marv file through the SmolLM2-135M-Instruct tokenizer and chat
template (--json, numbers checked for sanity), and a broken file whose verdict is the error a real server's job
fails with."""

import json
import shutil
import subprocess
import time

import openai

from conftest import KEY_A, ROOT, SMOLLM2, FinchProcess, finch_binary

MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"
MARV_VALID = ROOT.parent / "shared" / "data" / "marv_validation.jsonl"
TINY_LLAMA = ROOT / "Tests" / "FinchModelsTests" / "Fixtures" / "tiny" / "llama"


def prepare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([finch_binary(), "prepare-data", *args], capture_output=True, text=True, timeout=600)


def test_marv_report_with_the_smollm2_tokenizer(smollm2_data):
    result = prepare(str(MARV), "--validation-file", str(MARV_VALID), "--data", str(smollm2_data), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == {"accepted": True}
    assert report["model"]["name"] == SMOLLM2 and report["model"]["context_length"] == 4096

    examples = [json.loads(line) for line in MARV.read_text().splitlines() if line.strip()]
    training = report["training"]
    assert training["format"] == "chat" and training["lines"] == training["valid_examples"] == len(examples) == 150
    assert training["errors"] == {} and "first_error" not in training
    assert "missing_system_message" not in training["warnings"] and "too_long" not in training["warnings"]

    tokens = training["tokens"]
    total, trained, messages = tokens["total_tokens"], tokens["trained_tokens"], tokens["messages"]
    assert tokens["examples"] == 150 and total["sum"] == tokens["tokens_per_epoch"]  # nothing truncated
    assert 20 < total["min"] <= total["median"] <= total["p90"] <= total["max"] < 200
    # A ~49k-vocabulary BPE: between 2 and 6 characters of message text per token.
    characters = sum(len(m["content"]) for e in examples for m in e["messages"])
    assert characters / 6 < total["sum"] < characters / 2
    # Trained: the assistant answers (+ end of turn), never the system prompt or question.
    assert 0 < trained["min"] and trained["max"] < total["min"]
    assert messages["min"] == 3 and messages["max"] == 5

    hyper = report["hyperparameters"]
    assert (hyper["n_epochs"], hyper["batch_size"], hyper["steps_per_epoch"], hyper["total_steps"]) == (3, 2, 75, 225)
    assert abs(hyper["learning_rate_multiplier"] - 2 ** 0.5) < 1e-9
    assert tokens["billed_tokens"] == 3 * tokens["tokens_per_epoch"]
    assert report["validation"]["valid_examples"] == 10 and "billed_tokens" not in report["validation"]["tokens"]

    estimate = report["estimate"]
    assert estimate["measured_steps"] >= 1 and estimate["tokens_per_second"] > 0
    assert estimate["training_tokens"] == tokens["billed_tokens"]
    assert abs(estimate["training_seconds"] * estimate["tokens_per_second"] - estimate["training_tokens"]) < 1
    assert 0 < estimate["total_seconds"] < 24 * 3600


def test_a_rejected_file_gets_the_error_a_job_fails_with(tmp_path):
    lines = MARV.read_text().splitlines()
    lines[4] = json.dumps({"messages": [{"role": "wizard", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
    lines[7] = json.dumps({"messages": [{"role": "user"}, {"role": "assistant", "content": "hello"}]})
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")

    data = tmp_path / "data"
    shutil.copytree(TINY_LLAMA, data / "models" / "tiny-llama")
    result = prepare(str(broken), "--model", "tiny-llama", "--data", str(data), "--json", "--no-estimate")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["training"]["errors"]["unrecognized_role"]["lines"] == [5]
    assert report["training"]["errors"]["missing_content"]["lines"] == [8]

    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-a")
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key=KEY_A, max_retries=0)
        uploaded = client.files.create(file=("broken.jsonl", broken.read_bytes()), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(training_file=uploaded.id, model="tiny-llama")
        deadline = time.time() + 30
        while job.status not in ("failed", "queued", "running") and time.time() < deadline:
            time.sleep(0.2)
            job = client.fine_tuning.jobs.retrieve(job.id)
    finally:
        server.stop()
    assert job.status == "failed"
    assert report["verdict"] == {"accepted": False, "error": {"code": job.error.code, "param": job.error.param,
                                                              "message": job.error.message}}

    human = prepare(str(broken), "--model", "tiny-llama", "--data", str(data), "--no-estimate")
    assert human.returncode == 1
    assert "unrecognized_role ×1: line 5" in human.stdout and "missing_content ×1: line 8" in human.stdout
    assert "Verdict: REJECTED" in human.stdout and job.error.message in human.stdout
