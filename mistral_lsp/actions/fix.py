"""Fix: the model rewrites the target; a minimal, versioned edit lands on the right lines.

The target's text is sent as a predicted output (most of a fix is unchanged code). The reply's
fenced block is re-indented to the target and diffed against it. If the document changed while
the answer streamed, or while its preview waited, the edit is rebased when the target's text is
found unchanged, and refused otherwise (the message says which of the two happened) — never
applied to a version it was not computed for. With `preview`, the edit is
returned and kept in the session until `mistral.acceptFix` / `mistral.rejectFix`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.actions.state import PendingFix
from mistral_lsp.prompting.prompts import build_messages
from mistral_lsp.prompting.replies import explanation_of
from mistral_lsp.text.edits import (
    RebaseError,
    detect_newline,
    minimal_edits,
    normalize_newlines,
    rebase_target,
    reindent,
    to_text_edits,
    whole_lines,
)

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.run import ActionContext


async def run(ctx: ActionContext) -> None:
    editor, doc, request, target = ctx.editor, ctx.doc, ctx.request, ctx.target
    version = doc.version
    start = doc.offset_at(target.range.start)
    # Read now: the document may change while the model answers.
    around = _rest_of_lines(doc.text, start, start + len(target.text))
    messages = build_messages("fix", ctx.prompt_context(), instruction=request.instruction)
    ctx.reporter.status("waiting for the model")
    answer = await ctx.ask(messages, prediction=target.text if editor.settings.backend == "mistral" else None)

    code = answer.require_code("fix")
    ctx.result.explanation = explanation_of(answer.text)
    replacement = normalize_newlines(reindent(code.replace("\r\n", "\n"), target.indent), detect_newline(doc.text))
    if replacement == target.text:
        ctx.result.applied, ctx.result.message = False, "the model found nothing to change"
        return
    before, after = around
    fix = PendingFix(ctx.run.id, doc.uri, version, start - len(before), before + target.text + after,
                     before + replacement + after)
    if request.preview:
        try:
            edit = build_edit(editor, fix)
        except RebaseError as exc:
            raise ActionError(str(exc)) from None
        fix.previewed = True
        editor.session.keep_preview(fix)
        current = editor.documents.get(doc.uri)
        ctx.result.edit, ctx.result.preview = edit, True
        ctx.result.version = current.version if current else doc.version
        return
    applied, message, applied_edit = await apply_fix(editor, fix)
    ctx.result.applied, ctx.result.edit, ctx.result.message = applied, applied_edit, message


def _rest_of_lines(text: str, start: int, end: int) -> tuple[str, str]:
    """The text before `start` on its line and after `end` on its line (line break included).

    A fix carries them, so that text typed on the target's lines, even after its end, counts as
    an edit of the target and refuses the fix (see `whole_lines`).
    """
    line_start, line_end = whole_lines(text, start, end)
    return text[line_start:start], text[end:line_end]


def build_edit(editor: Editor, fix: PendingFix) -> types.WorkspaceEdit:
    """The versioned edit for `fix` against the document as it is now (rebased if it moved)."""
    doc = editor.documents.get(fix.uri)
    if doc is None:
        raise RebaseError("the document was closed, so the fix was not applied")
    if fix.previewed and fix.original not in doc.text:
        # Not "while it answered": the answer came, its preview was shown, then the code changed.
        # The outcome first: a message cut to fit a command line still says it.
        raise RebaseError(
            "fix not applied: its code was edited after the preview was shown; run Fix again"
        )
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


async def apply_fix(editor: Editor, fix: PendingFix) -> tuple[bool, str | None, types.WorkspaceEdit | None]:
    """Apply `fix` to the current version; a client that refuses for a version race gets one retry."""
    edit = None
    for _attempt in range(2):
        try:
            edit = build_edit(editor, fix)
        except RebaseError as exc:
            editor.show_message(f"Mistral: {exc}", types.MessageType.Warning)
            return False, str(exc), None
        doc = editor.documents.get(fix.uri)
        sent_version = doc.version if doc else None
        response = await editor.apply_edit(edit, "Mistral: Fix")
        if response.applied:
            return True, None, edit
        doc = editor.documents.get(fix.uri)
        if doc is None or doc.version == sent_version:
            reason = response.failure_reason or "the editor refused the edit"
            editor.show_message(f"Mistral: the fix was not applied: {reason}", types.MessageType.Warning)
            return False, f"the fix was not applied: {reason}", edit
        # The user typed while the edit was in flight: rebase onto the new version and retry.
    message = "the document kept changing, so the fix was not applied; run Fix again"
    editor.show_message(f"Mistral: {message}", types.MessageType.Warning)
    return False, message, edit
