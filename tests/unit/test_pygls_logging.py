"""pygls' log records of expected events are one line at the right level (lsp/pygls_logging.py)."""

from __future__ import annotations

import logging

import pytest
from pygls.exceptions import JsonRpcException

from mistral_lsp.lsp.pygls_logging import PYGLS_RPC_LOGGER, install


@pytest.fixture
def pygls_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    install()
    caplog.set_level(logging.INFO, logger=PYGLS_RPC_LOGGER)
    return caplog


def test_a_late_cancel_is_not_a_warning(pygls_log: pytest.LogCaptureFixture) -> None:
    logging.getLogger(PYGLS_RPC_LOGGER).warning('Cancel notification for unknown message id "%s"', 7)
    assert [r for r in pygls_log.records if r.levelno >= logging.INFO] == []


def test_a_refused_request_is_one_warning_line(pygls_log: pytest.LogCaptureFixture) -> None:
    try:
        raise JsonRpcException(message="no Mistral API key", code=-32803)
    except JsonRpcException:
        logging.getLogger(PYGLS_RPC_LOGGER).exception('Exception occurred for message "%s"', 3)
    (record,) = pygls_log.records
    assert record.levelname == "WARNING"
    assert "\n" not in pygls_log.text.strip()
    assert 'message "3": no Mistral API key' in record.getMessage()


def test_a_bug_keeps_its_traceback_at_error(pygls_log: pytest.LogCaptureFixture) -> None:
    try:
        raise KeyError("oops")
    except KeyError:
        logging.getLogger(PYGLS_RPC_LOGGER).exception('Exception occurred for message "%s"', 4)
    (record,) = pygls_log.records
    assert record.levelname == "ERROR" and "Traceback" in pygls_log.text
