"""Mistral's Files and Batch APIs: upload a JSONL of requests, run it as a job, read the results.

Batch inference bills the same requests at half the live price and answers within hours, not
seconds: `mistral-lsp review --all --batch` (ci/batch_run.py) uses it. The wire format follows the
official `mistralai` SDK's models (`CreateFileResponse`, `BatchJob`, `CreateBatchJobRequest`) and
docs.mistral.ai/capabilities/batch:

- `POST /v1/files`, multipart `file` + `purpose=batch` -> `{"id", ...}`;
- `POST /v1/batch/jobs` `{"input_files": [id], "endpoint": "/v1/chat/completions", "model", "metadata"}`;
- `GET /v1/batch/jobs/{id}` -> `status` (QUEUED, RUNNING, SUCCESS, FAILED, TIMEOUT_EXCEEDED,
  CANCELLATION_REQUESTED, CANCELLED), `total_requests`, `succeeded_requests`, `failed_requests`,
  `output_file`, `error_file`, `errors`;
- `GET /v1/files/{id}/content` -> JSONL, a line per request:
  `{"custom_id", "response": {"status_code", "body": <chat completion>}, "error"}`.

Every call goes through `MistralClient.fetch` (key check, retries, errors that name the fix);
a reply that is not the documented shape is a `StreamError`. Pure apart from the HTTP calls.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from mistral_lsp.mistral.client import MistralClient
from mistral_lsp.mistral.errors import MistralError, StreamError
from mistral_lsp.mistral.events import ChatResult
from mistral_lsp.mistral.sse import MALFORMED_HINT, parse_completion

CHAT_ENDPOINT = "/v1/chat/completions"
RUNNING = frozenset({"QUEUED", "RUNNING", "CANCELLATION_REQUESTED"})
EXPIRED = "TIMEOUT_EXCEEDED"


@dataclasses.dataclass(frozen=True)
class BatchJob:
    id: str
    status: str
    total: int
    succeeded: int
    failed: int
    output_file: str | None
    error_file: str | None
    errors: tuple[str, ...]

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def completed(self) -> int:
        return self.succeeded + self.failed


@dataclasses.dataclass(frozen=True)
class BatchOutput:
    """One request's outcome: its answer, or why it has none."""

    custom_id: str
    result: ChatResult | None
    error: str | None


def _json(content: bytes, what: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        raise StreamError(f"malformed {what} from the server (not JSON: {content[:60]!r})", MALFORMED_HINT) from None


def parse_job(data: Any) -> BatchJob:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("status"), str):
        raise StreamError(f"malformed batch job from the server: {str(data)[:80]}", MALFORMED_HINT)
    errors = tuple(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in data.get("errors") or [])
    return BatchJob(
        id=data["id"], status=data["status"], total=int(data.get("total_requests") or 0),
        succeeded=int(data.get("succeeded_requests") or 0), failed=int(data.get("failed_requests") or 0),
        output_file=data.get("output_file") or None, error_file=data.get("error_file") or None, errors=errors,
    )


async def upload_batch_file(client: MistralClient, filename: str, content: bytes) -> str:
    """Uploads a JSONL of requests for batch use; its file id."""
    reply = await client.fetch(
        "POST", "files", multipart=({"file": (filename, content, "application/jsonl")}, {"purpose": "batch"})
    )
    data = _json(reply, "file upload reply")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise StreamError(f"malformed file upload reply from the server: {str(data)[:80]}", MALFORMED_HINT)
    return str(data["id"])


async def create_job(client: MistralClient, file_id: str, model: str, metadata: dict[str, str]) -> BatchJob:
    body = {"input_files": [file_id], "endpoint": CHAT_ENDPOINT, "model": model, "metadata": metadata}
    return parse_job(_json(await client.fetch("POST", "batch/jobs", body), "batch job"))


async def get_job(client: MistralClient, job_id: str) -> BatchJob:
    return parse_job(_json(await client.fetch("GET", f"batch/jobs/{job_id}"), "batch job"))


async def download(client: MistralClient, file_id: str) -> bytes:
    return await client.fetch("GET", f"files/{file_id}/content")


def parse_outputs(content: bytes) -> list[BatchOutput]:
    """The lines of an output or error file; a line without a custom_id is skipped."""
    outputs = []
    for row in content.decode("utf-8", "replace").splitlines():
        if not row.strip():
            continue
        line = _json(row.encode(), "batch output line")
        if not isinstance(line, dict) or line.get("custom_id") is None:
            continue
        outputs.append(_output(line))
    return outputs


def _output(line: dict[str, Any]) -> BatchOutput:
    custom_id = str(line["custom_id"])
    response: dict[str, Any] = line["response"] if isinstance(line.get("response"), dict) else {}
    status = response.get("status_code", 200)
    body = response.get("body")
    if line.get("error") or status != 200 or not isinstance(body, dict):
        error = line.get("error") or body or f"HTTP {status}"
        message = error.get("message", error) if isinstance(error, dict) else error
        return BatchOutput(custom_id, None, f"HTTP {status}: {str(message)[:200]}")
    try:
        return BatchOutput(custom_id, parse_completion(json.dumps(body).encode()), None)
    except MistralError as exc:
        return BatchOutput(custom_id, None, str(exc))
