"""The legacy fine-tunes API (seeds 000/001/003) driven by the real openai==0.28.1 SDK."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import KEY_A, ROOT, FinchProcess

MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"
TINY_LLAMA = ROOT / "Tests" / "FinchModelsTests" / "Fixtures" / "tiny" / "llama"
LEGACY_PYTHON = Path(os.environ.get("FINCH_LEGACY_PYTHON", ROOT / ".venv-legacy" / "bin" / "python"))


def test_seed_calls_with_openai_0_28(tmp_path):
    if not LEGACY_PYTHON.exists():
        pytest.fail(f"no openai==0.28.1 venv at {LEGACY_PYTHON}: run `make venv`")
    data = tmp_path / "data"
    shutil.copytree(TINY_LLAMA, data / "models" / "tiny-llama")
    (data / "model-aliases.json").write_text(json.dumps({"curie": "tiny-llama"}))
    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-acme")
    try:
        run = subprocess.run([str(LEGACY_PYTHON), str(Path(__file__).with_name("legacy_client.py")), server.base_url, KEY_A,
                              str(MARV)], capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        seen = json.loads(run.stdout)
    finally:
        server.stop()

    assert seen["version"] == "0.28.1"
    assert seen["file"]["object"] == "file" and seen["file"]["purpose"] == "fine-tune"
    assert seen["file"]["id"] in seen["file_list"] and seen["file_retrieved"] == seen["file"]["id"] and seen["download_matches"]

    created = seen["created"]
    assert created["id"].startswith("ft-") and created["object"] == "fine-tune" and created["status"] == "pending"
    assert created["events"] == [f"Created fine-tune: {created['id']}"]
    assert created["training_files"] == [seen["file"]["id"]]
    assert created["hyperparams"]["n_epochs"] == 1 and created["hyperparams"]["prompt_loss_weight"] == 0.01
    assert seen["listed"][0] == created["id"]

    assert seen["streamed"][0] == f"Created fine-tune: {created['id']}"
    assert seen["streamed"][-1] == "The job has successfully completed"
    assert seen["events_listed"] == seen["streamed"]
    assert seen["done"]["status"] == "succeeded"
    assert seen["done"]["fine_tuned_model"].startswith("curie:ft-org-acme:legacy-")
    assert seen["done"]["result_files"][0]["filename"] == "compiled_results.csv"
    assert seen["done"]["result_files"][0]["purpose"] == "fine-tune-results"
    header, first = seen["results_csv"][0], seen["results_csv"][1].split(",")
    assert header.startswith("step,elapsed_tokens,elapsed_examples,training_loss")
    assert first[0] == "1" and int(first[1]) > 0 and first[2] == "16"

    assert seen["cancelled"] == "cancelled" and seen["second_cancel"] == 400
    assert seen["model_deleted"] is True


def test_classification_metrics_in_compiled_results(tmp_path):
    """compute_classification_metrics with a validation set: classification columns filled at epoch ends."""
    import openai as modern
    reviews = [("a wonderful, moving film", "positive"), ("dull and far too long", "negative"),
               ("I loved every minute", "positive"), ("a waste of an evening", "negative"),
               ("brilliant acting throughout", "positive"), ("the plot made no sense", "negative")]
    def jsonl(rows):
        return "".join(json.dumps({"prompt": f"Review: {text}\nSentiment:", "completion": f" {label}"}) + "\n"
                       for text, label in rows).encode()
    data = tmp_path / "data"
    shutil.copytree(TINY_LLAMA, data / "models" / "tiny-llama")
    (data / "model-aliases.json").write_text(json.dumps({"ada": "tiny-llama"}))
    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-acme")
    try:
        client = modern.OpenAI(base_url=server.base_url, api_key=KEY_A, max_retries=0)
        train = client.files.create(file=("train.jsonl", jsonl(reviews * 2)), purpose="fine-tune").id
        valid = client.files.create(file=("valid.jsonl", jsonl(reviews)), purpose="fine-tune").id
        created = client.post("/fine-tunes", cast_to=object, body={
            "training_file": train, "validation_file": valid, "model": "ada", "n_epochs": 2, "batch_size": 4,
            "compute_classification_metrics": True, "classification_positive_class": " positive",
            "classification_betas": [0.5, 1]})
        assert created["hyperparams"]["compute_classification_metrics"] is True
        deadline = __import__("time").time() + 300
        while True:
            job = client.get(f"/fine-tunes/{created['id']}", cast_to=object)
            if job["status"] in ("succeeded", "failed"):
                break
            assert __import__("time").time() < deadline
            __import__("time").sleep(0.3)
        assert job["status"] == "succeeded", job
        csv = client.files.content(job["result_files"][0]["id"]).text.splitlines()
    finally:
        server.stop()
    header = csv[0].split(",")
    for column in ("classification/accuracy", "classification/precision", "classification/recall",
                   "classification/f0.5", "classification/f1.0"):
        assert column in header, header
    accuracy = header.index("classification/accuracy")
    filled = [row.split(",") for row in csv[1:] if row.split(",")[accuracy]]
    assert [row[0] for row in filled] == ["3", "6"]  # the two epoch ends (12 examples / batch 4)
    assert all(0 <= float(row[accuracy]) <= 1 for row in filled)
