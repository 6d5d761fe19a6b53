"""`mistral-lsp review --format sarif`: valid SARIF 2.1.0 (the official schema, kept in
tests/fixtures/sarif), usable by code scanning — rules, locations, fixes, stable fingerprints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema

from tests.cli.conftest import SCHEMA, Repo, chat_requests, functions

NAMES = ["parse", "validate", "render"]


def validated(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)  # raises with the offending path
    return log


def test_sarif_validates_and_carries_rules_locations_fixes(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"validate": "  # BUG", "render": "  # SMELL"}))

    done = repo.review("--diff", "HEAD", "--format", "sarif")

    log = validated(done.stdout)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [
        "mistral-lsp/bug", "mistral-lsp/security", "mistral-lsp/performance",
        "mistral-lsp/correctness", "mistral-lsp/style", "mistral-lsp/maintainability",
    ]
    error, warning = run["results"]
    assert (error["level"], warning["level"]) == ("error", "warning")
    assert rules[error["ruleIndex"]]["id"] == error["ruleId"] == "mistral-lsp/bug"
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    region = location["region"]
    assert (region["startLine"], region["startColumn"]) == (7, 5)
    assert region["snippet"]["text"] == "result = value * 2  # BUG"
    [change] = error["fixes"][0]["artifactChanges"]
    assert change["replacements"][0]["insertedContent"]["text"] == "    result = value * 2"
    assert change["replacements"][0]["deletedRegion"]["startLine"] == 7
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.root.resolve().as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert done.returncode == 1


def test_a_finding_keeps_its_fingerprint_when_its_code_moves(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"render": "  # BUG"}))
    before = validated(repo.review("--diff", "HEAD", "--format", "sarif").stdout)
    repo.commit("the bug lands")
    # New code above it moves the finding down four lines; its definition is unchanged.
    repo.write("app.py", functions(["first", *NAMES], {"render": "  # BUG"}))

    after = validated(repo.review("app.py", "--format", "sarif").stdout)

    [old] = before["runs"][0]["results"]
    [new] = after["runs"][0]["results"]
    moved = new["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert moved == old["locations"][0]["physicalLocation"]["region"]["startLine"] + 5
    assert new["partialFingerprints"] == old["partialFingerprints"]
    assert len(chat_requests(repo.fake)) == 2  # the second run sent only `first` and the module


def test_an_incomplete_run_says_so_in_the_invocation(repo: Repo) -> None:
    repo.write("app.py", functions(NAMES))
    repo.write("b.py", functions(NAMES))
    repo.commit("initial")
    repo.write("app.py", functions(NAMES, {"render": "  # BUG"}))
    repo.write("b.py", functions(NAMES, {"render": "  # BUG"}))

    log = validated(repo.review("--diff", "HEAD", "--format", "sarif", "--max-tokens", "1", "--fail-on", "never").stdout)

    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == ["app.py", "b.py"]
    assert all("--max-tokens" in n["message"]["text"] for n in notes)
    assert chat_requests(repo.fake) == []


def test_review_of_this_repository_last_commit_validates(repo: Repo) -> None:
    """The acceptance check: `mistral-lsp review --diff HEAD~1 --format sarif` on this
    repository itself, against the fake (which answers with a finding per reviewed block)."""
    project = Path(__file__).resolve().parents[2]
    assert (project / ".git").exists(), "the tests run from a git checkout of mistral-lsp"
    subprocess.run(["git", "rev-parse", "--verify", "HEAD~1"], cwd=project, check=True, capture_output=True)
    repo.fake.responder = first_line_reviewer

    done = repo.review("--diff", "HEAD~1", "--format", "sarif", "--fail-on", "never", cwd=project)

    assert done.returncode == 0, done.stderr
    log = validated(done.stdout)
    changed = subprocess.run(["git", "diff", "--name-only", "HEAD~1"], cwd=project, check=True,
                             capture_output=True, text=True).stdout.split()
    if any(name.endswith(".py") for name in changed):
        assert chat_requests(repo.fake), "the last commit changed Python code: it is reviewed"
        assert log["runs"][0]["results"], "the fake's findings are in the log"


def first_line_reviewer(body: Any) -> Any:
    """A finding (with a replacement) on the first code line of each block the prompt shows."""
    from tests.cli.conftest import _NUMBERED, Reply

    prompt = "\n".join(str(m.get("content")) for m in body["messages"])
    findings, in_block = [], False
    for row in prompt.split("\n"):
        match = _NUMBERED.match(row)
        if match and not in_block and match.group(2).strip():
            number, code = int(match.group(1)), match.group(2)
            findings.append({"startLine": number, "endLine": number, "severity": "warning",
                             "category": "maintainability", "title": "Checked", "message": "A finding.",
                             "snippet": code.strip(), "replacement": code})
        in_block = bool(match)
    return Reply(text=json.dumps({"findings": findings}))
