"""Harness for `mistral-lsp review`: a temporary git repository, the loopback fake API, and the
command run as a user runs it (a subprocess of `python -m mistral_lsp review`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI, RecordedRequest, Reply

API_KEY = "sk-review-" + "7c1e9a3f5b2d4e81" * 2
SCHEMA = Path(__file__).parent.parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
# A line of code with one of these comments gets a finding of that severity from the fake reviewer.
MARKERS = {"# BUG": "error", "# SMELL": "warning"}
_NUMBERED = re.compile(r"^\s*(\d+) ?\| (.*)$")


def prompt_of(request: RecordedRequest) -> str:
    return "\n".join(str(m.get("content")) for m in request.json["messages"])


def numbered_rows(prompt: str) -> list[tuple[int, str]]:
    """Each line of the prompt's code blocks that has a line number, with its number: shown
    (`12 | code`, `15| code`) or, as a model does with sparse anchors, counted from the last one."""
    rows: list[tuple[int, str]] = []
    number: int | None = None
    for row in prompt.split("\n"):
        if row.startswith("```"):
            number = None
            continue
        match = _NUMBERED.match(row)
        if match:
            number = int(match.group(1))
            rows.append((number, match.group(2)))
        elif number is not None:
            number += 1
            rows.append((number, row))
    return rows


def reviewer(body: Any) -> Reply:
    """Answers like a reviewer: a finding on every numbered line of the prompt holding a marker
    (the replacement drops the marker), nothing else."""
    findings = []
    prompt = "\n".join(str(m.get("content")) for m in body["messages"])
    for number, code in numbered_rows(prompt):
        for marker, severity in MARKERS.items():
            if marker in code:
                findings.append({
                    "startLine": number, "endLine": number, "severity": severity, "category": "bug",
                    "title": f"Marked {severity}", "message": f"Line {number} is marked {marker}.",
                    "snippet": code.strip(), "replacement": code.split(marker)[0].rstrip(),
                })
    return Reply(text=json.dumps({"findings": findings}))


def chat_requests(fake: FakeMistralAPI) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.path.endswith("/chat/completions")]


class Repo:
    """A git repository in a temporary folder, and `review` to run the command in it."""

    def __init__(self, root: Path, fake: FakeMistralAPI, cache: Path) -> None:
        self.root = root
        self.fake = fake
        self.cache = cache
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "user.name", "Test")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str = "change") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def env(self, **overrides: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MISTRAL", "GITHUB_"))}
        env.update(MISTRAL_API_KEY=API_KEY, MISTRAL_BASE_URL=self.fake.base_url,
                   MISTRAL_LSP_CACHE_DIR=str(self.cache))
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def review(self, *args: str, cwd: Path | None = None, **env: str | None) -> subprocess.CompletedProcess[str]:
        # -I: as the `mistral-lsp` script runs, without the repository's own files on sys.path.
        return subprocess.run(
            [sys.executable, "-I", "-m", "mistral_lsp", "review", *args], cwd=cwd or self.root,
            env=self.env(**env), capture_output=True, text=True, timeout=60, check=False,
        )

    def review_json(self, *args: str, **env: str | None) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
        done = self.review(*args, "--format", "json", **env)
        assert done.stdout, done.stderr
        return json.loads(done.stdout), done


@pytest.fixture
def fake() -> Iterator[FakeMistralAPI]:
    with FakeMistralAPI(api_key=API_KEY, responder=reviewer) as api:
        yield api


@pytest.fixture
def repo(tmp_path: Path, fake: FakeMistralAPI) -> Repo:
    root = tmp_path / "project"
    root.mkdir()
    return Repo(root, fake, tmp_path / "cache")


def functions(names: list[str], marked: dict[str, str] | None = None) -> str:
    """A Python module with one small function per name; `marked[name]` ends its body's line."""
    marked = marked or {}
    out = []
    for name in names:
        out += [f"def {name}(value):", f"    result = value * 2{marked.get(name, '')}",
                "    return result", "", ""]
    return "\n".join(out)
