"""End-to-end fixtures: the real `finch` binary on a free port with a temporary data directory,
driven by the official `openai` SDK. Every JSON response the SDK receives is validated against the
schema of its operation in shared/spec/openai-fine-tuning.openapi.yaml."""

import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from spec_validation import SpecValidator

ROOT = Path(__file__).resolve().parents[2]
KEY_A = "sk-e2e-tenant-a-0001"
KEY_B = "sk-e2e-tenant-b-0002"


def finch_binary() -> str:
    path = os.environ.get("FINCH_BIN", str(ROOT / ".build/release/finch"))
    if not Path(path).exists():
        pytest.fail(f"finch binary not found at {path}: run `make build` (or set FINCH_BIN)")
    return path


class FinchProcess:
    def __init__(self, data_dir: str, env_keys: str | None = None, extra_args: list[str] | None = None):
        env = dict(os.environ)
        env.pop("FINCH_API_KEYS", None)
        if env_keys is not None:
            env["FINCH_API_KEYS"] = env_keys
        self.data_dir = data_dir
        args = [finch_binary(), "serve", "--host", "127.0.0.1", "--port", "0", "--data", data_dir, "--log-level", "warning"]
        self.process = subprocess.Popen(args + (extra_args or []), env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/v1", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"finch did not start: {line!r} {self.process.stderr.read()}")
        self.port = int(match.group(1))
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/v1"
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if httpx.get(self.root + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM, timeout=15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


@pytest.fixture(scope="session")
def validator() -> SpecValidator:
    return SpecValidator(ROOT.parent / "shared" / "spec" / "openai-fine-tuning.openapi.yaml")


@pytest.fixture()
def finch(tmp_path):
    server = FinchProcess(str(tmp_path / "data"), env_keys=f"{KEY_A}=org-a/proj-1,{KEY_B}=org-b")
    yield server
    server.stop()


def validating_http_client(validator: SpecValidator, seen: list) -> httpx.Client:
    def check(response: httpx.Response):
        response.read()
        seen.append(validator.validate_response(response))
    return httpx.Client(event_hooks={"response": [check]}, timeout=60)


@pytest.fixture()
def seen_responses():
    return []


@pytest.fixture()
def client_factory(finch, validator, seen_responses):
    from openai import OpenAI

    def make(key=KEY_A, **kwargs):
        return OpenAI(base_url=finch.base_url, api_key=key, max_retries=0,
                      http_client=validating_http_client(validator, seen_responses), **kwargs)
    return make


# --- Serving (chat/completions): the SmolLM2 base model imported once per session -------------------

SMOLLM2_GGUF = ROOT / ".testdata" / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2 = "SmolLM2-135M-Instruct"


@pytest.fixture(scope="session")
def smollm2_data(tmp_path_factory):
    """A data directory holding DATA/models/SmolLM2-135M-Instruct, imported from the GGUF with the binary."""
    if not SMOLLM2_GGUF.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{SMOLLM2_GGUF} is missing: run scripts/fetch-testdata.sh model")
        pytest.skip(f"{SMOLLM2_GGUF} is missing (scripts/fetch-testdata.sh model)")
    data = tmp_path_factory.mktemp("serving") / "data"
    subprocess.run([finch_binary(), "models", "import", str(SMOLLM2_GGUF), "--name", SMOLLM2, "--data", str(data)],
                   check=True, capture_output=True, timeout=600)
    return data


@pytest.fixture(scope="session")
def serving_finch(smollm2_data):
    """One server over the SmolLM2 data directory for the whole session (the model loads once)."""
    server = FinchProcess(str(smollm2_data), env_keys=f"{KEY_A}=org-a/proj-1,{KEY_B}=org-b",
                          extra_args=["--model-memory", "2GiB"])
    yield server
    server.stop()
