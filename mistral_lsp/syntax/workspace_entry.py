"""What the workspace index keeps of one file (`FileEntry`, its `Symbol`s) and how an entry is
made from a file's text or an open document, with the same tree-sitter walk as the per-file
index (`index.file_index`). `workspace.py` holds the entries; `index_store.py` saves them."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index import file_index
from mistral_lsp.syntax.nodes import syntax_of

_HEADS_MEMO = "workspace_heads"
Stat = tuple[int, int]
"""A file's (size, mtime_ns)."""
SavedEntries = Mapping[str, tuple[Stat, "FileEntry"]]
"""Entries saved by an earlier server (`index_store.load`), with their files' stat, by path."""


class Symbol(NamedTuple):
    """A top-level definition of a file (0-based lines). A named tuple: a restart makes
    hundreds of thousands from the saved index (`index_store`), four times faster than a
    frozen dataclass."""

    name: str
    kind: str
    """"function" | "class" | "value"."""
    start_line: int
    end_line: int
    head_line: int
    """The line that names it (after decorators, attributes and `export`)."""


@dataclasses.dataclass(frozen=True, slots=True)
class FileEntry:
    """What the index keeps of one file."""

    path: str
    """Absolute, with "/" separators."""
    language: str
    symbols: dict[str, tuple[Symbol, ...]]
    """Top-level definitions by name (file order)."""
    imports: tuple[str, ...]
    """The text of each top-level import (and package clause)."""

    def summary(self) -> tuple[str, tuple[tuple[str, tuple[Symbol, ...]], ...], tuple[str, ...]]:
        """Everything it holds, comparable (what the property tests compare)."""
        return self.language, tuple(sorted(self.symbols.items())), self.imports


def analyse(path: str, text: str, language_id: str = "") -> FileEntry | None:
    """The entry of one file, or None when it has no language or no tree."""
    return entry_of_document(path, Document(Path(path).as_uri(), text, language_id=language_id))


def entry_of_document(path: str, doc: Document) -> FileEntry | None:
    """The entry of an open document, from its own (incremental) file index."""
    spec = doc.language
    if spec is None or doc.tree is None:
        return None
    index = file_index(doc)
    syntax = syntax_of(doc)
    assert syntax is not None
    symbols: dict[str, list[Symbol]] = {}
    # Where each definition's name is, relative to its first line: remembered per definition
    # template, so after an edit only the definitions walked again look at their nodes.
    heads: dict[object, int] = doc.memo.setdefault(_HEADS_MEMO, {})
    for info in (*index.definitions, *index.values):
        if info.parent is not None or not info.short_name or info.kind == "method":
            continue
        offset = heads.get(info.template) if info.template is not None else None
        if offset is None:
            node = info.node
            named = node.child_by_field_name("name") or node
            offset = syntax.first_line(named) - info.start_line
            if info.template is not None:
                heads[info.template] = offset
        head = min(max(info.start_line + offset, info.start_line), info.end_line)
        symbols.setdefault(info.short_name, []).append(
            Symbol(info.short_name, info.kind, info.start_line, info.end_line, head)
        )
    lines = doc.lines
    imports = tuple("\n".join(lines[start : end + 1]) for start, end in index.imports)
    return FileEntry(
        path, spec.name, {name: tuple(sorted(found, key=lambda s: s.start_line)) for name, found in symbols.items()},
        imports,
    )


def stat_of(path: str) -> Stat | None:
    """(size, mtime_ns) of a file, None when it is gone."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns
