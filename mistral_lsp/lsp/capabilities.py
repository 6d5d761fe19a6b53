"""What this client can do, read once from `initialize`: the negotiation of issue #15.

No LSP method is served here; `lifecycle.initialize` builds a `ClientFeatures` from the client's
capabilities and every part of the server asks it instead of assuming. Two of its answers come
from our own opt-in (`capabilities.experimental.mistral`, see `protocol.py`): only our plugins
get `mistral/stream`, and commands that resolve when the run ends. Every other client gets an
immediate `RunStarted` answer — Emacs' jsonrpc and lsp-mode give up on a request after 10 s —
and the results through standard LSP only.

Where a client declares more than it does, a named quirk here corrects the reading (lsp-mode's
`CreateFile`, applied after the file's text edits), so no other module knows client names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lsprotocol import types

from mistral_lsp.protocol import (
    EXPERIMENTAL_CAPABILITY,
    RESOLVE_ON_COMPLETION_CAPABILITY,
    STREAM_NOTIFICATIONS_CAPABILITY,
)


@dataclasses.dataclass(frozen=True)
class ClientFeatures:
    """The parts of a client's capabilities the server acts on. The defaults are the plain
    client's (and what a server that was never initialized assumes)."""

    stream_notifications: bool = False
    """`mistral/stream` notifications are wanted (our plugins only)."""
    resolve_on_completion: bool = False
    """Commands may stay unanswered until the run ends (our plugins only)."""
    apply_edit: bool = False
    """`workspace/applyEdit` is supported."""
    document_changes: bool = False
    """A `WorkspaceEdit` may carry `documentChanges` (versioned document edits)."""
    create_files: bool = False
    """`documentChanges` may carry `CreateFile`."""
    change_annotations: bool = False
    """`documentChanges` may carry annotated edits (`changeAnnotationSupport`): a plain client
    then gets each hunk of a fix as an edit that needs confirmation."""
    show_document: bool = False
    """`window/showDocument` is supported."""
    work_done_progress: bool = False
    """The server may create work-done progress tokens."""
    info_may_be_hidden: bool = True
    """A minimal client — no `window` capabilities, no `clientInfo`, no `workspace.applyEdit` —
    like ALE, which shows only Error messages by default (eglot 1.9, which shows every level,
    declares applyEdit)."""
    client_name: str = ""
    """`clientInfo.name`, for logs."""

    def shown_level(self, kind: types.MessageType) -> types.MessageType:
        """The level to send a `window/showMessage` at: every such message is meant for the user,
        so where anything milder than an error may be hidden (ALE), it goes as Error; elsewhere
        a warning stays a warning."""
        return types.MessageType.Error if self.info_may_be_hidden else kind


def read_client_features(params: types.InitializeParams) -> ClientFeatures:
    capabilities = params.capabilities
    workspace, window = capabilities.workspace, capabilities.window
    workspace_edit = workspace.workspace_edit if workspace else None
    resource_operations = (workspace_edit.resource_operations or []) if workspace_edit else []
    opt_in = _experimental_opt_in(capabilities.experimental)
    return ClientFeatures(
        stream_notifications=opt_in.get(STREAM_NOTIFICATIONS_CAPABILITY) is True,
        resolve_on_completion=opt_in.get(RESOLVE_ON_COMPLETION_CAPABILITY) is True,
        apply_edit=bool(workspace and workspace.apply_edit),
        # Resource operations exist only inside `documentChanges`: a client declaring them takes
        # `documentChanges` even when it forgets to say so (Neovim up to 0.11 does).
        document_changes=bool(workspace_edit and (workspace_edit.document_changes or resource_operations)),
        create_files=types.ResourceOperationKind.Create in resource_operations
        and not _creates_after_editing(params.client_info),
        change_annotations=_annotations_supported(workspace_edit),
        show_document=bool(window and window.show_document and window.show_document.support),
        work_done_progress=bool(window and window.work_done_progress),
        info_may_be_hidden=window is None and params.client_info is None and not (workspace and workspace.apply_edit),
        client_name=params.client_info.name if params.client_info else "",
    )


def _annotations_supported(workspace_edit: types.WorkspaceEditClientCapabilities | None) -> bool:
    return workspace_edit is not None and workspace_edit.change_annotation_support is not None


def _creates_after_editing(client_info: types.ClientInfo | None) -> bool:
    """lsp-mode (`clientInfo.name` "emacs") declares `CreateFile` but applies a `WorkspaceEdit`'s
    text edits before its file operations (`lsp--apply-workspace-edit`, lsp-mode 8.0): a new
    test file's buffer is filled while the file on disk stays empty, and saving it asks twice
    whether to overwrite. For such a client the server writes new files itself, whole."""
    return client_info is not None and client_info.name == "emacs"


def _experimental_opt_in(experimental: Any) -> Mapping[str, Any]:
    """`experimental.mistral`, whatever shape the client sent `experimental` in."""
    value = experimental.get(EXPERIMENTAL_CAPABILITY) if isinstance(experimental, Mapping) else None
    return value if isinstance(value, Mapping) else {}
