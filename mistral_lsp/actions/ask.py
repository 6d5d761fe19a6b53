"""Ask: the user's free-form question about the target, answered in streamed markdown.

The same machinery as explain: one target selection, the budgeted context, the answer streamed
(`mistral/stream` for our plugins, progress for every client), cancellation. `prepare` has
already refused a blank question and an unknown conversation (`conversations.checked_request`).

Each answer belongs to a conversation: a new one, or the one `conversationId` names, whose
earlier questions and answers go before the new question. The result carries its id. For a
client that does not render the stream, the conversation so far is written to one markdown
file and opened with `window/showDocument`, or named with the answer's first lines in a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.actions.answers import explanation_path, first_lines
from mistral_lsp.actions.conversations import Conversation, conversations
from mistral_lsp.prompting.prompts import build_conversation_messages

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.actions.run import ActionContext
    from mistral_lsp.protocol import ActionResult


async def run(ctx: ActionContext) -> None:
    request, doc = ctx.request, ctx.doc
    question = (request.question or "").strip()
    store = conversations(ctx.editor.session)
    conversation = store.get(doc.uri, request.conversation_id or "")  # started or checked by `prepare`
    turns = [(turn.question, turn.answer) for turn in conversation.turns]
    messages = build_conversation_messages(ctx.prompt_context(), turns, question, instruction=conversation.instruction)
    answer = await ctx.ask(messages)
    text = answer.require_text(ctx.run.action)
    store.record(conversation, question, text)
    ctx.result.conversation_id = conversation.id
    if request.show_result:
        subject = ctx.target.name or f"line {ctx.target.start_line + 1}"
        await present(ctx.editor, subject, conversation, ctx.result)


def transcript(subject: str, conversation: Conversation) -> str:
    """The conversation as markdown: each question as a heading, its answer under it."""
    parts = [f"# Questions about {subject}"]
    if conversation.dropped:
        parts.append(f"_{conversation.dropped} earlier exchange(s) dropped to keep the conversation short._")
    for turn in conversation.turns:
        parts.append(f"## {turn.question or 'Explanation'}\n\n{turn.answer.strip()}")
    return "\n\n".join(parts) + "\n"


async def present(editor: Editor, subject: str, conversation: Conversation, result: ActionResult) -> None:
    """Open the conversation's markdown file where the client can; else a message naming it,
    with the latest answer's first lines (the client's log gets the whole answer)."""
    path = explanation_path(conversation.uri, f"{subject}-{conversation.id}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(transcript(subject, conversation), encoding="utf-8")
    uri = path.as_uri()
    result.explanation_uri = uri
    if editor.can_show_document() and await editor.show_document(types.ShowDocumentParams(uri=uri, take_focus=False)):
        return
    latest = conversation.turns[-1]
    editor.log_message(f"# {latest.question}\n\n{latest.answer.strip()}", types.MessageType.Info)
    editor.show_notice(f"Mistral: answer about {subject} in {path}\n{first_lines(latest.answer)}")
