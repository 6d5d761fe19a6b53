"""`mistral-lsp review --all --batch`: the live review's requests as one Batch API job against the
loopback fake (upload, job, polls, output folded into findings, cache and SARIF), `--resume`
after Ctrl-C, and a failed or expired job (exit 3)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from mistral_lsp.testing.fake_api import FakeMistralAPI, RecordedRequest
from tests.cli.conftest import Repo, chat_requests, functions
from tests.cli.test_review_sarif import validated

POLL = {"MISTRAL_LSP_BATCH_POLL_SECONDS": "0.02"}


def batch_requests(fake: FakeMistralAPI) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.path.startswith(("/v1/files", "/v1/batch"))]


def project(repo: Repo) -> None:
    repo.write("app/models.py", functions(["load", "save", "merge"], {"save": "  # BUG"}))
    repo.write("app/views.py", functions(["index", "detail"], {"detail": "  # SMELL"}))
    repo.write("README.md", "# project\n")
    repo.commit("initial")


def wait_for_poll(fake: FakeMistralAPI, job_id: str) -> None:
    """Until the command polled the job: its record is written by then (nothing is slept)."""
    seen = 0
    while not any(r.method == "GET" and r.path == f"/v1/batch/jobs/{job_id}" for r in fake.requests):
        seen = len(fake.wait_for_requests(seen + 1, timeout=30))


def test_all_batch_uploads_one_jsonl_runs_the_job_and_reports_like_live(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)

    report, done = repo.review_json("--all", "--batch", **POLL)

    assert not chat_requests(fake), "a batch review makes no live chat request"
    upload, create = (r for r in batch_requests(fake) if r.method == "POST")
    assert (upload.path, upload.json["purpose"]) == ("/v1/files", "batch")
    assert create.path == "/v1/batch/jobs"
    assert create.json["endpoint"] == "/v1/chat/completions"
    assert create.json["model"] == "mistral-medium-3-5"
    [job] = fake.batches.jobs.values()
    assert create.json["input_files"] == job.input_files
    # One request per file with definitions not in the cache, holding the live review's prompt.
    lines = [json.loads(row) for row in fake.batches.files[job.input_files[0]].content.decode().splitlines()]
    assert sorted(line["custom_id"] for line in lines) == ["0", "1"]
    assert "def save(value):" in json.dumps(lines[0]["body"]["messages"])
    assert lines[0]["body"]["response_format"]["type"] == "json_schema"
    polls = [r for r in batch_requests(fake) if r.method == "GET" and r.path == f"/v1/batch/jobs/{job.id}"]
    assert polls and all(r.headers["Authorization"].startswith("Bearer ") for r in polls)
    assert [r.path for r in batch_requests(fake) if "/content" in r.path] == [f"/v1/files/{job.output_file}/content"]

    found = {(f["path"], f["line"], f["severity"], f["definition"]) for f in report["findings"]}
    assert found == {("app/models.py", 7, "error", "save"), ("app/views.py", 7, "warning", "detail")}
    assert report["usage"]["requests"] == 2
    assert report["usage"]["reviewedUnits"] == 5
    assert report["usage"]["promptTokens"] > 0 and report["usage"]["completionTokens"] > 0
    assert done.returncode == 1
    assert "batch: 2 requests (5 definitions), ~" in done.stderr
    assert "at batch price" in done.stderr and "live" in done.stderr
    assert f"batch job {job.id} SUCCESS: 2 succeeded, 0 failed, 2 total" in done.stderr

    # The answers went to the review cache: the live review now sends nothing.
    again, _ = repo.review_json("--all")
    assert not chat_requests(fake)
    assert again["usage"]["cachedUnits"] == 5
    assert {(f["path"], f["line"]) for f in again["findings"]} == {(p, n) for p, n, _, _ in found}


def test_batch_sarif_matches_the_live_review_sarif(repo: Repo, fake: FakeMistralAPI, tmp_path: Path) -> None:
    project(repo)
    # As docs/ci.md shows it.
    done = repo.review("--all", "--batch", "--format", "sarif", "-o", "review.sarif", **POLL)
    assert done.returncode == 1, done.stderr
    batch = validated((repo.root / "review.sarif").read_text(encoding="utf-8"))
    live = validated(repo.review("--all", "--format", "sarif", MISTRAL_LSP_CACHE_DIR=str(tmp_path / "other")).stdout)

    def results(log: dict[str, Any]) -> list[tuple[str, str, int, str]]:
        return sorted(
            (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
             next(iter(r["partialFingerprints"].values())))
            for r in log["runs"][0]["results"]
        )

    assert len(chat_requests(fake)) == 2  # the live run only
    assert results(batch) == results(live) and len(results(batch)) == 2


def test_a_failed_job_is_an_error_with_exit_3(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)
    fake.batches.end_as = "FAILED"

    done = repo.review("--all", "--batch", **POLL)

    assert done.returncode == 3, done.stderr
    assert "ended FAILED" in done.stdout + done.stderr
    assert "Internal error while processing the batch" in done.stdout + done.stderr


def test_an_expired_job_is_an_error_with_exit_3_and_says_so(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)
    fake.batches.end_as = "TIMEOUT_EXCEEDED"

    report, done = repo.review_json("--all", "--batch", **POLL)

    assert done.returncode == 3
    assert "expired before it finished (TIMEOUT_EXCEEDED" in report["error"]


def test_ctrl_c_leaves_the_job_running_and_resume_folds_its_results(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)
    fake.batches.hold()
    command = subprocess.Popen(
        [sys.executable, "-I", "-m", "mistral_lsp", "review", "--all", "--batch"], cwd=repo.root,
        env=repo.env(**POLL), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        job = fake.batches.wait_for_job()
        wait_for_poll(fake, job.id)
        command.send_signal(signal.SIGINT)
        _, stderr = command.communicate(timeout=30)
    finally:
        command.kill()
    assert command.returncode == 130, stderr
    assert f"batch job {job.id} keeps running" in stderr
    assert f"Resume with: mistral-lsp review --resume {job.id}" in stderr
    assert job.status == "RUNNING"
    assert not [r for r in fake.requests if r.path.endswith("/cancel")]

    fake.batches.release()
    report, done = repo.review_json("--resume", job.id, **POLL)

    assert done.returncode == 1, done.stderr
    assert {(f["path"], f["line"]) for f in report["findings"]} == {("app/models.py", 7), ("app/views.py", 7)}
    assert len(fake.batches.jobs) == 1, "resume creates no second job"
    assert not list((repo.cache / "batch-jobs").iterdir()), "the record goes once the job is folded in"
    again, _ = repo.review_json("--all")
    assert again["usage"]["cachedUnits"] == 5 and not chat_requests(fake)


def test_resume_leaves_a_file_edited_since_the_job_unreviewed(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)
    fake.batches.hold()
    command = subprocess.Popen(
        [sys.executable, "-I", "-m", "mistral_lsp", "review", "--all", "--batch"], cwd=repo.root,
        env=repo.env(**POLL), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        job = fake.batches.wait_for_job()
        wait_for_poll(fake, job.id)
        command.send_signal(signal.SIGINT)
        command.communicate(timeout=30)
    finally:
        command.kill()
    repo.write("app/views.py", "\n\n" + functions(["index", "detail"], {"detail": "  # SMELL"}))
    fake.batches.release()

    report, done = repo.review_json("--resume", job.id, **POLL)

    assert done.returncode == 3
    assert "changed since batch job" in report["error"] and "app/views.py" in report["error"]
    assert {f["path"] for f in report["findings"]} == {"app/models.py"}
    assert report["unreviewed"] == [{"path": "app/views.py", "definitions": ["index", "detail"]}]


def test_resume_of_an_unknown_job_is_a_usage_error(repo: Repo) -> None:
    project(repo)
    done = repo.review("--resume", "0b8f0c7e-unknown")
    assert done.returncode == 2
    assert "no record of batch job 0b8f0c7e-unknown" in done.stderr


def test_an_api_refusal_before_the_job_is_a_clear_error_with_exit_3(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)

    report, done = repo.review_json("--all", "--batch", MISTRAL_API_KEY="sk-wrong-key-0000", **POLL)

    assert done.returncode == 3
    assert report["error"].startswith("batch: ") and "401" in report["error"]
    assert "Traceback" not in done.stderr
    assert not fake.batches.jobs
    assert {u["path"] for u in report["unreviewed"]} == {"app/models.py", "app/views.py"}


def test_batch_against_an_openai_style_server_is_refused_before_any_request(repo: Repo, fake: FakeMistralAPI) -> None:
    project(repo)
    repo.write("mistral-lsp.toml", 'backend = "openai"\n')

    done = repo.review("--all", "--batch")

    assert done.returncode == 2
    assert "--batch needs Mistral's Batch API, and the backend is 'openai'" in done.stderr
    assert not fake.requests
