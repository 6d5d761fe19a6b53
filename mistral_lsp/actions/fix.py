"""Fix: the model rewrites the target; a minimal, versioned edit lands on the right lines.

The target's text is sent as a predicted output (most of a fix is unchanged code). The reply's
fenced block is re-indented to the target and diffed against it. If the document changed while
the answer streamed, the edit is rebased when the target's text is found unchanged, and refused
otherwise — never applied to a version it was not computed for. With `preview`, the edit is
returned and kept until `mistral.acceptFix` / `mistral.rejectFix`.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from lsprotocol import types

from mistral_lsp.actions.base import ActionContext, ActionError, ActionRequest
from mistral_lsp.edits import (
    RebaseError,
    detect_newline,
    minimal_edits,
    normalize_newlines,
    rebase_target,
    reindent,
    to_text_edits,
)
from mistral_lsp.replies import extract_code_block
from mistral_lsp.server import MistralLanguageServer
from mistral_lsp.syntax.document import Document

# How long a previewed fix waits for accept or reject before it is forgotten.
PREVIEW_TTL_S = 30 * 60


@dataclasses.dataclass
class PendingFix:
    """A computed fix: the target's original text and where it was, and its replacement."""

    id: str
    uri: str
    version: int | None
    start: int
    original: str
    replacement: str
    created: float = dataclasses.field(default_factory=time.monotonic)


def target_key(ls: MistralLanguageServer, request: ActionRequest, doc: Document) -> tuple[Any, ...]:
    target = _select(ls, request, doc)
    return (doc.uri, target.start_line, target.end_line)


def _select(ls: MistralLanguageServer, request: ActionRequest, doc: Document) -> Any:
    from mistral_lsp.syntax.targets import select_target

    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    return select_target(doc, request.range or whole)


async def run(ctx: ActionContext) -> None:
    from mistral_lsp.context import build_context
    from mistral_lsp.prompts import build_messages

    ls, doc, request = ctx.ls, ctx.doc, ctx.request
    target = _select(ls, request, doc)
    version = doc.version
    start = doc.offset_at(target.range.start)
    context = build_context(
        doc, target.range, diagnostics=request.diagnostics, budget_tokens=ls.settings.context_tokens, target=target,
        workspace=ls.workspace_index, line_anchors=ls.settings.line_anchors,
    )
    ctx.result["context"] = context.summary()
    messages = build_messages("fix", context, instruction=request.instruction)
    ctx.reporter.status("waiting for the model")
    answer = await ctx.ask(messages, prediction=target.text if ls.settings.backend == "mistral" else None)

    code = extract_code_block(answer.text)
    if code is None:
        raise ActionError("the model's answer held no code to apply; try again or select less code")
    replacement = normalize_newlines(reindent(code.replace("\r\n", "\n"), target.indent), detect_newline(doc.text))
    fix = PendingFix(ctx.run.id, doc.uri, version, start, target.text, replacement)
    if replacement == target.text:
        ctx.result.update(applied=False, message="the model found nothing to change", edit=None)
        return
    if request.preview:
        _forget_stale(ls)
        ls.pending_fixes[fix.id] = fix
        preview = build_edit(ls, fix)
        ctx.result.update(edit=ls.converter.unstructure(preview), version=doc.version, preview=True)
        return
    applied, message, applied_edit = await apply_fix(ls, fix)
    ctx.result.update(applied=applied, edit=ls.converter.unstructure(applied_edit) if applied_edit else None)
    if message:
        ctx.result["message"] = message


def build_edit(ls: MistralLanguageServer, fix: PendingFix) -> types.WorkspaceEdit:
    """The versioned edit for `fix` against the document as it is now (rebased if it moved)."""
    doc = ls.documents.get(fix.uri)
    if doc is None:
        raise RebaseError("the document was closed, so the fix was not applied")
    start = rebase_target(doc.text, fix.start, fix.original)
    edits = to_text_edits(minimal_edits(fix.original, fix.replacement, base=start), doc.position_at)
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
                edits=list(edits),
            )
        ]
    )


async def apply_fix(ls: MistralLanguageServer, fix: PendingFix) -> tuple[bool, str | None, types.WorkspaceEdit | None]:
    """Apply `fix` to the current version; a client that refuses for a version race gets one retry."""
    edit = None
    for _attempt in range(2):
        try:
            edit = build_edit(ls, fix)
        except RebaseError as exc:
            ls.show_message(f"Mistral: {exc}", types.MessageType.Warning)
            return False, str(exc), None
        doc = ls.documents.get(fix.uri)
        sent_version = doc.version if doc else None
        response = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label="Mistral: Fix")
        )
        if response.applied:
            return True, None, edit
        doc = ls.documents.get(fix.uri)
        if doc is None or doc.version == sent_version:
            reason = response.failure_reason or "the editor refused the edit"
            ls.show_message(f"Mistral: the fix was not applied: {reason}", types.MessageType.Warning)
            return False, f"the fix was not applied: {reason}", edit
        # The user typed while the edit was in flight: rebase onto the new version and retry.
    message = "the document kept changing, so the fix was not applied; run Fix again"
    ls.show_message(f"Mistral: {message}", types.MessageType.Warning)
    return False, message, edit


def _forget_stale(ls: MistralLanguageServer) -> None:
    now = time.monotonic()
    for fix_id, fix in list(ls.pending_fixes.items()):
        if now - fix.created > PREVIEW_TTL_S:
            del ls.pending_fixes[fix_id]
