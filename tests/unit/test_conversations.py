"""The conversation store: what a follow-up can reach, and what it cannot any more."""

from __future__ import annotations

import pytest
from lsprotocol import types

from mistral_lsp.actions.conversations import ConversationGone, ConversationStore, checked_request
from mistral_lsp.actions.errors import ActionError
from mistral_lsp.actions.session import Session
from mistral_lsp.protocol import ActionArguments

URI = "file:///w/cart.py"
RANGE = types.Range(start=types.Position(line=9, character=0), end=types.Position(line=9, character=0))


def test_closing_the_document_drops_its_conversations_only() -> None:
    store = ConversationStore()
    kept = store.start("file:///w/other.py", None)
    dropped = store.start(URI, RANGE)
    store.drop_document(URI)
    with pytest.raises(ConversationGone, match="ask again"):
        store.get(URI, dropped.id)
    assert store.get("file:///w/other.py", kept.id) is kept


def test_a_document_keeps_its_most_recent_conversations() -> None:
    store = ConversationStore(per_document=2)
    first, second, third = (store.start(URI, None) for _ in range(3))
    with pytest.raises(ConversationGone):
        store.get(URI, first.id)
    assert store.get(URI, second.id) is second and store.get(URI, third.id) is third


def test_the_latest_turn_is_kept_even_over_the_budget() -> None:
    store = ConversationStore(max_tokens=50)
    conversation = store.start(URI, None)
    store.record(conversation, "short?", "short.")
    store.record(conversation, "long?", "word " * 200)
    assert [turn.question for turn in conversation.turns] == ["long?"] and conversation.dropped == 1


def test_checked_request_starts_or_continues_and_refuses() -> None:
    session = Session()
    with pytest.raises(ActionError, match="question is missing"):
        checked_request(session, "ask", ActionArguments(uri=URI, question="  "))
    started = checked_request(session, "ask", ActionArguments(uri=URI, range=RANGE, question="why?"))
    assert started.conversation_id
    follow_up = checked_request(session, "ask", ActionArguments(uri=URI, question="and?",
                                                                conversation_id=started.conversation_id))
    assert follow_up.range == RANGE  # the conversation's target, when the follow-up names none
    explained = checked_request(session, "explain", ActionArguments(uri=URI, range=RANGE))
    assert explained.conversation_id and explained.question is None  # explain needs no question
    with pytest.raises(ActionError, match="question is missing"):
        checked_request(session, "explain", ActionArguments(uri=URI, conversation_id=explained.conversation_id))
    review = ActionArguments(uri=URI)
    assert checked_request(session, "review", review) is review
