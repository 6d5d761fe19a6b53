"""Explain: streamed markdown about the target.

Our editor plugins render `mistral/stream` themselves (`showResult: false`). For every other
client the answer must still be visible: it is written to a markdown file in the cache
directory and opened with `window/showDocument` when the client supports it; else a short
`window/showMessage` names the file and shows its first lines, at a level the client displays,
and the whole of it is logged with `window/logMessage`. An answer with no text is a failure that
says so, never an empty document.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from lsprotocol import types

from mistral_lsp.actions.conversations import conversations
from mistral_lsp.prompting.prompts import build_messages

# How much of an explanation a message shows when the client cannot open the file.
_PREVIEW_LINES = 4
_PREVIEW_WIDTH = 100

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.run import ActionContext
    from mistral_lsp.protocol import ActionResult
    from mistral_lsp.syntax.document import Document


async def run(ctx: ActionContext) -> None:
    request, target = ctx.request, ctx.target
    # `prepare` started the conversation, or checked the one a follow-up names.
    store = conversations(ctx.editor.session)
    conversation = store.get(ctx.doc.uri, request.conversation_id or "")
    if conversation.turns:  # a follow-up question, as `mistral.ask` takes it
        from mistral_lsp.actions import ask

        await ask.run(ctx)
        return
    messages = build_messages("explain", ctx.prompt_context(), instruction=conversation.instruction)
    answer = await ctx.ask(messages)
    answer.require_text("explain")  # an empty or thinking-only answer is a message, not an empty document
    store.record(conversation, None, answer.text)  # followed up with `mistral.ask` and this id
    ctx.result.conversation_id = conversation.id
    if not request.show_result:
        return
    await present(ctx.editor, ctx.doc, target.name or f"line {target.start_line + 1}", answer.text, ctx.result)


async def present(editor: Editor, doc: Document, subject: str, markdown: str, result: ActionResult) -> None:
    """Make the explanation visible: open its markdown file where the client can, else a short
    message naming the file, with the first lines (an echo area or a status line shows little)."""
    path = explanation_path(doc.uri, subject)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {subject}\n\n{markdown.strip()}\n", encoding="utf-8")
    uri = path.as_uri()
    result.explanation_uri = uri
    if editor.can_show_document() and await editor.show_document(types.ShowDocumentParams(uri=uri, take_focus=False)):
        return
    # The client's log keeps the whole explanation; the message names the file and starts it.
    editor.log_message(f"# {subject}\n\n{markdown.strip()}", types.MessageType.Info)
    editor.show_notice(f"Mistral: explanation of {subject} in {path}\n{first_lines(markdown)}")


def first_lines(markdown: str, count: int = _PREVIEW_LINES, width: int = _PREVIEW_WIDTH) -> str:
    """The first non-empty lines of the answer, each cut to `width` characters."""
    lines = [line.strip() for line in markdown.strip().splitlines() if line.strip()]
    shown = [line if len(line) <= width else line[: width - 1] + "…" for line in lines[:count]]
    if len(lines) > count:
        shown.append("…")
    return "\n".join(shown)


def explanation_path(uri: str, subject: str) -> Path:
    stem = re.sub(r"[^\w.-]+", "_", f"{Path(uri).stem}-{subject}")[:80]
    return Path(platformdirs.user_cache_dir("mistral-lsp")) / "explanations" / f"{stem}.md"
