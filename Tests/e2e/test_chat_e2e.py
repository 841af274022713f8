"""Serving through the official openai SDK against the real binary: chat completions (plain and
streamed), legacy completions, the AzureOpenAI client on the deployments path, and errors, on the
SmolLM2-135M-Instruct base model imported from its GGUF. Every JSON response and every streamed chunk
is validated against the spec."""

import shutil
import time

import httpx
import openai
import pytest

from conftest import KEY_A, KEY_B, ROOT, SMOLLM2, FinchProcess
from spec_validation import validate_event_stream

CAPITAL = [{"role": "system", "content": "You are a helpful assistant."},
           {"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture()
def checked(validator):
    seen = []

    def check(response: httpx.Response):
        response.read()
        seen.append(validator.validate_response(response))
        seen.append(validate_event_stream(validator, response))
    return seen, check


@pytest.fixture()
def client(serving_finch, checked):
    seen, check = checked
    return openai.OpenAI(base_url=serving_finch.base_url, api_key=KEY_A, max_retries=0,
                         http_client=httpx.Client(event_hooks={"response": [check]}, timeout=300))


def test_chat_completion_answers_and_matches_its_stream(client, checked):
    completion = client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=24, temperature=0)
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert choice.message.role == "assistant" and "Paris" in choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens

    stream = client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=24, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == choice.message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [choice.finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == completion.usage.completion_tokens

    seen, _ = checked
    assert any(entry.startswith("stream CreateChatCompletionStreamResponse") for entry in seen), seen
    assert "createChatCompletion" in seen


def test_sampling_seed_n_logprobs_and_stop(client):
    a = client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=12, temperature=0.9, seed=11, n=2)
    b = client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=12, temperature=0.9, seed=11)
    assert [c.index for c in a.choices] == [0, 1]
    assert a.choices[0].message.content == b.choices[0].message.content

    lp = client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=8, temperature=0, logprobs=True,
                                        top_logprobs=3)
    entries = lp.choices[0].logprobs.content
    assert len(entries) == lp.usage.completion_tokens
    assert all(e.logprob <= 0 and len(e.top_logprobs) == 3 and e.top_logprobs[0].token == e.token for e in entries)

    stopped = client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=24, temperature=0, stop=[" Paris"])
    assert "Paris" not in stopped.choices[0].message.content and stopped.choices[0].finish_reason == "stop"


def test_legacy_completions_plain_and_streamed(client):
    completion = client.completions.create(model=SMOLLM2, prompt="The capital of France is", max_tokens=6, temperature=0)
    assert completion.object == "text_completion" and completion.id.startswith("cmpl-")
    text = completion.choices[0].text
    assert text and completion.usage.completion_tokens <= 6

    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=SMOLLM2, prompt="The capital of France is", max_tokens=6, temperature=0, stream=True) if c.choices)
    assert streamed == text

    echoed = client.completions.create(model=SMOLLM2, prompt=["One, two,", "A, B,"], max_tokens=3, temperature=0, echo=True)
    assert [c.index for c in echoed.choices] == [0, 1]
    assert echoed.choices[0].text.startswith("One, two,") and echoed.choices[1].text.startswith("A, B,")

    with pytest.raises(openai.BadRequestError) as error:
        client.completions.create(model=SMOLLM2, prompt="x", suffix="y")
    assert error.value.param == "suffix"


def test_errors_through_the_sdk(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o-mini", messages=CAPITAL)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, temperature=5)
    assert bad.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as overflow:
        client.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=100_000)
    assert overflow.value.code == "context_length_exceeded" and "8192" in overflow.value.message


def test_azure_openai_client_on_the_deployments_path(serving_finch, validator):
    seen = []

    def check(response: httpx.Response):
        response.read()
        seen.append(validate_event_stream(validator, response))

    azure = openai.AzureOpenAI(azure_endpoint=serving_finch.root, api_version="2024-10-21", api_key=KEY_A, max_retries=0,
                               http_client=httpx.Client(event_hooks={"response": [check]}, timeout=300))
    completion = azure.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=16, temperature=0)
    assert "Paris" in completion.choices[0].message.content
    chunks = list(azure.chat.completions.create(model=SMOLLM2, messages=CAPITAL, max_tokens=16, temperature=0, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == completion.choices[0].message.content
    legacy = azure.completions.create(model=SMOLLM2, prompt="The capital of France is", max_tokens=4, temperature=0)
    assert legacy.choices[0].text
    with pytest.raises(openai.NotFoundError):
        azure.chat.completions.create(model="no-such-deployment", messages=CAPITAL)
    assert any(entry.startswith("stream CreateChatCompletionStreamResponse") for entry in seen), seen


TINY_LLAMA = ROOT / "Tests" / "FinchModelsTests" / "Fixtures" / "tiny" / "llama"
MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"


@pytest.fixture()
def tiny_finch(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY_LLAMA, data / "models" / "tiny-llama")
    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-a/proj-1,{KEY_B}=org-b")
    yield server
    server.stop()


def test_a_fine_tuned_model_answers_as_soon_as_its_job_succeeds(tiny_finch, validator):
    """Train a LoRA adapter on the tiny llama, then chat with the job's model and its checkpoint, without
    a restart; another tenant cannot; after DELETE /models the name is gone."""
    seen = []

    def check(response: httpx.Response):
        response.read()
        seen.append(validator.validate_response(response))
        seen.append(validate_event_stream(validator, response))

    def make(key):
        return openai.OpenAI(base_url=tiny_finch.base_url, api_key=key, max_retries=0,
                             http_client=httpx.Client(event_hooks={"response": [check]}, timeout=300))

    client, other = make(KEY_A), make(KEY_B)
    training = client.files.create(file=MARV, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(training_file=training.id, model="tiny-llama", suffix="chat",
                                         hyperparameters={"n_epochs": 2, "batch_size": 16, "learning_rate_multiplier": 20})
    deadline = time.time() + 300
    while (job := client.fine_tuning.jobs.retrieve(job.id)).status not in ("succeeded", "failed", "cancelled"):
        assert time.time() < deadline, job.status
        time.sleep(0.3)
    assert job.status == "succeeded", job.error
    tuned = job.fine_tuned_model

    messages = [{"role": "user", "content": "What's the capital of France?"}]
    base = client.chat.completions.create(model="tiny-llama", messages=messages, max_tokens=16, temperature=0)
    answer = client.chat.completions.create(model=tuned, messages=messages, max_tokens=16, temperature=0)
    assert answer.model == tuned and answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content != base.choices[0].message.content
    chunks = list(client.chat.completions.create(model=tuned, messages=messages, max_tokens=16, temperature=0, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == answer.choices[0].message.content

    checkpoint = next(iter(client.fine_tuning.jobs.checkpoints.list(job.id))).fine_tuned_model_checkpoint
    from_checkpoint = client.chat.completions.create(model=checkpoint, messages=messages, max_tokens=16, temperature=0)
    assert from_checkpoint.model == checkpoint

    with pytest.raises(openai.NotFoundError):
        other.chat.completions.create(model=tuned, messages=messages, max_tokens=4)
    assert client.models.delete(tuned).deleted is True
    with pytest.raises(openai.NotFoundError) as gone:
        client.chat.completions.create(model=tuned, messages=messages, max_tokens=4)
    assert gone.value.code == "model_not_found"
    assert any(entry.startswith("stream CreateChatCompletionStreamResponse") for entry in seen), seen
