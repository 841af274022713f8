"""A client that disconnects stops its generation: a long chat completion (non-streaming and streamed) whose
client closes the connection after ~0.5 s is cancelled on the server at once — the server logs
`generation cancelled` with the request's id and the few tokens it had made, long before max_tokens — and
the next request is answered."""

import threading
import time
import uuid

import httpx
import pytest

from conftest import KEY_A, SMOLLM2, FinchProcess

LONG = {"model": SMOLLM2, "max_tokens": 3000, "temperature": 0.8, "seed": 5,
        "messages": [{"role": "user", "content": "Write a very long story about a lighthouse keeper, in many chapters."}]}
HEADERS = {"Authorization": f"Bearer {KEY_A}"}


class LoggedServer:
    """The serving server at log level info, its stderr lines collected as they come."""

    def __init__(self, data_dir):
        self.server = FinchProcess(str(data_dir), env_keys=f"{KEY_A}=org-a/proj-1", extra_args=["--log-level", "info"])
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.server.process.stderr:
            self.lines.append(line)

    def wait_for(self, *needles: str, timeout: float = 60) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                if all(n in line for n in needles):
                    return line
            time.sleep(0.1)
        raise AssertionError(f"no log line with {needles} in {timeout}s:\n" + "".join(self.lines[-20:]))


@pytest.fixture(scope="module")
def logged(smollm2_data):
    server = LoggedServer(smollm2_data)
    # load the model before timing anything
    httpx.post(server.server.base_url + "/chat/completions", headers=HEADERS, timeout=300,
               json={"model": SMOLLM2, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
    yield server
    server.server.stop()


def cancelled_tokens(line: str) -> int:
    value = line.split("completion_tokens=")[1].split()[0]
    return int(value.strip(",]"))


def assert_served_promptly(base_url: str):
    started = time.time()
    answer = httpx.post(base_url + "/chat/completions", headers=HEADERS, timeout=120,
                        json={"model": SMOLLM2, "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 4})
    assert answer.status_code == 200 and answer.json()["usage"]["completion_tokens"] <= 4
    return time.time() - started


def test_non_streaming_request_stops_when_its_client_disconnects(logged):
    request_id = "req_disconnect_" + uuid.uuid4().hex[:12]
    with pytest.raises(httpx.ReadTimeout):
        # no byte comes back before the generation ends: the read times out and httpx closes the connection
        httpx.post(logged.server.base_url + "/chat/completions", json=LONG, timeout=httpx.Timeout(30, read=0.5),
                   headers={**HEADERS, "x-request-id": request_id})
    line = logged.wait_for("generation cancelled", request_id, timeout=30)
    assert 0 <= cancelled_tokens(line) < LONG["max_tokens"] // 4, line
    assert assert_served_promptly(logged.server.base_url) < 60


def test_streamed_request_stops_when_its_client_disconnects(logged):
    request_id = "req_disconnect_" + uuid.uuid4().hex[:12]
    chunks = 0
    with httpx.Client(timeout=60) as client:
        with client.stream("POST", logged.server.base_url + "/chat/completions", json={**LONG, "stream": True},
                           headers={**HEADERS, "x-request-id": request_id}) as response:
            assert response.status_code == 200
            started = time.time()
            for line in response.iter_lines():
                chunks += line.startswith("data: ")
                if time.time() - started > 0.5 and chunks >= 3:
                    break
    # leaving the blocks closed the connection mid-stream
    line = logged.wait_for("generation cancelled", request_id, timeout=30)
    assert chunks - 1 <= cancelled_tokens(line) < LONG["max_tokens"] // 4, line
    assert assert_served_promptly(logged.server.base_url) < 60


def test_a_finished_non_streaming_request_is_not_reported_cancelled(logged):
    request_id = "req_complete_" + uuid.uuid4().hex[:12]
    answer = httpx.post(logged.server.base_url + "/chat/completions", headers={**HEADERS, "x-request-id": request_id},
                        json={**LONG, "max_tokens": 5}, timeout=120)
    assert answer.status_code == 200 and answer.json()["usage"]["completion_tokens"] <= 5
    logged.wait_for("request", request_id, "status=200")
    assert not any("generation cancelled" in l and request_id in l for l in logged.lines)
