"""What the server sends a client for an edit, by what the client declared: the capability
reading (`lsp/capabilities.py`), the edit's shapes (`text/workspace_edits.py`) and the reply
timeout of `workspace/applyEdit` (`lsp/edits.py`), without a client process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from mistral_lsp.lsp import edits
from mistral_lsp.lsp.capabilities import ClientFeatures, read_client_features
from mistral_lsp.syntax.document import DocumentStore
from mistral_lsp.text.workspace_edits import apply_to_text, split, to_changes


def _init(capabilities: types.ClientCapabilities, client: str | None = None) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=capabilities, process_id=None, root_uri=None,
        client_info=types.ClientInfo(name=client) if client else None,
    )


def test_only_the_opt_in_gets_streams_and_commands_that_wait() -> None:
    opted = types.ClientCapabilities(experimental={"mistral": {"streamNotifications": True, "commandsResolveOnCompletion": True}})
    features = read_client_features(_init(opted))
    assert features.stream_notifications and features.resolve_on_completion
    for experimental in (None, {}, {"mistral": True}, {"mistral": {"streamNotifications": "yes"}}, ["mistral"]):
        plain = read_client_features(_init(types.ClientCapabilities(experimental=experimental)))
        assert not plain.stream_notifications and not plain.resolve_on_completion


def test_resource_operations_imply_document_changes_and_ale_hides_info() -> None:
    neovim = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
        apply_edit=True, workspace_edit=types.WorkspaceEditClientCapabilities(resource_operations=["create"])))
    features = read_client_features(_init(neovim, "Neovim"))
    assert features.document_changes and features.create_files and not features.info_may_be_hidden
    ale = read_client_features(_init(types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(apply_edit=False))))
    assert not ale.apply_edit and not ale.document_changes and ale.info_may_be_hidden


def test_document_changes_become_changes_and_apply_to_text() -> None:
    position = types.Position(line=1, character=4)
    edit = types.WorkspaceEdit(document_changes=[
        types.CreateFile(uri="file:///new.py"),
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri="file:///a.py", version=3),
            edits=[types.TextEdit(range=types.Range(start=position, end=position), new_text="X")],
        ),
    ])
    parts = split(edit)
    assert [c.uri for c in parts.creates] == ["file:///new.py"]
    changes = to_changes(parts.text_edits)
    assert changes.document_changes is None and list(changes.changes or {}) == ["file:///a.py"]
    lines = "ab\ncdef\n".splitlines(keepends=True)
    offset = lambda p: sum(len(line) for line in lines[: p.line]) + p.character  # noqa: E731
    assert apply_to_text("ab\ncdef\n", (changes.changes or {})["file:///a.py"], offset) == "ab\ncdefX\n"


class _SilentClient:
    """A client that declares applyEdit and never answers it."""

    def __init__(self) -> None:
        self.client_features = ClientFeatures(apply_edit=True, document_changes=True)
        self.documents = DocumentStore()
        self.position_encoding = "utf-16"
        self.notices: list[str] = []

    def workspace_apply_edit_async(self, _params: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def show_notice(self, message: str) -> None:
        self.notices.append(message)


async def test_an_unanswered_apply_edit_ends_with_a_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(edits, "APPLY_EDIT_TIMEOUT_S", 1.0)
    uri = (tmp_path / "a.py").as_uri()
    edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(range=types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)), new_text="x")]})
    result = await edits.apply_edit(_SilentClient(), edit, "Mistral: Fix")  # type: ignore[arg-type]
    assert result.applied is False
    assert "did not answer workspace/applyEdit within 1 s" in (result.failure_reason or "")
