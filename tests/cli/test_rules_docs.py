"""docs/rules.md's snippets, as a user copies them: its rule, action and AGENTS.md files
written into a repository, `mistral-lsp rules` run as the doc shows (clean, then with the two
mistakes whose output the doc quotes), and its settings snippet read by the server's parser."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from mistral_lsp.options import parse_settings
from mistral_lsp.project.instructions import find_instructions

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
_FILE_SNIPPET = re.compile(r"<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)\n```\n", re.S)


def doc_files() -> dict[str, str]:
    return {m["path"]: m["body"] + "\n" for m in _FILE_SNIPPET.finditer(DOC.read_text(encoding="utf-8"))}


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)


def run_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent  # where `mistral-lsp` is installed
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def repository(root: Path) -> Path:
    for name, text in doc_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "src" / "shop").mkdir(parents=True)
    (root / "src" / "shop" / "cart.py").write_text("def total(items):\n    return sum(items)\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return root


def test_the_docs_examples_are_clean_rules_and_actions(tmp_path: Path) -> None:
    root = repository(tmp_path)
    assert set(doc_files()) == {
        ".mistral/rules/no-secrets.md", ".mistral/rules/public-docstrings.md", ".mistral/rules/use-our-logger.md",
        ".mistral/actions/add-type-hints.md", "AGENTS.md",
    }
    [command] = fenced("sh")
    done = run_shell(command, root)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    listed = done.stdout.splitlines()
    assert [line.split(" [")[0] for line in listed] == [
        "rule no-secrets", "rule public-docstrings", "rule use-our-logger", "action add-type-hints",
    ]
    assert [i.relative for i in find_instructions(root)] == ["AGENTS.md"]


def test_the_problems_the_doc_quotes_are_what_the_command_prints(tmp_path: Path) -> None:
    root = repository(tmp_path)
    secrets = root / ".mistral/rules/no-secrets.md"
    secrets.write_text(secrets.read_text().replace("severity: error", "severity: fatal"))
    logger = root / ".mistral/rules/use-our-logger.md"
    logger.write_text(logger.read_text().replace("id: use-our-logger", "id: no-secrets"))
    # The doc's example output: the indented block after "For example:".
    text = DOC.read_text(encoding="utf-8")
    quoted = text[text.index("For example:") :].split("\n\n")[1]
    done = run_shell(fenced("sh")[0], root)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [line.strip() for line in quoted.splitlines()]


def test_the_docs_settings_snippet_is_accepted() -> None:
    [snippet] = fenced("json")
    settings = parse_settings(json.loads(snippet)["mistral"])
    assert (settings.project_instructions, settings.instructions_tokens) == (True, 2000)
