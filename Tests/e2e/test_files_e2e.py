"""The Files and Uploads APIs through the official openai SDK (and its AzureOpenAI client) against
the real binary."""

import hashlib
import io
import os
import subprocess

import httpx
import openai
import pytest

from conftest import KEY_A, KEY_B, ROOT, FinchProcess, finch_binary

MARV = ROOT.parent / "shared" / "data" / "marv_train.jsonl"
MARV_VALID = ROOT.parent / "shared" / "data" / "marv_validation.jsonl"


def test_upload_list_paginate_retrieve_download_delete(client_factory, seen_responses, validator):
    client = client_factory()
    uploaded = []
    with open(MARV, "rb") as handle:
        uploaded.append(client.files.create(file=handle, purpose="fine-tune"))
    uploaded.append(client.files.create(file=MARV_VALID, purpose="fine-tune"))
    uploaded.append(client.files.create(file=("notes.txt", b"plain bytes \x00\x01\xff", "text/plain"), purpose="user_data"))
    uploaded.append(client.files.create(file=b"raw bytes with no name", purpose="assistants"))

    first = uploaded[0]
    assert first.id.startswith("file-") and first.object == "file"
    assert first.filename == "marv_train.jsonl" and first.purpose == "fine-tune" and first.status == "processed"
    assert first.bytes == MARV.stat().st_size
    assert uploaded[3].filename == "upload"

    # Auto-pagination with one file per page terminates and sees every file once, newest first.
    listed = [f.id for f in client.files.list(limit=1)]
    assert listed == [f.id for f in reversed(uploaded)]
    assert [f.id for f in client.files.list(purpose="fine-tune")] == [uploaded[1].id, uploaded[0].id]
    assert [f.id for f in client.files.list(order="asc")] == [f.id for f in uploaded]

    assert client.files.retrieve(first.id) == first
    assert client.files.content(first.id).content == MARV.read_bytes()
    assert client.files.content(uploaded[2].id).content == b"plain bytes \x00\x01\xff"
    assert client.files.retrieve_content(uploaded[1].id) == MARV_VALID.read_text()

    deleted = client.files.delete(first.id)
    assert deleted.id == first.id and deleted.deleted is True and deleted.object == "file"
    with pytest.raises(openai.NotFoundError) as error:
        client.files.retrieve(first.id)
    assert error.value.body["message"] == f"No such File object: {first.id}"

    assert validator.checked > 10
    assert not any(entry.startswith("unvalidated") for entry in seen_responses), seen_responses


def test_second_tenant_sees_nothing_of_the_first(client_factory):
    a, b = client_factory(KEY_A), client_factory(KEY_B)
    mine = a.files.create(file=MARV, purpose="fine-tune")
    assert list(b.files.list()) == []
    for call in (lambda: b.files.retrieve(mine.id), lambda: b.files.content(mine.id), lambda: b.files.delete(mine.id)):
        with pytest.raises(openai.NotFoundError):
            call()
    assert a.files.retrieve(mine.id).id == mine.id


def test_bad_input_is_a_clear_error(client_factory, finch):
    client = client_factory()
    with pytest.raises(openai.BadRequestError) as error:
        client.files.create(file=("data.csv", b'{"a": 1}\n'), purpose="fine-tune")
    assert error.value.body["message"] == "Invalid file format for Fine-Tuning API. Must be .jsonl"
    with pytest.raises(openai.BadRequestError) as error:
        client.files.create(file=("bad.jsonl", b'{"a": 1}\n{"b": \n'), purpose="fine-tune")
    assert "Line 2" in error.value.body["message"] and error.value.body["param"] == "file"
    with pytest.raises(openai.BadRequestError) as error:
        client.files.create(file=("bad.jsonl", b"\xff\xfe{}\n"), purpose="fine-tune")
    assert "UTF-8" in error.value.body["message"]
    with pytest.raises(openai.BadRequestError) as error:
        client.files.create(file=("empty.jsonl", b""), purpose="fine-tune")
    assert "empty" in error.value.body["message"]
    with pytest.raises(openai.BadRequestError) as error:
        client.files.create(file=MARV, purpose="fine-tune-results")
    assert error.value.body["param"] == "purpose"
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-doesnotexist")
    with pytest.raises(openai.BadRequestError) as error:
        client.files.list(after="file-doesnotexist").data
    assert error.value.body["param"] == "after"
    with pytest.raises(openai.AuthenticationError) as error:
        client_factory("sk-wrong-key-000000000").files.list().data
    assert error.value.body["code"] == "invalid_api_key"

    # Malformed multipart and a missing key, with a plain HTTP client.
    response = httpx.post(finch.base_url + "/files", headers={"Authorization": f"Bearer {KEY_A}",
                          "Content-Type": "multipart/form-data; boundary=xyz"}, content=b"--xyz\r\nContent-Disp")
    assert response.status_code == 400 and set(response.json()["error"]) == {"message", "type", "param", "code"}
    response = httpx.get(finch.base_url + "/files")
    assert response.status_code == 401 and response.json()["error"]["message"].startswith("You didn't provide an API key")

    assert list(client.files.list()) == []
    data_files = os.listdir(os.path.join(finch.data_dir, "files")) + os.listdir(os.path.join(finch.data_dir, "tmp"))
    assert data_files == []


def test_oversize_upload_is_413_and_leaves_nothing(tmp_path):
    server = FinchProcess(str(tmp_path / "data"), env_keys=f"{KEY_A}=org-a", extra_args=["--max-file-size", "1000"])
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key=KEY_A, max_retries=0)
        with pytest.raises(openai.APIStatusError) as error:
            client.files.create(file=("big.bin", b"x" * 5000), purpose="user_data")
        assert error.value.status_code == 413
        assert os.listdir(tmp_path / "data" / "files") == [] and os.listdir(tmp_path / "data" / "tmp") == []
    finally:
        server.stop()


def test_uploads_api_chunked(client_factory, tmp_path):
    client = client_factory()
    source = tmp_path / "big.jsonl"
    source.write_bytes(MARV.read_bytes() * 3)
    upload = client.uploads.upload_file_chunked(file=source, mime_type="text/jsonl", purpose="fine-tune", part_size=10_000)
    assert upload.status == "completed" and upload.object == "upload"
    assert upload.file.bytes == source.stat().st_size and upload.file.filename == "big.jsonl"
    assert client.files.content(upload.file.id).content == source.read_bytes()

    pending = client.uploads.create(bytes=5, filename="x.txt", mime_type="text/plain", purpose="user_data")
    part = client.uploads.parts.create(upload_id=pending.id, data=b"hello")
    with pytest.raises(openai.BadRequestError):
        client.uploads.complete(upload_id=pending.id, part_ids=[part.id], md5="0" * 32)
    done = client.uploads.complete(upload_id=pending.id, part_ids=[part.id], md5=hashlib.md5(b"hello").hexdigest())
    assert client.files.content(done.file.id).content == b"hello"

    cancelled = client.uploads.cancel(client.uploads.create(bytes=5, filename="y.txt", mime_type="text/plain",
                                                            purpose="user_data").id)
    assert cancelled.status == "cancelled"


def test_azure_client(finch):
    from openai import AzureOpenAI

    client = AzureOpenAI(azure_endpoint=finch.root, api_key=KEY_A, api_version="2024-10-21", max_retries=0)
    created = client.files.with_raw_response.create(file=MARV, purpose="fine-tune")
    assert created.status_code == 201
    assert created.headers["location"].startswith("/openai/files/file-")
    file = created.parse()
    assert [f.id for f in client.files.list()] == [file.id]
    assert client.files.content(file.id).content == MARV.read_bytes()
    assert client.files.delete(file.id).deleted is True
    with pytest.raises(openai.NotFoundError) as error:
        client.files.retrieve(file.id)
    assert error.value.body["code"] == "notFound"

    missing_version = httpx.get(finch.root + "/openai/files", headers={"api-key": KEY_A})
    assert missing_version.status_code == 400
    assert missing_version.json()["error"]["code"] == "invalidPayload"


def test_graceful_shutdown_and_restart_keep_files(tmp_path):
    data = str(tmp_path / "data")
    server = FinchProcess(data, env_keys=f"{KEY_A}=org-a")
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY_A, max_retries=0)
    kept = client.files.create(file=MARV, purpose="fine-tune")
    assert server.stop() == 0
    again = FinchProcess(data, env_keys=f"{KEY_A}=org-a")
    try:
        client = openai.OpenAI(base_url=again.base_url, api_key=KEY_A, max_retries=0)
        assert client.files.content(kept.id).content == MARV.read_bytes()
    finally:
        assert again.stop(sig=2) == 0


def test_refuses_public_bind_without_keys_and_documents_options(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FINCH_API_KEYS"}
    result = subprocess.run([finch_binary(), "serve", "--host", "0.0.0.0", "--port", "0", "--data", str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "refusing to listen on 0.0.0.0 without API keys" in result.stderr

    top = subprocess.run([finch_binary(), "--help"], capture_output=True, text=True, timeout=30).stdout
    assert "serve" in top
    serve = subprocess.run([finch_binary(), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    for option in ("--host", "--port", "--data", "--api-keys-file", "--max-file-size", "--log-level", "FINCH_API_KEYS"):
        assert option in serve, option
