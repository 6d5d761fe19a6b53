"""Import resolution: which workspace files a file's imports (and its package) bring in.

Each language's resolver (`resolvers.RESOLVERS`) turns the import lines the file index found
into candidate files; here they are kept if indexed (cached while the index stays the same),
and `cross_file_symbols` keeps, from those files, the top-level definitions whose names the
target uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mistral_lsp.syntax.resolvers import GO_IMPORT_PATH, RESOLVERS, normal_path
from mistral_lsp.syntax.workspace import Symbol, WorkspaceIndex

MAX_CROSS_FILE = 100
"""Definitions from other files, at most (the budget is the real limit; this bounds the work)."""

_GO_ALIAS = re.compile(r'(?m)^\s*(?:import\s+)?([A-Za-z_]\w*)\s+"[^"]+"')
_ALIAS = re.compile(r"\b([A-Za-z_$][\w$]*)\s+as\s+([A-Za-z_$][\w$]*)")


_resolved: dict[tuple[int, int, str, str, tuple[str, ...]], list[str]] = {}
"""Resolved imports by (index, its generation, file, language, imports): actions on one file
resolve the same imports again and again while the index stays the same."""


def resolve_imports(index: WorkspaceIndex, path: str, language: str, imports: Sequence[str]) -> list[str]:
    """The indexed files `path`'s imports (and package) bring in, nearest first, without `path`."""
    key = (id(index), index.generation, path, language, tuple(imports))
    found = _resolved.get(key)
    if found is None:
        if len(_resolved) > 256:
            _resolved.clear()
        found = _resolved[key] = _resolve(index, path, language, imports)
    return list(found)


def _resolve(index: WorkspaceIndex, path: str, language: str, imports: Sequence[str]) -> list[str]:
    resolver = RESOLVERS.get(language)
    found = resolver(index, path, imports) if resolver is not None else []
    return _indexed_once(index, path, found)


def _indexed_once(index: WorkspaceIndex, path: str, found: Iterable[str]) -> list[str]:
    """The candidates that are indexed files other than `path`, normalised, first time each:
    resolvers propose paths freely (`a/../b`, files that may not exist) and this keeps the real."""
    out: list[str] = []
    for candidate in found:
        candidate = normal_path(candidate)
        if candidate != path and candidate not in out and index.get(candidate) is not None:
            out.append(candidate)
    return out


def cross_file_symbols(
    index: WorkspaceIndex, path: str, language: str, imports: Sequence[str], used: Iterable[str]
) -> list[tuple[str, Symbol]]:
    """The top-level definitions of the files `path` imports whose names the target uses, in
    order of first use (one file's definitions of a name: the first file that has it)."""
    files = resolve_imports(index, path, language, imports)
    # `from m import name as alias`, `import { name as alias }`, `use a::Name as Alias`.
    table = _names_of(index, files)
    text = "\n".join(imports)
    aliases = {alias: name for name, alias in _ALIAS.findall(text) if alias != name}
    # Go: `syscall.Getrlimit` — `syscall` names the package, not a definition.
    qualifiers = {p.rpartition("/")[2] for p in GO_IMPORT_PATH.findall(text)} if language == "go" else set()
    qualifiers |= set(_GO_ALIAS.findall(text)) if language == "go" else set()
    out: list[tuple[str, Symbol]] = []
    for used_name in dict.fromkeys(used):
        if used_name in qualifiers:
            continue
        found = table.get(aliases.get(used_name, used_name))
        if found is not None:
            out.append(found)
        if len(out) >= MAX_CROSS_FILE:
            break
    return out


_tables: dict[tuple[int, int, tuple[str, ...]], dict[str, tuple[str, Symbol]]] = {}


def _names_of(index: WorkspaceIndex, files: list[str]) -> dict[str, tuple[str, Symbol]]:
    """Each name the files define, with its definition in the first file that has it (cached
    while the index does not change: a Go package's files are many)."""
    key = (id(index), index.generation, tuple(files))
    table = _tables.get(key)
    if table is None:
        table = {}
        for file in reversed(files):
            entry = index.get(file)
            if entry is not None:
                table.update((name, (file, symbols[0])) for name, symbols in entry.symbols.items())
        if len(_tables) > 64:
            _tables.clear()
        _tables[key] = table
    return table
