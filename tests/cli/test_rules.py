"""Review rules in `mistral-lsp review` and `mistral-lsp rules`: a rule's findings carry its id
and severity into the JSON report and SARIF (validated against the 2.1.0 schema), only the
rules matching a file are in its prompt, a rule change re-reviews only what the rule covers,
and every problem of a rule file is reported as `file:line: message` with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply
from tests.cli.conftest import Repo, chat_requests, functions, numbered_rows, reviewer
from tests.cli.test_review_sarif import validated

NO_PRINT = """\
---
id: no-print
severity: error
title: Use our logger, not print
languages: [python]
globs: ["src/**/*.py"]
---
Output goes through `log = logging.getLogger(__name__)`; never `print`.
"""


def rule_reviewer(body: Any) -> Reply:
    """Like `reviewer`, and when the request lists the `no-print` rule, a finding of that rule on
    every numbered line calling print (at the wrong severity: the rule's own must win)."""
    system = str(body["messages"][0]["content"])
    findings = json.loads(reviewer(body).text)["findings"]
    if "Rule `no-print`" in system:
        prompt = "\n".join(str(m.get("content")) for m in body["messages"])
        for number, code in numbered_rows(prompt):
            if "print(" in code:
                findings.append({
                    "startLine": number, "endLine": number, "severity": "hint", "category": "style",
                    "title": "print instead of the logger", "message": "Use log.info.", "snippet": code.strip(),
                    "replacement": None, "rule": "no-print",
                })
    return Reply(text=json.dumps({"findings": findings}))


@pytest.fixture
def rules_repo(repo: Repo, fake: FakeMistralAPI) -> Repo:
    fake.responder = rule_reviewer
    repo.write(".mistral/rules/no-print.md", NO_PRINT)
    return repo


def printing(names: list[str]) -> str:
    return "\n".join(f"def {name}(value):\n    print(value)\n    return value\n\n" for name in names)


def test_a_rule_finding_carries_its_id_and_severity_to_json_and_sarif(rules_repo: Repo) -> None:
    rules_repo.write("src/app.py", printing(["parse"]))
    rules_repo.write("tools/script.py", printing(["main"]))
    rules_repo.commit()

    report, done = rules_repo.review_json("src", "tools")

    [finding] = report["findings"]
    assert (finding["path"], finding["rule"], finding["severity"]) == ("src/app.py", "no-print", "error")
    assert done.returncode == 1  # an error-severity rule fails the run
    prompts = {
        "src/app.py" if "src/app.py" in str(r.json["messages"]) else "tools/script.py": r.json["messages"][0]["content"]
        for r in chat_requests(rules_repo.fake)
    }
    assert "Use our logger, not print" in prompts["src/app.py"]
    assert "no-print" not in prompts["tools/script.py"]  # outside the rule's globs: not in its prompt

    sarif = validated(rules_repo.review("src", "--format", "sarif").stdout)
    run = sarif["runs"][0]
    [result] = run["results"]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert result["ruleId"] == rule["id"] == "no-print"
    assert result["level"] == "error"
    assert rule["shortDescription"]["text"] == "Use our logger, not print"
    assert "never `print`" in rule["help"]["text"]


def test_a_batch_review_applies_the_rules_like_the_live_one(rules_repo: Repo) -> None:
    """`--all --batch` sends the same rule-bearing prompts, and folds the rule's id and severity."""
    rules_repo.write("src/app.py", printing(["parse"]))
    rules_repo.write("tools/script.py", printing(["main"]))
    rules_repo.commit()

    report, done = rules_repo.review_json("--all", "--batch", MISTRAL_LSP_BATCH_POLL_SECONDS="0.02")

    [finding] = report["findings"]
    assert (finding["path"], finding["rule"], finding["severity"]) == ("src/app.py", "no-print", "error")
    assert done.returncode == 1, done.stderr


def test_a_rule_change_re_reviews_only_the_units_it_covers(rules_repo: Repo) -> None:
    rules_repo.write("src/app.py", printing(["parse", "validate", "render"]))
    rules_repo.write("lib/util.py", functions(["helper", "other"]))
    rules_repo.commit()
    first, _ = rules_repo.review_json("src", "lib")
    assert first["usage"]["requests"] == 2 and first["usage"]["cachedUnits"] == 0

    again, _ = rules_repo.review_json("src", "lib")
    assert again["usage"]["requests"] == 0  # nothing changed: all from the cache

    rules_repo.write(".mistral/rules/no-print.md", NO_PRINT.replace("never `print`", "never `print` or `pprint`"))
    rules_repo.fake.reset()
    changed, _ = rules_repo.review_json("src", "lib")
    [request] = chat_requests(rules_repo.fake)
    assert "src/app.py" in str(request.json["messages"]) and "never `print` or `pprint`" in str(request.json["messages"])
    assert changed["usage"]["requests"] == 1
    assert changed["usage"]["reviewedUnits"] == 3  # the covered file's three functions
    assert changed["usage"]["cachedUnits"] == 2  # lib/util.py's two, untouched by the rule


def rules_cli(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-m", "mistral_lsp", "rules", str(root)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_the_rules_command_lists_clean_rules_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / ".mistral" / "rules").mkdir(parents=True)
    (tmp_path / ".mistral" / "rules" / "no-print.md").write_text(NO_PRINT)
    done = rules_cli(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "rule no-print [error] Use our logger, not print" in done.stdout
    assert done.stderr == ""


def test_the_rules_command_reports_each_problem_at_its_line_and_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / ".mistral" / "rules"
    rules.mkdir(parents=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    (rules / "a-unclosed.md").write_text("---\nid: a\nseverity: [error\n---\nText.\n")
    (rules / "b-severity.md").write_text("---\nid: b\ntitle: B\nseverity: fatal\n---\nText.\n")
    (rules / "c-first.md").write_text("---\nid: same\nseverity: info\ntitle: C\n---\nText.\n")
    (rules / "d-duplicate.md").write_text("---\ntitle: D\nseverity: hint\nid: same\n---\nText.\n")
    (rules / "e-glob.md").write_text("---\nid: e\nseverity: warning\ntitle: E\nglobs:\n  - src/*.py\n  - docs/**/*.md\n---\nText.\n")
    actions = tmp_path / ".mistral" / "actions"
    actions.mkdir()
    (actions / "hints.md").write_text("---\ntitle: Hints\nkind: edit\n---\nAdd hints to {{target}}.\nAlso {{selction}}.\n")

    done = rules_cli(tmp_path)

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        ".mistral/actions/hints.md:6: unknown placeholder {{selction}} (known: {{target}}, {{language}}, "
        "{{selection}}, {{instruction}})",
        ".mistral/rules/a-unclosed.md:3: bad frontmatter: expected ',' or ']', but got '<stream end>'",
        ".mistral/rules/b-severity.md:4: unknown severity 'fatal' (expected one of error, warning, info, hint)",
        ".mistral/rules/d-duplicate.md:4: duplicate rule id 'same' (also in c-first.md)",
        ".mistral/rules/e-glob.md:5: glob 'docs/**/*.md' matches no file",
    ]
    assert "rule same [info] C" in done.stdout and "rule e [warning] E" in done.stdout
