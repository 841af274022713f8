"""Fine-tuning jobs and models through the official openai SDK against the real binary: creation,
file validation by the worker (success and failure with OpenAI's error codes), events, listing,
cancellation, the models list, and the Azure dialect."""

import shutil
import time

import openai
import pytest

from conftest import KEY_A, KEY_B, ROOT, FinchProcess

MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"
MARV_VALID = ROOT.parent / "shared" / "data" / "marv_validation.jsonl"
TINY_LLAMA = ROOT / "Tests" / "FinchModelsTests" / "Fixtures" / "tiny" / "llama"


@pytest.fixture()
def finch(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY_LLAMA, data / "models" / "tiny-llama")
    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-a/proj-1,{KEY_B}=org-b")
    yield server
    server.stop()


def wait_for(client, job_id, statuses, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} stayed {job.status}")


def test_create_validate_follow_and_cancel(client_factory, seen_responses):
    client = client_factory()
    training = client.files.create(file=MARV, purpose="fine-tune")
    validation = client.files.create(file=MARV_VALID, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=training.id, validation_file=validation.id, model="tiny-llama",
                                         suffix="marv", seed=7, metadata={"team": "e2e"})
    assert job.id.startswith("ftjob-") and job.object == "fine_tuning.job"
    assert job.status == "validating_files" and job.seed == 7 and job.fine_tuned_model is None
    assert job.hyperparameters.n_epochs == "auto"

    queued = wait_for(client, job.id, {"queued", "running"})
    assert queued.hyperparameters.n_epochs == 3 and queued.hyperparameters.batch_size == 2
    assert queued.hyperparameters.learning_rate_multiplier == 1.414

    messages = [event.message for event in client.fine_tuning.jobs.list_events(job.id, limit=1)]
    assert messages[-1] == f"Created fine-tuning job: {job.id}"
    assert "Files validated, moving job to queued state" in messages

    assert [j.id for j in client.fine_tuning.jobs.list(limit=1)] == [job.id]
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"team": "e2e"})] == [job.id]
    assert list(client_factory(KEY_B).fine_tuning.jobs.list()) == []

    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    with pytest.raises(openai.BadRequestError) as error:
        client.fine_tuning.jobs.cancel(job.id)
    assert error.value.body["code"] == "invalid_job_state"
    assert not any(entry.startswith("unvalidated") for entry in seen_responses), seen_responses


def test_bad_training_file_fails_the_job_with_the_right_code(client_factory):
    client = client_factory()
    few = client.files.create(file=("few.jsonl", MARV.read_bytes().split(b"\n")[0] + b"\n"), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=few.id, model="tiny-llama")
    failed = wait_for(client, job.id, {"failed"})
    assert failed.error.code == "invalid_n_examples" and failed.error.param == "training_file"
    assert "at least 10 examples" in failed.error.message

    lines = MARV.read_bytes().split(b"\n")
    lines[4] = b'{"messages": [{"role": "wizard", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    broken = client.files.create(file=("broken.jsonl", b"\n".join(lines)), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=broken.id, model="tiny-llama")
    failed = wait_for(client, job.id, {"failed"})
    assert failed.error.code == "invalid_training_file"
    assert failed.error.message.startswith("The job failed due to an invalid training file.")


def test_request_errors_and_models(client_factory):
    client = client_factory()
    training = client.files.create(file=MARV, purpose="fine-tune")
    with pytest.raises(openai.BadRequestError) as error:
        client.fine_tuning.jobs.create(training_file=training.id, model="gpt-unknown")
    assert error.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as error:
        client.fine_tuning.jobs.create(training_file="file-nope", model="tiny-llama")
    assert error.value.body["param"] == "training_file"
    with pytest.raises(openai.BadRequestError) as error:
        client.fine_tuning.jobs.create(training_file=training.id, model="tiny-llama", hyperparameters={"n_epochs": 0})
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-nope")

    assert "tiny-llama" in [model.id for model in client.models.list()]
    assert client.models.retrieve("tiny-llama").owned_by == "system"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("ft:tiny-llama:org-a::nope")
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("tiny-llama")


def test_azure_jobs(finch):
    from openai import AzureOpenAI

    client = AzureOpenAI(azure_endpoint=finch.root, api_key=KEY_A, api_version="2024-10-21", max_retries=0)
    training = client.files.create(file=MARV, purpose="fine-tune")
    created = client.fine_tuning.jobs.with_raw_response.create(training_file=training.id, model="tiny-llama")
    assert created.status_code == 201
    job = created.parse()
    assert created.headers["location"] == f"/openai/fine_tuning/jobs/{job.id}?api-version=2024-10-21"
    assert job.status == "pending"
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"


def test_full_loop_trains_a_tiny_model(client_factory, finch, seen_responses):
    """upload → create → follow events → checkpoints → results CSV → model in /v1/models → delete."""
    client = client_factory()
    training = client.files.create(file=MARV, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=training.id, model="tiny-llama", suffix="loop",
                                         hyperparameters={"n_epochs": 2, "batch_size": 16})
    done = wait_for(client, job.id, {"succeeded", "failed", "cancelled"}, timeout=300)
    assert done.status == "succeeded", done.error
    assert done.fine_tuned_model == f"ft:tiny-llama:org-a:loop:{job.id[-8:]}"
    assert done.trained_tokens > 0 and done.finished_at >= done.created_at

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=5))
    messages = [event.message for event in events]
    assert messages[0] == "The job has successfully completed"
    metrics = [event for event in events if event.type == "metrics"]
    assert metrics and metrics[0].data["total_steps"] == 20
    assert any(message.startswith("Step 20/20: training loss=") for message in messages)

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert [c.step_number for c in checkpoints] == [20, 10]
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{done.fine_tuned_model}:ckpt-step-20"
    assert checkpoints[0].metrics.train_loss > 0

    csv = client.files.content(done.result_files[0]).text.splitlines()
    assert csv[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy" and len(csv) == 21
    first_loss, last_loss = float(csv[1].split(",")[1]), float(csv[-1].split(",")[1])
    assert last_loss < first_loss

    ids = [model.id for model in client.models.list()]
    assert done.fine_tuned_model in ids and checkpoints[0].fine_tuned_model_checkpoint in ids
    assert client.models.delete(done.fine_tuned_model).deleted is True
    assert done.fine_tuned_model not in [model.id for model in client.models.list()]
    assert not any(entry.startswith("unvalidated") for entry in seen_responses), seen_responses


def train_uninterrupted(client, training_id, **settings):
    job = client.fine_tuning.jobs.create(training_file=training_id, model="tiny-llama", seed=11, **settings)
    done = wait_for(client, job.id, {"succeeded", "failed"}, timeout=600)
    assert done.status == "succeeded", done.error
    return client.files.content(done.result_files[0]).text


def wait_for_metrics(client, job_id, at_least, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        steps = [e for e in client.fine_tuning.jobs.list_events(job_id, limit=100).data if e.type == "metrics"]
        if len(steps) >= at_least:
            return steps
        time.sleep(0.1)
    raise AssertionError("training made no progress")


HYPERPARAMETERS = {"n_epochs": 3, "batch_size": 2}


def test_pause_and_resume_end_like_an_uninterrupted_run(client_factory):
    client = client_factory()
    training = client.files.create(file=MARV, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=training.id, model="tiny-llama", seed=11,
                                         hyperparameters=HYPERPARAMETERS)
    wait_for_metrics(client, job.id, 5)
    paused = client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "paused"
    time.sleep(1.5)
    frozen = len(wait_for_metrics(client, job.id, 1))
    time.sleep(1.0)
    assert len(wait_for_metrics(client, job.id, 1)) == frozen, "training went on while paused"
    assert client.fine_tuning.jobs.resume(job.id).status == "queued"
    done = wait_for(client, job.id, {"succeeded", "failed"}, timeout=600)
    assert done.status == "succeeded", done.error
    resumed_csv = client.files.content(done.result_files[0]).text
    assert resumed_csv == train_uninterrupted(client, training.id, hyperparameters=HYPERPARAMETERS)


def test_a_killed_server_resumes_its_running_job(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY_LLAMA, data / "models" / "tiny-llama")
    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-a")
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY_A, max_retries=0)
    training = client.files.create(file=MARV, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=training.id, model="tiny-llama", seed=11,
                                         hyperparameters=HYPERPARAMETERS)
    deadline = time.time() + 300
    while not list(client.fine_tuning.jobs.checkpoints.list(job.id)):  # an epoch ended: a resume state is on disk
        assert time.time() < deadline
        time.sleep(0.05)
    server.stop(sig=9)

    again = FinchProcess(str(data), env_keys=f"{KEY_A}=org-a")
    try:
        client = openai.OpenAI(base_url=again.base_url, api_key=KEY_A, max_retries=0)
        assert client.fine_tuning.jobs.retrieve(job.id).status in {"running", "queued"}
        done = wait_for(client, job.id, {"succeeded", "failed"}, timeout=600)
        assert done.status == "succeeded", done.error
        messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
        assert "Fine-tuning job resumed from its last saved state" in messages
        assert client.files.content(done.result_files[0]).text == train_uninterrupted(
            client, training.id, hyperparameters=HYPERPARAMETERS)
    finally:
        again.stop()
