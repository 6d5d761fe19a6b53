"""Review: JSON findings on a selection, a function or the whole file, published as diagnostics.

The answer is constrained with `response_format` json_schema; the parser still tolerates prose
or fences around the JSON. Findings are checked against the file as it was when asked (line
range clamped, snippet found on its line), then re-anchored on the current text.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from mistral_lsp.actions.base import ActionContext, ActionError, ActionRequest
from mistral_lsp.findings import findings_from_reply, revalidate
from mistral_lsp.replies import parse_json_object
from mistral_lsp.server import MistralLanguageServer
from mistral_lsp.syntax.document import Document

ORIGIN = "review"


def _covers_file(doc: Document, range_: types.Range | None) -> bool:
    if range_ is None:
        return True
    last = len(doc.lines) - 1
    return range_.start.line == 0 and range_.start.character == 0 and range_.end.line >= last and (
        range_.end.line > last or range_.end.character >= len(doc.lines[last]) if doc.lines else True
    )


def _select(ls: MistralLanguageServer, request: ActionRequest, doc: Document) -> Any:
    from mistral_lsp.syntax.targets import file_target, select_target

    if _covers_file(doc, request.range):
        return file_target(doc)
    assert request.range is not None
    return select_target(doc, request.range)


def target_key(ls: MistralLanguageServer, request: ActionRequest, doc: Document) -> tuple[Any, ...]:
    target = _select(ls, request, doc)
    return (doc.uri, target.start_line, target.end_line)


async def run(ctx: ActionContext) -> None:
    from mistral_lsp.context import build_context
    from mistral_lsp.prompts import build_messages, review_response_format

    ls, doc, request = ctx.ls, ctx.doc, ctx.request
    target = _select(ls, request, doc)
    asked_lines = list(doc.lines)
    context = build_context(
        doc, target.range, diagnostics=request.diagnostics, budget_tokens=ls.settings.context_tokens, target=target,
        workspace=ls.workspace_index, line_anchors=ls.settings.line_anchors,
    )
    ctx.result["context"] = context.summary()
    answer = await ctx.ask(
        build_messages("review", context, instruction=request.instruction),
        response_format=review_response_format(),
    )
    payload = parse_json_object(answer.text)
    if payload is None:
        raise ActionError("the model's review was not valid JSON; run Review again")
    found = findings_from_reply(payload, asked_lines, within=(target.start_line, target.end_line))
    current = ls.documents.get(doc.uri) or doc
    found = revalidate(found, current.lines)
    # Findings elsewhere in the file (from reviews of other targets) stay.
    kept = [
        f for f in ls.findings.get(doc.uri, ORIGIN)
        if f.end_line < target.start_line or f.start_line > target.end_line
    ]
    ls.findings.set(doc.uri, ORIGIN, kept + found)
    ls.publish_findings(doc.uri)
    ctx.result["diagnostics"] = len(found)
    ctx.result["findings"] = [f.to_json() for f in found]
    ctx.result["applied"] = True
