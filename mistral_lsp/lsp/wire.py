"""Every JSON-RPC message from the editor gets an answer or a log line, never silence or a popup.

Serves no LSP method itself: `server.MistralProtocol` calls it for every incoming message,
through pygls' public `structure_message` and `handle_message`.
pygls 2 decodes a message's params while it parses the JSON; when they do not decode it only
logs (and pops up "Error in server: Invalid Params"), so the client waits forever for that
request. Here a message that does not decode becomes an `Undecodable`, which the protocol answers:

- a request (valid `id` and `method`) gets InvalidParams (-32602) naming the field;
- a request missing `"jsonrpc": "2.0"` gets InvalidRequest (-32600);
- anything else (a notification, a response to nothing, not an object) is logged in one line.

Errors we answer with are one line of at most `MAX_SHOWN` characters and never repeat the
client's input at length: a 1 MB URI is described by where it was, not by its value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

from mistral_lsp.casing import camel_path
from mistral_lsp.logs import one_line

log = logging.getLogger(__name__)

MAX_SHOWN = 300
# Any one part of a description (a cattrs detail, a method name) is cut to this.
_PART = 120


@attrs.define
class Undecodable:
    """A message whose structure or params did not decode; `id` is None when it cannot be answered."""

    id: int | str | None
    method: str | None
    error: JsonRpcException


def _valid_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def describe(exc: BaseException) -> str:
    """Which fields did not decode and why, briefly: 'textDocument.uri: expected str'."""
    if isinstance(exc, cattrs.BaseValidationError):
        parts = []
        for detail in cattrs.transform_error(exc, path="$"):
            # cattrs says "invalid value for type, expected str @ $.params.textDocument.uri".
            what, _, where = detail.rpartition(" @ ")
            where = where.removeprefix("$.").removeprefix("params.").removeprefix("$")
            where = camel_path(where)  # the wire's names, not Python's
            what = what.removeprefix("invalid value for type, ")
            if what.startswith("expected Optional") or what.startswith("expected Union"):
                what = "wrong type"
            parts.append(one_line(f"{where or 'params'}: {what or detail}", _PART))
        return "; ".join(parts[:4]) + ("; …" if len(parts) > 4 else "")
    return one_line(str(exc) or type(exc).__name__, _PART)


def structure(
    data: dict[str, Any],
    converter: cattrs.Converter,
    message_type: Callable[[str], type | None],
    structure_response: Callable[[dict[str, Any]], Any],
) -> Any:
    """pygls' `structure_message`, with a decoding failure returned as an `Undecodable`.

    Requests and notifications are structured here, with `converter` and the protocol's
    `message_type`; a response is left to pygls' own `structure_response`, which pairs it with
    the request it answers."""
    if "jsonrpc" not in data:
        return _without_version(data)
    method = data.get("method")
    try:
        if "id" in data and ("error" in data or "method" not in data):
            return structure_response(data)
        if "id" in data:
            return _request(data, converter.structure(data, message_type(str(method)) or JsonRPCRequestMessage))
        notification: Any = converter.structure(data, message_type(method or "") or JsonRPCNotification)
    except Exception as exc:
        return _undecodable(data, method, exc)
    if (problem := _bad_key(method, notification)) is not None:
        return Undecodable(None, str(method), JsonRpcInvalidParams(message=f"Invalid params for {method}: {problem}"))
    return notification


def _without_version(data: dict[str, Any]) -> Any:
    """A request without `"jsonrpc"` is answered InvalidRequest; any other object is a nested one
    (json calls `structure` on every object, innermost first) and stays a dict."""
    if "method" in data and _valid_id(data.get("id")):
        return Undecodable(data["id"], str(data["method"])[:_PART],
                           JsonRpcInvalidRequest(message='Invalid Request: "jsonrpc": "2.0" is missing'))
    return data


def _request(data: dict[str, Any], request: Any) -> Any:
    if hasattr(request, "id"):
        return request
    # A notification's method, sent as a request.
    method = str(data["method"])[:_PART]
    return Undecodable(data["id"] if _valid_id(data["id"]) else None, method,
                       JsonRpcInvalidRequest(message=f"Invalid Request: {method} is a notification"))


def _undecodable(data: dict[str, Any], method: Any, exc: Exception) -> Undecodable:
    name = method[:_PART] if isinstance(method, str) else None
    # pygls raises its own error from the converter's, which names the fields.
    cause = exc.__cause__ if isinstance(exc, JsonRpcException) and exc.__cause__ is not None else exc
    message = one_line(f"Invalid params for {name or 'the message'}: {describe(cause)}", MAX_SHOWN)
    request_id = data.get("id") if _valid_id(data.get("id")) and isinstance(method, str) else None
    log.debug("undecodable message", exc_info=exc)
    return Undecodable(request_id, name, JsonRpcInvalidParams(message=message))


# Notifications whose params name a request or a progress token: used as dictionary keys.
_KEYED = {"$/cancelRequest": "id", "window/workDoneProgress/cancel": "token"}


def _bad_key(method: Any, notification: Any) -> str | None:
    name = _KEYED.get(method) if isinstance(method, str) else None
    value = getattr(getattr(notification, "params", None), name, None) if name else None
    if name and not _valid_id(value):
        return f"{name}: expected an integer or a string"
    return None


def _answerable(message: Any) -> int | str | None:
    """The id to answer `message` with, when it is a request."""
    if isinstance(message, Undecodable):
        return message.id
    method, msg_id = getattr(message, "method", None), getattr(message, "id", None)
    return msg_id if isinstance(method, str) and _valid_id(msg_id) else None


def not_supported_in_batch(item: Any) -> Undecodable:
    """A message that came inside a JSON-RPC batch: each request in it is answered InvalidRequest."""
    return Undecodable(_answerable(item), None,
                       JsonRpcInvalidRequest(message="Invalid Request: batches are not part of LSP"))


def wrong_version(message: Any) -> Undecodable:
    return Undecodable(_answerable(message), getattr(message, "method", None),
                       JsonRpcInvalidRequest(message='Invalid Request: "jsonrpc" must be "2.0"'))


def short_error(exc: JsonRpcException) -> Any:
    """`exc` as a response error: one line, no traceback data."""
    error = exc.to_response_error()
    error.message = one_line(error.message, MAX_SHOWN)
    error.data = None
    return error
