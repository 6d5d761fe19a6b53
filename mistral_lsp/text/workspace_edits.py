"""Taking a `WorkspaceEdit` apart, so it can be sent in a shape the client supports (pure).

The actions build one shape — `documentChanges` with versioned `TextDocumentEdit`s and, for new
test files, `CreateFile`. Clients differ: some take only `changes` (no versions, no resource
operations), some no `CreateFile`, some no `workspace/applyEdit` at all. The LSP layer
(`lsp/edits.py`) decides; this module only splits and rebuilds edits and applies text edits to
a string.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from lsprotocol import types


@dataclasses.dataclass
class EditParts:
    """A workspace edit split by kind, in its original order within each kind."""

    creates: list[types.CreateFile]
    text_edits: list[types.TextDocumentEdit]
    other_operations: list[types.RenameFile | types.DeleteFile]
    annotations: dict[str, types.ChangeAnnotation] | None = None
    """The change annotations the text edits refer to (see `without_annotations`)."""


def split(edit: types.WorkspaceEdit) -> EditParts:
    parts = EditParts([], [], [], dict(edit.change_annotations) if edit.change_annotations else None)
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            parts.creates.append(change)
        elif isinstance(change, types.TextDocumentEdit):
            parts.text_edits.append(change)
        else:
            parts.other_operations.append(change)
    for uri, edits in (edit.changes or {}).items():
        parts.text_edits.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=list(edits),
            )
        )
    return parts


def plain_edits(document_edit: types.TextDocumentEdit) -> list[types.TextEdit]:
    """The document edit's text edits (annotated edits are text edits with an annotation; we
    never make snippet edits)."""
    return [
        types.TextEdit(range=e.range, new_text=e.new_text)
        for e in document_edit.edits
        if isinstance(e, (types.TextEdit, types.AnnotatedTextEdit))
    ]


def without_annotations(parts: EditParts) -> EditParts:
    """The parts with plain text edits, for a client that cannot confirm annotated ones."""
    text_edits = [types.TextDocumentEdit(text_document=d.text_document, edits=list(plain_edits(d))) for d in parts.text_edits]
    return EditParts(parts.creates, text_edits, parts.other_operations)


def to_changes(text_edits: Sequence[types.TextDocumentEdit]) -> types.WorkspaceEdit:
    """The edits as `changes` (uri → edits), for clients without `documentChanges`. Versions are
    dropped: the caller has checked them against the server's documents first."""
    changes: dict[str, list[types.TextEdit]] = {}
    for document_edit in text_edits:
        changes.setdefault(document_edit.text_document.uri, []).extend(plain_edits(document_edit))
    return types.WorkspaceEdit(changes=changes)


def rebuild(parts: EditParts) -> types.WorkspaceEdit:
    """The parts as one `documentChanges` edit, creations first."""
    changes: list[types.CreateFile | types.TextDocumentEdit | types.RenameFile | types.DeleteFile] = [
        *parts.creates, *parts.text_edits, *parts.other_operations,
    ]
    return types.WorkspaceEdit(document_changes=changes, change_annotations=parts.annotations)


def apply_to_text(text: str, edits: Sequence[types.TextEdit], offset_of: Callable[[types.Position], int]) -> str:
    """`text` with `edits` applied; `offset_of` maps a position of `text` to a string index.
    LSP edits never overlap, and all refer to the text before any of them."""
    spans = sorted(((offset_of(e.range.start), offset_of(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text
