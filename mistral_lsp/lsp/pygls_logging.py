"""pygls' own log lines, at the level they deserve (no LSP method: logging only).

pygls logs a `$/cancelRequest` that arrives after its request was answered ("Cancel
notification for unknown message id") as a warning, though it is the normal race of a cancel
with a reply, and every error a handler raises on purpose (`JsonRpcException`: a refused
request, already answered with its one-line message) with a full traceback at ERROR. Clients
show both as errors. This filter makes the first a debug line and the second one warning line;
unexpected exceptions keep their traceback at ERROR.
"""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException

PYGLS_RPC_LOGGER = "pygls.protocol.json_rpc"


class PyglsLevels(logging.Filter):
    """Rewrites the level (and drops the traceback) of pygls' records for expected events."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg.startswith("Cancel notification for unknown message id"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, JsonRpcException):
            record.msg = f"{record.getMessage()}: {exc.message} (code {exc.code})"
            record.args = None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install() -> None:
    """Once per process; idempotent."""
    logger = logging.getLogger(PYGLS_RPC_LOGGER)
    if not any(isinstance(f, PyglsLevels) for f in logger.filters):
        logger.addFilter(PyglsLevels())
