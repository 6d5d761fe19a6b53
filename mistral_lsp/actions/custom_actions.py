"""Finding a custom action (`.mistral/actions/<id>.md`) for a request, and what it stands in for.

Serves no LSP method: `run.prepare` checks a `mistral.custom` request's `actionId` here before
the run starts (an unknown id is the user's message, not a failed run), and selects the target
as the action of its kind would: an edit like fix, markdown like explain, findings like review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mistral_lsp.actions.errors import ActionError, BadArguments
from mistral_lsp.actions.project import actions_for

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.project.actions import CustomAction
    from mistral_lsp.protocol import ActionArguments
    from mistral_lsp.syntax.document import Document

LIKE = {"edit": "fix", "markdown": "explain", "findings": "review"}


def like_action(action: CustomAction) -> str:
    """The built-in action a custom action of this kind runs as."""
    return LIKE[action.kind]


def language_of(doc: Document) -> str:
    return doc.language.name if doc.language is not None else (doc.language_id or "text")


def applicable(editor: Editor, doc: Document) -> list[CustomAction]:
    """The valid custom actions of the document's workspace root that apply to its language."""
    return [action for action in actions_for(editor, doc.uri).actions if action.applies_to(language_of(doc))]


def custom_action(editor: Editor, doc: Document, request: ActionArguments) -> CustomAction:
    """The custom action `request.actionId` names, for `doc`; `ActionError` says why not."""
    if not request.action_id:
        raise BadArguments("actionId is missing: mistral.custom runs the custom action it names")
    found = actions_for(editor, doc.uri)
    action = found.get(request.action_id)
    if action is None:
        known = ", ".join(a.id for a in found.actions) or "none"
        refused = next((p for p in found.problems if p.path.stem == request.action_id), None)
        why = f"it was refused: {refused}" if refused else f"the custom actions here are: {known}"
        raise ActionError(f"no custom action {request.action_id!r} in .mistral/actions ({why})")
    if not action.applies_to(language_of(doc)):
        raise ActionError(f"the custom action {action.id!r} is for {', '.join(action.languages)}, not {language_of(doc)}")
    return action
