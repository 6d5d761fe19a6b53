"""The one registration table: which LSP method or command is served by which module.

| method / command | module | why |
|---|---|---|
| initialize (protocol hook) | lifecycle.prefer_utf8 | prefer UTF-8 positions, before pygls picks the encoding |
| initialize | lifecycle | settings in initializationOptions; what the client can do and whether it opted in (capabilities); push or pull diagnostics |
| initialized, workspace/didChangeConfiguration | configuration | settings from the editor, validated and hot-reloaded |
| textDocument/didOpen, didChange, didClose | documents | documents and their incremental syntax trees |
| textDocument/didSave | review_on_save | review what changed when the user saves (off by default) |
| textDocument/diagnostic | diagnostics | pull diagnostics, for clients that pull and accept refresh |
| textDocument/codeAction | code_actions | the four actions and review suggestions, from memory |
| textDocument/inlineCompletion | inline_completion | Codestral FIM ghost text (advertised only when `completion.enabled`) |
| workspace/executeCommand (protocol hook) | commands.before_execute | the run's progress token; arguments checked |
| workspace/executeCommand mistral.* | commands | run an action: stream, progress, cancel, result |
| window/workDoneProgress/cancel | commands | the progress UI's cancel button |
| $/cancelRequest (protocol hook) | commands.cancel_request | cancelling a command's request cancels its run |
| workspace/didChangeWatchedFiles, didChangeWorkspaceFolders | workspace_index | the index behind cross-file context |
| shutdown | workspace_index.shutdown | the index saved in the cache directory, for a fast restart |
| every message (protocol level) | wire, server.MistralProtocol | every request answered (InvalidParams naming the field); client mistakes logged, never popped up |
| didOpen/didChange/didClose (protocol level) | server.MistralProtocol | a malformed item or a document that is not open is logged and ignored |

Sent by the server: `workspace/applyEdit` only through `edits.apply_edit`, in the shape the
client declared (capabilities.py); `$/progress` and `mistral/stream` from `progress.py`.

A protocol hook runs inside pygls' own handling of that method (see `server.MistralProtocol`);
every other row is an ordinary pygls feature or command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsprotocol import types

from mistral_lsp.lsp import (
    code_actions,
    commands,
    configuration,
    diagnostics,
    documents,
    inline_completion,
    lifecycle,
    review_on_save,
    workspace_index,
)
from mistral_lsp.lsp.converter import teach
from mistral_lsp.lsp.server import MistralLanguageServer


def create_server() -> MistralLanguageServer:
    server = MistralLanguageServer()
    register_features(server)
    return server


def register_features(server: MistralLanguageServer) -> None:
    protocol_hooks: dict[str, Callable[..., None]] = {
        types.INITIALIZE: lifecycle.prefer_utf8,
        types.WORKSPACE_EXECUTE_COMMAND: commands.before_execute,
        types.CANCEL_REQUEST: commands.cancel_request,
    }
    table: list[tuple[str, Callable[..., Any], Any]] = [
        (types.INITIALIZE, lifecycle.initialize, None),
        (types.INITIALIZED, configuration.initialized, None),
        (types.WORKSPACE_DID_CHANGE_CONFIGURATION, configuration.did_change_configuration, None),
        (types.TEXT_DOCUMENT_DID_OPEN, documents.did_open, None),
        (types.TEXT_DOCUMENT_DID_CHANGE, documents.did_change, None),
        (types.TEXT_DOCUMENT_DID_CLOSE, documents.did_close, None),
        (types.TEXT_DOCUMENT_DID_SAVE, review_on_save.did_save, types.SaveOptions(include_text=False)),
        (types.TEXT_DOCUMENT_CODE_ACTION, code_actions.code_action, code_actions.OPTIONS),
        (types.TEXT_DOCUMENT_DIAGNOSTIC, diagnostics.document_diagnostic, diagnostics.OPTIONS),
        # No options: pygls advertises it only once `inline_completion.initialize` sets them.
        (types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_completion.inline_completion, None),
        (types.WINDOW_WORK_DONE_PROGRESS_CANCEL, commands.progress_cancelled, None),
        (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, workspace_index.did_change_watched_files, None),
        (types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, workspace_index.did_change_workspace_folders, None),
        (types.SHUTDOWN, workspace_index.shutdown, None),
    ]
    teach(server.converter)
    server.protocol_hooks.update(protocol_hooks)
    # Handlers name their first parameter `ls`, so pygls passes the server to them.
    for method, handler, options in table:
        server.feature(method, options)(handler)
    for name, command in commands.COMMAND_HANDLERS.items():
        server.command(name)(command)
