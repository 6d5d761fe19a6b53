"""A fix's proposal, decided hunk by hunk: `mistral.acceptFix` / `mistral.rejectFix` with `hunks`.

Each hunk is found again in its document as it is now (`text.hunks.locate`: its lines and their
context unchanged, shifted is fine) and refused alone when its lines were edited. The hunks an
accept applies go to the editor in one `workspace/applyEdit` (one undo step). The hunks left
pending are moved to the documents as they are after the call and returned, so the plugins
redraw them; the proposal lives until every hunk is decided.

A closed file's hunks refer to its text on disk (`version` null); they are sent as a
`TextDocumentEdit` with `version: null`, or written by the server for clients without
`workspace/applyEdit` (`lsp/edits.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.protocol import Hunk, RefusedHunk
from mistral_lsp.syntax.document import Document
from mistral_lsp.text.edits import OffsetEdit, RebaseError, apply_offset_edits, minimal_edits
from mistral_lsp.text.hunks import locate, moved
from mistral_lsp.text.uris import to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.state import Proposal, ProposedHunk

# How long an accept waits for the editor to report the edit it applied (didChange), so that the
# pending hunks it returns refer to a version the editor has. Not a sleep: it ends at the report.
SETTLE_TIMEOUT_S = 1.0


@dataclasses.dataclass
class Snapshot:
    """A document as it is now: the open buffer's text and version, else the file on disk."""

    doc: Document
    version: int | None


def snapshot(editor: Editor, uri: str) -> Snapshot:
    doc = editor.documents.get(uri)
    if doc is not None:
        return Snapshot(doc, doc.version)
    path = to_path(uri)
    try:
        text = path.read_text(encoding="utf-8") if path else None
    except (OSError, UnicodeDecodeError):
        text = None
    if text is None:
        raise RebaseError(f"{uri.rsplit('/', 1)[-1]} can no longer be read")
    return Snapshot(Document(uri, text, encoding=editor.position_encoding), None)


def wire_hunk(hunk: ProposedHunk, snap: Snapshot) -> Hunk:
    """The protocol's view of `hunk`, whose `line` refers to `snap`."""
    position_at = snap.doc.position_at
    line = hunk.line
    return Hunk(id=hunk.id, uri=hunk.uri, range=types.Range(start=position_at(line.start), end=position_at(line.end)),
                new_text=line.new, old_text=line.old, version=snap.version, label=hunk.label)


@dataclasses.dataclass
class Placed:
    """Hunks found in the documents as they are now, as one edit; and the hunks refused."""

    edit: types.WorkspaceEdit
    hunks: list[ProposedHunk]
    refused: list[RefusedHunk]
    expected: dict[str, str]
    """The text each open document will have once the edit is applied."""


def place(editor: Editor, hunks: list[ProposedHunk], *, annotate: bool = False) -> Placed:
    """One edit applying every hunk of `hunks` that is found unchanged; each other refused alone.

    With `annotate`, each hunk's text edits carry a change annotation (its id and label) that
    needs confirmation: a plain client with refactor previews offers each hunk on its own.
    """
    by_uri: dict[str, list[ProposedHunk]] = {}
    for hunk in hunks:
        by_uri.setdefault(hunk.uri, []).append(hunk)
    placed = Placed(types.WorkspaceEdit(), [], [], {})
    changes: list[types.TextDocumentEdit] = []
    annotations: dict[str, types.ChangeAnnotation] = {}
    for uri, own in by_uri.items():
        try:
            snap = snapshot(editor, uri)
        except RebaseError as exc:
            placed.refused += [RefusedHunk(id=hunk.id, reason=str(exc)) for hunk in own]
            continue
        edits: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = []
        offset_edits: list[OffsetEdit] = []
        for hunk in own:
            try:
                start = locate(snap.doc.text, hunk.line)
            except RebaseError as exc:
                placed.refused.append(RefusedHunk(id=hunk.id, reason=f"{_where(hunk)}: {exc}"))
                continue
            placed.hunks.append(hunk)
            pieces = minimal_edits(hunk.line.old, hunk.line.new, base=start)
            offset_edits += pieces
            edits += [_text_edit(snap.doc, piece, hunk.id if annotate else None) for piece in pieces]
            if annotate:
                annotations[hunk.id] = types.ChangeAnnotation(label=hunk.label or hunk.id, needs_confirmation=True,
                                                              description=f"Mistral fix, hunk {hunk.id}")
        if edits:
            identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=snap.version)
            changes.append(types.TextDocumentEdit(text_document=identifier, edits=edits))
            if snap.version is not None:
                placed.expected[uri] = apply_offset_edits(snap.doc.text, offset_edits)
    placed.edit = types.WorkspaceEdit(document_changes=changes, change_annotations=annotations or None)
    return placed


def _text_edit(doc: Document, piece: OffsetEdit, annotation: str | None) -> types.TextEdit | types.AnnotatedTextEdit:
    range_ = types.Range(start=doc.position_at(piece.start), end=doc.position_at(piece.end))
    if annotation is not None:
        return types.AnnotatedTextEdit(range=range_, new_text=piece.new_text, annotation_id=annotation)
    return types.TextEdit(range=range_, new_text=piece.new_text)


def _where(hunk: ProposedHunk) -> str:
    return f"hunk {hunk.id}" + (f" ({hunk.label})" if hunk.label else "")


@dataclasses.dataclass
class Decision:
    """What one accept did."""

    applied: list[str]
    refused: list[RefusedHunk]
    message: str | None
    edit: types.WorkspaceEdit | None


async def apply_hunks(editor: Editor, hunks: list[ProposedHunk], *, annotate: bool = False,
                      all_or_nothing: bool = False, since: str = "since the fix was computed") -> Decision:
    """Apply `hunks` in one edit, each found again in its document; an editor that refuses for a
    version race gets one retry. With `all_or_nothing` (a fix applied without preview), one hunk
    refused refuses them all: nothing the user did not see is applied in part."""
    placed = place(editor, hunks, annotate=annotate)
    for _attempt in range(2):
        if not placed.hunks or (all_or_nothing and placed.refused):
            return Decision([], placed.refused, _refusal(placed.refused, len(hunks), since), None)
        sent = {uri: doc.version for uri in placed.expected if (doc := editor.documents.get(uri))}
        response = await editor.apply_edit(placed.edit, "Mistral: Fix")
        if response.applied:
            await _settled(editor, placed.expected)
            return Decision([h.id for h in placed.hunks], placed.refused, _partial(placed, len(hunks)), placed.edit)
        raced = any((doc := editor.documents.get(uri)) is None or doc.version != version for uri, version in sent.items())
        if not raced:
            reason = response.failure_reason or "the editor refused the edit"
            return Decision([], placed.refused, f"the fix was not applied: {reason}", placed.edit)
        placed = place(editor, hunks, annotate=annotate)  # the user typed while it was in flight
    return Decision([], placed.refused, "the document kept changing, so the fix was not applied; run Fix again", None)


def _refusal(refused: list[RefusedHunk], total: int, since: str) -> str:
    if total == 1 or len(refused) == total:
        return f"fix not applied: its code was edited {since}; run Fix again"
    return f"fix not applied: {refused[0].reason}; nothing was applied; run Fix again"


def _partial(placed: Placed, total: int) -> str | None:
    if not placed.refused:
        return None
    first = placed.refused[0].reason
    return f"applied {len(placed.hunks)} of {total} hunks; not applied: {first}"


async def _settled(editor: Editor, expected: dict[str, str]) -> None:
    """Wait (at most SETTLE_TIMEOUT_S) until the editor reported the edit it applied."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if all((doc := editor.documents.get(uri)) is None or doc.text == text for uri, text in expected.items()):
            return
        await asyncio.sleep(0.01)


def refresh(editor: Editor, proposal: Proposal) -> tuple[list[Hunk], list[RefusedHunk]]:
    """Move the pending hunks to the documents as they are now; drop (and return as refused)
    those whose lines were edited. The pending hunks, in proposal order."""
    pending: list[Hunk] = []
    dropped: list[RefusedHunk] = []
    snaps: dict[str, Snapshot | None] = {}
    for hunk in list(proposal.hunks.values()):
        if hunk.uri not in snaps:
            try:
                snaps[hunk.uri] = snapshot(editor, hunk.uri)
            except RebaseError:
                snaps[hunk.uri] = None
        snap = snaps[hunk.uri]
        try:
            if snap is None:
                raise RebaseError("its file can no longer be read")
            hunk.line, hunk.version = moved(hunk.line, locate(snap.doc.text, hunk.line)), snap.version
        except RebaseError as exc:
            del proposal.hunks[hunk.id]
            dropped.append(RefusedHunk(id=hunk.id, reason=f"{_where(hunk)}: {exc}; dropped"))
            continue
        pending.append(wire_hunk(hunk, snap))
    return pending, dropped


async def accept(editor: Editor, proposal: Proposal, ids: list[str] | None) -> tuple[Decision, list[Hunk]]:
    """Accept the hunks `ids` of `proposal` (all pending when None); the pending hunks after."""
    chosen, unknown = _chosen(proposal, ids)
    decision = await apply_hunks(editor, chosen, since="after the preview was shown")
    decision.refused = unknown + decision.refused
    for hunk_id in [*decision.applied, *(r.id for r in decision.refused)]:
        proposal.hunks.pop(hunk_id, None)
    pending, dropped = refresh(editor, proposal)
    decision.refused += dropped
    if decision.message is None and unknown:
        decision.message = f"not applied: {unknown[0].reason}"
    return decision, pending


def reject(editor: Editor, proposal: Proposal, ids: list[str]) -> list[Hunk]:
    """Drop the hunks `ids`; the pending hunks after."""
    for hunk_id in ids:
        proposal.hunks.pop(hunk_id, None)
    pending, _dropped = refresh(editor, proposal)
    return pending


def _chosen(proposal: Proposal, ids: list[str] | None) -> tuple[list[ProposedHunk], list[RefusedHunk]]:
    if ids is None:
        return list(proposal.hunks.values()), []
    chosen = [proposal.hunks[hunk_id] for hunk_id in dict.fromkeys(ids) if hunk_id in proposal.hunks]
    unknown = [RefusedHunk(id=hunk_id, reason=f"no pending hunk {hunk_id[:20]!r} (already decided, or never proposed)")
               for hunk_id in dict.fromkeys(ids) if hunk_id not in proposal.hunks]
    return chosen, unknown
