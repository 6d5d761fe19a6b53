"""What the lookup tools read: the workspace index's files and definitions, and file texts.

`Catalog` derives, once per index generation, the sorted list of indexed files and a map from
each top-level definition's name to where it is; texts come from the editor for open files
(`WorkspaceIndex.text` asks it first) and from disk otherwise, through a small cache bounded in
bytes. Candidate files for a scan are ranked so that bounded scans read the likely files first:
the file asked about, its directory (its package), files whose imports name its module, then
the rest.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mistral_lsp.syntax.workspace import Symbol, WorkspaceIndex

MAX_FILE_BYTES = 1_000_000
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
TEXT_CACHE_BYTES = 32_000_000


class Catalog:
    """See the module docstring. One per index (`catalog_of`), rebuilt when the index changes."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.generation = index.generation
        self.paths = index.paths()
        self._import_words: dict[str, set[str]] | None = None
        """Each word of an import line → the files importing with it (built on first use)."""
        self.definitions: dict[str, list[tuple[str, Symbol]]] = {}
        for path in self.paths:
            entry = index.get(path)
            if entry is None:
                continue
            for name, symbols in entry.symbols.items():
                found = self.definitions.setdefault(name, [])
                found.extend((path, symbol) for symbol in symbols)

    def ranked(self, near: str | None, module_words: tuple[str, ...] = ()) -> list[str]:
        """Indexed paths, those nearest `near` first (see the module docstring)."""
        nearest, rest = self.tiers(near, module_words)
        return nearest + rest

    def tiers(
        self, near: str | None, module_words: tuple[str, ...] = (), candidates: set[str] | None = None
    ) -> tuple[list[str], list[str]]:
        """(`near`, its directory's files and the files importing it, in that order; the rest),
        only among `candidates` when given (the files the word map says hold the name)."""
        if near is None:
            return self._among(candidates, [], set()) if candidates is not None else ([], self.paths)
        directory = str(PurePosixPath(near).parent)
        first: list[str] = [near] if near in self._set() else []
        same_dir = [p for p in self.index.in_dir(directory) if p != near]
        importing = self._importing(module_words) if module_words else []
        seen = set(first) | set(same_dir)
        importing = [p for p in importing if p not in seen]
        seen.update(importing)
        if candidates is None:
            return first + same_dir + importing, [p for p in self.paths if p not in seen]
        return self._among(candidates, [*first, *same_dir, *importing], seen)

    def _among(self, candidates: set[str], nearest: list[str], seen: set[str]) -> tuple[list[str], list[str]]:
        """`tiers` kept to `candidates`: the nearest in their order, the other indexed ones sorted."""
        indexed = self._set()
        return [p for p in nearest if p in candidates], sorted(p for p in candidates - seen if p in indexed)

    def _importing(self, module_words: tuple[str, ...]) -> list[str]:
        """Indexed files with an import line naming one of `module_words` (in path order)."""
        if self._import_words is None:
            self._import_words = {}
            for path in self.paths:
                entry = self.index.get(path)
                for line in entry.imports if entry is not None else ():
                    for word in _WORD.findall(line):
                        self._import_words.setdefault(word, set()).add(path)
        found: set[str] = set()
        for word in module_words:
            found |= self._import_words.get(word, set())
        return sorted(found)

    def _set(self) -> frozenset[str]:
        cached = getattr(self, "_path_set", None)
        if cached is None:
            cached = frozenset(self.paths)
            self._path_set = cached
        return cached


_catalogs: dict[int, Catalog] = {}
_catalog_lock = threading.Lock()


def catalog_of(index: WorkspaceIndex) -> Catalog:
    """The index's catalog, built again when the index changed since."""
    with _catalog_lock:
        catalog = _catalogs.get(id(index))
        if catalog is None or catalog.index is not index or catalog.generation != index.generation:
            catalog = Catalog(index)
            if len(_catalogs) > 4:
                _catalogs.clear()
            _catalogs[id(index)] = catalog
        return catalog


class Texts:
    """File texts: the editor's for open files, else the disk's through a cache bounded in bytes."""

    def __init__(self, index: WorkspaceIndex | None) -> None:
        self.index = index

    def get(self, path: str) -> str | None:
        if self.index is not None and self.index.open_text is not None:
            text = self.index.open_text(path)
            if text is not None:
                return text
        return _disk_text(path)


_cache: OrderedDict[str, tuple[tuple[int, int], str]] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def _disk_text(path: str) -> str | None:
    global _cache_bytes
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if stat.st_size > MAX_FILE_BYTES:
        return None
    key = (stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == key:
            _cache.move_to_end(path)
            return hit[1]
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    if b"\0" in data[:2048]:
        return None
    text = data.decode("utf-8", "replace")
    with _cache_lock:
        old = _cache.pop(path, None)
        if old is not None:
            _cache_bytes -= len(old[1])
        _cache[path] = (key, text)
        _cache_bytes += len(text)
        while _cache_bytes > TEXT_CACHE_BYTES and _cache:
            _, (_, dropped) = _cache.popitem(last=False)
            _cache_bytes -= len(dropped)
    return text
