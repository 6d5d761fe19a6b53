"""Real LSP clients that are not ours, end to end: Emacs + eglot, Emacs + lsp-mode, Vim + ALE,
each configured by the block of `docs/clients.md` marked `<!-- test: <client> -->`, as written.

The clients come from Debian 12 (`scripts/setup-clients-e2e.sh`: emacs-nox elpa-eglot
elpa-lsp-mode vim-nox vim-ale), installed and found as the doc says: Emacs loads Debian's elpa
packages at startup (site-start, as for any user), Vim has ALE as an optional package that the
documented `packadd! ale` loads. The documented block is the user's init.el / vimrc; the project
is a real git repository; the server is `mistral-lsp` on `$PATH`, installed as the doc says:
`pipx install .` in this checkout (pip offline, from the test wheelhouse), once per module, and
no other `mistral-lsp` on `$PATH`. A driver script per client (`tests/editors/clients/`)
then plays the user, in batch mode, against the loopback fake API. None of the clients opts in
to `experimental.mistral`, so every command answers at once and the results arrive through
standard LSP only. Each driver goes through the client's own code action menu (answering its
prompts as a user would) and writes a JSON report; this test checks what a user would see: the
four actions, a fix that lands and is undone in one step, review diagnostics and an applied
suggestion, a test file on disk that saves without a question, a visible explanation, (Emacs)
an ask and its follow-up through the documented keybinding, an answer
that takes 15 s (past Emacs' 10 s request timeouts), an API error shown once, and (ALE) a fix
refused for unsaved changes, shown at a level ALE displays. One more test runs lsp-mode in a
terminal Emacs (a pseudo-terminal, Emacs' own command loop and echo area) for what the doc says
of its messages.

With CI=true a missing prerequisite fails; elsewhere it skips.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply
from tests.ci import is_ci
from tests.samples import CART
from tests.wheelhouse import offline_pip_env, wheelhouse

pytestmark = pytest.mark.editors

REPO = Path(__file__).resolve().parents[2]
DRIVERS = Path(__file__).parent / "clients"
SETUP = REPO / "scripts" / "setup-clients-e2e.sh"
CLIENTS_DOC = REPO / "docs" / "clients.md"
CI = is_ci()
API_KEY = "clients-e2e-" + "5b7d9f1a3c" * 3

# The fix changes two separate places (two text edits): one undo must take back both.
FIXED = CART.replace("discount / 10\n", "discount / 100\n").replace("item.price for", "item.price * item.quantity for")
SUGGESTED = CART.replace("discount / 10\n", "discount / 100\n")
FIXED_TOTAL = """\
def total(self, discount):
    subtotal = sum(item.price * item.quantity for item in self.items)
    return subtotal - subtotal * discount / 100"""
SLOW_FIXED_ROUND_UP = "def round_up(value):\n    return int(math.ceil(value))"
TESTS_CODE = "from cart import round_up\n\n\ndef test_round_up():\n    assert round_up(1.2) == 2\n"
EXPLANATION = "`total` sums the prices of the items and takes off the discount.\n\nThe discount is a percentage."
REVIEW = {
    "findings": [{
        "startLine": 10, "endLine": 10, "severity": "warning", "category": "bug",
        "title": "Discount divided by 10", "message": "A percentage discount must be divided by 100.",
        "snippet": "return subtotal - subtotal * discount / 10",
        "replacement": "return subtotal - subtotal * discount / 100",
    }]
}
# The fake waits `delay_per_chunk` before every text chunk but the first: 16 chunks, 15 s.
SLOW_SECONDS = 15.0
SLOW_CHUNKS = 16


# What the Emacs user adds to the generated tests before saving them (common.el).
ADDED_TEST = "\n\ndef test_round_up_whole():\n    assert round_up(2) == 2\n"
ASK_ANSWER = "A percentage must be divided by **100**; dividing by 10 takes ten times too much."
FOLLOW_UP_ANSWER = "Write `subtotal * discount / 100`."


def fenced(code: str) -> str:
    return f"Here it is:\n\n```python\n{code}\n```\n"


def replies(client: str) -> list[Reply]:
    """In the order the drivers run the actions."""
    slow_text = fenced(SLOW_FIXED_ROUND_UP)
    cuts = [len(slow_text) * i // SLOW_CHUNKS for i in range(SLOW_CHUNKS + 1)]
    slow_chunks = [slow_text[a:b] for a, b in itertools.pairwise(cuts)]
    return [
        Reply(text=fenced(FIXED_TOTAL)),  # fix
        Reply(text=json.dumps(REVIEW)),  # review
        Reply(text=fenced(TESTS_CODE)),  # generate tests
        Reply(text=EXPLANATION),  # explain
        Reply(text=slow_text, chunks=slow_chunks, delay_per_chunk=SLOW_SECONDS / (SLOW_CHUNKS - 1)),  # 15 s
        Reply(status=400),  # an API error
        # ALE: a fix on a buffer with unsaved changes, which the server refuses to write
        *([Reply(text=fenced(FIXED_TOTAL))] if client == "ale" else []),
        # Emacs: the documented `C-c m a` asks, then `C-u C-c m a` follows up
        *([Reply(text=ASK_ANSWER), Reply(text=FOLLOW_UP_ANSWER)] if client != "ale" else []),
    ]


def documented_config(client: str) -> str:
    """The block of docs/clients.md marked `<!-- test: client -->`, verbatim."""
    doc = CLIENTS_DOC.read_text(encoding="utf-8")
    match = re.search(rf"^<!-- test: {re.escape(client)} -->\n```[a-z]*\n(.*?)^```$", doc, re.MULTILINE | re.DOTALL)
    assert match, f"docs/clients.md has no fenced block marked <!-- test: {client} -->"
    return match.group(1)


def _unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"real-client test prerequisite missing (CI=true): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    """Runs the idempotent setup script; returns EMACS, VIM, EGLOT_DIR, LSP_MODE_DIR, ALE_DIR, ALE_PACK, PIPX."""
    try:
        result = subprocess.run(["bash", str(SETUP)], cwd=REPO, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        _unavailable("scripts/setup-clients-e2e.sh timed out")
        raise
    if result.returncode != 0:
        _unavailable(f"scripts/setup-clients-e2e.sh failed:\n{result.stderr[-3000:]}")
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    for key in ("EMACS", "VIM", "ALE_PACK", "PIPX"):
        if not found.get(key) or not Path(found[key]).exists():
            _unavailable(f"setup did not provide {key}: {result.stdout}")
    return found


def _user_config(client: str, home: Path) -> Path:
    """Where the user keeps the documented block: ~/.emacs.d/init.el or ~/.vimrc."""
    config = home / (".vimrc" if client == "ale" else ".emacs.d/init.el")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(documented_config(client), encoding="utf-8")
    return config


def _command(client: str, tools: dict[str, str], config: Path) -> list[str]:
    if client == "ale":
        # -es skips the vimrc unless -u names it; -N as a ~/.vimrc implies.
        return [tools["VIM"], "-N", "-u", str(config), "-i", "NONE", "-n", "-es", "-S", str(DRIVERS / "ale.vim")]
    # --batch skips init.el but not Debian's site-start, which puts the elpa packages on the
    # load path as for any user; the driver then loads init.el as Emacs would.
    return [tools["EMACS"], "--batch", "-l", str(DRIVERS / "common.el"), "-l", str(config),
            "-l", str(DRIVERS / f"{client}.el")]


def _project(tmp_path: Path) -> Path:
    """A git repository holding cart.py."""
    git = shutil.which("git")
    if git is None:
        _unavailable("git is not on PATH")
        raise AssertionError
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run([git, "init", "-q", str(project)], check=True)
    (project / "cart.py").write_text(CART, encoding="utf-8")
    return project


DOCUMENTED_INSTALL = "pipx install ."


def _section(client: str) -> str:
    """The part of docs/clients.md from the heading above the block marked for `client` to it."""
    doc = CLIENTS_DOC.read_text(encoding="utf-8")
    before = doc.split(f"<!-- test: {client} -->", 1)[0]
    return before[before.rindex("\n## "):]


@pytest.fixture(scope="module")
def server_path(tools: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """PATH with `mistral-lsp` installed as each tested client's section says (`pipx install .`
    in the checkout), and no other `mistral-lsp` on it."""
    for client in ("eglot", "lsp-mode", "ale"):
        assert f"`{DOCUMENTED_INSTALL}`" in _section(client), f"{client}: docs/clients.md no longer says {DOCUMENTED_INSTALL}"
    pipx = tmp_path_factory.mktemp("pipx")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH") and not k.startswith("PIPX_")}
    env.update(offline_pip_env(wheelhouse()), PIPX_HOME=str(pipx / "home"), PIPX_BIN_DIR=str(pipx / "bin"))
    done = subprocess.run([tools["PIPX"], *DOCUMENTED_INSTALL.split()[1:]], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0 and (pipx / "bin" / "mistral-lsp").exists(), done.stdout + done.stderr
    others = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "mistral-lsp").exists()]
    return os.pathsep.join([str(pipx / "bin"), *others])


def run_client(client: str, tools: dict[str, str], server_path: str, tmp_path: Path) -> tuple[dict[str, Any], FakeMistralAPI]:
    workspace = _project(tmp_path)
    home = tmp_path / "home"
    config = _user_config(client, home)
    report = tmp_path / "report.json"
    fake = FakeMistralAPI(api_key=API_KEY)
    fake.start()
    fake.enqueue(*replies(client))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env.update(
        HOME=str(home), XDG_CACHE_HOME=str(tmp_path / "cache"), TERM="dumb", PATH=server_path,
        MISTRAL_API_KEY=API_KEY, MISTRAL_BASE_URL=fake.base_url,
        MT_FILE=str(workspace / "cart.py"), MT_TEST_FILE=str(workspace / "test_cart.py"),
        MT_WORKSPACE=str(workspace), MT_REPORT=str(report),
    )
    started = time.monotonic()
    try:
        result = subprocess.run(_command(client, tools, config), cwd=workspace, env=env, capture_output=True, text=True,
                                timeout=150, stdin=subprocess.DEVNULL, check=False)
    finally:
        fake.stop()
    print(f"{client}: {time.monotonic() - started:.1f} s, exit {result.returncode}\n{result.stderr[-3000:]}")
    assert report.exists(), f"{client} wrote no report (exit {result.returncode}):\n{result.stderr[-3000:]}\n{result.stdout[-2000:]}"
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data, fake


def _what_was_asked(request: Any) -> str:
    """A request in a line, to tell which action used which queued reply when a run goes wrong."""
    body = request.json or {}
    last = (body.get("messages") or [{}])[-1].get("content") or ""
    return repr(str(last)[-70:])


# The first test to run also builds the wheelhouse and pipx-installs the server (`server_path`),
# which pytest-timeout counts: a few minutes on a cold cache and a loaded machine.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("client", ["eglot", "lsp-mode", "ale"])
def test_real_client(client: str, tools: dict[str, str], server_path: str, tmp_path: Path) -> None:
    report, fake = run_client(client, tools, server_path, tmp_path)
    messages: list[str] = report["messages"]
    asked = [_what_was_asked(request) for request in fake.requests if request.path.endswith("/chat/completions")]
    assert report["errors"] == [], f"{client}: {report['errors']}\nmessages: {messages}\nrequests: {asked}"
    # The client found the git repository as the project, the way the documented config says.
    if client == "lsp-mode":  # the user answered `i' to lsp-mode's question
        assert any(f"initialized successfully in folders: ({tmp_path / 'project'})" in m for m in messages), messages
    if client == "eglot":  # project.el's nickname for the repository
        assert any("in project `project'" in m for m in messages), messages
    # The four actions are offered in the client's own menu.
    assert {"Mistral: Fix", "Mistral: Explain", "Mistral: Review", "Mistral: Generate tests"} <= set(report["actions"])
    # Fix lands, and one undo takes it back.
    assert report["after_fix"] == FIXED
    assert report["after_undo"] == CART
    # Review reaches the client's diagnostics, and the finding's suggestion applies.
    assert any("Discount divided by 10" in d for d in report["diagnostics"])
    assert report["after_suggestion"] == SUGGESTED
    # Generate tests leaves the tests in the file on disk, and saving the file asks nothing
    # (lsp-mode 8.0 used to fill a buffer over an empty file, then ask twice on save).
    assert report["test_file"] and "def test_round_up():" in report["test_file"]
    assert report["questions_on_saving_tests"] == []
    if client != "ale":  # the user added a test and saved (C-x C-s): the file holds both
        assert report["test_file_saved"] == report["test_file"] + ADDED_TEST
    # Explain is visible: a message naming the markdown file, with the first lines.
    (notice,) = [m for m in messages if "explanation of" in m]
    assert "`total` sums the prices" in notice
    markdown = Path(notice.split(" in ", 1)[1].split("\n", 1)[0].split(" ")[0])
    assert markdown.read_text(encoding="utf-8").startswith("# ")
    # An answer that takes 15 s lands, with no timeout on the way.
    assert report["after_slow_fix"].endswith(SLOW_FIXED_ROUND_UP + "\n")
    assert not [m for m in messages if "imed out" in m or "timeout" in m.lower()]
    # The API error is shown once.
    failures = [m for m in messages if "Mistral explain failed" in m]
    assert len(failures) == 1, messages
    assert API_KEY not in json.dumps(report)  # messages, and the server's stderr where the client keeps it
    assert len([r for r in fake.requests if r.path.endswith("/chat/completions")]) == len(replies(client))
    if client != "ale":
        # Ask through the documented keybinding: the answer is shown, and the follow-up sends
        # the first question and answer back in the same conversation.
        first, second = report["answers"]
        assert "dividing by 10 takes ten times too much" in first and "Write `subtotal" in second
        conversation = Path(second.split(" in ", 1)[1].split("\n", 1)[0]).read_text(encoding="utf-8")
        assert ASK_ANSWER in conversation and FOLLOW_UP_ANSWER in conversation
        chats = [r.json for r in fake.requests if r.path.endswith("/chat/completions")]
        assert [m["content"] for m in chats[-1]["messages"][2:]] == [ASK_ANSWER, "How do I fix it?"]
        assert "Why is the discount divided by 10?" in chats[-1]["messages"][1]["content"]
    if client == "eglot":
        # eglot 1.9 declares no window.workDoneProgress, so no progress is sent (docs/clients.md
        # says so: the message or the edit is the signal), judged on eglot's own event log.
        assert report["events_logged"] is True and report["progress_sent"] is False
    if client == "ale":
        # ALE started the server in the git repository the documented `project_root` found.
        assert report["roots"] == [str(tmp_path / "project")], report["roots"]
        # What the server wrote is said, at a level ALE shows: the fix, and where the tests are.
        assert [m for m in messages if f"Fix: wrote {tmp_path / 'project' / 'cart.py'} — reload it" in m], messages
        assert [m for m in messages if f"new tests in {tmp_path / 'project' / 'test_cart.py'}" in m], messages
        # A fix refused because the buffer has unsaved changes is shown (ALE shows only errors
        # by default), and the file on disk keeps what was saved.
        assert [m for m in messages if "unsaved changes" in m and "save it and run the action again" in m], messages
        assert report["on_disk_after_refusal"] == report["saved_before_refusal"]


def run_in_terminal(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    """Run `command` with a pseudo-terminal as its controlling terminal (Emacs -nw opens
    /dev/tty), as a user's terminal would; returns its exit status and what it drew."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd,
                               start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(follower)
    drawn = bytearray()

    def drain() -> None:  # a terminal that is never read blocks the program drawing on it
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        status: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()
        status = None
    reader.join(timeout=5)
    os.close(leader)
    return status, drawn.decode("utf-8", errors="replace")


DOCUMENTED_HINT_FIX = "(setq suggest-key-bindings nil)"


@pytest.mark.timeout(480)  # 90 s for Emacs, plus the install when this test runs first
@pytest.mark.parametrize("config", ["as documented", "without the hint line"])
def test_lsp_mode_messages_stay_in_the_echo_area(
    config: str, tools: dict[str, str], server_path: str, tmp_path: Path
) -> None:
    """lsp-mode's messages as docs/clients.md describes them, in a terminal Emacs with its own
    command loop, the actions run by typing `M-x lsp-execute-code-action RET`. As documented,
    the explanation stays in the echo area. Without the documented `suggest-key-bindings` line,
    Emacs' 2 s hint "You can run the command … with s-l a a" ends by restoring the echo area it
    found, erasing the explanation that arrived meanwhile; the *Messages* buffer keeps it."""
    workspace = _project(tmp_path)
    home = tmp_path / "home"
    init = _user_config("lsp-mode", home)
    if config == "without the hint line":
        documented = init.read_text(encoding="utf-8")
        assert DOCUMENTED_HINT_FIX in documented
        init.write_text(documented.replace(DOCUMENTED_HINT_FIX, ""), encoding="utf-8")
    report = tmp_path / "report.json"
    fake = FakeMistralAPI(api_key=API_KEY)
    fake.start()
    # Held after its first chunk until the driver releases it once the command has returned and
    # the hint (if any) shows: the timing the doc describes, whatever the machine's load.
    fake.enqueue(Reply(text=EXPLANATION, hold_after_chunks=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env.update(
        HOME=str(home), XDG_CACHE_HOME=str(tmp_path / "cache"), TERM="xterm", PATH=server_path,
        MISTRAL_API_KEY=API_KEY, MISTRAL_BASE_URL=fake.base_url, MT_FAKE=fake.base_url.removesuffix("/v1"),
        MT_FILE=str(workspace / "cart.py"), MT_REPORT=str(report),
    )
    try:
        # No --batch and no -l of init.el: Emacs reads ~/.emacs.d/init.el itself, as for the user.
        status, drawn = run_in_terminal([tools["EMACS"], "-nw", "-l", str(DRIVERS / "lsp-mode-tty.el")],
                                        env, workspace, timeout=90)
    finally:
        fake.stop()
    assert report.exists(), f"Emacs wrote no report (exit {status}):\n{drawn[-3000:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert "error" not in data, data
    shown = [m for m in data["shown"] if m]
    hints = [i for i, m in enumerate(shown) if m.startswith("You can run the command")]
    explained = [i for i, m in enumerate(shown) if "explanation of total" in m and "`total` sums the prices" in m]
    assert explained, shown
    assert "explanation of total" in data["messages_buffer"] and "`total` sums the prices" in data["messages_buffer"]
    if config == "as documented":
        assert hints == [], shown
        assert "explanation of total" in (data["echo_area_later"] or ""), data
    else:
        assert hints and hints[0] < explained[0], shown  # shown during the hint
        assert data["echo_area_later"] is None, data  # and erased when the hint ended
