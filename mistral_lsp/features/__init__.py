"""The one registration table: which LSP method or command is served by which module.

| method / command | module | why |
|---|---|---|
| initialized, workspace/didChangeConfiguration | configuration | settings from the editor, validated and hot-reloaded |
| textDocument/didOpen, didChange, didClose | documents | documents and their incremental syntax trees |
| textDocument/didSave | review_on_save | review what changed when the user saves (off by default) |
| textDocument/diagnostic | review_on_save | pull diagnostics, for clients that pull and accept refresh |
| textDocument/codeAction | code_actions | the four actions and review suggestions, from memory |
| workspace/executeCommand mistral.* | commands | run an action: stream, progress, cancel, result |
| window/workDoneProgress/cancel | commands | the progress UI's cancel button |
| workspace/didChangeWatchedFiles, didChangeWorkspaceFolders | workspace_index | the index behind cross-file context |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from mistral_lsp.server import MistralLanguageServer


def register_features(server: MistralLanguageServer) -> None:
    from mistral_lsp.features import (
        code_actions,
        commands,
        configuration,
        documents,
        review_on_save,
        workspace_index,
    )

    table: list[tuple[str, Callable[..., Any], Any]] = [
        (types.INITIALIZED, configuration.initialized, None),
        (types.WORKSPACE_DID_CHANGE_CONFIGURATION, configuration.did_change_configuration, None),
        (types.TEXT_DOCUMENT_DID_OPEN, documents.did_open, None),
        (types.TEXT_DOCUMENT_DID_CHANGE, documents.did_change, None),
        (types.TEXT_DOCUMENT_DID_CLOSE, documents.did_close, None),
        (types.TEXT_DOCUMENT_DID_SAVE, review_on_save.did_save, types.SaveOptions(include_text=False)),
        (types.TEXT_DOCUMENT_CODE_ACTION, code_actions.code_action, code_actions.OPTIONS),
        (types.TEXT_DOCUMENT_DIAGNOSTIC, review_on_save.document_diagnostic,
         types.DiagnosticOptions(identifier="mistral", inter_file_dependencies=False, workspace_diagnostics=False)),
        (types.WINDOW_WORK_DONE_PROGRESS_CANCEL, commands.progress_cancelled, None),
        (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, workspace_index.did_change_watched_files, None),
        (types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, workspace_index.did_change_workspace_folders, None),
    ]
    # Handlers name their first parameter `ls`, so pygls passes the server to them.
    for method, handler, options in table:
        server.feature(method, options)(handler)
    for name, command in commands.COMMANDS.items():
        server.command(name)(command)
