"""Ask and follow-ups end to end: the real server over stdio, recorded Neovim and VS Code client
capabilities (opted in, like our plugins), a plain eglot client, the loopback fake API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mistral_lsp.actions.conversations import MAX_HISTORY_TOKENS
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.testing.fake_api import Reply

from ..samples import CART
from .conftest import Editor, rng

QUESTION = "Why is the discount divided by 10?"
ANSWER = "It **should** be divided by 100: `discount` is a percentage, so line 10 takes ten times too much."


def _messages(editor: Editor, index: int = -1) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = editor.fake.requests[index].json["messages"]
    return messages


async def test_ask_streams_an_answer_to_the_question(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=ANSWER))
    result = await editor.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "a1",
                                                  "question": QUESTION, "showResult": False})
    assert result.action == "ask" and result.text == ANSWER
    assert editor.stream_text("a1") == ANSWER
    assert editor.done("a1") == {"id": "a1", "action": "ask", "uri": uri, "done": True}
    assert result.conversationId
    request = editor.fake.requests[-1].json
    assert request["reasoning_effort"] == "none"
    system, user = request["messages"]
    assert system["role"] == "system"
    # The question and the code at the cursor (the whole method around line 10) are in the prompt.
    assert QUESTION in user["content"] and "return subtotal - subtotal * discount / 10" in user["content"]
    assert "def total(self, discount):" in user["content"]
    reports = [r for token_reports in editor.client.progress_reports.values() for r in token_reports]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == "Mistral: Ask"
    assert editor.texts[uri] == CART


@pytest.mark.parametrize("question", [None, "", "   \n"])
async def test_ask_without_a_question_is_refused(editor: Editor, question: str | None) -> None:
    uri = await editor.open("cart.py", CART)
    argument: dict[str, Any] = {"uri": uri, "range": rng(9, 0, 9, 0)}
    if question is not None:
        argument["question"] = question
    with pytest.raises(JsonRpcException, match=r"question is missing.*'question' argument"):
        await editor.command("mistral.ask", argument)
    assert editor.fake.requests == []


async def test_a_follow_up_sends_the_earlier_turns(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=ANSWER))
    first = await editor.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "question": QUESTION,
                                                 "showResult": False})
    editor.fake.enqueue(Reply(text="Use `discount / 100`."))
    # No range: the follow-up is about the conversation's target again.
    second = await editor.command("mistral.ask", {"uri": uri, "question": "How do I fix it?",
                                                  "conversationId": first.conversationId, "showResult": False})
    assert second.conversationId == first.conversationId and second.text == "Use `discount / 100`."
    messages = _messages(editor)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert QUESTION in messages[1]["content"] and "def total(self, discount):" in messages[1]["content"]
    assert messages[2]["content"] == ANSWER
    assert messages[3]["content"] == "How do I fix it?"
    # A third turn carries both earlier exchanges, in order.
    editor.fake.enqueue(Reply(text="Yes."))
    await editor.command("mistral.ask", {"uri": uri, "question": "Is round_up affected?",
                                         "conversationId": first.conversationId, "showResult": False})
    assert [m["content"] for m in _messages(editor)[2:]] == [
        ANSWER, "How do I fix it?", "Use `discount / 100`.", "Is round_up affected?"]


async def test_history_is_bounded_by_tokens_oldest_dropped_first(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    # Each answer is ~40 % of the history budget: the third one pushes the first out.
    long_answers = [f"Answer {n}: " + "the discount is a percentage of the subtotal. " * 270 for n in range(3)]
    assert 0.36 * MAX_HISTORY_TOKENS < estimate_tokens(long_answers[0]) < 0.45 * MAX_HISTORY_TOKENS
    conversation = None
    for n, answer in enumerate(long_answers):
        editor.fake.enqueue(Reply(text=answer))
        argument = {"uri": uri, "range": rng(9, 0, 9, 0), "question": f"question {n}", "showResult": False}
        result = await editor.command("mistral.ask", {**argument, "conversationId": conversation} if conversation
                                      else argument)
        conversation = result.conversationId
    editor.fake.enqueue(Reply(text="short"))
    await editor.command("mistral.ask", {"uri": uri, "question": "question 3", "conversationId": conversation,
                                         "showResult": False})
    messages = _messages(editor)
    sent = [m["content"] for m in messages[2:]]
    # The oldest exchange went; the first message (with the code) now asks the oldest kept question.
    assert "question 1" in messages[1]["content"] and "question 0" not in messages[1]["content"]
    assert "def total(self, discount):" in messages[1]["content"]
    assert sent == [long_answers[1], "question 2", long_answers[2], "question 3"]
    assert all(long_answers[0] not in m["content"] for m in messages)


async def test_an_explanation_can_be_followed_up(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    explanation = "`total` subtracts a discount from the subtotal."
    editor.fake.enqueue(Reply(text=explanation))
    explained = await editor.command("mistral.explain", {"uri": uri, "range": rng(9, 0, 9, 0), "showResult": False})
    assert explained.conversationId
    editor.fake.enqueue(Reply(text="A percentage, from 0 to 100."))
    answer = await editor.command("mistral.ask", {"uri": uri, "question": "What unit is discount in?",
                                                  "conversationId": explained.conversationId, "showResult": False})
    assert answer.text == "A percentage, from 0 to 100." and answer.conversationId == explained.conversationId
    messages = _messages(editor)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "## Task\nExplain the target" in messages[1]["content"]
    assert messages[2]["content"] == explanation and messages[3]["content"] == "What unit is discount in?"


async def test_an_unknown_conversation_is_refused_not_restarted(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    with pytest.raises(JsonRpcException, match=r"that conversation is gone.*ask again"):
        await editor.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "question": QUESTION,
                                             "conversationId": "c99-expired"})
    # A conversation belongs to its document: its id does not continue on another file.
    editor.fake.enqueue(Reply(text=ANSWER))
    first = await editor.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "question": QUESTION,
                                                 "showResult": False})
    other = await editor.open("other.py", "def f():\n    return 1\n")
    with pytest.raises(JsonRpcException, match="that conversation is gone"):
        await editor.command("mistral.ask", {"uri": other, "range": rng(0, 0, 0, 0), "question": "and here?",
                                             "conversationId": first.conversationId})
    assert len([r for r in editor.fake.requests if r.path.endswith("/chat/completions")]) == 1


async def test_ask_code_action_only_for_clients_that_prompt(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    actions = await editor.code_actions(uri, rng(9, 0, 9, 0))
    ask = next(a for a in actions if a.title == "Mistral: Ask")
    assert ask.kind == "refactor.mistral.ask" and ask.command and ask.command.command == "mistral.ask"
    assert list(ask.command.arguments) == [{"uri": uri, "range": {"start": {"line": 9, "character": 0},
                                                            "end": {"line": 9, "character": 0}}, "version": 1}]
    assert editor.fake.requests == []


# -- plain clients (no experimental.mistral) --------------------------------------------------






async def test_plain_client_gets_run_started_then_the_conversation_shown(vscode_plain: Editor) -> None:
    editor = vscode_plain
    uri = await editor.open("cart.py", CART)
    assert all(a.title != "Mistral: Ask" for a in await editor.code_actions(uri, rng(9, 0, 9, 0)))
    editor.fake.enqueue(Reply(text=ANSWER))
    started = await editor.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "q1",
                                                   "question": QUESTION})
    assert started["id"] == "q1" and started["started"] is True and started["conversationId"]
    shown = await editor.wait_until(lambda: editor.client.shown_documents, what="the answer's document")
    path = Path(shown[-1].uri.removeprefix("file://"))
    assert path.read_text(encoding="utf-8") == f"# Questions about total\n\n## {QUESTION}\n\n{ANSWER}\n"
    # The follow-up, with the id RunStarted gave: the same document shows the whole conversation.
    editor.fake.enqueue(Reply(text="Use `discount / 100`."))
    again = await editor.command("mistral.ask", {"uri": uri, "question": "How do I fix it?",
                                                 "conversationId": started["conversationId"]})
    assert again["conversationId"] == started["conversationId"]
    await editor.wait_until(lambda: len(editor.client.shown_documents) == 2, what="the follow-up's document")
    assert editor.client.shown_documents[-1].uri == shown[0].uri
    assert path.read_text(encoding="utf-8").endswith("## How do I fix it?\n\nUse `discount / 100`.\n")
    assert [m["role"] for m in _messages(editor)] == ["system", "user", "assistant", "user"]
    assert editor.streams == []


async def test_plain_client_without_show_document_gets_a_notice(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    eglot.fake.enqueue(Reply(text=ANSWER))
    await eglot.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "question": QUESTION})
    notice = await eglot.wait_until(
        lambda: next((m for m in eglot.messages() if m.startswith("Mistral: answer about total")), None),
        what="the notice")
    assert "It **should** be divided by 100" in notice
    markdown = Path(notice.splitlines()[0].split(" in ", 1)[1])
    assert markdown.read_text(encoding="utf-8").endswith(ANSWER + "\n")


async def test_plain_client_is_told_when_the_question_is_missing_or_the_conversation_gone(eglot: Editor) -> None:
    uri = await eglot.open("cart.py", CART)
    refused = await eglot.command("mistral.ask", {"uri": uri, "range": rng(9, 0, 9, 0), "id": "m1"})
    assert refused["started"] is False and refused["message"].startswith("question is missing")
    gone = await eglot.command("mistral.ask", {"uri": uri, "question": QUESTION, "conversationId": "c7-old"})
    assert gone["started"] is False and "that conversation is gone" in gone["message"]
    shown = eglot.messages()
    assert any(m.startswith("Mistral: question is missing") for m in shown)
    assert any(m.startswith("Mistral: that conversation is gone") for m in shown)
    assert eglot.fake.requests == []
