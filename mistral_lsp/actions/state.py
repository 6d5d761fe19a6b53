"""What a session remembers for each feature, as plain data the session can hold.

The session (`session.py`) keeps this state; the actions that act on it (`fix.py`,
`completion.py`, `review_on_save.py`, `project.py`) import the session's editor. Keeping the data here,
below both, is what lets `session.py` name the types it holds without importing the actions
(which would close a loop: editor -> session -> action -> editor). Nothing here imports an
action, the editor or anything slow: the session is built at start-up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from mistral_lsp.options import Settings
    from mistral_lsp.review.cache import ReviewCache
    from mistral_lsp.text.hunks import LineHunk

# Inline completions remembered, most recent last.
COMPLETION_CACHE_SIZE = 128


@dataclasses.dataclass
class ProposedHunk:
    """One hunk of a fix's proposal, where it is in the text of `version` (kept current: each
    accept or reject moves the pending hunks to the documents as they are then)."""

    id: str
    uri: str
    line: LineHunk
    version: int | None
    """The document version `line` refers to; None for a closed file (its text on disk)."""
    label: str | None = None


@dataclasses.dataclass
class Proposal:
    """A computed fix: its hunks, pending until each is accepted or rejected."""

    id: str
    hunks: dict[str, ProposedHunk]
    """The pending hunks by id, in proposal order."""
    created: float = dataclasses.field(default_factory=time.monotonic)
    previewed: bool = False  # shown to the user, waiting for acceptFix


@dataclasses.dataclass
class CompletionStats:
    """Counters for the benchmark and the log: what the feature cost and saved."""

    requests: int = 0
    """API calls made."""
    cache_hits: int = 0
    typed_through: int = 0
    superseded: int = 0
    """Requests a newer one replaced (during the debounce or while streaming)."""
    cancelled_streams: int = 0
    discarded_tokens: int = 0
    """Completion tokens received on streams that were then cancelled: paid for, never shown."""
    early_stops: int = 0


@dataclasses.dataclass(frozen=True)
class ShownCompletion:
    """The last suggestion, for typing through it: where it was anchored and the text around."""

    uri: str
    anchor: int
    before: str
    after: str
    text: str


class CompletionState:
    """Inline completion's memory between requests: the cache, the last suggestion, the request
    in flight and its generation, the failure already shown, the counters."""

    def __init__(self, cache_size: int = COMPLETION_CACHE_SIZE) -> None:
        self.stats = CompletionStats()
        self._cache: OrderedDict[tuple[str, str, str, bool], str | None] = OrderedDict()
        self._cache_size = cache_size
        self._last: ShownCompletion | None = None
        self._generation = 0
        self._inflight: asyncio.Task[str | None] | None = None
        self._shown_error: str | None = None


class ReviewOnSaveState:
    """Review on save's memory: debounced tasks, caches per workspace, failures already shown,
    the settings it paused or failed under, skips already told."""

    def __init__(self) -> None:
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.caches: dict[str, ReviewCache] = {}
        self.shown_failures: set[str] = set()
        self.paused_for: Settings | None = None
        self.failed_under: Settings | None = None
        self.background: set[asyncio.Task[None]] = set()
        self.told_skipped: dict[str, str] = {}


class ProjectFilesState:
    """The project files read per root, by their folder's signature, and the problems already
    told (`project.ProjectFiles` reads and tells)."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, Path], tuple[Any, Any]] = {}
        self._told: set[str] = set()
