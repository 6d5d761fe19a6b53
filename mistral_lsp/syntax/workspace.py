"""The workspace index: every workspace file's top-level definitions and imports.

Built with the same tree-sitter walk as the per-file index (`index.file_index`), so a name
the context finds in another file is found the way it would be in the file itself. What is
kept per file is small — names, kinds and line spans, and the import lines — never trees or
text: the text of the few definitions a prompt shows is read again when it is shown, and a
file-count cap bounds the rest.

Between runs the entries of files read from disk are saved with their files' size and
modification time (`index_store`); a build reuses the entry of a file unchanged since.

What one file's entry holds, and how it is made, is `workspace_entry.py`'s. Pure: no pygls.
The LSP side (`lsp/workspace_index.py`) decides when to build, update and save.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.word_map import WordMap
from mistral_lsp.syntax.workspace_entry import (
    FileEntry,
    SavedEntries,
    Stat,
    Symbol,
    analyse,
    entry_of_document,
    stat_of,
)
from mistral_lsp.syntax.workspace_files import (
    DEFAULT_MAX_FILES,
    MAX_FILE_BYTES,
    SKIPPED_DIRS,
    is_indexable,
    list_files,
)

__all__ = [
    "DEFAULT_MAX_FILES", "MAX_FILE_BYTES", "SKIPPED_DIRS", "FileEntry", "Stat", "Symbol", "WorkspaceIndex", "analyse",
    "document_edited", "entry_of_document", "file_event", "is_indexable", "list_files",
]

log = logging.getLogger(__name__)

MAX_CACHED_TEXTS = 32
"""Files read for prompts, kept (with their mtime) for the next action on the same code."""
RACY_NANOSECONDS = 2_000_000_000
"""A file modified this recently when it was read may change again within its timestamp's
granularity (seconds on some file systems) without its stat changing: its stat is not kept."""




class WorkspaceIndex:
    """Entries by path, with the lookups import resolution needs. Thread-safe: the LSP side
    builds it in a worker thread while actions read it."""

    def __init__(self, roots: Iterable[Path] = ()) -> None:
        self.roots: list[Path] = [Path(root).resolve() for root in roots]
        self._entries: dict[str, FileEntry] = {}
        self._by_dir: dict[str, set[str]] = {}
        self._by_name: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self.ready = False
        """The first full build finished (actions before then use what is there)."""
        self.building = False
        """A build runs in the background: context resolves what it has not reached yet on
        demand (`workspace_demand`)."""
        self._deferred: dict[str, Callable[[], object]] = {}
        self.generation = 0
        """Bumped by every change: a key for what is derived from the index (resolved imports)."""
        self._texts: dict[str, tuple[float, str]] = {}
        self.open_text: Callable[[str], str | None] | None = None
        """The text of a file open in the editor (newer than the disk's), by path."""
        self.words = WordMap()
        """Which files hold each identifier (what `references` scans), kept with the entries."""
        self._stats: dict[str, Stat] = {}
        """(size, mtime_ns) of the disk file an entry was read from; none for an entry from
        the editor's text or from a file modified moments before it was read."""
        self._partial: set[str] = set()
        """Files whose entry holds only some definitions (`demand_scan`): a build parses them."""

    # -- reading --------------------------------------------------------------------------------

    def get(self, path: str) -> FileEntry | None:
        return self._entries.get(path)

    def __len__(self) -> int:
        return len(self._entries)

    def paths(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)

    def in_dir(self, directory: str) -> list[str]:
        with self._lock:
            return sorted(self._by_dir.get(directory, ()))

    def with_name(self, file_name: str) -> list[str]:
        """Indexed files called `file_name` (any directory)."""
        with self._lock:
            return sorted(self._by_name.get(file_name, ()))

    def text(self, path: str) -> str | None:
        """A file's current text: the editor's if it is open, else the disk's."""
        if self.open_text is not None:
            text = self.open_text(path)
            if text is not None:
                return text
        try:
            mtime = Path(path).stat().st_mtime
            cached = self._texts.get(path)
            if cached is not None and cached[0] == mtime:
                return cached[1]
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        if len(self._texts) >= MAX_CACHED_TEXTS:
            self._texts.pop(next(iter(self._texts)))
        self._texts[path] = (mtime, text)
        return text

    def partial(self, path: str) -> bool:
        return path in self._partial

    def read_since(self, path: str | Path) -> bool:
        """The file's entry was read from the disk file as it is now (same size and mtime)."""
        key = _key(path)
        with self._lock:
            known = self._stats.get(key)
        return known is not None and known == stat_of(key)

    def stated_entries(self) -> list[tuple[str, Stat, FileEntry]]:
        """The entries read from disk files, with the files' stat then (what may be persisted)."""
        with self._lock:
            return [(path, stat, self._entries[path]) for path, stat in self._stats.items()]

    def snapshot(self) -> dict[str, tuple[object, ...]]:
        """Every entry's summary by path (what a fresh build is compared with)."""
        with self._lock:
            return {path: entry.summary() for path, entry in self._entries.items()}

    def relative(self, path: str) -> str:
        """`path` relative to the workspace root holding it (else as it is)."""
        for root in self.roots:
            try:
                return Path(path).relative_to(root).as_posix()
            except ValueError:
                continue
        return path

    def root_of(self, path: str) -> Path | None:
        for root in self.roots:
            if root == Path(path) or root in Path(path).parents:
                return root
        return None

    # -- writing --------------------------------------------------------------------------------

    def defer(self, key: str, update: Callable[[], object]) -> None:
        """Keep `update` of file `key` for later (`run_deferred`), replacing an earlier one: a
        burst of keystrokes costs one update, and `flush` runs them before the index is read."""
        with self._lock:
            self._deferred[key] = update

    def run_deferred(self, key: str) -> None:
        with self._lock:
            update = self._deferred.pop(key, None)
        if update is not None:
            update()

    def flush(self) -> None:
        """Run every deferred update now (context for an action must see the latest edits)."""
        with self._lock:
            keys = list(self._deferred)
        for key in keys:  # once each: an update that cannot run now defers itself again
            self.run_deferred(key)

    def update(self, path: str | Path, text: str | None = None, language_id: str = "", stat: Stat | None = None) -> bool:
        """Index (again) one file, from `text` or from disk; False when it is not indexable.
        `stat`: that of the disk file `text` was read from, if it was."""
        key = _key(path)
        if text is None:
            file = Path(key)
            if not is_indexable(file, root=self.root_of(key)):
                self.remove(key)
                return False
            try:
                # Stat before reading: a change after the stat shows as a new stat next time.
                found = os.stat(key)
                text = file.read_text(encoding="utf-8", errors="replace")
            except OSError:
                self.remove(key)
                return False
            if time.time_ns() - found.st_mtime_ns > RACY_NANOSECONDS:
                stat = (found.st_size, found.st_mtime_ns)
        try:
            entry = analyse(key, text, language_id)
        except Exception:  # a grammar surprise costs this file, not the index
            log.exception("workspace index: %s could not be indexed", key)
            entry = None
        return self.put(key, entry, stat, text)

    def reuse(self, path: str | Path, saved: SavedEntries) -> bool:
        """Take the file's saved entry (`index_store`) when the file is as it was then: same
        size and modification time; False (nothing done) otherwise."""
        key = _key(path)
        found = saved.get(key)
        if found is None or found[0] != stat_of(key):
            return False
        return self.put(key, found[1], found[0])

    def put(
        self, path: str | Path, entry: FileEntry | None, stat: Stat | None = None, text: str | None = None,
        partial: bool = False,
    ) -> bool:
        """Store the entry of a file (None: forget the file); `stat`: that of the disk file it
        was read from, if it was; `text`: the text it was made from (its words are kept);
        `partial`: it holds only some definitions (kept without a stat: a build replaces it)."""
        key = _key(path)
        if entry is None:
            self.remove(key)
            return False
        if text is not None:
            self.words.add(key, text)
        else:
            self.words.unknown(key)
        with self._lock:
            if partial and key in self._entries and key not in self._partial:
                return True  # the build's whole entry, made meanwhile, is not replaced by a part
            self.generation += 1
            self._entries[key] = entry
            (self._partial.add if partial else self._partial.discard)(key)
            if stat is not None and not partial:
                self._stats[key] = stat
            else:
                self._stats.pop(key, None)
            directory, _, name = key.rpartition("/")
            self._by_dir.setdefault(directory, set()).add(key)
            self._by_name.setdefault(name, set()).add(key)
        return True

    def remove(self, path: str | Path) -> None:
        key = _key(path)
        self.words.forget(key)
        with self._lock:
            self._stats.pop(key, None)
            self._partial.discard(key)
            if self._entries.pop(key, None) is None:
                return
            self.generation += 1
            directory, _, name = key.rpartition("/")
            self._by_dir.get(directory, set()).discard(key)
            self._by_name.get(name, set()).discard(key)

    def remove_under(self, directory: str | Path) -> None:
        """Forget every file under `directory` (a deleted folder, a removed workspace folder)."""
        prefix = _key(directory).rstrip("/") + "/"
        for path in [p for p in self.paths() if p.startswith(prefix)]:
            self.remove(path)

    def build(self, max_files: int = DEFAULT_MAX_FILES) -> int:
        """Index every file of every root (at most `max_files`); how many were indexed."""
        return self.build_counted(max_files).indexed

    def build_counted(self, max_files: int = DEFAULT_MAX_FILES, saved: SavedEntries | None = None) -> BuildCounts:
        """`build`, reusing what `saved` holds (`index_store.load`), with what it did."""
        return self.index_files(self.list_all(max_files, saved), saved)

    def list_all(self, max_files: int, saved: SavedEntries | None = None, roots: Iterable[Path] | None = None) -> list[Path]:
        """The files to index in every root (or in `roots`; at most `max_files` in all). A file
        unchanged since `saved` is not read to tell whether it is indexable (it was)."""
        known = saved or {}

        def unchanged(path: Path, stat: os.stat_result) -> bool:
            found = known.get(_key(path))
            return found is not None and found[0] == (stat.st_size, stat.st_mtime_ns)

        files: list[Path] = []
        for root in self.roots if roots is None else roots:
            files += list_files(root, max_files - len(files), unchanged if known else None)
        return files

    def index_files(
        self,
        files: list[Path],
        saved: SavedEntries | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BuildCounts:
        """Index `files`: one unchanged since `saved` takes its saved entry without being read,
        one open in the editor is indexed from its text (the disk may be older)."""
        counts = BuildCounts(len(files))
        for i, path in enumerate(files):
            if cancelled is not None and cancelled():
                break
            text = self.open_text(_key(path)) if self.open_text is not None else None
            if text is None and saved and self.reuse(path, saved):
                counts.indexed += 1
                counts.reused += 1
            elif text is None and self.read_since(path):
                counts.indexed += 1  # an action resolved it on demand meanwhile
            elif self.update(path, text):
                counts.indexed += 1
            if progress is not None:
                progress(i + 1, len(files))
        self.ready = True
        return counts


@dataclasses.dataclass(slots=True)
class BuildCounts:
    """What a build did (the LSP side reports it: "Indexed 1,234 files (1,200 unchanged)")."""

    listed: int
    indexed: int = 0
    reused: int = 0
    """Taken from the saved index without reading the file."""


# -- what the LSP notifications do (`lsp/workspace_index.py` calls these) --------------------


def document_edited(index: WorkspaceIndex, path: str, doc: Document) -> bool:
    """An open document changed (opened, edited, saved): index its text, from its own
    incremental file index. False when the file is not one the index keeps."""
    key = _key(path)
    root = index.root_of(key)
    if root is None:
        return False
    if index.get(key) is None and not is_indexable(Path(key), doc.text[:2048].encode("utf-8", "replace"), root):
        return False
    # Bounded wait: an action building context on this document holds its lock while it may
    # flush another document's update; two such actions must not wait on each other forever.
    if not doc.lock.acquire(timeout=1.0):
        index.defer(key, lambda: document_edited(index, path, doc))  # the next reader runs it
        return False
    try:
        entry = entry_of_document(key, doc)
        text = doc.text
    finally:
        doc.lock.release()
    return index.put(key, entry, text=text)


def file_event(index: WorkspaceIndex, path: str, deleted: bool) -> None:
    """A file (or folder) was created, changed or deleted on disk."""
    key = _key(path)
    if deleted:
        index.remove(key)
        index.remove_under(key)
    elif index.root_of(key) is not None:
        index.update(key)


def _key(path: str | Path) -> str:
    """The index's key of a file: its absolute path with "/" separators."""
    if isinstance(path, Path):
        return path.as_posix() if path.is_absolute() else path.absolute().as_posix()
    if path.startswith("/") and "//" not in path and "/./" not in path and not path.endswith(("/", "/.")):
        return path  # already what pathlib would make of it (a restart keys every file: no parsing)
    return Path(path).absolute().as_posix()
