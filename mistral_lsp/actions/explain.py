"""Explain: streamed markdown about the target.

Our editor plugins render `mistral/stream` themselves (`showResult: false`). For every other
client the answer must still be visible: it is written to a markdown file in the cache
directory and opened with `window/showDocument` when the client supports it, else shown with
`window/showMessage`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from mistral_lsp.actions.base import ActionContext, ActionRequest
from mistral_lsp.server import MistralLanguageServer
from mistral_lsp.syntax.document import Document


def target_key(ls: MistralLanguageServer, request: ActionRequest, doc: Document) -> tuple[Any, ...]:
    from mistral_lsp.actions.fix import target_key as fix_target_key

    return fix_target_key(ls, request, doc)


async def run(ctx: ActionContext) -> None:
    from mistral_lsp.actions.fix import _select
    from mistral_lsp.context import build_context
    from mistral_lsp.prompts import build_messages

    ls, doc, request = ctx.ls, ctx.doc, ctx.request
    target = _select(ls, request, doc)
    context = build_context(
        doc, target.range, diagnostics=request.diagnostics, budget_tokens=ls.settings.context_tokens, target=target,
        workspace=ls.workspace_index, line_anchors=ls.settings.line_anchors,
    )
    ctx.result["context"] = context.summary()
    answer = await ctx.ask(build_messages("explain", context, instruction=request.instruction))
    if not request.show_result:
        return
    await present(ls, doc, target.name or f"line {target.start_line + 1}", answer.text, ctx.result)


async def present(
    ls: MistralLanguageServer, doc: Document, subject: str, markdown: str, result: dict[str, Any]
) -> None:
    window = ls.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        path = explanation_path(doc.uri, subject)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {subject}\n\n{markdown.strip()}\n", encoding="utf-8")
        uri = path.as_uri()
        shown = await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=False))
        result["explanationUri"] = uri
        if shown.success:
            return
    ls.show_message(markdown.strip(), types.MessageType.Info)


def explanation_path(uri: str, subject: str) -> Path:
    import platformdirs

    stem = re.sub(r"[^\w.-]+", "_", f"{Path(uri).stem}-{subject}")[:80]
    return Path(platformdirs.user_cache_dir("mistral-lsp")) / "explanations" / f"{stem}.md"
