"""`workspace/applyEdit`, sent only in a shape the client declared it can apply.

Every edit an action makes goes through `apply_edit` (the `Editor.apply_edit` of the server):

- no `workspace.applyEdit` (ALE): the server writes the files itself, atomically — only files
  whose open buffer holds exactly what is on disk, so no unsaved work is ever overwritten — and
  says which file changed; otherwise nothing is written and the reason is returned;
- no `workspaceEdit.documentChanges`: the server checks each edit's version against its own copy
  of the document, then sends unversioned `changes`;
- annotated edits (a fix's hunks, each needing confirmation) only to a plain client declaring
  `changeAnnotationSupport`; every other client gets plain text edits;
- no `resourceOperations: ["create"]` (eglot 1.9, ALE): a new file is written by the server
  atomically, with its whole content, and never sent as `CreateFile`;
- every request has a reply timeout (`APPLY_EDIT_TIMEOUT_S`): a client that never answers
  ends the run with a message instead of leaving it pending forever.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mistral_lsp import files
from mistral_lsp.syntax.document import Document
from mistral_lsp.text.uris import to_path
from mistral_lsp.text.workspace_edits import (
    EditParts,
    apply_to_text,
    plain_edits,
    rebuild,
    split,
    to_changes,
    without_annotations,
)

if TYPE_CHECKING:
    from mistral_lsp.lsp.capabilities import ClientFeatures
    from mistral_lsp.lsp.server import MistralLanguageServer

log = logging.getLogger(__name__)

APPLY_EDIT_TIMEOUT_S = 30.0


class EditNotApplied(Exception):
    """The edit cannot reach the document; the message says why, for the user."""


async def apply_edit(ls: MistralLanguageServer, edit: types.WorkspaceEdit, label: str) -> types.ApplyWorkspaceEditResult:
    try:
        written = await _apply(ls, edit, label)
    except EditNotApplied as exc:
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason=str(exc))
    notice = _written_notice(label, written)
    if notice:
        ls.show_notice(notice)
    return types.ApplyWorkspaceEditResult(applied=True)


@dataclasses.dataclass(frozen=True)
class _Shape:
    """How an edit reaches the files, decided once from the client's capabilities."""

    wire: Literal["documentChanges", "changes"] | None
    """What `workspace/applyEdit` carries; None: the client has no applyEdit, the server writes."""
    client_creates: bool
    """New files go to the client as `CreateFile`; otherwise the server writes them."""
    annotations: bool = False
    """Annotated edits (a fix's hunks, each needing confirmation) reach the client as they are:
    a plain client that supports them; our plugins decide hunk by hunk themselves."""

    @property
    def file_operations(self) -> bool:
        """Renames and deletes can be sent (only inside `documentChanges`)."""
        return self.wire == "documentChanges"


def _shape_for(features: ClientFeatures) -> _Shape:
    if not features.apply_edit:
        return _Shape(wire=None, client_creates=False)
    if not features.document_changes:
        return _Shape(wire="changes", client_creates=False)
    annotations = features.change_annotations and not features.stream_notifications
    return _Shape(wire="documentChanges", client_creates=features.create_files, annotations=annotations)


async def _apply(ls: MistralLanguageServer, edit: types.WorkspaceEdit, label: str) -> list[tuple[Path, bool]]:
    """Apply `edit`; return the files the server wrote itself, each with whether it is open."""
    shape = _shape_for(ls.client_features)
    parts = split(edit)
    if not shape.annotations:
        parts = without_annotations(parts)
    if parts.other_operations and not shape.file_operations:
        raise EditNotApplied("the editor cannot rename or delete files")
    to_write: dict[Path, str] = {}
    if not shape.client_creates:
        to_write, parts = _new_files(ls, parts)
    if parts.text_edits or parts.creates or parts.other_operations:
        if shape.wire is None:
            to_write = _written_texts(ls, parts.text_edits, to_write)
        else:
            await _send_parts(ls, parts, shape.wire, label)
    for path, text in to_write.items():
        write_atomically(path, text)
        log.info("%s: wrote %s (the client cannot apply this edit itself)", label, path)
    open_paths = {to_path(doc.uri) for doc in ls.documents}
    return [(path, path in open_paths) for path in to_write]


def _new_files(ls: MistralLanguageServer, parts: EditParts) -> tuple[dict[Path, str], EditParts]:
    """For a client that cannot create files: the new files' whole texts, for the server to
    write, and what is left of the edit to apply (no creations, no edits of the new files)."""
    to_write: dict[Path, str] = {}
    text_edits = parts.text_edits
    for create in parts.creates:
        path = _path_of(create.uri)
        if path.exists():
            raise EditNotApplied(f"{path} appeared while the model answered; run the action again")
        own = [e for e in text_edits if e.text_document.uri == create.uri]
        text_edits = [e for e in text_edits if e.text_document.uri != create.uri]
        to_write[path] = _edited("", [te for d in own for te in plain_edits(d)], create.uri, ls.position_encoding)
    return to_write, EditParts([], text_edits, parts.other_operations)


async def _send_parts(
    ls: MistralLanguageServer, parts: EditParts, wire: Literal["documentChanges", "changes"], label: str
) -> None:
    if wire == "changes":  # no versions on the wire: check them here
        _check_versions(ls, parts.text_edits)
    response = await _send(ls, rebuild(parts) if wire == "documentChanges" else to_changes(parts.text_edits), label)
    if not response.applied:
        raise EditNotApplied(response.failure_reason or "the editor refused the edit")


def _written_texts(
    ls: MistralLanguageServer, text_edits: list[types.TextDocumentEdit], to_write: dict[Path, str]
) -> dict[Path, str]:
    """`to_write` with `text_edits` applied by the server, over the files' unmodified texts."""
    _check_versions(ls, text_edits)
    out = dict(to_write)
    for document_edit in text_edits:
        uri = document_edit.text_document.uri
        path = _path_of(uri)
        base = out.get(path)
        if base is None:
            base = _unmodified_text(ls, uri, path)
        out[path] = _edited(base, plain_edits(document_edit), uri, ls.position_encoding)
    return out


async def _send(ls: MistralLanguageServer, edit: types.WorkspaceEdit, label: str) -> types.ApplyWorkspaceEditResult:
    try:
        return await asyncio.wait_for(
            ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label)),
            APPLY_EDIT_TIMEOUT_S,
        )
    except asyncio.TimeoutError:
        raise EditNotApplied(
            f"the editor did not answer workspace/applyEdit within {APPLY_EDIT_TIMEOUT_S:.0f} s"
        ) from None
    except JsonRpcException as exc:  # the client failed while applying it
        raise EditNotApplied(f"the editor could not apply the edit ({exc.message or type(exc).__name__})") from None


def _check_versions(ls: MistralLanguageServer, text_edits: list[types.TextDocumentEdit]) -> None:
    for document_edit in text_edits:
        version = document_edit.text_document.version
        doc = ls.documents.get(document_edit.text_document.uri)
        if version is not None and (doc is None or doc.version != version):
            raise EditNotApplied("the document changed before the edit could be sent; run the action again")


def _unmodified_text(ls: MistralLanguageServer, uri: str, path: Path) -> str:
    """The file's text, when writing it cannot lose the user's work: it is not open, or its
    buffer holds exactly what is on disk (the editor then reloads it)."""
    try:
        on_disk = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EditNotApplied(f"cannot read {path}: {exc}") from None
    doc = ls.documents.get(uri)
    if doc is not None and doc.text != on_disk:
        raise EditNotApplied(
            f"this editor cannot apply edits (it has no workspace/applyEdit) and {path.name} has unsaved "
            "changes; save it and run the action again"
        )
    return on_disk


def _edited(text: str, edits: list[types.TextEdit], uri: str, encoding: str) -> str:
    return apply_to_text(text, edits, Document(uri, text, encoding=encoding).offset_at)


def _path_of(uri: str) -> Path:
    path = to_path(uri)
    if path is None:
        raise EditNotApplied(f"{uri} is not a file on disk, and the editor cannot create it")
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never a half-written file;
    a new file honours the umask, an existing one keeps its mode (`files.write_atomically`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomically(path, text.encode("utf-8"), temporary_prefix=f".{path.name}.")


def _written_notice(label: str, written: list[tuple[Path, bool]]) -> str | None:
    """Only files open in the editor need a word: their buffer must be reloaded. (New files are
    announced by the action, which knows what they hold.)"""
    names = ", ".join(str(path) for path, is_open in written if is_open)
    return f"{label}: wrote {names} — reload it in the editor to see the change" if names else None
