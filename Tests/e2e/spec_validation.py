"""Validates Finch's JSON responses against the schema of their operation in the OpenAPI spec.

The spec mixes OpenAPI 3.0 (`nullable: true`) and 3.1 (`type: 'null'`) styles; `nullable` is rewritten
into an `anyOf` with null so one JSON Schema 2020-12 validator checks both."""

import copy
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator


def _rewrite_nullable(node):
    if isinstance(node, dict):
        node = {key: _rewrite_nullable(value) for key, value in node.items()}
        all_of = node.get("allOf")
        if isinstance(all_of, list) and any(isinstance(part, dict) and part.get("nullable") for part in all_of):
            rest = {k: v for k, v in node.items() if k != "allOf"}
            parts = [{k: v for k, v in part.items() if k not in ("nullable", "description")} for part in all_of]
            parts = [part for part in parts if part]
            return {**rest, "anyOf": [{"allOf": parts}, {"type": "null"}]}
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_rewrite_nullable(item) for item in node]
    return node


class SpecValidator:
    def __init__(self, spec_path: Path):
        spec = yaml.safe_load(Path(spec_path).read_text())
        self.components = _rewrite_nullable(copy.deepcopy(spec["components"]))
        # The spec's own pause/resume examples return status "paused", which its FineTuningJob enum omits
        # (research/openai_api_surface.md §2): accept it there and nowhere else.
        self.components["schemas"]["FineTuningJob"]["properties"]["status"]["enum"].append("paused")
        self.operations = []  # (method, regex, {status: schema})
        for path, item in spec["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", path) + "$"
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                schemas = {}
                for status, response in operation["responses"].items():
                    content = (response or {}).get("content", {})
                    json_schema = content.get("application/json", {}).get("schema")
                    if json_schema is not None:
                        schemas[str(status)] = json_schema
                self.operations.append((method.upper(), re.compile(pattern), schemas, operation.get("operationId")))
        self.checked = 0

    def schema_for(self, method: str, api_path: str, status: int):
        for op_method, pattern, schemas, operation_id in self.operations:
            if op_method == method and pattern.match(api_path):
                if status >= 400:
                    return operation_id, {"$ref": "#/components/schemas/ErrorResponse"}
                return operation_id, schemas.get(str(status)) or schemas.get("200")
        return None, None

    def validate(self, method: str, api_path: str, status: int, body) -> str:
        operation_id, schema = self.schema_for(method, api_path, status)
        if schema is None:
            return f"unvalidated {method} {api_path}"
        document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_rewrite_nullable(schema),
                    "components": self.components}
        errors = sorted(Draft202012Validator(document).iter_errors(body), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
            raise AssertionError(f"{method} {api_path} ({operation_id}) -> {status} does not match the spec: {details}")
        self.checked += 1
        return operation_id

    def validate_response(self, response) -> str:
        """Validates an httpx response of the OpenAI dialect (/v1/...). Non-JSON bodies (file content) are skipped."""
        request = response.request
        path = request.url.path
        if not path.startswith("/v1/") or "json" not in response.headers.get("content-type", ""):
            return f"skipped {request.method} {path}"
        return self.validate(request.method, path[len("/v1"):], response.status_code, response.json())


def _validate_schema(validator: "SpecValidator", schema_name: str, body, where: str):
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": f"#/components/schemas/{schema_name}", "components": validator.components}
    errors = sorted(Draft202012Validator(document).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
        raise AssertionError(f"{where} does not match {schema_name}: {details}")


# Server-sent events: each `data:` chunk of a streamed /chat/completions or /completions response is
# validated against its chunk schema; the stream must end with `data: [DONE]`.
STREAM_CHUNK_SCHEMAS = {"/chat/completions": "CreateChatCompletionStreamResponse",
                        "/completions": "CreateCompletionResponse"}


def validate_event_stream(validator: "SpecValidator", response) -> str:
    """Validates a `text/event-stream` response of the OpenAI dialect chunk by chunk (additive to
    `SpecValidator.validate_response`, which skips non-JSON bodies)."""
    import json

    request = response.request
    path = request.url.path
    if "text/event-stream" not in response.headers.get("content-type", ""):
        return f"skipped {request.method} {path}"
    api_path = path[len("/v1"):] if path.startswith("/v1/") else re.sub(r"^/openai/deployments/[^/]+", "", path)
    schema_name = STREAM_CHUNK_SCHEMAS.get(api_path)
    if schema_name is None:
        return f"unvalidated stream {request.method} {path}"
    text = response.text
    assert text.endswith("data: [DONE]\n\n"), f"{path}: the stream does not end with data: [DONE]"
    events = [block for block in text.split("\n\n") if block]
    for block in events[:-1]:
        assert block.startswith("data: "), f"{path}: not an SSE data event: {block[:80]!r}"
        chunk = json.loads(block[len("data: "):])
        if schema_name == "CreateCompletionResponse":
            # The spec types a text_completion's finish_reason as a string; OpenAI streams null until each
            # choice's last chunk (as Finch does), so null is accepted in stream chunks only.
            for choice in chunk.get("choices", []):
                if choice.get("finish_reason", "") is None:
                    choice["finish_reason"] = "length"
        _validate_schema(validator, schema_name, chunk, f"{path} chunk")
        validator.checked += 1
    return f"stream {schema_name} x{len(events) - 1}"
