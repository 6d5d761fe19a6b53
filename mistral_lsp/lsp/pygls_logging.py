"""How pygls' failures reach the log and the editor: the one place that reshapes them.

Serves no LSP method. pygls 2.1 reports trouble in three ways, and each is decided here only:

1. **A request failed** (its handler raised, or it was cancelled). pygls would log the
   traceback at ERROR and send it to the editor as the error's `data`. `answer` decides
   instead: a `JsonRpcException` is raised on purpose (a refused request, bad arguments; the
   user was told) and is one line at INFO, its traceback at DEBUG; anything else is a bug of
   ours, answered "internal error" and logged with its traceback at ERROR. pygls has no public
   hook for this, so `server.MistralProtocol._send_handler_result` (our only override of a
   private pygls method) calls `answer`; tests/unit/test_pygls_contract.py fails when pygls
   changes what that override relies on.
2. **Out-of-band errors**, pygls' public hook `report_server_error`: a message that is not
   JSON is the client's mistake (a log line, never a popup); a notification handler that
   raised is a bug of ours (its traceback at ERROR, one line in the editor's LSP log). A
   request's error was already answered (1).
3. **pygls' own log records** of expected events (`PyglsRecords`): a `$/cancelRequest` that
   arrives after its request was answered is the normal race of a cancel with a reply (DEBUG);
   the traceback of a message pygls could not handle was reported by 2, and that of a response
   from the editor that does not decode is reported as the client's mistake by `wire.py`
   (both DEBUG). Clients show WARNING and ERROR lines of the server's log as errors.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Protocol

from lsprotocol import types
from pygls.exceptions import (
    FeatureNotificationError,
    FeatureRequestError,
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcRequestCancelled,
)

from mistral_lsp.logs import one_line
from mistral_lsp.lsp import wire

log = logging.getLogger(__name__)

# The loggers whose records `PyglsRecords` reshapes: pygls' message loop, and its JSON-RPC layer.
PYGLS_LOGGERS = ("pygls.server", "pygls.protocol.json_rpc")

INTERNAL_ERROR = "mistral-lsp internal error; see its log"


def answer(future: Future[Any], msg_id: Any) -> tuple[Any, types.ResponseError | None]:
    """The result or the error that answers request `msg_id`, whose handler ran as `future`."""
    if future.cancelled():
        return None, JsonRpcRequestCancelled(f"request {msg_id} was cancelled").to_response_error()
    exc = future.exception()
    if exc is None:
        return future.result(), None
    if isinstance(exc, JsonRpcException):
        log.info("request %s failed: %s", msg_id, one_line(exc.message))
        log.debug("request %s failed", msg_id, exc_info=exc)
        return None, wire.short_error(exc)
    log.error("internal error answering request %s", msg_id, exc_info=exc)
    return None, JsonRpcInternalError(message=INTERNAL_ERROR).to_response_error()


class Editor(Protocol):
    """What `report_server_error` needs of the server."""

    def note_client_mistake(self, message: str) -> None: ...

    def log_message(self, message: str, kind: types.MessageType = ...) -> None: ...


def report_server_error(editor: Editor, error: Exception, source: Any) -> None:
    """pygls' out-of-band report: see the module docstring (2)."""
    if source is FeatureRequestError:
        return  # the request was answered with the error (1)
    if source is FeatureNotificationError:
        data = getattr(error, "data", None)
        where = "".join(data.get("traceback", [])) if isinstance(data, dict) else ""
        log.error("internal error handling a notification: %s\n%s", error, where)
        editor.log_message("mistral-lsp internal error handling a notification; see its log", types.MessageType.Error)
        return
    editor.note_client_mistake(f"ignored a malformed message ({wire.describe(error)})")


class PyglsRecords(logging.Filter):
    """Rewrites the level of pygls' records of expected events (module docstring, 3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Cancel notification for unknown message id"):
            return _debug(record)
        if message == "Unable to handle message" and record.exc_info:
            return _debug(record)  # report_server_error logged it in one line
        if message.startswith("Unable to deserialize message"):
            return _debug(record)  # a response: `wire.structure` reports it in one line
        return True


def _debug(record: logging.LogRecord) -> bool:
    """The record at DEBUG: dropped unless its logger is debugging."""
    record.levelno, record.levelname = logging.DEBUG, "DEBUG"
    return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def install() -> None:
    """Once per process; idempotent."""
    for name in PYGLS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PyglsRecords) for f in logger.filters):
            logger.addFilter(PyglsRecords())
