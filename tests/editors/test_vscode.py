"""The VS Code extension (editors/vscode): its unit tests, its .vsix, and real VS Code end to end.

- `scripts/setup-vscode-e2e.sh` installs the toolchain idempotently (Debian chromium; Node 24 and
  code-server 4.139.1 from the npm registry into `.cache/vscode-e2e`; the extension's npm packages).
- The unit tests (vitest, a mocked `vscode` module) and the type check run under the machine's Node.
- The end-to-end test installs the built .vsix into code-server (real VS Code 1.139), starts it in
  its own process group with every XDG folder and TMPDIR in a temporary folder, points the extension
  at this repository's server and the server at a loopback `FakeMistralAPI`, and drives the UI
  with playwright-core (`editors/vscode/test/e2e/run.mjs`): key errors with their Set API Key
  button (none, then a rejected stored key, shown in the status bar), text typed while a fix is
  previewed (the read-only proposal; after typing on the fix's lines in the source, the change's
  CodeLens says so and both its Accept and the notification's refuse), a closed and a replaced
  preview (each said; each dead notification's Accept says what became of its fix),
  Fix (shown inline: CodeLens Accept | Reject above each hunk, with the model's explanation,
  the pending-changes status item, Accept, save, the text on disk; Reject from the status item;
  the diff on demand from the status item), a three-hunk fix (the second hunk accepted by its
  CodeLens, undone and redone in one step each, the first rejected by its keybinding at the
  cursor, the last by its CodeLens; the count in the status bar;
  the saved file holds only the second hunk),
  Explain (streamed view, coloured code, its Stop button, the follow-up field), Ask (the
  question's input box, a workspace lookup line while the answer streams, the looked-up list,
  a follow-up typed into the view that sends the earlier turn; the light bulb's Ask prompting too
  and starting a new conversation), Generate Tests (which file, created,
  Open; nothing on disk before a save, nor after Don't Save), review on save
  (Problems), Restart Server (the toggle and the findings come back), a 401 during review on save
  (key rejected, review paused, in the status bar), inline completion
  (toggle, type, ghost text, Tab, the saved file), a server killed mid-run ("server stopped"
  with its cause, Restart), and a `mistral.serverPath` whose server dies on start ("server
  stopped", the cause and Show Logs, none of the client's generic toasts; fixed, it starts).
  Screenshots of each step land in `test-artifacts/vscode/`.
- A new user's first start (no key, Mistral's own API): the status bar says "set API key" and no
  notification does (one could not be taken back once a key is set); Set API Key clears it.

With CI=true a missing prerequisite fails; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.editors import vscode_fixtures
from tests.editors.vscode_fixtures import (
    ARTIFACTS,
    EXT,
    QUIET_SETTINGS,
    REPO,
    CodeServer,
    code_server,
    run,
)

pytestmark = pytest.mark.editors
# The toolchain and the .vsix, shared with test_vscode_install.py (vscode_fixtures.py).
toolchain = vscode_fixtures.toolchain
vsix = vscode_fixtures.vsix
API_KEY = "e2e-secret-key"
WRONG_KEY = "e2e-wrong-key"


@pytest.mark.timeout(1500)
def test_unit_tests(toolchain: dict[str, str]) -> None:
    typecheck = run(["npm", "run", "--silent", "typecheck"], cwd=EXT, timeout=300)
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr
    result = run(
        ["npx", "--no-install", "vitest", "run", "--reporter=verbose"],
        cwd=EXT,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "CI": "true"},
    )
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout.split("Test Files", 1)[-1]


@pytest.mark.timeout(1500)
def test_vsix_contents(vsix: Path) -> None:
    import zipfile

    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert "extension/dist/extension.js" in names
    # The server travels inside: one wheel of this repository, installed on first use.
    assert len([n for n in names if n.startswith("extension/bundled/mistral_lsp-") and n.endswith(".whl")]) == 1
    assert not any(name.startswith("extension/src/") or "node_modules" in name for name in names)
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    # The server's own command ids are registered by vscode-languageclient: never by us.
    assert not any(c.startswith("mistral.") for c in commands)
    assert {
        "mistral-vscode.review",
        "mistral-vscode.explain",
        "mistral-vscode.ask",
        "mistral-vscode.fix",
        "mistral-vscode.generateTests",
        "mistral-vscode.cancel",
        "mistral-vscode.toggleReviewOnSave",
        "mistral-vscode.restart",
        "mistral-vscode.reinstallServer",
        "mistral-vscode.showLogs",
        "mistral-vscode.setApiKey",
        "mistral-vscode.toggleCompletion",
    } <= commands
    assert "mistral.apiKey" not in manifest["contributes"]["configuration"]["properties"]


# --- end to end -------------------------------------------------------------------------------------

BUGGY = textwrap.dedent('''\
    """Small helpers, with bugs, for the end-to-end test."""


    def add(a, b):
        return a - b


    def average(values):
        return sum(values) / len(values)
    ''')
FIXED = BUGGY.replace("return a - b", "return a + b")
APPENDED = "\n\ndef mean(values):\n    total = 0\n    for value in values:\n        total += value\n    return total / len(values) - 1\n"


# A fix whose answer changes three places of one definition, separated by unchanged lines: three hunks.
STATS = textwrap.dedent('''\
    def mean(values):
        total = 0
        for value in values:
            total += value
        count = len(values)
        if count == 0:
            return 0
        result = total / count
        return result + 1
    ''')
STATS_FIXED = (
    STATS.replace("total = 0\n", "total = 0.0\n")
    .replace("return 0\n", "return None\n")
    .replace("return result + 1", "return result")
)
STATS_SECOND_ONLY = STATS.replace("return 0\n", "return None\n")


CALC = 'def mul(a, b):\n    """Multiply."""\n    \n'
# A project's custom action (`.mistral/actions`), for the quick pick and the light bulb.
ADD_TYPE_HINTS = "---\ntitle: Add type hints\nkind: edit\nlanguages: [python]\n---\nAdd type hints to {{target}}.\n"
SCALE = "def scale(x, k):\n    return x * k\n"
CALC_DONE = CALC.replace('    \n', '    return a * b\n')


def _line_of(text: str, needle: str) -> int:
    """1-based line holding `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# A server that dies on start, as a broken install does: one error line on stderr, exit code 1.
CRASHING_SERVER = "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'pygls'\" >&2\nexit 1\n"


def _scenario(root: Path) -> dict[str, object]:
    after = FIXED + APPENDED
    launch, _ = _server_settings()
    return {
        "startFailure": {
            "machineSettings": str(root / "ud" / "Machine" / "settings.json"),
            "serverPath": str(root / "crashing-server"),
            "launch": launch,
            "mustSee": "failed to start: it exited with code 1: ModuleNotFoundError: No module named 'pygls'",
        },
        "keys": {"file": "buggy.py", "wrongKey": WRONG_KEY},
        "fix": {
            "file": "buggy.py",
            "line": _line_of(BUGGY, "return a - b"),
            "reply": {
                "text": "The subtraction should be an addition:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"
            },
            "mustSeeInDiff": "return a + b",
            "explanation": "The subtraction should be an addition",
            # A second fix of the same line, told apart by its explanation (the replaced preview).
            "newerReply": {"text": "Add the operands instead:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"},
            "newerExplanation": "Add the operands instead",
            "expected": FIXED,
        },
        "codeAction": {
            "file": "buggy.py",
            "line": _line_of(BUGGY, "return sum(values)"),
            "reply": {
                "text": "```python\ndef average(values):\n    return sum(values) / len(values) if values else 0.0\n```\n"
            },
            "mustSeeInDiff": "if values else 0.0",
            "expected": FIXED,
        },
        "explain": {
            "file": "buggy.py",
            "line": _line_of(BUGGY, "return sum(values)"),
            "reply": {
                "chunks": [
                    "`average` divides ",
                    "the sum ",
                    "of `values` ",
                    "by their ",
                    "count.\n\n",
                    "It ",
                    "raises ",
                    "**ZeroDivisionError** ",
                    "for ",
                    "an ",
                    "empty ",
                    "list.",
                    "\n\n```python\nreturn sum(values) / len(values)\n```\n",
                ],
                "text": "",
                "delay_per_chunk": 0.4,
            },
            "firstWords": "divides",
            "lastWords": "empty list.",
            "mustSee": ["average divides the sum of values by their count.", "ZeroDivisionError"],
        },
        "cancel": {
            "file": "buggy.py",
            "line": _line_of(BUGGY, "def add"),
            "reply": {
                "chunks": ["`add` returns ", *[f"part {i} " for i in range(1, 30)], "NEVER-SHOWN"],
                "text": "",
                "delay_per_chunk": 0.5,
            },
            "firstWords": "returns",
            "busyLabel": "Mistral: working",
            "neverSeen": "NEVER-SHOWN",
        },
        "ask": {
            "file": "buggy.py",
            "line": _line_of(BUGGY, "return sum(values)"),
            "where": f"buggy.py:{_line_of(BUGGY, 'return sum(values)')}",
            "question": "Does average use add?",
            # The model looks `add` up (a workspace tool call), then answers.
            "toolReply": {"text": "", "tool_calls": [{"name": "definition", "arguments": {"name": "add"}}]},
            "reply": {
                "chunks": ["No: ", "average ", "sums ", "with ", "the builtin ", "sum, ", "not ", "with add."],
                "text": "",
                "delay_per_chunk": 0.4,
            },
            "firstWords": "sums",
            "lastWords": "not with add.",
            "lookupLive": "looking up add — buggy.py",
            "lookupFinal": "definition add — buggy.py",
            "followUp": "And what does add return?",
            "followUpReply": {"text": "It returns the sum of a and b."},
            "followUpWords": "returns the sum of a and b",
            "codeActionQuestion": "Is average tested?",
            "codeActionReply": {"text": "Not yet: no test calls average."},
            "codeActionWords": "no test calls average",
        },
        "projectAction": {
            "file": "scale.py",
            "line": 2,
            "title": "Mistral: Add type hints",
            "reply": {"text": "Hints added.\n\n```python\ndef scale(x: float, k: float) -> float:\n    return x * k\n```\n"},
            "mustSee": "def scale(x: float, k: float) -> float:",
        },
        "tests": {
            "file": "buggy.py",
            "line": _line_of(BUGGY, "return a - b"),
            "reply": {
                "text": "```python\nfrom buggy import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n```\n"
            },
            "testFile": "tests/test_buggy.py",
            "mustSee": "def test_add",
        },
        "review": {
            "file": "buggy.py",
            "append": APPENDED,
            "reply": {
                "text": json.dumps(
                    {
                        "findings": [
                            {
                                "startLine": _line_of(after, "return total / len(values) - 1"),
                                "severity": "error",
                                "category": "bug",
                                "title": "Off-by-one result",
                                "message": "mean subtracts 1 from the average.",
                                "snippet": "return total / len(values) - 1",
                                "replacement": "    return total / len(values)",
                            },
                            {
                                "startLine": _line_of(after, "def mean(values):"),
                                "severity": "warning",
                                "category": "correctness",
                                "title": "Empty input",
                                "message": "mean([]) raises ZeroDivisionError.",
                                "snippet": "def mean(values):",
                            },
                        ]
                    }
                )
            },
            "appendForPause": "\n\ndef half(value):\n    return value / 2\n",
            "expectedProblems": 2,
            "mustSee": ["Off-by-one result", "Empty input"],
        },
        "hunks": {
            "file": "stats.py",
            "line": _line_of(STATS, "def mean"),
            "reply": {"text": f"Three changes:\n\n```python\n{STATS_FIXED}```\n"},
            "acceptedText": "return None",
            "undoneText": "return 0",
            "firstHunkLine": _line_of(STATS, "total = 0"),
            "expected": STATS_SECOND_ONLY,
        },
        "completion": {
            "file": "calc.py",
            "line": 3,
            "type": "return ",
            "reply": {"text": "a * b"},
            "mustSeeGhost": "a * b",
            "mustSeeAfter": "return a * b",
            "expected": CALC_DONE,
        },
    }


def _extension_log(root: Path, lines: int = 40) -> str:
    return "\n".join(vscode_fixtures.extension_log(root).splitlines()[-lines:]) or "(no log)"


def _server_settings() -> tuple[dict[str, object], dict[str, str]]:
    """The extension's launch settings for this repository's server, and extra environment."""
    executable = Path(sys.executable).parent / "mistral-lsp"
    if executable.exists():
        return {"mistral.serverPath": str(executable)}, {}
    # Not installed as a console script: run the tree's package with the test's interpreter.
    return {"mistral.interpreter": [sys.executable]}, {"PYTHONPATH": str(REPO)}


@pytest.fixture
def session(toolchain: dict[str, str], vsix: Path, tmp_path: Path) -> Iterator[CodeServer]:
    root = tmp_path
    workspace = root / "workspace"
    (workspace / "tests").mkdir(parents=True)
    (workspace / "buggy.py").write_text(BUGGY)
    (workspace / "calc.py").write_text(CALC)
    (workspace / "scale.py").write_text(SCALE)
    (workspace / ".mistral" / "actions").mkdir(parents=True)
    (workspace / ".mistral" / "actions" / "add-type-hints.md").write_text(ADD_TYPE_HINTS)
    (workspace / "stats.py").write_text(STATS)
    (workspace / "tests" / "__init__.py").write_text("")
    (root / "crashing-server").write_text(CRASHING_SERVER)
    (root / "crashing-server").chmod(0o755)
    launch, extra_env = _server_settings()
    settings = {
        **QUIET_SETTINGS,
        "editor.minimap.enabled": False,
        "editor.autoClosingBrackets": "never",
        "editor.autoIndent": "none",
        "mistral.reviewDebounceMs": 100,
        "mistral.trace.server": "messages",
    }
    with code_server(
        toolchain, vsix, root, api_key=API_KEY, user_settings=settings, machine_settings=launch, extra_env=extra_env
    ) as server:
        yield server


@pytest.mark.timeout(1500)  # includes the first install when run alone
def test_end_to_end_in_code_server(session: CodeServer, toolchain: dict[str, str]) -> None:
    fake = session.fake
    workspace = session.workspace
    scenario = {
        "url": session.url,
        "workspace": str(workspace),
        "fakeControl": fake.base_url.removesuffix("/v1"),
        "artifacts": str(ARTIFACTS),
        "chromium": toolchain["CHROMIUM"],
        "serverGroup": session.group,
        "apiKey": API_KEY,
        "steps": _scenario(session.root),
    }
    scenario_file = session.root / "scenario.json"
    scenario_file.write_text(json.dumps(scenario, indent=2))
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("failure*"), ARTIFACTS / "results.json"]:
        old.unlink(missing_ok=True)
    started = time.monotonic()
    result = subprocess.run(
        ["node", "test/e2e/run.mjs", str(scenario_file)],
        cwd=EXT,
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
        env={**os.environ, "TMPDIR": str(session.root)},
    )
    elapsed = time.monotonic() - started
    print(result.stdout[-8000:], result.stderr[-4000:], f"\nend to end: {elapsed:.1f}s", sep="\n")
    assert result.returncode == 0, (
        f"e2e failed (see test-artifacts/vscode/):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}\n"
        f"--- the extension's log (Mistral output channel), last lines ---\n{_extension_log(session.root)}"
    )
    # What the driver saw, checked again from here: the saved file, the key that reached the API.
    assert (workspace / "buggy.py").read_text().startswith(FIXED)
    hinted = [r for r in fake.requests if r.path.endswith("/chat/completions")
              and "Add type hints to the function `scale` (lines 1-2)." in str(r.json["messages"])]
    assert hinted, "the project action's prompt never reached the API"
    # A three-hunk fix: only the second hunk, accepted by its CodeLens, reached the saved file.
    assert (workspace / "stats.py").read_text() == STATS_SECOND_ONLY
    chat = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    assert len(chat) >= 4
    # Only the key typed into Set API Key reached the API: first the wrong one (refused), then the right one.
    keys = [r.headers.get("Authorization") for r in fake.requests if r.path.startswith("/v1/")]
    right, wrong = f"Bearer {API_KEY}", f"Bearer {WRONG_KEY}"
    assert wrong in keys and set(keys) <= {right, wrong}
    assert wrong not in keys[keys.index(right) :]
    assert sum(1 for r in chat if r.headers.get("Authorization") == right) >= 4
    for name in (
        "01-workbench",
        "02-missing-key-error",
        "02b-rejected-key-error",
        "03-fix-preview",
        "04-fix-accepted-and-saved",
        "05-code-actions",
        "05b-fix-pending-menu",
        "05c-project-action-light-bulb",
        "05d-project-action-quick-pick",
        "06-explain-streaming",
        "07-explain-done",
        "08-explain-cancelled",
        "09-context-submenu",
        "10-tests-generated",
        "11-status-menu",
        "12-review-on-save-problems",
        "13-after-restart",
        "03a-proposal-read-only",
        "03b-stale-accept-refused",
        "03c-closed-preview-accept",
        "03d-replaced-preview",
        "10b-tests-close-unsaved",
        "13b-review-on-save-paused",
        "16-server-stopped",
        "16b-server-failed-to-start",
        "17-ask-question",
        "18-ask-streaming-lookup",
        "19-ask-done",
        "20-ask-follow-up",
        "21-hunks-inline",
        "22-hunk-accepted",
        "23-hunks-saved",
    ):
        assert (ARTIFACTS / f"{name}.png").is_file(), name


@pytest.mark.timeout(900)
def test_no_key_at_the_first_start_is_said_by_the_status_bar_not_a_notification(
    toolchain: dict[str, str], vsix: Path, tmp_path: Path
) -> None:
    """A new user's start: no key, Mistral's own API (no MISTRAL_BASE_URL). Nothing is sent: no
    action runs, and a dead proxy keeps any request on this machine."""
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "buggy.py").write_text(BUGGY)
    launch, extra_env = _server_settings()
    dead_proxy = "http://127.0.0.1:9"
    with code_server(
        toolchain,
        vsix,
        tmp_path,
        api_key=API_KEY,
        user_settings=QUIET_SETTINGS,
        machine_settings=launch,
        extra_env={**extra_env, "HTTPS_PROXY": dead_proxy, "HTTP_PROXY": dead_proxy, "NO_PROXY": "127.0.0.1,localhost"},
        logs_to=ARTIFACTS / "logs-nokey",
        fake_base_url=False,
    ) as server:
        scenario_file = tmp_path / "scenario.json"
        scenario_file.write_text(
            json.dumps({"url": server.url, "artifacts": str(ARTIFACTS), "chromium": toolchain["CHROMIUM"], "apiKey": API_KEY})
        )
        result = subprocess.run(
            ["node", "test/e2e/nokey.mjs", str(scenario_file)],
            cwd=EXT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
        assert result.returncode == 0, (
            f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}\n--- the extension's log ---\n{_extension_log(tmp_path)}"
        )
    assert (ARTIFACTS / "nokey-01-status-bar.png").is_file()
