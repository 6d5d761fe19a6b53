"""Review: JSON findings on a selection, a function or the whole file, published as diagnostics.

The answer is constrained with `response_format` json_schema; the parser still tolerates prose
or fences around the JSON. Findings are checked against the file as it was when asked (line
range clamped, snippet found on its line), then re-anchored on the current text.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.actions.project import rules_for
from mistral_lsp.actions.review_on_save import review_on_save
from mistral_lsp.prompting.prompts import build_messages, review_response_format
from mistral_lsp.prompting.replies import parse_json_object
from mistral_lsp.review.findings import findings_from_reply, revalidate

if TYPE_CHECKING:
    from mistral_lsp.actions.run import ActionContext
    from mistral_lsp.review.findings import Finding

log = logging.getLogger(__name__)

ORIGIN = "review"


async def run(ctx: ActionContext) -> None:
    editor, doc, request, target = ctx.editor, ctx.doc, ctx.request, ctx.target
    asked_lines = list(doc.lines)
    language = doc.language.name if doc.language is not None else doc.language_id
    rules = rules_for(editor, doc.uri, language)
    answer = await ctx.ask(
        build_messages("review", ctx.prompt_context(), instruction=request.instruction),
        response_format=review_response_format(), rules=rules,
    )
    payload = parse_json_object(answer.text)
    if payload is None:
        raise ActionError("the model's review was not valid JSON; run Review again")
    severities = {rule.id: rule.finding_severity for rule in rules}
    found = findings_from_reply(payload, asked_lines, within=(target.start_line, target.end_line), rules=severities)
    await _seed_review_on_save(ctx, asked_lines, found)
    current = editor.documents.get(doc.uri) or doc
    found = revalidate(found, current.lines)
    # Findings elsewhere in the file (from reviews of other targets) stay.
    kept = [
        f for f in editor.findings.get(doc.uri, ORIGIN)
        if f.end_line < target.start_line or f.start_line > target.end_line
    ]
    editor.findings.set(doc.uri, ORIGIN, kept + found)
    editor.publish_findings(doc.uri)
    ctx.result.diagnostics = len(found)
    ctx.result.findings = [f.to_data() for f in found]
    ctx.result.applied = True


async def _seed_review_on_save(ctx: ActionContext, asked_lines: list[str], found: list[Finding]) -> None:
    """What this review covered is review on save's baseline (`ReviewOnSave.seed`); a failure
    there costs a later save a request, never this review."""
    try:
        await review_on_save(ctx.editor).seed(ctx.doc, asked_lines, ctx.target.start_line, ctx.target.end_line, found)
    except Exception:
        log.warning("recording the review for review on save failed", exc_info=True)
