"""The state of one editor session that outlives a request: runs, previews, the toggle.

One object, so what a session remembers is in one place: the runs in flight, the fixes
waiting for accept or reject, the review-on-save toggle, review on save's own state, and
inline completion's. The data types are in `state.py`, so this module imports no action;
each action adds its behaviour to its state (`ReviewOnSave` is a `ReviewOnSaveState`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from mistral_lsp.actions.runs import RunRegistry

if TYPE_CHECKING:
    # Types only: the session starts empty, and `state.py`'s dataclasses cost start-up time.
    from mistral_lsp.actions.conversations import ConversationStore
    from mistral_lsp.actions.state import (
        CompletionState,
        ProjectFilesState,
        Proposal,
        ReviewOnSaveState,
    )
    from mistral_lsp.options import Settings

# How long a previewed fix waits for accept or reject before it is forgotten.
PREVIEW_TTL_S = 30 * 60

ReviewOnSaveValue = bool | list[str]


class Session:
    """See the module docstring."""

    def __init__(self) -> None:
        self.runs = RunRegistry()
        self._pending_fixes: dict[str, Proposal] = {}
        # Every preview id ever issued: an unknown id is the client's mistake, a known one that
        # is no longer pending is news for the user (it expired, or was already decided).
        self._issued_previews: set[str] = set()
        # `mistral.toggleReviewOnSave` overrides the setting for the session: (the configured
        # value when toggled, the toggled value). It holds until the setting itself changes.
        self._toggle: tuple[ReviewOnSaveValue, ReviewOnSaveValue] | None = None
        self._before_toggle: ReviewOnSaveValue = False
        self.review_on_save: ReviewOnSaveState | None = None
        # Inline completion's debounce, in-flight request, cache and last suggestion.
        self.completion: CompletionState | None = None
        # Ask's and explain's conversations, for follow-ups (`conversations.py`; made on first use).
        self.conversations: ConversationStore | None = None
        # The workspace roots' rules, custom actions and instructions (`project.py`; on first use).
        self.project: ProjectFilesState | None = None

    # -- previewed fixes -----------------------------------------------------------------------

    def keep_preview(self, fix: Proposal) -> None:
        now = time.monotonic()
        for fix_id, old in list(self._pending_fixes.items()):
            if now - old.created > PREVIEW_TTL_S:
                del self._pending_fixes[fix_id]
        self._pending_fixes[fix.id] = fix
        self._issued_previews.add(fix.id)

    def was_issued(self, fix_id: str) -> bool:
        return fix_id in self._issued_previews

    def take_preview(self, fix_id: str) -> Proposal | None:
        """The previewed fix `fix_id`, forgotten (every hunk of it is decided)."""
        return self._pending_fixes.pop(fix_id, None)

    def preview(self, fix_id: str) -> Proposal | None:
        """The previewed fix `fix_id`, still pending (some of its hunks may be decided)."""
        fix = self._pending_fixes.get(fix_id)
        if fix is not None and time.monotonic() - fix.created > PREVIEW_TTL_S:
            del self._pending_fixes[fix_id]
            return None
        return fix

    # -- the review-on-save toggle --------------------------------------------------------------

    def with_toggle(self, settings: Settings) -> Settings:
        """`settings` with the session's toggle applied, unless `reviewOnSave` itself changed."""
        if self._toggle is None:
            return settings
        configured, toggled = self._toggle
        if settings.review_on_save == configured:
            return dataclasses.replace(settings, review_on_save=toggled)
        self._toggle = None
        return settings

    def toggle_review_on_save(self, settings: Settings) -> Settings:
        """Flip review on save for the session; the new settings."""
        current = settings.review_on_save
        new: ReviewOnSaveValue
        if current:
            # Remember a per-language list, so toggling back on restores it rather than "all".
            self._before_toggle = current
            new = False
        else:
            new = self._before_toggle or True
        configured = self._toggle[0] if self._toggle else current
        self._toggle = (configured, new)
        return dataclasses.replace(settings, review_on_save=new)
