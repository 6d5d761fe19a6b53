"""`mistral-lsp review --batch` and `--resume JOB_ID`: the command-line side of `batch_run.py`.

Serves no LSP method. `command.py` hands over the parsed arguments, the workspace root, the
settings and the files; this runs `BatchJobReview` with a progress bar on stderr (succeeded,
failed and total requests of the job, as the API counts them) and turns Ctrl-C into a message
saying the job goes on and how to resume it (exit 130). `resume_target` finds, from the job's
local record, the root and files a `--resume` reports on.

The poll interval is `MISTRAL_LSP_BATCH_POLL_SECONDS` (default 15 s): a job takes minutes to
hours, so each poll is one cheap GET.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from mistral_lsp.ci.batch import BatchResult, SourceFile
from mistral_lsp.ci.batch_run import DEFAULT_POLL_SECONDS, BatchJobReview, JobRecord, load_record
from mistral_lsp.logs import redactor
from mistral_lsp.mistral import ConfigurationError
from mistral_lsp.mistral.batch_api import BatchJob
from mistral_lsp.options import Settings

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
POLL_ENV = "MISTRAL_LSP_BATCH_POLL_SECONDS"


def resume_target(job_id: str, read: Callable[[Path], str | None]) -> tuple[Path, list[SourceFile], JobRecord]:
    """The root, the files (as they are now on disk) and the record of the job to resume."""
    record = load_record(job_id)
    root = Path(record.root)
    files = [SourceFile(name, text) for name in record.files if (text := read(root / name)) is not None]
    return root, files, record


def poll_seconds() -> float:
    raw = os.environ.get(POLL_ENV)
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_POLL_SECONDS
    except ValueError:
        return DEFAULT_POLL_SECONDS


def run_batch(
    root: Path, settings: Settings, files: Sequence[SourceFile], *, max_tokens: int | None, resume: JobRecord | None
) -> BatchResult:
    """The review through a batch job; on Ctrl-C, the resume hint and SystemExit(130)."""
    if settings.backend != "mistral":
        raise ConfigurationError(
            f"--batch needs Mistral's Batch API, and the backend is {settings.backend!r}",
            "drop --batch, or review against https://api.mistral.ai/v1 with backend \"mistral\"",
        )

    def say(line: str) -> None:
        print(f"mistral-lsp review: {redactor.redact(line)}", file=sys.stderr, flush=True)

    with _progress() as on_poll:
        review = BatchJobReview(
            root, settings, files, resume=resume, max_tokens=max_tokens, poll_seconds=poll_seconds(),
            on_message=say, on_poll=on_poll,
        )
        try:
            return asyncio.run(review.run())
        except KeyboardInterrupt:
            pass
    if review.job_id is None:
        say("interrupted before the batch job was created; nothing is running")
    else:
        say(
            f"interrupted; batch job {review.job_id} keeps running on Mistral's side. "
            f"Resume with: mistral-lsp review --resume {review.job_id}"
        )
    raise SystemExit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[BatchJob], None]]:
    """A bar on a terminal; elsewhere (CI logs) one line each time the job's counts change."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("batch job"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        console=console, transient=True, disable=not console.is_terminal,
    )
    task = progress.add_task("", total=None)
    last: list[tuple[str, int, int, int]] = []

    def on_poll(job: BatchJob) -> None:
        counts = (job.status, job.succeeded, job.failed, job.total)
        description = f"{job.status}: {job.succeeded} succeeded, {job.failed} failed, {job.total} total"
        progress.update(task, total=job.total or None, completed=job.completed, description=description)
        if not console.is_terminal and counts not in last:
            last.append(counts)
            print(f"mistral-lsp review: batch job {job.id} {description}", file=sys.stderr, flush=True)

    with progress:
        yield on_poll
