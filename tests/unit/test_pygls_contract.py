"""What mistral-lsp relies on inside pygls, checked against the installed pygls.

`server.MistralProtocol` overrides one private pygls method, `_send_handler_result`, because
pygls offers no public way to decide how a failed request is answered and logged (see
`lsp/pygls_logging.py`). These tests fail when a pygls release renames it, changes its
signature, or stops answering requests through it; then a request's failure would again reach
the editor with a traceback and the log at ERROR.
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol

from mistral_lsp.lsp.pygls_logging import INTERNAL_ERROR
from mistral_lsp.lsp.server import REQUEST_FAILED, MistralLanguageServer


def _parameters(method: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(method).parameters.values()]


def test_the_private_names_we_use_exist_with_their_signatures() -> None:
    positional, keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    assert _parameters(JsonRPCProtocol._send_handler_result) == [
        ("self", positional), ("future", positional), ("msg_id", keyword)]
    assert _parameters(JsonRPCProtocol._send_response) == [
        ("self", positional), ("msg_id", positional), ("result", positional), ("error", positional)]
    assert isinstance(MistralLanguageServer().protocol._request_futures, dict)


class _Wire:
    """The editor's end of the connection: every message the server writes."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    def close(self) -> None:
        pass


def _failing(exc: Exception) -> MistralLanguageServer:
    server = MistralLanguageServer()

    @server.command("mistral.test.fails")
    def fails(ls: MistralLanguageServer) -> None:
        raise exc

    return server


def _execute(server: MistralLanguageServer) -> dict[str, Any]:
    """Run the failing command as the message loop does (`pygls.io_`); the answer written."""
    wire = _Wire()
    server.protocol.set_writer(wire, include_headers=False)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": types.WORKSPACE_EXECUTE_COMMAND,
                       "params": {"command": "mistral.test.fails", "arguments": []}})
    server.protocol.handle_message(json.loads(body, object_hook=server.protocol.structure_message))
    (answer,) = wire.sent
    assert answer["id"] == 1
    assert 1 not in server.protocol._request_futures  # pygls' book-keeping is kept
    return dict(answer["error"])


def test_a_refused_request_is_answered_in_one_line_and_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = _failing(JsonRpcException(message="no Mistral API key:\nset it", code=REQUEST_FAILED))

    error = _execute(server)

    assert error == {"code": REQUEST_FAILED, "message": "no Mistral API key: set it"}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "request 1 failed: no Mistral API key: set it" in [r.getMessage() for r in caplog.records]


def test_a_bug_is_an_internal_error_without_its_traceback_on_the_wire(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = _failing(KeyError("oops"))

    error = _execute(server)

    assert error == {"code": -32603, "message": INTERNAL_ERROR}
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "mistral_lsp.lsp.pygls_logging" and record.levelname == "ERROR"
    assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)
