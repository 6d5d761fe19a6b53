"""The workspace index's life: `workspace/didChangeWatchedFiles`, `workspace/didChangeWorkspaceFolders`,
and hooks called on `initialized` and on document open / change / save / close.

The index (`syntax.workspace.WorkspaceIndex`) is built in a worker thread after `initialized`,
with work-done progress ("Indexing 1,234 files"); actions never wait for it — one run before
it finishes uses what is indexed so far, and the files its target's imports bring in, indexed
on demand (`index.building`; `syntax.workspace_demand`). It then follows the workspace:

- files changed on disk, created or deleted: `didChangeWatchedFiles` (the watchers are
  registered dynamically when the client supports it; otherwise clients send what they watch);
- files open in the editor: their text, a moment after the last keystroke (`documents` calls
  `document_changed`), from the document's own incremental index;
- workspace folders added or removed: `didChangeWorkspaceFolders`.

Memory is bounded by the `workspaceIndexMaxFiles` setting and by what an entry keeps (names
and line spans, no text). Nothing here blocks the event loop for longer than a dictionary update.

Unless `workspaceIndexCache` is off, the index persists in the cache directory (`syntax.index_store`, under `<cache>/index`): the
build first loads what was saved for its roots and reuses the entries of files unchanged since
(the progress end says how many: "Indexed 1,234 files (1,200 unchanged)"), saves at its end, and
saves again `SAVE_DELAY_SECONDS` after later changes and on `shutdown` — always in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from mistral_lsp.lsp.server import MistralLanguageServer

if TYPE_CHECKING:
    from mistral_lsp.syntax.index_store import Saved
    from mistral_lsp.syntax.workspace import WorkspaceIndex

log = logging.getLogger(__name__)

UPDATE_DELAY_SECONDS = 0.3
"""After the last change of an open file, before it is indexed again (a burst costs one update)."""
SAVE_DELAY_SECONDS = 30.0
"""After a change to the index, before it is saved (a burst of changes costs one write)."""
WATCHER_ID = "mistral-workspace-index-watchers"
SHUTDOWN_WAIT_SECONDS = 2.0
"""How long `shutdown` waits for a build to stop before saving what it indexed."""
PROGRESS_MIN_FILES = 100
"""Fewer files index in well under a second: a progress bar would only flicker."""


class Lifecycle:
    """The background build and the pending updates of one server."""

    def __init__(self) -> None:
        self.build: asyncio.Task[None] | None = None
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.cancelled = False
        self.built = asyncio.Event()
        self.save_timer: asyncio.TimerHandle | None = None
        self.saving: asyncio.Future[None] | None = None
        """The last timed save (also the reference that keeps its task alive)."""
        self.saved_generation = -1
        """The index's generation when it was last saved (or loaded unchanged)."""


def _lifecycle(ls: MistralLanguageServer) -> Lifecycle:
    if ls.workspace_index_lifecycle is None:
        ls.workspace_index_lifecycle = Lifecycle()
    return ls.workspace_index_lifecycle


def _roots(ls: MistralLanguageServer) -> list[Path]:
    workspace = ls.workspace
    uris = [folder.uri for folder in workspace.folders.values()] or ([workspace.root_uri] if workspace.root_uri else [])
    roots = []
    for uri in uris:
        path = to_fs_path(uri) if uri else None
        if path and Path(path).is_dir():
            roots.append(Path(path))
    return roots


async def start(ls: MistralLanguageServer) -> None:
    """After `initialized` (settings known): create the index, register watchers, build it."""
    from mistral_lsp.syntax.workspace import WorkspaceIndex

    max_files = ls.settings.workspace_index_max_files
    roots = _roots(ls)
    if max_files <= 0 or not roots:
        return
    index = WorkspaceIndex(roots)
    index.open_text = lambda path: _open_text(ls, path)
    index.building = True  # from now: an action before the build's first file resolves on demand
    ls.workspace_index = index
    await _register_watchers(ls)
    lifecycle = _lifecycle(ls)
    lifecycle.build = asyncio.ensure_future(_build(ls, index.roots, max_files))


def _open_text(ls: MistralLanguageServer, path: str) -> str | None:
    doc = ls.documents.get(Path(path).as_uri())
    return doc.text if doc is not None else None


def store_directory() -> Path:
    """Where the index is saved: `index/` in the cache directory the review cache uses."""
    from mistral_lsp.review.cache import cache_root

    return cache_root() / "index"


async def _build(ls: MistralLanguageServer, roots: list[Path], max_files: int) -> None:
    index = ls.workspace_index
    if index is None:
        return
    lifecycle = _lifecycle(ls)
    loop = asyncio.get_running_loop()
    token: str | None = None
    index.building = True
    try:
        # Loading and listing run in the worker, never on the event loop.
        saved = await asyncio.to_thread(_load, roots) if ls.settings.workspace_index_cache else {}
        files = await asyncio.to_thread(index.list_all, max_files, saved, roots)
        if len(files) >= PROGRESS_MIN_FILES:
            token = await _begin_progress(ls, f"Indexing {len(files):,} files")
        last = [-1]

        def progress(done: int, total: int) -> None:
            percent = done * 100 // max(total, 1)
            if token is not None and percent != last[0]:
                last[0] = percent
                report = types.WorkDoneProgressReport(message=f"Indexing {total:,} files", percentage=percent)
                loop.call_soon_threadsafe(ls.work_done_progress.report, token, report)

        counts = await asyncio.to_thread(
            index.index_files, files, saved, progress, lambda: lifecycle.cancelled
        )
        del saved
        index.ready = True
        unchanged = f" ({counts.reused:,} unchanged)" if counts.reused else ""
        log.info("workspace index: %d files, %d of them unchanged since saved, %d parsed",
                 counts.indexed, counts.reused, counts.indexed - counts.reused)
        _end_progress(ls, token, f"Indexed {counts.indexed:,} files{unchanged}")
        await _save(ls)
    except Exception:
        log.exception("building the workspace index failed; cross-file context is off")
        _end_progress(ls, token, "Indexing failed")
    finally:
        index.building = False
        lifecycle.built.set()


def _load(roots: list[Path]) -> Saved:
    from mistral_lsp.syntax import index_store

    return index_store.load(store_directory(), roots)


def _store(index: WorkspaceIndex) -> int:
    from mistral_lsp.syntax import index_store

    return index_store.save(store_directory(), index)


async def _save(ls: MistralLanguageServer) -> None:
    """Save the index (in a worker thread) if it changed since it was last saved."""
    index, lifecycle = ls.workspace_index, _lifecycle(ls)
    if index is None or index.generation == lifecycle.saved_generation or not ls.settings.workspace_index_cache:
        return
    generation = index.generation
    try:
        written = await asyncio.to_thread(_store, index)
    except Exception as exc:  # a full disk or a read-only cache costs the next restart's speed
        log.warning("workspace index: saving it in the cache directory failed (%s)", exc)
        return
    lifecycle.saved_generation = generation
    log.info("workspace index: saved %d files (%d bytes)", len(index), written)


def _save_later(ls: MistralLanguageServer) -> None:
    """Save `SAVE_DELAY_SECONDS` after this change unless a save is already due."""
    lifecycle = _lifecycle(ls)
    if lifecycle.save_timer is not None or not lifecycle.built.is_set():
        return  # the build saves when it ends

    def run() -> None:
        lifecycle.save_timer = None
        lifecycle.saving = asyncio.ensure_future(_save(ls))

    lifecycle.save_timer = asyncio.get_running_loop().call_later(SAVE_DELAY_SECONDS, run)


async def shutdown(ls: MistralLanguageServer, params: Any = None) -> None:
    """`shutdown`: stop the build, and save what changed since the last save."""
    lifecycle = ls.workspace_index_lifecycle
    if lifecycle is None or ls.workspace_index is None:
        return
    lifecycle.cancelled = True
    if lifecycle.save_timer is not None:
        lifecycle.save_timer.cancel()
        lifecycle.save_timer = None
    # asyncio.TimeoutError: a class of its own before Python 3.11 (the builtin's alias since).
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(lifecycle.built.wait(), SHUTDOWN_WAIT_SECONDS)
    if lifecycle.saving is not None:
        # A timed save may be writing now: let it end, so the last save does not write beside it.
        await lifecycle.saving
    await _save(ls)


async def _begin_progress(ls: MistralLanguageServer, message: str) -> str | None:
    window = ls.client_capabilities.window
    if not (window and window.work_done_progress):
        return None
    token = f"mistral-index-{uuid.uuid4().hex[:8]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:  # a client may refuse; indexing goes on without progress
        log.info("client refused a progress token: %s", exc)
        return None
    ls.work_done_progress.begin(
        token, types.WorkDoneProgressBegin(title="Mistral: Index", message=message, percentage=0)
    )
    return token


def _end_progress(ls: MistralLanguageServer, token: str | None, message: str) -> None:
    if token is not None:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        ls.work_done_progress.tokens.pop(token, None)


async def _register_watchers(ls: MistralLanguageServer) -> None:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    # The syntax package loads its whole layer, which answering `initialize` does not need.
    from mistral_lsp.syntax.languages import LANGUAGES

    extensions = sorted({ext.lstrip(".") for spec in LANGUAGES for ext in spec.extensions})
    pattern = "**/*.{" + ",".join(extensions) + "}"
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[
            types.FileSystemWatcher(glob_pattern=pattern),
            # Deleted folders: their files go with them.
            types.FileSystemWatcher(glob_pattern="**/*", kind=types.WatchKind.Delete),
        ]
    )
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(id=WATCHER_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                       register_options=options)
                ]
            )
        )
    except Exception as exc:  # the client refused: it may still send what it watches itself
        log.info("registering file watchers failed: %s", exc)


# -- notifications --------------------------------------------------------------------------------


async def did_change_watched_files(ls: MistralLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
    index = ls.workspace_index
    if index is None:
        return
    from mistral_lsp.syntax.workspace import file_event

    for change in params.changes:
        path = to_fs_path(change.uri)
        if not path:
            continue
        key = Path(path).absolute().as_posix()
        if change.type == types.FileChangeType.Deleted:
            file_event(index, key, deleted=True)
            _save_later(ls)
        elif ls.documents.get(change.uri) is None:  # an open file follows the editor, not the disk
            _schedule(ls, key, functools.partial(file_event, index, key, False))


async def did_change_workspace_folders(
    ls: MistralLanguageServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    index = ls.workspace_index
    if index is None:
        await start(ls)
        return
    for folder in params.event.removed:
        path = to_fs_path(folder.uri)
        if path:
            root = Path(path).resolve()
            index.remove_under(root)
            index.roots = [r for r in index.roots if r != root]
            _save_later(ls)
    added = [Path(p).resolve() for folder in params.event.added if (p := to_fs_path(folder.uri)) and Path(p).is_dir()]
    added = [root for root in added if root not in index.roots]
    if added:
        index.roots += added
        room = ls.settings.workspace_index_max_files - len(index)
        if room > 0:
            lifecycle = _lifecycle(ls)
            lifecycle.build = asyncio.ensure_future(_build(ls, added, room))


def document_changed(ls: MistralLanguageServer, uri: str) -> None:
    """An open document was opened, changed or saved: index its text a moment later."""
    index, doc = ls.workspace_index, ls.documents.get(uri)
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if index is None or doc is None or not path:
        return
    from mistral_lsp.syntax.workspace import document_edited

    _schedule(ls, Path(path).absolute().as_posix(), functools.partial(document_edited, index, path, doc))


def document_closed(ls: MistralLanguageServer, uri: str) -> None:
    """Closed without saving, the file is what the disk says again."""
    from mistral_lsp.syntax.workspace import file_event

    index = ls.workspace_index
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if index is not None and path:
        key = Path(path).absolute().as_posix()
        _schedule(ls, key, functools.partial(file_event, index, key, not Path(key).exists()))


def _schedule(ls: MistralLanguageServer, key: str, update: Callable[[], Any]) -> None:
    """Update `key` a moment after the last call (an action reading the index first runs it)."""
    index = ls.workspace_index
    if index is None:
        return
    index.defer(key, update)
    lifecycle = _lifecycle(ls)
    pending = lifecycle.pending.pop(key, None)
    if pending is not None:
        pending.cancel()
    loop = asyncio.get_running_loop()

    def run() -> None:
        lifecycle.pending.pop(key, None)
        future = loop.run_in_executor(None, index.run_deferred, key)
        future.add_done_callback(_log_failure)
        _save_later(ls)

    lifecycle.pending[key] = loop.call_later(UPDATE_DELAY_SECONDS, run)


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("updating the workspace index failed", exc_info=future.exception())
