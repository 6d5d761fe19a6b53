"""Review on save: review only the definitions whose text changed since they were last reviewed.

Off by default; `mistral.reviewOnSave` (true, or a list of language ids) turns it on, read
afresh on every save so configuration changes and `mistral.toggleReviewOnSave` apply at once.
The LSP side (`lsp/review_on_save.py`) calls `saved` on `didSave` and `opened` on `didOpen`.

On a save, after `reviewDebounceMs` (a newer save of the same document restarts the wait and
cancels a review in flight):

1. The file is split into *units*: each function or method, each class's own lines (its
   methods are units of their own), and the module-level lines outside every definition.
   Definitions nested in a function belong to that function. Each unit has a content hash.
2. Units whose hash the review cache (`review/cache.py`, on disk, per workspace) has never
   seen are reviewed together in one request, with the file's outline as context. A save
   where every hash is known sends nothing.
3. Findings are stored relative to their unit, so every unit seen before gets its findings
   back wherever its code is now; they are published with origin "save" (source `mistral`,
   the document's version).

Skipped, with a log message saying why: excluded globs (`reviewExclude`), files marked
generated, minified files, files over `reviewMaxFileLines`, languages without a grammar.
A failure (no key, API error, unreadable reply) is shown once naming cause and fix; identical
failures are not shown again until a review succeeds, and after a key or model problem
reviews pause until the settings change — never a retry storm.

The review command seeds this baseline (`seed`): the definitions it reviewed whole are recorded
with its findings, so the first save after turning review on sends only what changed since.

The pure parts are loaded on the first save, not at start-up: `review/scope.py` (skip rules),
`review/units.py` (units, their hashes, placing stored findings), `review/prompt.py` (the
request and reading its reply), `review/cache.py` (the store on disk).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mistral_lsp.actions.project import instructions_for, rules_for
from mistral_lsp.actions.runs import Run
from mistral_lsp.actions.state import ReviewOnSaveState
from mistral_lsp.mistral import AuthError, ConfigurationError, MistralError, ModelNotFoundError
from mistral_lsp.project.rules import rules_digest
from mistral_lsp.review.cache import ReviewCache, cache_path_for_workspace
from mistral_lsp.review.units import owner_of, place, snapshot_of, to_stored, with_rules_key
from mistral_lsp.text.uris import to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor, Reporter
    from mistral_lsp.project.rules import Rule
    from mistral_lsp.review.cache import ReviewCache
    from mistral_lsp.review.findings import Finding
    from mistral_lsp.review.scope import Location
    from mistral_lsp.review.units import Snapshot, StoredFinding, Unit
    from mistral_lsp.syntax.document import Document

log = logging.getLogger(__name__)

ORIGIN = "save"
ACTION = "reviewOnSave"
PROGRESS_TITLE = "Mistral: Review on save"


class ReviewOnSave(ReviewOnSaveState):
    """Review on save for one session, acting on the state the session keeps (`state.py`)."""

    def __init__(self, editor: Editor) -> None:
        super().__init__()
        self.editor = editor

    # -- scheduling ----------------------------------------------------------------------------

    def schedule(self, uri: str) -> None:
        previous = self.tasks.pop(uri, None)
        if previous is not None and not previous.done():
            log.info("review on save of %s superseded by a newer save", uri)
            previous.cancel()
        delay = max(0, self.editor.settings.review_debounce_ms) / 1000
        task = asyncio.get_running_loop().create_task(self._after(uri, delay))
        self.tasks[uri] = task
        task.add_done_callback(lambda done: self._forget(uri, done))

    def _forget(self, uri: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(uri) is task:
            del self.tasks[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("review on save of %s crashed", uri, exc_info=task.exception())

    async def _after(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            await self.review(uri)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug of ours: a message and a log line, never a dead server
            log.exception("review on save of %s failed", uri)
            self._fail("internal error in mistral-lsp; see its log and report the bug", key="internal")

    # -- checks -------------------------------------------------------------------------------

    def enabled_for(self, doc: Document) -> bool:
        return self.editor.settings.review_on_save_for(doc.language_id or "")

    def skip_reason(self, doc: Document, location: Location) -> str | None:
        from mistral_lsp.review.scope import skip_reason

        return skip_reason(location.paths, doc.lines, self.editor.settings)

    def tell_skipped(self, uri: str, reason: str) -> None:
        log.info("review on save skipped %s: %s", uri, reason)
        if self.told_skipped.get(uri) == reason:
            return  # said once in the log panel; not on every save
        self.told_skipped[uri] = reason
        self.editor.log_message(f"Mistral: review on save skipped {_short(uri)}: {reason}")

    def locate(self, uri: str) -> Location:
        from mistral_lsp.review.scope import locate

        path = to_path(uri)
        roots: list[str | None] = [str(root) for root in self.editor.workspace_roots()]
        return locate(str(path) if path else uri, roots)

    async def cache_for(self, location: Location) -> ReviewCache:
        key = location.root or ""
        cache = self.caches.get(key)
        if cache is None:
            cache = ReviewCache(cache_path_for_workspace(location.root))
            self.caches[key] = cache
        await cache.load_async()
        return cache

    # -- units of a document ------------------------------------------------------------------

    async def snapshot(self, doc: Document) -> Snapshot:
        """The document's lines and units, computed off the event loop, cached per text."""
        snap = await asyncio.to_thread(doc.cached, "review_on_save", lambda: snapshot_of(doc))
        # The rules applied to the file are part of its units' hashes: a rule change re-reviews them.
        return with_rules_key(snap, rules_digest(self.rules(doc)))

    def rules(self, doc: Document) -> tuple[Rule, ...]:
        return rules_for(self.editor, doc.uri, doc.language.name if doc.language is not None else doc.language_id)

    async def publish(self, uri: str, cache: ReviewCache, key: str) -> None:
        """Findings of every reviewed unit of the document as it is now, published with its version."""
        for _ in range(5):
            doc = self.editor.documents.get(uri)
            if doc is None:
                return
            snap = await self.snapshot(doc)
            if self.editor.documents.get(uri) is doc and doc.generation == snap.generation:
                break  # no change arrived while the units were computed: place on this text
        else:
            return  # the user is typing faster than we place findings; the next save will
        found: list[Finding] = []
        for unit in snap.units:
            stored = cache.lookup(key, unit.digest)
            if stored:
                found.extend(place(unit, stored, snap.lines))
        self.editor.findings.set(uri, ORIGIN, found)
        self.editor.publish_findings(uri)

    async def restore(self, uri: str) -> None:
        """Show cached findings of an opened document (no request); for `didOpen`."""
        doc = self.editor.documents.get(uri)
        if doc is None or not self.enabled_for(doc) or doc.language is None:
            return
        location = self.locate(uri)
        if self.skip_reason(doc, location):
            return
        cache = await self.cache_for(location)
        if cache.known(location.key):
            await self.publish(uri, cache, location.key)

    async def seed(self, doc: Document, asked_lines: Sequence[str], start_line: int, end_line: int,
                   found: Sequence[Finding]) -> None:
        """Record the review command's results as review on save's baseline: every unit wholly
        inside the reviewed lines `start_line`..`end_line` of the text as asked, with the findings
        it owns (none: reviewed and clean). Whether review on save is on does not matter: the
        first save after it is turned on must not pay again for what the command just reviewed."""
        if doc.language is None:
            return
        location = self.locate(doc.uri)
        if self.skip_reason(doc, location) is not None:
            return
        snap = await self.snapshot(doc)
        if snap.lines != tuple(asked_lines):
            return  # edited while the model answered: the units reviewed are not these
        covered = [unit for unit in snap.units
                   if unit.lines and unit.start_line >= start_line and unit.end_line <= end_line]
        if not covered:
            return
        results: dict[str, list[StoredFinding]] = {unit.digest: [] for unit in covered}
        for finding in found:
            unit = owner_of(covered, finding.start_line)
            stored = to_stored(unit, finding) if unit is not None else None
            if unit is not None and stored is not None:
                results[unit.digest].append(stored)
        cache = await self.cache_for(location)
        cache.record(location.key, results)
        await cache.save_async()
        log.info("review of %s: %d definitions recorded for review on save", doc.uri, len(covered))

    # -- the review ---------------------------------------------------------------------------

    async def review(self, uri: str) -> None:
        editor = self.editor
        doc = editor.documents.get(uri)
        if doc is None or not self.enabled_for(doc):
            return
        location = self.locate(uri)
        reason = self.skip_reason(doc, location)
        if reason is None and doc.language is None:
            reason = f"no grammar for language {doc.language_id!r}"
        if reason is not None:
            self.tell_skipped(uri, reason)
            return
        cache = await self.cache_for(location)
        snap = await self.snapshot(doc)
        changed: dict[str, Unit] = {}
        for unit in snap.units:
            if cache.lookup(location.key, unit.digest) is None:
                changed.setdefault(unit.digest, unit)
        cache.touch(location.key, [unit.digest for unit in snap.units])
        if not changed:
            log.info("review on save of %s: no changed definition, nothing sent", uri)
        elif self.paused_for is not None and self.paused_for is editor.settings:
            log.info("review on save of %s paused until the settings change", uri)
        else:
            self.paused_for = None
            results = await self._ask(doc, snap, location, list(changed.values()))
            if results is not None:
                cache.record(location.key, results)
        await self.publish(uri, cache, location.key)
        await cache.save_async()

    async def _ask(
        self, doc: Document, snap: Snapshot, location: Location, changed: list[Unit]
    ) -> dict[str, list[StoredFinding]] | None:
        """One request reviewing `changed`; their findings by hash, or None when it failed."""
        from mistral_lsp.review.prompt import ReplyError, findings_by_unit

        editor = self.editor
        run = Run(
            id=editor.session.runs.new_id(), action=ACTION, uri=doc.uri, target_key=(doc.uri,),
            task=asyncio.current_task(),
        )
        editor.session.runs.start(run)
        progress = await editor.open_reporter(
            run, title=PROGRESS_TITLE, message=_progress_message(changed, doc.uri), stream=False
        )
        try:
            text = await self._stream(doc, snap, location, changed, progress)
            results = findings_by_unit(text, snap.lines, changed, self.rules(doc))
        except asyncio.CancelledError:
            progress.end("cancelled")
            raise
        except MistralError as exc:
            from mistral_lsp.actions.run import failure_message

            message = failure_message(editor, exc)
            progress.end(f"failed: {message}")
            if isinstance(exc, (AuthError, ConfigurationError, ModelNotFoundError)):
                self.paused_for = editor.settings
                message += " (review on save pauses until the settings change)"
            self._fail(message, key=type(exc).__name__)
            return None
        except ReplyError as exc:
            progress.end(f"failed: {exc}")
            self._fail(str(exc), key="reply")
            return None
        except Exception:
            progress.end("failed: internal error; see the log")
            raise
        finally:
            editor.session.runs.finish(run)
        count = sum(len(found) for found in results.values())
        progress.end(f"done: {count} finding{'s' if count != 1 else ''}")
        self.shown_failures.clear()
        log.info(
            "review on save of %s: %d of %d definitions reviewed, %d findings",
            doc.uri, len(changed), len(snap.units), count,
        )
        return results

    async def _stream(
        self, doc: Document, snap: Snapshot, location: Location, changed: list[Unit],
        progress: Reporter,
    ) -> str:
        from mistral_lsp.actions.model_call import stream_answer, toolbox_for
        from mistral_lsp.prompting.prompts import review_response_format
        from mistral_lsp.review.prompt import build_messages, outline_budget

        settings = self.editor.settings
        messages = build_messages(
            doc, snap, location.key, changed, outline_budget=outline_budget(settings), line_anchors=settings.line_anchors,
            rules=self.rules(doc), instructions=instructions_for(self.editor, doc.uri).text,
        )
        answer = await stream_answer(
            self.editor, "review", doc.uri, progress, messages, response_format=review_response_format(),
            tools=toolbox_for(self.editor, "review", doc.uri, background=True),
        )
        return answer.text

    def _fail(self, message: str, *, key: str) -> None:
        log.warning("review on save failed: %s", message)
        if self.failed_under is not self.editor.settings:
            self.shown_failures.clear()  # new settings: the same failure is news again
            self.failed_under = self.editor.settings
        if key in self.shown_failures:
            return
        self.shown_failures.add(key)
        self.editor.show_message(f"Mistral review on save failed: {message}")

    # -- entry points for the LSP layer -----------------------------------------------------------

    def saved(self, uri: str) -> None:
        """A document was saved: schedule its review (in save order; settings first)."""
        editor = self.editor
        if not editor.settings_loaded():
            # A save right after start-up: whether review on save is on is not known yet.
            async def later() -> None:
                await editor.wait_for_settings()
                self.saved(uri)

            self._keep(asyncio.get_running_loop().create_task(later()))
            return
        doc = editor.documents.get(uri)
        if doc is None or not self.enabled_for(doc):
            return
        location = self.locate(uri)
        reason = self.skip_reason(doc, location)
        if reason is not None:
            self.tell_skipped(uri, reason)
            return
        self.schedule(uri)

    def opened(self, uri: str) -> None:
        """A document was opened: show its cached findings (when review on save is on for it)
        without a request."""
        doc = self.editor.documents.get(uri)
        if doc is None:
            return

        async def restore() -> None:
            await self.editor.wait_for_settings()
            if not self.enabled_for(doc):
                return
            try:
                await self.restore(uri)
            except Exception:
                log.exception("restoring review findings of %s failed", uri)

        self._keep(asyncio.get_running_loop().create_task(restore()))

    def _keep(self, task: asyncio.Task[None]) -> None:
        """Hold a reference to a background task until it ends (the loop keeps only weak ones)."""
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def review_on_save(editor: Editor) -> ReviewOnSave:
    """The session's review-on-save state, made on first use."""
    session = editor.session
    if not isinstance(session.review_on_save, ReviewOnSave):
        session.review_on_save = ReviewOnSave(editor)
    return session.review_on_save


def _progress_message(changed: Sequence[Unit], uri: str) -> str:
    names = ", ".join(unit.name for unit in changed[:3]) + (" …" if len(changed) > 3 else "")
    count = len(changed)
    return f"{count} changed definition{'s' if count != 1 else ''} in {_short(uri)}: {names}"


def _short(uri: str) -> str:
    return PurePosixPath(uri).name or uri


