"""pygls' log records of expected events are at the level they deserve (lsp/pygls_logging.py)."""

from __future__ import annotations

import logging

import pytest

from mistral_lsp.lsp.pygls_logging import install

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
