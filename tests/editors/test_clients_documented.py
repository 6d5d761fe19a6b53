"""The configurations docs/clients.md gives for clients no test can install (vim-lsp, Helix, Zed,
kak-lsp, Sublime Text's LSP: none is packaged in Debian 12 or on PyPI/npm), each the block marked
`<!-- checked: <client> -->`, as written.

Each block is read the way its editor reads it: the vim-lsp snippet is sourced by real Vim (a stub
`lsp#register_server` stands in for vim-lsp and records what the snippet registers, and the
`User lsp_setup` event is fired as vim-lsp fires it), the TOML blocks by a TOML parser, the JSON
ones as JSON with `//` comments (as Zed and Sublime Text allow). Then the server command the
block names is started as the editor would start it, with `mistral-lsp` on `$PATH`, and a plain
LSP client asks it for the code actions on a Python function: the four actions must come back.
So a block that does not parse, names a wrong command or leaves Python out fails here.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.editors.test_clients import API_KEY, CLIENTS_DOC, _project, tools
from tests.samples import CART

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the `tomli` backport (a dependency there), the same reader
    import tomli as tomllib

__all__ = ["tools"]  # the fixture, shared with the real-client tests

pytestmark = [pytest.mark.editors, pytest.mark.timeout(120)]

FOUR_ACTIONS = {"Mistral: Fix", "Mistral: Explain", "Mistral: Review", "Mistral: Generate tests"}


def checked_block(client: str) -> str:
    """The fenced block of docs/clients.md marked `<!-- checked: client -->`, verbatim."""
    doc = CLIENTS_DOC.read_text(encoding="utf-8")
    match = re.search(
        rf"^<!-- checked: {re.escape(client)} -->\n```[a-z]*\n(.*?)^```$",
        doc,
        re.MULTILINE | re.DOTALL,
    )
    assert match, f"docs/clients.md has no fenced block marked <!-- checked: {client} -->"
    return match.group(1)


def jsonc(text: str) -> Any:
    """JSON with whole-line `//` comments, as Zed's and Sublime Text's settings files allow."""
    return json.loads(
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    )


def server_path() -> str:
    """PATH with this environment's `mistral-lsp` first (as after `pipx install .`)."""
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "mistral-lsp").exists(), (
        f"{bin_dir}/mistral-lsp is missing: pip install -e . first"
    )
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


class StdioClient:
    """A bare LSP client over the server's stdin/stdout, as an editor starts it."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
        # The key is set, so nothing is refused for a missing key; the code actions need no network.
        env.update(
            PATH=server_path(), MISTRAL_API_KEY=API_KEY, MISTRAL_BASE_URL="http://127.0.0.1:9"
        )
        executable = shutil.which(argv[0], path=env["PATH"])
        assert executable, f"{argv[0]} is not on PATH"
        self.process = subprocess.Popen(
            [executable, *argv[1:]],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        stream = self.process.stdout
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if not line:
                self.inbox.put(None)
                return
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.inbox.get(timeout=30)
            assert message is not None, f"the server exited before answering {method}"
            if "method" in message and "id" in message:  # a request from the server: a plain answer
                self.send({"id": message["id"], "result": None})
            elif message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.send({"method": "exit"})
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def offered_actions(argv: list[str], project: Path) -> set[str]:
    """Starts `argv` in `project` and returns the code action titles on `Cart.total`."""
    client = StdioClient(argv, project)
    try:
        root = project.as_uri()
        result = client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root,
                "capabilities": {},
                "workspaceFolders": [{"uri": root, "name": project.name}],
            },
        )
        assert "mistral.fix" in result["capabilities"]["executeCommandProvider"]["commands"]
        client.send({"method": "initialized", "params": {}})
        uri = (project / "cart.py").as_uri()
        client.send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": CART}
                },
            }
        )
        actions = client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 9, "character": 8}, "end": {"line": 9, "character": 8}},
                "context": {"diagnostics": []},
            },
        )
        return {action["title"] for action in actions or []}
    finally:
        client.close()


def test_vim_lsp_snippet_registers_a_server_that_offers_the_actions(
    tools: dict[str, str], tmp_path: Path
) -> None:
    project = _project(tmp_path)
    stub = tmp_path / "vim-lsp-stub"
    (stub / "autoload").mkdir(parents=True)
    # What vim-lsp's lsp#register_server receives, recorded; vim-lsp fires `User lsp_setup` itself.
    (stub / "autoload" / "lsp.vim").write_text(
        "function! lsp#register_server(info) abort\n  call add(g:registered, a:info)\nendfunction\n"
    )
    vimrc = tmp_path / "vimrc"
    vimrc.write_text(
        f"set nocompatible\nlet g:registered = []\nset runtimepath^={stub}\n{checked_block('vim-lsp')}"
    )
    out = tmp_path / "registered.json"
    report = (
        "doautocmd User lsp_setup\n"
        "call writefile([json_encode(map(g:registered, {_, s -> {'name': s.name, 'allowlist': s.allowlist,"
        " 'cmd': s.cmd({})}}))], $OUT)\nqall!\n"
    )
    (tmp_path / "report.vim").write_text(report)

    def registered(path: str) -> list[dict[str, Any]]:
        env = {**os.environ, "OUT": str(out), "HOME": str(tmp_path), "PATH": path}
        done = subprocess.run(
            [
                tools["VIM"],
                "-N",
                "-u",
                str(vimrc),
                "-i",
                "NONE",
                "-n",
                "-es",
                "-S",
                str(tmp_path / "report.vim"),
            ],
            env=env,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert out.exists(), done.stdout + done.stderr
        servers: list[dict[str, Any]] = json.loads(out.read_text())
        out.unlink()
        return servers

    (server,) = registered(server_path())
    assert server["name"] == "mistral-lsp" and "python" in server["allowlist"]
    assert offered_actions(server["cmd"], project) >= FOUR_ACTIONS
    # Without mistral-lsp on $PATH, the snippet registers nothing (no error on every start).
    without = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not (Path(d) / "mistral-lsp").exists()
    ]
    assert registered(os.pathsep.join(without)) == []


def test_helix_languages_toml(tmp_path: Path) -> None:
    config = tomllib.loads(checked_block("helix"))
    (python,) = [language for language in config["language"] if language["name"] == "python"]
    assert "mistral-lsp" in python["language-servers"]
    server = config["language-server"]["mistral-lsp"]
    assert (
        offered_actions([server["command"], *server.get("args", [])], _project(tmp_path))
        >= FOUR_ACTIONS
    )


def test_zed_settings(tmp_path: Path) -> None:
    settings = jsonc(checked_block("zed"))
    assert "mistral-lsp" in settings["languages"]["Python"]["language_servers"]
    binary = settings["lsp"]["mistral-lsp"]["binary"]
    assert (
        offered_actions([binary["path"], *binary["arguments"]], _project(tmp_path)) >= FOUR_ACTIONS
    )


def test_kak_lsp_toml(tmp_path: Path) -> None:
    server = tomllib.loads(checked_block("kak-lsp"))["language_server"]["mistral-lsp"]
    assert "python" in server["filetypes"] and ".git" in server["roots"]
    assert (
        offered_actions([server["command"], *server.get("args", [])], _project(tmp_path))
        >= FOUR_ACTIONS
    )


def test_sublime_lsp_settings(tmp_path: Path) -> None:
    client = jsonc(checked_block("sublime"))["clients"]["mistral-lsp"]
    assert client["enabled"] is True and "source.python" in client["selector"]
    assert offered_actions(client["command"], _project(tmp_path)) >= FOUR_ACTIONS
