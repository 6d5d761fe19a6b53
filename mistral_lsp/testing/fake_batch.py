"""The fake Mistral API's Files and Batch endpoints, for `mistral-lsp review --batch`.

Serves no LSP method: test and bench support, registered on `fake_api.FakeMistralAPI`'s server
by `add_batch_routes`. The wire format is the official `mistralai` SDK's models
(`CreateFileResponse`, `BatchJob`, `CreateBatchJobRequest`; tests/client/test_sdk_batch.py reads
these replies with the SDK) and Mistral's batch documentation (docs.mistral.ai/capabilities/batch):

- `POST /v1/files` (multipart: `file`, `purpose`, optional `expiry`, `visibility`) stores a file;
- `GET /v1/files/{id}/content` returns its bytes (input, output and error files alike);
- `POST /v1/batch/jobs` (`input_files`, `endpoint`, `model`, `metadata`, `timeout_hours`; unknown
  keys are a 422) creates a job, `QUEUED`;
- `GET /v1/batch/jobs/{id}` shows it; `POST /v1/batch/jobs/{id}/cancel` cancels it.

A job runs on the fake's loop: each JSONL line (`{"custom_id", "body"}`) goes, with the job's
`model`, through the chat endpoint's own validation and reply machinery (`enqueue`, `responder`,
`default_reply`), one line per step, so a poll sees the counts move. The output file holds one
line per success, `{"id", "custom_id", "response": {"status_code": 200, "body": <completion>},
"error": null}`; the error file the same with the error status and body.

Tests steer a job with `hold()` / `release()` (it stays `RUNNING` until released), `end_as`
(`"FAILED"` or `"TIMEOUT_EXCEEDED"` instead of `"SUCCESS"`), and wait with `wait_for_job`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from mistral_lsp.testing.fake_replies import (
    CHAT_FIELDS,
    ERROR_BODIES,
    Answer,
    api_error,
    invalid_request,
)

if TYPE_CHECKING:
    from mistral_lsp.testing.fake_api import FakeMistralAPI

JOB_FIELDS = frozenset({"input_files", "requests", "endpoint", "model", "agent_id", "metadata", "timeout_hours"})
ENDPOINTS = ("/v1/chat/completions",)  # what this fake runs; the API knows more
TERMINAL = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    sample_type: str
    created_at: int = field(default_factory=lambda: int(time.time()))

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "file", "bytes": len(self.content), "created_at": self.created_at,
            "filename": self.filename, "purpose": self.purpose, "sample_type": self.sample_type,
            "source": "upload", "num_lines": self.content.count(b"\n") or None,
            "mimetype": "application/jsonl",
        }


@dataclass
class Job:
    id: str
    input_files: list[str]
    endpoint: str
    model: str
    metadata: dict[str, Any] | None
    total: int
    status: str = "QUEUED"
    succeeded: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    output_file: str | None = None
    error_file: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))
    started_at: int | None = None
    completed_at: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "batch", "input_files": self.input_files, "metadata": self.metadata,
            "endpoint": self.endpoint, "model": self.model, "output_file": self.output_file,
            "error_file": self.error_file, "errors": self.errors, "status": self.status,
            "created_at": self.created_at, "total_requests": self.total,
            "completed_requests": self.succeeded + self.failed,
            "succeeded_requests": self.succeeded, "failed_requests": self.failed,
            "started_at": self.started_at, "completed_at": self.completed_at,
        }


class FakeBatches:
    """The files and jobs of one fake server; thread-safe for the test's side."""

    def __init__(self, fake: FakeMistralAPI) -> None:
        self.fake = fake
        self.files: dict[str, StoredFile] = {}
        self.jobs: dict[str, Job] = {}
        self.end_as = "SUCCESS"  # or FAILED / TIMEOUT_EXCEEDED: how the next jobs end
        self.executed: list[dict[str, Any]] = []  # each line's body as run, with the job's model
        self._held = threading.Event()
        self._held.set()
        self._changed = threading.Condition()

    # -- steering from tests --------------------------------------------------------------------

    def hold(self) -> None:
        """Jobs stay RUNNING (after their first request) until `release()`."""
        self._held.clear()

    def release(self) -> None:
        self._held.set()

    def wait_for_job(self, predicate: Callable[[Job], bool] = lambda job: True, timeout: float = 10.0) -> Job:
        """The first job matching `predicate`, waiting for it; TimeoutError otherwise."""
        def found() -> Job | None:
            return next((job for job in self.jobs.values() if predicate(job)), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                raise TimeoutError(f"no such batch job within {timeout} s")
            job = found()
            assert job is not None
            return job

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # -- files ----------------------------------------------------------------------------------

    async def upload(self, request: web.Request) -> web.Response:
        if denied := self.fake._unauthorized(request):
            return denied
        fields: dict[str, Any] = {}
        content, filename = None, "upload"
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "file":
                filename, content = part.filename or filename, await part.read()
            else:
                fields[part.name] = await part.text()
        self.fake._record(request, {"filename": filename, **fields, "bytes": len(content or b"")})
        if content is None:
            return _invalid("file", "Field required", None)
        purpose = fields.get("purpose", "fine-tune")
        if purpose not in ("fine-tune", "batch", "ocr"):
            return _invalid("purpose", "Input should be 'fine-tune', 'batch' or 'ocr'", purpose)
        stored = self._store(filename, purpose, bytes(content), "batch_request" if purpose == "batch" else "instruct")
        return web.json_response(stored.to_wire())

    def _store(self, filename: str, purpose: str, content: bytes, sample_type: str) -> StoredFile:
        stored = StoredFile(str(uuid.uuid4()), filename, purpose, content, sample_type)
        self.files[stored.id] = stored
        return stored

    async def content(self, request: web.Request) -> web.Response:
        self.fake._record(request, None)
        if denied := self.fake._unauthorized(request):
            return denied
        stored = self.files.get(request.match_info["id"])
        if stored is None:
            return web.json_response(ERROR_BODIES[404], status=404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # -- jobs -----------------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fake._record(request, body)
        if denied := self.fake._unauthorized(request):
            return denied
        if not isinstance(body, dict) or (extra := sorted(set(body) - JOB_FIELDS)):
            key = extra[0] if isinstance(body, dict) else "body"
            return _invalid(key, "Extra inputs are not permitted", None, kind="extra_forbidden")
        if body.get("endpoint") not in ENDPOINTS:
            return _invalid("endpoint", f"Input should be one of {', '.join(ENDPOINTS)}", body.get("endpoint"))
        lines: list[dict[str, Any]] = []
        for file_id in body.get("input_files") or []:
            stored = self.files.get(file_id)
            if stored is None or stored.purpose != "batch":
                return web.json_response(api_error(f"Input file {file_id} not found", "invalid_request_error"), status=404)
            lines += [json.loads(row) for row in stored.content.decode().splitlines() if row.strip()]
        job = Job(str(uuid.uuid4()), list(body.get("input_files") or []), body["endpoint"],
                  str(body.get("model") or ""), body.get("metadata"), len(lines))
        self.jobs[job.id] = job
        self._notify()
        asyncio.get_running_loop().create_task(self._run(job, lines))
        return web.json_response(job.to_wire())

    async def get(self, request: web.Request) -> web.Response:
        self.fake._record(request, None)
        if denied := self.fake._unauthorized(request):
            return denied
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return web.json_response(ERROR_BODIES[404], status=404)
        return web.json_response(job.to_wire())

    async def cancel(self, request: web.Request) -> web.Response:
        self.fake._record(request, None)
        if denied := self.fake._unauthorized(request):
            return denied
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return web.json_response(ERROR_BODIES[404], status=404)
        if job.status not in TERMINAL:
            job.status = "CANCELLATION_REQUESTED"
            self._notify()
        return web.json_response(job.to_wire())

    async def _run(self, job: Job, lines: list[dict[str, Any]]) -> None:
        outputs: list[bytes] = []
        failures: list[bytes] = []
        for line in lines:
            if job.status == "CANCELLATION_REQUESTED":
                break
            if job.status == "QUEUED":
                job.status, job.started_at = "RUNNING", int(time.time())
            # Held by a test, from its own thread (a threading.Event): the job stays RUNNING.
            while not self._held.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            status, reply = self._answer(job, line)
            record = {"id": f"batch-{uuid.uuid4().hex[:8]}", "custom_id": line.get("custom_id"),
                      "response": {"status_code": status, "body": reply},
                      "error": None if status == 200 else {"message": json.dumps(reply), "code": status}}
            (outputs if status == 200 else failures).append(json.dumps(record).encode() + b"\n")
            if status == 200:
                job.succeeded += 1
            else:
                job.failed += 1
            self._notify()
            await asyncio.sleep(0)
        self._finish(job, outputs, failures)

    def _answer(self, job: Job, line: dict[str, Any]) -> tuple[int, Any]:
        body = {**(line.get("body") or {}), "model": job.model}
        self.executed.append(body)
        invalid = invalid_request(body, CHAT_FIELDS, ("model", "messages"), self.fake._known_models())
        if invalid is not None:
            return invalid
        reply = self.fake._next_reply(body)
        if reply.status >= 400:
            return reply.status, reply.error_body()
        return 200, Answer(reply, body).completion()

    def _finish(self, job: Job, outputs: list[bytes], failures: list[bytes]) -> None:
        if job.status == "CANCELLATION_REQUESTED":
            job.status = "CANCELLED"
        elif self.end_as != "SUCCESS":
            job.status = self.end_as
            if self.end_as == "FAILED":
                job.errors = [{"message": "Internal error while processing the batch", "count": 1}]
        else:
            job.status = "SUCCESS"
        if outputs:
            job.output_file = self._store(f"{job.id}.jsonl", "batch", b"".join(outputs), "batch_result").id
        if failures:
            job.error_file = self._store(f"{job.id}_error.jsonl", "batch", b"".join(failures), "batch_error").id
        job.completed_at = int(time.time())
        self._notify()


def _invalid(key: str, message: str, value: Any, *, kind: str = "value_error") -> web.Response:
    detail = [{"type": kind, "loc": ["body", key], "msg": message, "input": value}]
    return web.json_response(api_error({"detail": detail}, "invalid_request_error"), status=422)


def add_batch_routes(app: web.Application, fake: FakeMistralAPI) -> None:
    """Serve `fake.batches` (files and batch jobs) on `app`."""
    batches = fake.batches
    app.router.add_post("/v1/files", batches.upload)
    app.router.add_get("/v1/files/{id}/content", batches.content)
    app.router.add_post("/v1/batch/jobs", batches.create)
    app.router.add_get("/v1/batch/jobs/{id}", batches.get)
    app.router.add_post("/v1/batch/jobs/{id}/cancel", batches.cancel)
