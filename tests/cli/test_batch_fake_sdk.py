"""The official `mistralai` SDK drives the fake's Files and Batch endpoints and reads every reply
into its models (`CreateFileResponse`, `BatchJob`): proof the fake `--batch` is tested against
speaks the real wire format."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.models import BatchJob, CreateFileResponse

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply
from tests.cli.conftest import API_KEY

LINES = [
    {"custom_id": "a", "body": {"max_tokens": 50, "messages": [{"role": "user", "content": "First?"}]}},
    {"custom_id": "b", "body": {"max_tokens": 50, "messages": [{"role": "user", "content": "Second?"}]}},
]


@pytest.fixture
def sdk(fake: FakeMistralAPI) -> Iterator[Mistral]:
    with Mistral(api_key=API_KEY, server_url=fake.base_url.removesuffix("/v1")) as client:
        yield client


def upload(sdk: Mistral, lines: list[dict[str, object]]) -> CreateFileResponse:
    content = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return sdk.files.upload(file={"file_name": "requests.jsonl", "content": content}, purpose="batch")


def test_the_sdk_uploads_runs_a_job_and_downloads_its_output(fake: FakeMistralAPI, sdk: Mistral) -> None:
    fake.enqueue(Reply(text="One."), Reply(status=400))

    uploaded = upload(sdk, LINES)
    assert isinstance(uploaded, CreateFileResponse)
    assert (uploaded.purpose, uploaded.filename, uploaded.num_lines) == ("batch", "requests.jsonl", 2)
    created = sdk.batch.jobs.create(input_files=[uploaded.id], endpoint="/v1/chat/completions",
                                    model="mistral-medium-3-5", metadata={"run": "1"})
    assert isinstance(created, BatchJob)
    assert (created.total_requests, created.input_files, created.model) == (2, [uploaded.id], "mistral-medium-3-5")

    fake.batches.wait_for_job(lambda job: job.status == "SUCCESS")
    done = sdk.batch.jobs.get(job_id=created.id)
    assert (done.status, done.succeeded_requests, done.failed_requests, done.completed_requests) == ("SUCCESS", 1, 1, 2)
    assert done.output_file and done.error_file

    [output] = [json.loads(row) for row in sdk.files.download(file_id=done.output_file).read().splitlines()]
    assert output["custom_id"] == "a"
    assert output["response"]["status_code"] == 200
    assert output["response"]["body"]["choices"][0]["message"]["content"] == "One."
    [error] = [json.loads(row) for row in sdk.files.download(file_id=done.error_file).read().splitlines()]
    assert (error["custom_id"], error["response"]["status_code"]) == ("b", 400)
    # Each line ran through the chat endpoint's machinery with the job's model.
    assert [body["model"] for body in fake.batches.executed] == ["mistral-medium-3-5"] * 2


def test_the_sdk_cancels_a_running_job(fake: FakeMistralAPI, sdk: Mistral) -> None:
    fake.batches.hold()
    uploaded = upload(sdk, LINES)
    created = sdk.batch.jobs.create(input_files=[uploaded.id], endpoint="/v1/chat/completions",
                                    model="mistral-medium-3-5")
    fake.batches.wait_for_job(lambda job: job.status == "RUNNING")

    cancelling = sdk.batch.jobs.cancel(job_id=created.id)
    assert cancelling.status == "CANCELLATION_REQUESTED"
    fake.batches.release()

    fake.batches.wait_for_job(lambda job: job.status == "CANCELLED")
    assert sdk.batch.jobs.get(job_id=created.id).status == "CANCELLED"


def test_a_job_with_an_unknown_field_or_file_is_refused_as_the_api_does(fake: FakeMistralAPI, sdk: Mistral) -> None:
    uploaded = upload(sdk, LINES)
    refused = httpx.post(  # the SDK itself never sends such keys
        f"{fake.base_url}/batch/jobs", headers={"Authorization": f"Bearer {API_KEY}"},
        json={"input_files": [uploaded.id], "endpoint": "/v1/chat/completions", "model": "m", "seed": 1},
    )
    assert refused.status_code == 422
    assert refused.json()["message"]["detail"][0]["loc"] == ["body", "seed"]
    missing = httpx.post(
        f"{fake.base_url}/batch/jobs", headers={"Authorization": f"Bearer {API_KEY}"},
        json={"input_files": ["no-such-file"], "endpoint": "/v1/chat/completions", "model": "mistral-medium-3-5"},
    )
    assert missing.status_code == 404
