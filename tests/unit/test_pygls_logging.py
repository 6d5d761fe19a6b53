"""pygls' log records of expected events are at the level they deserve (lsp/pygls_logging.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from lsprotocol import types

from mistral_lsp.lsp.pygls_logging import install
from mistral_lsp.lsp.server import MistralLanguageServer

PYGLS_RPC_LOGGER = "pygls.protocol.json_rpc"


@pytest.fixture
def pygls_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    install()
    caplog.set_level(logging.INFO, logger=PYGLS_RPC_LOGGER)
    return caplog


def test_a_late_cancel_is_not_a_warning(pygls_log: pytest.LogCaptureFixture) -> None:
    logging.getLogger(PYGLS_RPC_LOGGER).warning('Cancel notification for unknown message id "%s"', 7)
    assert [r for r in pygls_log.records if r.levelno >= logging.INFO] == []


def _framed(*messages: bytes) -> bytes:
    return b"".join(b"Content-Length: %d\r\n\r\n" % len(body) + body for body in messages)


def test_a_message_that_is_not_json_is_one_warning_line_in_the_servers_log() -> None:
    """pygls' message loop logs "Unable to handle message" with its traceback at ERROR, then
    reports it through `report_server_error`: the server's own log (what an editor shows of
    stderr) has the one warning line, no traceback and no error. (A bug's traceback at ERROR
    is tests/unit/test_pygls_contract.py's; pygls' own "Exception occurred for message" record
    is never written, its `_send_handler_result` being replaced.)"""
    requests = [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"processId": None, "rootUri": None, "capabilities": {}}},
                {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}]
    stdin = _framed(b"not json {", *(json.dumps(r).encode() for r in requests))
    env = {**os.environ, "MISTRAL_API_KEY": ""}
    ran = subprocess.run([sys.executable, "-m", "mistral_lsp"], input=stdin, capture_output=True, timeout=60, env=env,
                         check=True)
    log = ran.stderr.decode()
    assert [line.split(" ", 3)[2:] for line in log.splitlines()] == [
        ["WARNING", "mistral_lsp.lsp.server: ignored a malformed message (Expecting value: line 1 column 1 (char 0))"]]
    assert b'"id": 2' in ran.stdout  # and the session went on


def test_a_response_that_does_not_decode_is_the_clients_mistake_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    """pygls itself pairs a response with the request it answers, and logs one that does not
    decode with a traceback at ERROR: the server logs one warning line instead."""
    caplog.set_level(logging.INFO)
    server = MistralLanguageServer()
    sent: list[dict[str, object]] = []

    class Wire:
        def write(self, data: bytes) -> None:
            sent.append(json.loads(data))

        def close(self) -> None:
            pass

    server.protocol.set_writer(Wire(), include_headers=False)
    server.protocol.send_request(types.WORKSPACE_CONFIGURATION, types.ConfigurationParams(items=[]), msg_id="cfg-1")
    body = json.dumps({"jsonrpc": "2.0", "id": "cfg-1", "result": 5})
    server.protocol.handle_message(json.loads(body, object_hook=server.protocol.structure_message))

    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in problems] == ["WARNING"], [r.getMessage() for r in problems]
    (warning,) = problems
    assert warning.getMessage() == "ignored a malformed message: Invalid params for the message: result: expected Sequence"
    assert warning.exc_info is None
    assert sent[-1]["method"] == types.WINDOW_LOG_MESSAGE  # in the editor's LSP log, not a popup
