"""Explain: streamed markdown about the target.

Our editor plugins render `mistral/stream` themselves (`showResult: false`). For every other
client the answer must still be visible: it is written to a markdown file in the cache
directory and opened with `window/showDocument` when the client supports it, else its start
is shown with `window/showMessage` and the whole of it logged with `window/logMessage`. An answer
with no text is a failure that says so, never an empty document.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.run import ActionContext
    from mistral_lsp.protocol import ActionResult
    from mistral_lsp.syntax.document import Document


async def run(ctx: ActionContext) -> None:
    from mistral_lsp.prompting.prompts import build_messages

    request, target = ctx.request, ctx.target
    answer = await ctx.ask(build_messages("explain", ctx.prompt_context(), instruction=request.instruction))
    answer.require_text("explain")  # an empty or thinking-only answer is a message, not an empty document
    if not request.show_result:
        return
    await present(ctx.editor, ctx.doc, target.name or f"line {target.start_line + 1}", answer.text, ctx.result)


async def present(editor: Editor, doc: Document, subject: str, markdown: str, result: ActionResult) -> None:
    if editor.can_show_document():
        path = explanation_path(doc.uri, subject)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {subject}\n\n{markdown.strip()}\n", encoding="utf-8")
        uri = path.as_uri()
        result.explanation_uri = uri
        if await editor.show_document(types.ShowDocumentParams(uri=uri, take_focus=False)):
            return
    # A message is one short line: the whole explanation goes to the client's log.
    editor.log_message(f"# {subject}\n\n{markdown.strip()}", types.MessageType.Info)
    editor.show_message(f"{subject}: {markdown.strip()}", types.MessageType.Info)


def explanation_path(uri: str, subject: str) -> Path:
    import platformdirs

    stem = re.sub(r"[^\w.-]+", "_", f"{Path(uri).stem}-{subject}")[:80]
    return Path(platformdirs.user_cache_dir("mistral-lsp")) / "explanations" / f"{stem}.md"
