"""Conversations: what an ask or explain answer can be followed up from.

An ask or explain result carries a `conversationId`; `mistral.ask` with that id and a question
continues it. The session keeps, per document, the user's questions and the model's final
answers — never its thinking or tool messages — and sends them back before the new question.

Bounds, so a long conversation never crowds the code out of the prompt nor grows the server:

- the turns of one conversation are kept within `MAX_HISTORY_TOKENS` (estimated); the oldest
  are dropped first, the newest is always kept;
- a document keeps its `MAX_PER_DOCUMENT` most recent conversations;
- closing the document drops its conversations.

An id that is not (or no longer) here is never silently replaced by a new conversation: the
request is refused with `ConversationGone`, which tells the user to ask again.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from typing import TYPE_CHECKING, Protocol

import attrs

from mistral_lsp.actions.errors import ActionError
from mistral_lsp.prompting.tokens import estimate_tokens

if TYPE_CHECKING:
    from lsprotocol import types

    from mistral_lsp.protocol import ActionArguments

MAX_HISTORY_TOKENS = 6000
"""Estimated tokens of questions and answers one conversation sends back."""
MAX_PER_DOCUMENT = 16
"""Conversations a document keeps; opening a 17th forgets the oldest."""
ASK_ACTIONS = frozenset({"ask", "explain"})
"""The actions whose answers start or continue a conversation."""


class ConversationGone(ActionError):
    """The conversation id is unknown: expired, dropped with its document, or never made."""

    def __init__(self) -> None:
        super().__init__("that conversation is gone (its document was closed or it expired); ask again")


@dataclasses.dataclass(frozen=True)
class Turn:
    """One exchange: the user's question (None: the explain task itself) and the final answer."""

    question: str | None
    answer: str
    tokens: int
    """Estimated once, when recorded."""


@dataclasses.dataclass
class Conversation:
    id: str
    uri: str
    range: types.Range | None
    """The target of its first question: a follow-up without a range asks about it again."""
    instruction: str | None = None
    """Explain's instruction, when an explanation started it (its first message is rebuilt)."""
    turns: list[Turn] = dataclasses.field(default_factory=list)
    dropped: int = 0
    """Turns dropped to keep within the budget (the log says so)."""


class ConversationStore:
    """The session's conversations, by document; see the module docstring."""

    def __init__(self, max_tokens: int = MAX_HISTORY_TOKENS, per_document: int = MAX_PER_DOCUMENT) -> None:
        self._by_uri: dict[str, dict[str, Conversation]] = {}
        self._max_tokens = max_tokens
        self._per_document = per_document
        self._ids = itertools.count(1)

    def start(self, uri: str, range_: types.Range | None, instruction: str | None = None) -> Conversation:
        conversations = self._by_uri.setdefault(uri, {})
        while len(conversations) >= self._per_document:
            del conversations[next(iter(conversations))]  # dicts keep insertion order: the oldest
        conversation = Conversation(id=f"c{next(self._ids)}-{uuid.uuid4().hex[:6]}", uri=uri, range=range_,
                                    instruction=instruction)
        conversations[conversation.id] = conversation
        return conversation

    def get(self, uri: str, conversation_id: str) -> Conversation:
        """The conversation `conversation_id` on `uri`; `ConversationGone` when there is none."""
        conversation = self._by_uri.get(uri, {}).get(conversation_id)
        if conversation is None:
            raise ConversationGone()
        return conversation

    def record(self, conversation: Conversation, question: str | None, answer: str) -> None:
        """Add a turn, then drop the oldest turns until the history fits the budget."""
        turns = conversation.turns
        turns.append(Turn(question, answer, estimate_tokens(question or "") + estimate_tokens(answer)))
        total = sum(turn.tokens for turn in turns)
        while len(turns) > 1 and total > self._max_tokens:
            total -= turns.pop(0).tokens
            conversation.dropped += 1

    def drop_document(self, uri: str) -> None:
        self._by_uri.pop(uri, None)


class HoldsConversations(Protocol):
    """What this module needs of the session (`session.Session`): its store. Named here, not
    imported, so the session can name `ConversationStore` without an import loop."""

    conversations: ConversationStore | None


def conversations(session: HoldsConversations) -> ConversationStore:
    """The session's store, made on first use (start-up does not pay for it)."""
    store = session.conversations
    if store is None:
        store = ConversationStore()
        session.conversations = store
    return store


def checked_request(session: HoldsConversations, action: str, request: ActionArguments) -> ActionArguments:
    """`request` ready for its conversation. Ask needs a question, and so does a follow-up
    (`conversationId`), whose conversation must exist; a follow-up without a range takes its
    conversation's. A new ask or explain starts its conversation here, before the run, so the
    id is known at once (plain clients get it in `RunStarted`). Other actions: unchanged."""
    if action not in ASK_ACTIONS:
        return request
    follow_up = bool(request.conversation_id)
    if (action == "ask" or follow_up) and not (request.question or "").strip():
        raise ActionError("question is missing: mistral.ask needs a 'question' argument (the user's question)")
    store = conversations(session)
    if request.conversation_id:
        conversation = store.get(request.uri, request.conversation_id)
        if request.range is None and conversation.range is not None:
            return attrs.evolve(request, range=conversation.range)
        return request
    instruction = (request.instruction or request.question) if action == "explain" else None
    conversation = store.start(request.uri, request.range, instruction)
    return attrs.evolve(request, conversation_id=conversation.id)
