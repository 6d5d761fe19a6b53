"""`mistral-lsp review --all --batch`: the live review's requests run as one Batch API job.

Serves no LSP method. `BatchJobReview` is `batch.BatchReview` with another dispatch: the same
files, units, cache lookups and prompts (`_prepare`, `request_for`), but instead of one live
request per file it

1. writes one JSONL line per request (`{"custom_id": "<n>", "body": <the chat request>}`),
   prints the number of requests, the estimated prompt tokens and the estimated cost at batch
   price (`batch_prices.py`), uploads the file and creates the job (`mistral/batch_api.py`);
2. keeps a `JobRecord` under the cache directory (`batch-jobs/<job id>.json`): which files were
   reviewed, and for each custom_id the file, the hash of its text and the units asked about,
   so `--resume JOB_ID` can fold the results in after an interruption;
3. polls the job (`on_poll`: the progress bar) until it ends, downloads its output and error
   files, and folds each answer into findings and the review cache exactly as a live answer is
   (`findings_by_unit`, `cache.record`, `_report`).

A job that ends FAILED, TIMEOUT_EXCEEDED (expired) or CANCELLED sets `result.error` (exit 3),
after folding whatever answers it did produce. A file edited between the job's creation and
`--resume` is not folded (its answers' line numbers are for the old text): it is left
unreviewed and said so. Ctrl-C (KeyboardInterrupt) propagates; `job_id` tells the caller what
to resume.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mistral_lsp.ci import batch_prices
from mistral_lsp.ci.batch import BatchReview, SourceFile, _Plan
from mistral_lsp.logs import redactor
from mistral_lsp.mistral import MistralClient, MistralError
from mistral_lsp.mistral.batch_api import (
    EXPIRED,
    BatchJob,
    BatchOutput,
    create_job,
    download,
    get_job,
    parse_outputs,
    upload_batch_file,
)
from mistral_lsp.options import Settings
from mistral_lsp.review.cache import cache_root
from mistral_lsp.review.prompt import ReplyError, findings_by_unit
from mistral_lsp.review.units import place

RECORD_VERSION = 1
DEFAULT_POLL_SECONDS = 15.0


class RecordError(Exception):
    """`--resume` names a job this machine has no record of; exit 2."""


@dataclasses.dataclass(frozen=True)
class Request:
    path: str
    text_sha256: str
    units: tuple[str, ...]  # digests of the units asked about


@dataclasses.dataclass
class JobRecord:
    job_id: str
    root: str
    model: str
    files: list[str]  # every file of the run, for the same report on resume
    requests: dict[str, Request]

    def to_json(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, "job": self.job_id, "root": self.root, "model": self.model,
                "files": self.files, "created": int(time.time()),
                "requests": {cid: dataclasses.asdict(r) for cid, r in self.requests.items()}}


def record_path(job_id: str) -> Path:
    return cache_root() / "batch-jobs" / f"{job_id.replace('/', '_')}.json"


def save_record(record: JobRecord) -> None:
    path = record_path(record.job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record.to_json(), indent=1), encoding="utf-8")


def load_record(job_id: str) -> JobRecord:
    path = record_path(job_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION:
            raise ValueError("unknown version")
        requests = {cid: Request(r["path"], r["text_sha256"], tuple(r["units"])) for cid, r in data["requests"].items()}
        return JobRecord(data["job"], data["root"], data["model"], list(data["files"]), requests)
    except FileNotFoundError:
        raise RecordError(
            f"no record of batch job {job_id} in {path.parent} (it is written when the job is created, "
            "on the machine that created it); start a new one with --all --batch"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RecordError(f"the record of batch job {job_id} ({path}) is unreadable: {exc}") from None


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BatchJobReview(BatchReview):
    """`BatchReview` through one batch job; `resume` folds in an existing job's results instead."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        files: Sequence[SourceFile],
        *,
        resume: JobRecord | None = None,
        max_tokens: int | None = None,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        on_message: Callable[[str], None] = lambda line: None,
        on_poll: Callable[[BatchJob], None] = lambda job: None,
    ) -> None:
        super().__init__(root, settings, files, max_tokens=max_tokens)
        self.resume = resume
        self.poll_seconds = poll_seconds
        self.on_message = on_message
        self.on_poll = on_poll
        self.job_id: str | None = resume.job_id if resume else None

    async def _dispatch(self, client: MistralClient, plans: list[_Plan]) -> None:
        try:
            await self._through_job(client, plans)
        except MistralError as exc:  # before anything was folded: nothing of `plans` is reviewed
            message = redactor.redact(str(exc))
            if self.job_id is not None:
                message += f"; the job may still run: resume with --resume {self.job_id}"
            self.result.error = f"batch: {message}"
            self.result.unreviewed += [(p.file.key, [u.name for u in p.changed]) for p in plans]

    async def _through_job(self, client: MistralClient, plans: list[_Plan]) -> None:
        record = self.resume or await self._submit(client, self._within_cap(plans))
        if record is None:
            return
        self.result.usage.requests = len(record.requests)
        job = await self._wait(client, record.job_id)
        outputs: list[BatchOutput] = []
        for file_id in (job.output_file, job.error_file):
            if file_id is not None:
                outputs += parse_outputs(await download(client, file_id))
        self._fold(plans, record, outputs)
        usage = self.result.usage
        self.on_message(
            f"batch job {job.id}: {job.status}, {job.succeeded} succeeded, {job.failed} failed of "
            f"{job.total}; {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens; "
            + batch_prices.describe(record.model, usage.prompt_tokens, usage.completion_tokens)
        )
        if job.status == "SUCCESS":
            record_path(record.job_id).unlink(missing_ok=True)
        elif self.result.error is None:
            self.result.error = _ended(job)

    def _within_cap(self, plans: list[_Plan]) -> list[_Plan]:
        """The plans whose estimated prompts fit `max_tokens`; the rest are left unreviewed."""
        if self.max_tokens is None:
            return plans
        kept, total = [], 0
        for plan in plans:
            total += plan.estimate
            if total > self.max_tokens:
                self.result.capped = True
                self.result.unreviewed.append((plan.file.key, [u.name for u in plan.changed]))
            else:
                kept.append(plan)
        return kept

    async def _submit(self, client: MistralClient, plans: list[_Plan]) -> JobRecord | None:
        if not plans:
            return None
        model = await client.resolve_model(self.settings.model)
        requests: dict[str, Request] = {}
        lines = []
        for index, plan in enumerate(plans):
            body = self.request_for(plan).to_body(backend=client.backend, model=model, stream=False)
            for key in ("model", "stream"):  # the job names the model; a batch does not stream
                body.pop(key, None)
            custom_id = str(index)
            lines.append(json.dumps({"custom_id": custom_id, "body": body}, ensure_ascii=False))
            requests[custom_id] = Request(plan.file.key, text_sha256(plan.file.text), tuple(u.digest for u in plan.changed))
        estimate = sum(plan.estimate for plan in plans)
        self.on_message(
            f"batch: {len(lines)} request{'s' if len(lines) != 1 else ''} "
            f"({sum(len(p.changed) for p in plans)} definitions), ~{estimate} prompt tokens (estimated); "
            f"prompts alone: {batch_prices.describe(model, estimate, 0)}"
        )
        file_id = await upload_batch_file(client, "mistral-lsp-review.jsonl", ("\n".join(lines) + "\n").encode())
        job = await create_job(client, file_id, model, {"tool": "mistral-lsp review"})
        self.job_id = job.id
        record = JobRecord(job.id, str(self.root), model, [f.key for f in self.files], requests)
        save_record(record)
        self.on_message(f"batch job {job.id} created; Ctrl-C leaves it running (resume with --resume {job.id})")
        return record

    async def _wait(self, client: MistralClient, job_id: str) -> BatchJob:
        while True:
            job = await get_job(client, job_id)
            self.on_poll(job)
            if not job.running:
                return job
            await asyncio.sleep(self.poll_seconds)

    def _fold(self, plans: list[_Plan], record: JobRecord, outputs: list[BatchOutput]) -> None:
        by_path = {plan.file.key: plan for plan in plans}
        answered: dict[str, set[str]] = {}
        stale: set[str] = set()
        for output in outputs:
            request = record.requests.get(output.custom_id)
            plan = by_path.get(request.path) if request else None
            if request is None or plan is None:
                continue  # not ours, or its units are in the cache by now
            if text_sha256(plan.file.text) != request.text_sha256:
                stale.add(plan.file.key)
            elif units := self._fold_one(plan, output, request):
                answered.setdefault(plan.file.key, set()).update(units)
        self._leftovers(plans, answered, stale, record.job_id)

    def _leftovers(self, plans: list[_Plan], answered: dict[str, set[str]], stale: set[str], job_id: str) -> None:
        """Units without an answer are unreviewed; files edited since the job are an error."""
        for plan in plans:
            left = [u.name for u in plan.changed if u.digest not in answered.get(plan.file.key, set())]
            if left:
                self.result.unreviewed.append((plan.file.key, left))
        if stale and self.result.error is None:
            self.result.error = (
                f"{len(stale)} file{'s' if len(stale) != 1 else ''} changed since batch job {job_id} "
                f"was created ({', '.join(sorted(stale))}); review {'them' if len(stale) != 1 else 'it'} again"
            )

    def _fold_one(self, plan: _Plan, output: BatchOutput, request: Request) -> set[str]:
        """Folds one answer in as a live one is; the digests of the units it reviewed."""
        units = [u for u in plan.changed if u.digest in request.units]
        usage = self.result.usage
        try:
            if output.result is None:
                raise MistralError(output.error or "no answer", None)
            results = findings_by_unit(output.result.text, plan.snap.lines, units, plan.rules)
        except (MistralError, ReplyError) as exc:
            if self.result.error is None:
                self.result.error = f"{plan.file.key}: {redactor.redact(str(exc))}"
            return set()
        if output.result.usage is not None:
            usage.prompt_tokens += output.result.usage.prompt_tokens
            usage.cached_tokens += output.result.usage.cached_tokens
            usage.completion_tokens += output.result.usage.completion_tokens
        usage.reviewed_units += len(units)
        self.cache.record(plan.file.key, results)
        for unit in units:
            self._report(plan.file, plan.snap, unit, place(unit, results[unit.digest], plan.snap.lines))
        return {unit.digest for unit in units}


def _ended(job: BatchJob) -> str:
    why = "expired before it finished" if job.status == EXPIRED else f"ended {job.status}"
    detail = f": {'; '.join(job.errors)}" if job.errors else ""
    return (
        f"batch job {job.id} {why} ({job.status}; {job.succeeded} of {job.total} requests answered){detail}; "
        "run `mistral-lsp review --all --batch` again for what is left"
    )
