"""Fix: the model rewrites the target (and the definitions that must change with it); the change
is a proposal of hunks, each landing on the right lines or refused alone.

The target's text is sent as a predicted output (most of a fix is unchanged code). The reply's
block for the target is re-indented to the target and diffed against it; each block the answer
adds for another definition (`path :: name`, see `placement.py`) is diffed against that
definition. The line diff, split where unchanged lines separate its changes, gives the hunks
(`text.hunks`). Applied at once (no `preview`), the fix is all or nothing: a hunk whose lines
were edited while the model answered refuses the whole fix, as before hunks existed. With
`preview`, the proposal waits in the session for `mistral.acceptFix` / `mistral.rejectFix`,
which decide it hunk by hunk (`proposals.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.actions.placement import place_blocks
from mistral_lsp.actions.proposals import apply_hunks, place, refresh
from mistral_lsp.actions.state import Proposal, ProposedHunk
from mistral_lsp.prompting.prompts import build_messages
from mistral_lsp.prompting.replies import explanation_of, fix_blocks
from mistral_lsp.text.edits import detect_newline, normalize_newlines, reindent, whole_lines
from mistral_lsp.text.hunks import LineHunk, split_hunks, surrounding_lines
from mistral_lsp.text.uris import to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.run import ActionContext
    from mistral_lsp.prompting.replies import LabelledBlock


async def run(ctx: ActionContext) -> None:
    editor, doc, request, target = ctx.editor, ctx.doc, ctx.request, ctx.target
    # Read now: the document may change while the model answers.
    text, version, start = doc.text, doc.version, doc.offset_at(target.range.start)
    ctx.reporter.status("waiting for the model")
    messages = build_messages("fix", ctx.prompt_context(), instruction=request.instruction)
    answer = await ctx.ask(messages, prediction=target.text if editor.settings.backend == "mistral" else None)

    code, extra = _blocks(ctx, answer.text)
    if code is None:
        code = answer.require_code("fix")  # raises naming what is wrong (no block, cut, empty)
    ctx.result.explanation = explanation_of(answer.text)
    proposal = Proposal(ctx.run.id, {})
    _add(proposal, doc.uri, version, _label(ctx, doc.uri, target.name), _target_hunks(ctx, text, start, code))
    placed, unplaced = place_blocks(editor, doc.uri, (target.start_line, target.end_line), extra,
                                    editor.settings.fix.max_files)
    for block in placed:
        _add(proposal, block.uri, block.version, _label(ctx, block.uri, block.label.split(" :: ")[-1]), block.hunks)
    ctx.result.unplaced = unplaced or None
    if unplaced:
        listed = "; ".join(f"{u.label}: {u.reason}" for u in unplaced[:3])
        editor.show_message(f"Mistral: Fix left {len(unplaced)} block(s) for other code unapplied — {listed}",
                            types.MessageType.Warning)
    if not proposal.hunks:
        ctx.result.applied, ctx.result.message = False, "the model found nothing to change"
        return
    await _propose_or_apply(ctx, proposal)


def _target_hunks(ctx: ActionContext, text: str, start: int, code: str) -> list[LineHunk]:
    """The hunks of the target's block, on the whole lines of the target (at `start` in `text`)."""
    target = ctx.target
    line_start, line_end = whole_lines(text, start, start + len(target.text))
    replacement = normalize_newlines(reindent(code.replace("\r\n", "\n"), target.indent), detect_newline(text))
    new_region = text[line_start:start] + replacement + text[start + len(target.text):line_end]
    before, after = surrounding_lines(text, line_start, line_end)
    return split_hunks(text[line_start:line_end], new_region, base=line_start, context_before=before, context_after=after)


async def _propose_or_apply(ctx: ActionContext, proposal: Proposal) -> None:
    editor, request = ctx.editor, ctx.request
    # Where the hunks are now: the document may have changed while the model answered.
    hunks, dropped = refresh(editor, proposal)
    if dropped:
        # Short enough that a command line of 80 columns keeps the remedy after "Mistral fix failed: ".
        message = "code edited while it answered; run Fix again"
        if request.preview:
            raise ActionError(message)
        editor.show_message(f"Mistral: fix not applied, {message}", types.MessageType.Warning)
        ctx.result.applied, ctx.result.message = False, message
        return
    if request.preview:
        proposal.previewed = True
        editor.session.keep_preview(proposal)
        current = editor.documents.get(ctx.doc.uri)
        ctx.result.edit, ctx.result.preview, ctx.result.hunks = place(editor, list(proposal.hunks.values())).edit, True, hunks
        ctx.result.version = current.version if current else ctx.doc.version
        return
    decision = await apply_hunks(editor, list(proposal.hunks.values()), annotate=True, all_or_nothing=True)
    if decision.message and not decision.applied:
        editor.show_message(f"Mistral: {decision.message}", types.MessageType.Warning)
    ctx.result.applied, ctx.result.edit, ctx.result.message = bool(decision.applied), decision.edit, decision.message
    ctx.result.hunks = [hunk for hunk in hunks if hunk.id in decision.applied] or None
    others = sorted({h.label or h.uri for h in ctx.result.hunks or [] if h.uri != ctx.doc.uri})
    if others:
        editor.show_notice(f"Mistral: Fix also changed {', '.join(others)}")


def _blocks(ctx: ActionContext, reply: str) -> tuple[str | None, list[LabelledBlock]]:
    """The target's block and the others. A model that labelled the target's block too
    (`calc.py :: add`) gets it read as the target's; blocks for others only are refused."""
    code, extra = fix_blocks(reply)
    if code is not None or not extra:
        return code, extra
    name, path = ctx.target.name, to_path(ctx.doc.uri)
    own = [block for block in extra if name and block.name.rpartition(".")[2] == name.rpartition(".")[2]
           and path is not None and path.as_posix().endswith(block.path.lstrip("./"))]
    if not own:
        raise ActionError("the model's answer has no block for the target, only blocks for other definitions; run Fix again")
    return own[0].code, [block for block in extra if block is not own[0]]


def _add(proposal: Proposal, uri: str, version: int | None, label: str, hunks: list[LineHunk]) -> None:
    for line in hunks:
        hunk_id = f"h{len(proposal.hunks) + 1}"
        proposal.hunks[hunk_id] = ProposedHunk(hunk_id, uri, line, version, label)


def _label(ctx: ActionContext, uri: str, name: str | None) -> str:
    """"calc.py :: add": the path relative to its workspace root, and the definition."""
    path = to_path(uri)
    index = ctx.editor.workspace_index
    shown = (index.relative(path.as_posix()) if index is not None else path.name) if path else uri.rsplit("/", 1)[-1]
    return f"{shown} :: {name}" if name else shown
