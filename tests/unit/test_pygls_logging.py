"""pygls' log records of expected events are at the level they deserve (lsp/pygls_logging.py)."""

from __future__ import annotations

import json
import logging

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


def test_a_bug_keeps_its_traceback_at_error(pygls_log: pytest.LogCaptureFixture) -> None:
    try:
        raise KeyError("oops")
    except KeyError:
        logging.getLogger(PYGLS_RPC_LOGGER).exception('Exception occurred for message "%s"', 4)
    (record,) = pygls_log.records
    assert record.levelname == "ERROR" and "Traceback" in pygls_log.text


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
