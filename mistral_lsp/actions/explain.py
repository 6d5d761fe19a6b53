"""Explain: streamed markdown about the target.

Our editor plugins render `mistral/stream` themselves (`showResult: false`). For every other
client the answer must still be visible: it is written to a markdown file in the cache
directory and opened with `window/showDocument` when the client supports it; else a short
`window/showMessage` names the file and shows its first lines, at a level the client displays,
and the whole of it is logged with `window/logMessage`. An answer with no text is a failure that
says so, never an empty document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mistral_lsp.actions import ask
from mistral_lsp.actions.answers import present
from mistral_lsp.actions.conversations import conversations
from mistral_lsp.prompting.prompts import build_messages

if TYPE_CHECKING:
    from mistral_lsp.actions.run import ActionContext


async def run(ctx: ActionContext) -> None:
    request, target = ctx.request, ctx.target
    # `prepare` started the conversation, or checked the one a follow-up names.
    store = conversations(ctx.editor.session)
    conversation = store.get(ctx.doc.uri, request.conversation_id or "")
    if conversation.turns:  # a follow-up question, as `mistral.ask` takes it
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
