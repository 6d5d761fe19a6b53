"""What the actions need from the editor, as Protocols the LSP layer implements.

Keeping these small is the point: an action can show a message, apply an edit, show a
document, publish findings and report progress — nothing else of LSP reaches it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lsprotocol import types

if TYPE_CHECKING:
    from mistral_lsp.actions.runs import Run
    from mistral_lsp.actions.session import Session
    from mistral_lsp.mistral import MistralClient
    from mistral_lsp.options import Settings
    from mistral_lsp.protocol import Hunk
    from mistral_lsp.review.findings import FindingsStore
    from mistral_lsp.syntax.document import DocumentStore
    from mistral_lsp.syntax.workspace import WorkspaceIndex


class Reporter(Protocol):
    """Tells the editor what a run is doing: progress and streamed text."""

    def status(self, message: str) -> None: ...

    def thinking(self) -> None: ...

    def delta(self, text: str) -> None: ...

    def lookup(self, line: str) -> None:
        """The model called a workspace tool: one human line saying what it looked up."""
        ...

    def end(
        self, message: str, *, error: str | None = None, cancelled: bool = False, hunks: list[Hunk] | None = None
    ) -> None:
        """The run ended; `hunks`: a fix's proposal, for the stream's `done`."""
        ...


class Editor(Protocol):
    """The editor session an action runs in."""

    documents: DocumentStore
    findings: FindingsStore
    session: Session
    workspace_index: WorkspaceIndex | None

    @property
    def settings(self) -> Settings: ...

    @property
    def position_encoding(self) -> str: ...

    def client(self) -> MistralClient: ...

    @property
    def key_hint(self) -> str:
        """How to set the API key in this editor."""
        ...

    def settings_loaded(self) -> bool:
        """Whether the editor's settings are in: the first ones, and none being pulled again."""
        ...

    async def wait_for_settings(self) -> None: ...

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None: ...

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None: ...

    def show_notice(self, message: str) -> None:
        """A message carrying a result (where it is), at a level this editor displays."""
        ...

    async def open_reporter(
        self, run: Run, *, title: str, message: str = "waiting for the model", stream: bool = True
    ) -> Reporter: ...

    async def apply_edit(self, edit: types.WorkspaceEdit, label: str) -> types.ApplyWorkspaceEditResult: ...

    def can_show_document(self) -> bool: ...

    async def show_document(self, params: types.ShowDocumentParams) -> bool: ...

    def publish_findings(self, uri: str) -> None: ...

    def workspace_roots(self) -> list[Path]: ...
