"""Foundation: the executable, `doctor`, and an LSP session's start and end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from mistral_lsp import __version__
from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY, Editor


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mistral_lsp", *args], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mistral-lsp {__version__}"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env.update(extra)
    return env


def test_doctor_rejected_key_exits_non_zero(fake_api: FakeMistralAPI) -> None:
    result = run_cli("doctor", env=clean_env(MISTRAL_API_KEY="wrong-key-123", MISTRAL_BASE_URL=fake_api.base_url))
    assert result.returncode == 1
    assert "rejected the key" in result.stderr
    assert "wrong-key-123" not in result.stdout + result.stderr
    assert "(set, 13 characters)" in result.stdout


def test_doctor_ok_resolves_model(fake_api: FakeMistralAPI) -> None:
    result = run_cli("doctor", env=clean_env(MISTRAL_API_KEY=API_KEY, MISTRAL_BASE_URL=fake_api.base_url))
    assert result.returncode == 0, result.stderr
    assert "'mistral-medium-3.5' resolves to 'mistral-medium-3-5'" in result.stdout
    assert API_KEY not in result.stdout


def test_doctor_unknown_model_lists_closest(fake_api: FakeMistralAPI) -> None:
    result = run_cli("doctor", "--settings", '{"model": "mistral-medum-3-5"}',
                     env=clean_env(MISTRAL_API_KEY=API_KEY, MISTRAL_BASE_URL=fake_api.base_url))
    assert result.returncode == 1
    assert "mistral-medium-3-5" in result.stderr


def test_doctor_without_key(tmp_path: Path) -> None:
    result = run_cli("doctor", env=clean_env())
    assert result.returncode == 1
    assert "MISTRAL_API_KEY" in result.stderr


async def test_initialize_advertises_commands_and_encoding(editor: Editor) -> None:
    assert editor.init_result is not None
    server = editor.init_result.capabilities
    assert server.execute_command_provider is not None
    assert {"mistral.fix", "mistral.explain", "mistral.review", "mistral.generateTests", "mistral.cancel",
            "mistral.acceptFix", "mistral.rejectFix"} <= set(server.execute_command_provider.commands)
    assert isinstance(server.code_action_provider, types.CodeActionOptions)
    assert "quickfix.mistral" in (server.code_action_provider.code_action_kinds or [])
    offered = (editor.client.capabilities.general.position_encodings or []) if editor.client.capabilities.general else []
    assert server.position_encoding == ("utf-8" if "utf-8" in offered else "utf-16")


@pytest.mark.parametrize("bad", [{}, {"uri": "file:///nowhere.py", "range": None}, {"uri": 5}])
async def test_server_survives_bad_requests(editor: Editor, bad: dict[str, object]) -> None:
    with pytest.raises(Exception, match=r"uri|not open"):
        await editor.command("mistral.fix", bad)
    uri = await editor.open("a.py", "def f():\n    return 1\n")
    editor.fake.enqueue(Reply(text="Returns one."))
    assert (await editor.command("mistral.explain", {"uri": uri, "range": None, "showResult": False})).text == "Returns one."


def test_tcp_transport_answers_initialize(tmp_path: Path) -> None:
    import json
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "mistral_lsp", "-v", "--tcp", f"127.0.0.1:{port}"],
                              env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        for line in server.stderr:  # the server says when it listens
            if "Serving on" in line:
                break
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                           "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
        with conn:
            conn.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            header, _, rest = data.partition(b"\r\n\r\n")
            fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
            length = int(fields[b"Content-Length"])
            while len(rest) < length:
                rest += conn.recv(65536)
        reply = json.loads(rest[:length])
        assert reply["id"] == 1
        assert reply["result"]["serverInfo"]["name"] == "mistral-lsp"
    finally:
        server.terminate()
        server.wait(timeout=10)
