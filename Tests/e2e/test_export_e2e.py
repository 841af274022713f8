"""Model export end to end: the real binary serves GET /v1/models/{model}/export and runs
`finch export`; the GGUF is read by the `gguf` package (llama.cpp's own Python reader) and the
directory formats by Python's tarfile."""

import io
import json
import shutil
import subprocess
import tarfile

import httpx
from gguf import GGUFReader, GGMLQuantizationType

from conftest import KEY_A, ROOT, FinchProcess, finch_binary

TINY = ROOT / "Tests/FinchModelsTests/Fixtures/tiny/qwen2"


def install_tiny(data_dir):
    target = data_dir / "models" / "tiny-qwen2"
    shutil.copytree(TINY, target)
    return target


def field(reader, key):
    f = reader.fields[key]
    if f.types[0] == 8:  # string
        return bytes(f.parts[f.data[0]]).decode()
    return f.parts[f.data[0]].tolist()[0]


def check_gguf(path, dtype):
    reader = GGUFReader(str(path))
    config = json.loads((TINY / "config.json").read_text())
    assert field(reader, "general.architecture") == "qwen2"
    assert field(reader, "qwen2.block_count") == config["num_hidden_layers"]
    assert field(reader, "qwen2.embedding_length") == config["hidden_size"]
    assert field(reader, "qwen2.attention.head_count_kv") == config["num_key_value_heads"]
    assert field(reader, "tokenizer.ggml.model") == "gpt2"
    for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges",
                "tokenizer.ggml.eos_token_id", "tokenizer.chat_template", "tokenizer.ggml.add_bos_token"]:
        assert key in reader.fields, key
    assert len(reader.fields["tokenizer.ggml.tokens"].data) == config["vocab_size"]
    tensors = {t.name: t for t in reader.tensors}
    assert "output.weight" not in tensors  # tied embeddings
    assert len(tensors) == 1 + 1 + config["num_hidden_layers"] * 12  # embd, norm, 12 per block (q/k/v with bias)
    wanted = {"f32": GGMLQuantizationType.F32, "f16": GGMLQuantizationType.F16, "q8_0": GGMLQuantizationType.Q8_0}[dtype]
    q = tensors["blk.0.attn_q.weight"]
    assert q.tensor_type == wanted
    assert list(q.shape) == [config["hidden_size"], config["hidden_size"]]
    assert tensors["blk.0.attn_norm.weight"].tensor_type == GGMLQuantizationType.F32
    assert tensors["blk.0.attn_q.bias"].tensor_type == GGMLQuantizationType.F32


def test_export_endpoint_streams_gguf_and_tar(tmp_path):
    data = tmp_path / "data"
    install_tiny(data)
    server = FinchProcess(str(data), env_keys=f"{KEY_A}=org-a/proj-1")
    try:
        auth = {"Authorization": f"Bearer {KEY_A}"}
        with httpx.stream("GET", server.base_url + "/models/tiny-qwen2/export?format=gguf&dtype=q8_0", headers=auth) as r:
            assert r.status_code == 200
            assert r.headers["content-disposition"] == 'attachment; filename="tiny-qwen2.gguf"'
            path = tmp_path / "tiny.gguf"
            with open(path, "wb") as f:
                for chunk in r.iter_bytes():
                    f.write(chunk)
        check_gguf(path, "q8_0")

        r = httpx.get(server.base_url + "/models/tiny-qwen2/export?format=safetensors&dtype=bf16", headers=auth)
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-tar"
        with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
            names = sorted(tar.getnames())
            assert "tiny-qwen2/model.safetensors" in names and "tiny-qwen2/tokenizer.json" in names
            config = json.load(tar.extractfile("tiny-qwen2/config.json"))
            assert config["torch_dtype"] == "bfloat16"

        bad = httpx.get(server.base_url + "/models/tiny-qwen2/export?format=gguf&dtype=bf16", headers=auth)
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "dtype"
        peft = httpx.get(server.base_url + "/models/tiny-qwen2/export?format=peft", headers=auth)
        assert peft.status_code == 400 and peft.json()["error"]["param"] == "format"
        missing = httpx.get(server.base_url + "/models/nope/export?format=gguf", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
        assert not [p for p in (data / "tmp").iterdir() if p.name.startswith("export-")]
    finally:
        server.stop()


def test_cli_exports_gguf_f16(tmp_path):
    data = tmp_path / "data"
    install_tiny(data)
    out = tmp_path / "tiny-f16.gguf"
    done = subprocess.run([finch_binary(), "export", "tiny-qwen2", "--format", "gguf", "--output", str(out),
                           "--data", str(data)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check_gguf(out, "f16")
    again = subprocess.run([finch_binary(), "export", "tiny-qwen2", "--format", "gguf", "--output", str(out),
                            "--data", str(data)], capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "already exists" in again.stderr
