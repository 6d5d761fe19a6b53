"""The fake API itself: validation like the real API, the HTTP control API that non-Python
harnesses use, and the CLI that subprocess tests start."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def http(fake: FakeMistralAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url.removesuffix("/v1")) as client:
        yield client


def chat(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/v1/chat/completions", headers=AUTH,
                     json={"model": "mistral-medium-3-5", "messages": USER, **body})


def test_unknown_keys_get_the_documented_422(http: httpx.Client) -> None:
    response = chat(http, seed=1, max_completion_tokens=5)
    assert response.status_code == 422
    body = response.json()
    assert body["object"] == "error" and body["type"] == "invalid_request_error"
    problems = body["message"]["detail"]
    assert [(p["type"], p["loc"]) for p in problems] == [
        ("extra_forbidden", ["body", "seed"]), ("extra_forbidden", ["body", "max_completion_tokens"])]


def test_unsupported_reasoning_effort_and_missing_fields_are_422(http: httpx.Client) -> None:
    assert chat(http, reasoning_effort="medium").status_code == 422
    response = http.post("/v1/fim/completions", headers=AUTH, json={"model": "codestral-latest"})
    assert response.status_code == 422
    assert response.json()["message"]["detail"][0]["loc"] == ["body", "prompt"]


def test_wrong_or_missing_key_is_401(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "x", "messages": USER})
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
    response = http.get("/v1/models", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_unknown_model_and_bad_role_order_are_400(http: httpx.Client) -> None:
    response = chat(http, model="mistral-medium-3.5")
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid model: mistral-medium-3.5"
    response = chat(http, messages=[*USER, {"role": "assistant", "content": "x"}])
    assert response.status_code == 400
    assert response.json()["type"] == "invalid_request_message_order"


def test_models_and_a_single_card(http: httpx.Client) -> None:
    listing = http.get("/v1/models", headers=AUTH).json()
    assert listing["object"] == "list"
    assert "mistral-medium-3-5" in [card["id"] for card in listing["data"]]
    card = http.get("/v1/models/mistral-medium-latest", headers=AUTH).json()
    assert card["id"] == "mistral-medium-3-5"


def test_the_control_api_scripts_replies_and_reports_requests(
    fake: FakeMistralAPI, http: httpx.Client
) -> None:
    queued = http.post("/_fake/replies", json=[{"text": "first"}, {"status": 503}])
    assert queued.json() == {"queued": 2}
    assert chat(http).json()["choices"][0]["message"]["content"] == "first"
    assert chat(http).status_code == 503
    http.post("/_fake/default_reply", json={"text": "default"})
    assert chat(http).json()["choices"][0]["message"]["content"] == "default"
    requests = http.get("/_fake/requests").json()
    assert [r["path"] for r in requests] == ["/v1/chat/completions"] * 3
    assert requests[0]["json"]["model"] == "mistral-medium-3-5"
    assert http.get("/_fake/disconnects").json() == []
    assert http.post("/_fake/replies", json={"txt": "typo"}).status_code == 400
    http.post("/_fake/reset")
    assert http.get("/_fake/requests").json() == []
    assert fake.requests == []


def test_a_held_stream_pauses_mid_answer_until_released(
    fake: FakeMistralAPI, http: httpx.Client
) -> None:
    """What editor tests use to look at a run mid-stream: the first deltas arrive, the rest waits
    for `/_fake/release`, then the whole answer and [DONE] follow."""
    http.post("/_fake/replies", json={"text": "one two three", "chunks": ["one ", "two ", "three"],
                                      "hold_after_chunks": 2})
    with http.stream("POST", "/v1/chat/completions", headers=AUTH,
                     json={"model": "mistral-medium-3-5", "messages": USER, "stream": True}) as response:
        lines = response.iter_lines()
        deltas: list[str] = []
        while len(deltas) < 2:
            line = next(lines)
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"].get("content")
                deltas += [delta] if delta else []
        assert deltas == ["one ", "two "]
        assert http.post("/_fake/release").json() == {"ok": True}
        rest = [line for line in lines if line.startswith("data: ")]
    assert "three" in "".join(rest) and rest[-1] == "data: [DONE]"


def test_a_responder_answers_from_the_request(fake: FakeMistralAPI, http: httpx.Client) -> None:
    fake.responder = lambda body: Reply(text=f"you said {body['messages'][-1]['content']}")
    assert chat(http).json()["choices"][0]["message"]["content"] == "you said hi"


def test_the_cli_serves_scripted_replies_until_killed(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([{"text": "from the file"}]))
    process = subprocess.Popen(
        [sys.executable, "-m", "mistral_lsp.testing.fake_api", "--api-key", "k",
         "--replies", str(replies)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().split()
        assert ready[0] == "READY" and ready[1].startswith("http://127.0.0.1:")
        response = httpx.post(ready[1] + "/chat/completions", headers={"Authorization": "Bearer k"},
                              json={"model": "codestral-latest", "messages": USER})
        assert response.json()["choices"][0]["message"]["content"] == "from the file"
    finally:
        process.terminate()
        assert process.wait(10) == 0
