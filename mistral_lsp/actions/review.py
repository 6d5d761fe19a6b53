"""Review: JSON findings on a selection, a function or the whole file, published as diagnostics.

The answer is constrained with `response_format` json_schema; the parser still tolerates prose
or fences around the JSON. Findings are checked against the file as it was when asked (line
range clamped, snippet found on its line), then re-anchored on the current text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.prompting.prompts import build_messages, review_response_format
from mistral_lsp.prompting.replies import parse_json_object
from mistral_lsp.review.findings import findings_from_reply, revalidate

if TYPE_CHECKING:
    from mistral_lsp.actions.run import ActionContext

ORIGIN = "review"


async def run(ctx: ActionContext) -> None:
    editor, doc, request, target = ctx.editor, ctx.doc, ctx.request, ctx.target
    asked_lines = list(doc.lines)
    answer = await ctx.ask(
        build_messages("review", ctx.prompt_context(), instruction=request.instruction),
        response_format=review_response_format(),
    )
    payload = parse_json_object(answer.text)
    if payload is None:
        raise ActionError("the model's review was not valid JSON; run Review again")
    found = findings_from_reply(payload, asked_lines, within=(target.start_line, target.end_line))
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
