"""`mistral-lsp review` on a temporary git repository against the fake API: what is sent,
the cache shared with review on save, the exit codes, the token cap, failures, the key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mistral_lsp.testing.fake_api import Reply
from tests.cli.conftest import API_KEY, Repo, chat_requests, functions, prompt_of

NAMES = ["parse", "validate", "render", "store", "load"]


def test_only_the_changed_definitions_are_sent(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.write("other.py", functions(["untouched"]))
    repo.commit("initial")
    repo.write("app.py", functions([*NAMES, "export"], {"render": "  # BUG"}))

    report, done = repo.review_json("--diff", "HEAD")

    [request] = chat_requests(repo.fake)
    prompt = prompt_of(request)
    # The changed function and the new one, as code; the others only as outline rows.
    assert "| def render(value):" in prompt and "| def export(value):" in prompt
    for unchanged in ("parse", "validate", "store", "load"):
        assert f"| def {unchanged}(value):" not in prompt
    assert "untouched" not in prompt
    [finding] = report["findings"]
    assert (finding["path"], finding["line"], finding["severity"]) == ("app.py", 12, "error")
    assert finding["definition"] == "render"
    assert report["usage"]["units"] == 2 and report["usage"]["requests"] == 1
    assert done.returncode == 1


def test_a_second_run_over_the_same_diff_hits_the_cache(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"store": "  # SMELL", "load": "  # BUG"}))

    first, _ = repo.review_json("--diff", "HEAD")
    assert len(chat_requests(repo.fake)) == 1
    # No key at all the second time: nothing is sent, so none is needed.
    second, done = repo.review_json("--diff", "HEAD", MISTRAL_API_KEY=None)

    assert len(chat_requests(repo.fake)) == 1
    assert second["findings"] == first["findings"] and len(second["findings"]) == 2
    assert second["usage"]["cachedUnits"] == 2 and second["usage"]["requests"] == 0
    assert done.returncode == 1  # the cached error still fails the check


def test_text_output_and_its_usage_line(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"validate": "  # SMELL"}))

    done = repo.review("--diff", "HEAD")

    lines = done.stdout.splitlines()
    assert lines[0] == "app.py:7:5: warning: Marked warning — Line 7 is marked # SMELL."
    assert lines[-1].startswith("mistral-lsp review: 1 unit (0 from cache, 1 reviewed), 1 request, ")
    assert "prompt tokens" in lines[-1] and "completion tokens" in lines[-1]
    assert done.returncode == 0  # a warning does not fail the default --fail-on error


def test_staged_reviews_what_is_being_committed(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"parse": "  # BUG"}))
    repo.git("add", "app.py")
    # Changed again on disk after staging: the hook must review the staged text.
    repo.write("app.py", functions(NAMES, {"parse": "  # fixed", "load": "  # BUG"}))

    report, done = repo.review_json("--staged")

    assert [f["definition"] for f in report["findings"]] == ["parse"]
    assert "# fixed" not in prompt_of(chat_requests(repo.fake)[0])
    assert done.returncode == 1


@pytest.mark.parametrize(
    ("marks", "fail_on", "code"),
    [
        ({}, "error", 0),
        ({"render": "  # SMELL"}, "error", 0),
        ({"render": "  # SMELL"}, "warning", 1),
        ({"render": "  # BUG"}, "error", 1),
        ({"render": "  # BUG"}, "never", 0),
    ],
)
def test_exit_code_follows_fail_on(repo: Repo, marks: dict[str, str], fail_on: str, code: int) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, marks) + "\n# touched\n")
    assert repo.review("--diff", "HEAD", "--fail-on", fail_on, "--format", "json").returncode == code


def test_usage_and_configuration_errors_exit_2(repo: Repo, tmp_path: Path) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"render": "  # BUG"}))
    outside = tmp_path / "not-a-repo"
    outside.mkdir()

    assert repo.review("--diff", "no-such-revision").returncode == 2
    assert repo.review().returncode == 2  # neither paths nor a diff
    assert repo.review("--staged", cwd=outside).returncode == 2
    missing_key = repo.review("--diff", "HEAD", MISTRAL_API_KEY=None)
    assert missing_key.returncode == 2 and "MISTRAL_API_KEY" in missing_key.stderr
    repo.write("mistral-lsp.toml", 'maxRetries = "many"\n')
    bad = repo.review("--diff", "HEAD")
    assert bad.returncode == 2 and "maxRetries" in bad.stderr
    assert chat_requests(repo.fake) == []


def test_the_token_cap_stops_the_run_and_names_what_was_left(repo: Repo) -> None:
    for name in ("a.py", "b.py", "c.py"):
        repo.write(name, functions(NAMES))
    repo.commit("initial")
    for name in ("a.py", "b.py", "c.py"):
        repo.write(name, functions(NAMES, {"parse": "  # SMELL", "load": "  # SMELL"}))
    repo.fake.responder = None
    repo.fake.default_reply = Reply(
        text='{"findings": []}', usage={"prompt_tokens": 900, "completion_tokens": 100, "total_tokens": 1000}
    )

    report, done = repo.review_json("--diff", "HEAD", "--max-tokens", "1500", "--jobs", "1")

    assert len(chat_requests(repo.fake)) == 1  # 1,000 spent; another request would pass 1,500
    assert report["capped"] is True
    assert report["unreviewed"] == [
        {"path": "b.py", "definitions": ["parse", "load"]},
        {"path": "c.py", "definitions": ["parse", "load"]},
    ]
    assert "--max-tokens cap (1500) was reached" in done.stderr and "b.py: parse, load" in done.stderr
    assert done.returncode == 0
    # The reviewed file is cached: raising the cap reviews only what was left.
    repo.review_json("--diff", "HEAD", "--jobs", "1")
    assert len(chat_requests(repo.fake)) == 3


def test_a_429_storm_is_retried_then_reported_with_exit_3(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"render": "  # BUG"}))
    repo.write("mistral-lsp.toml", "maxRetries = 2\n")
    repo.fake.responder = None
    repo.fake.default_reply = Reply(status=429, retry_after=0)

    done = repo.review("--diff", "HEAD")

    assert len(chat_requests(repo.fake)) == 3  # the first try and two retries
    assert done.returncode == 3
    assert "429" in done.stderr or "rate limit" in done.stderr.lower()
    assert "left unreviewed (the API failed)" in done.stdout and "app.py: render" in done.stdout


def test_the_key_never_appears_in_any_output(repo: Repo, tmp_path: Path) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"render": "  # BUG"}))
    outputs = []
    for fmt in ("text", "json", "sarif", "github"):
        target = tmp_path / f"report.{fmt}"
        done = repo.review("--diff", "HEAD", "--format", fmt, "--output", str(target), "--jobs", "1")
        outputs += [done.stdout, done.stderr, target.read_text(encoding="utf-8")]
    # Failures with debug logging: a wrong key (401), then a server that echoes the key back.
    wrong = repo.review("-vv", "app.py", MISTRAL_API_KEY=API_KEY[::-1])
    repo.fake.responder = None
    repo.fake.default_reply = Reply(status=400, body={"message": f"bad request from {API_KEY}"})
    echoed = repo.review("app.py", "--format", "sarif")
    outputs += [wrong.stdout, wrong.stderr, echoed.stdout, echoed.stderr]
    assert wrong.returncode == 3 and echoed.returncode == 3
    for cache_file in (repo.cache / "reviews").glob("*.json"):
        outputs.append(cache_file.read_text(encoding="utf-8"))
    for text in outputs:
        assert API_KEY not in text and API_KEY[::-1] not in text


def test_settings_come_from_pyproject_and_the_environment_wins(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.mistral-lsp]\nbaseUrl = "http://127.0.0.1:9/v1"\nreviewExclude = ["gen/**"]\n')
    repo.write("app.py", functions(NAMES))
    repo.write("gen/made.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"load": "  # BUG"}))
    repo.write("gen/made.py", functions(NAMES, {"load": "  # BUG"}))

    report, _ = repo.review_json("--diff", "HEAD")  # MISTRAL_BASE_URL (the fake) beats the file

    assert [f["path"] for f in report["findings"]] == ["app.py"]
    assert report["skipped"] == [{"path": "gen/made.py", "reason": "excluded by mistral.reviewExclude pattern 'gen/**'"}]
    # mistral-lsp.toml, when present, is the one file read; a key in it is refused.
    repo.write("mistral-lsp.toml", 'apiKey = "sk-in-a-file"\n')
    refused = repo.review("--diff", "HEAD")
    assert refused.returncode == 2 and "MISTRAL_API_KEY" in refused.stderr


def test_the_review_path_loads_no_pygls() -> None:
    code = (
        "import sys\n"
        "from mistral_lsp.cli import _parser\n"
        "import mistral_lsp.ci.batch, mistral_lsp.ci.command, mistral_lsp.ci.sarif\n"
        "_parser().parse_args(['review', '--diff', 'HEAD'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pygls'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


def test_requests_respect_max_concurrent_requests(repo: Repo) -> None:
    names = [f"m{n}.py" for n in range(4)]
    for name in names:
        repo.write(name, functions(NAMES))
    repo.commit("initial")
    for name in names:
        repo.write(name, functions(NAMES, {"parse": "  # SMELL"}))
    repo.write("mistral-lsp.toml", "maxConcurrentRequests = 2\n")
    repo.fake.responder = None
    repo.fake.default_reply = Reply(text='{"findings": []}', delay_before_first_byte=0.4)

    assert repo.review("--diff", "HEAD").returncode == 0

    sent = sorted(r.time for r in chat_requests(repo.fake))
    assert len(sent) == 4
    # Two at a time: the third and fourth wait for a slot, i.e. for an answer (0.4 s) to end.
    assert sent[2] - sent[0] >= 0.4 and sent[3] - sent[1] >= 0.4
