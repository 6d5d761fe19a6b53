"""Context from the first second: while the workspace index is still being built, the files a
target's imports bring in are found on disk and indexed on demand.

A cold build of a large workspace takes many seconds (Go's standard library: about 25 s); an
action in that time would see only the files the build has reached. Here, for one action:

1. the language's resolver (`resolvers.RESOLVERS`) runs against a view of the index that also
   sees the disk (`_DiskView`: a file that exists counts as indexed, a directory lists its
   files), so it proposes the files the imports name, nearest first;
2. of those not indexed yet, a file is read (never a vendored, minified, binary or huge one)
   and parsed only if its text holds a name the target uses that no indexed file defines —
   a file without the name cannot define it;
3. its entry goes into the index, with the file's stat, so the build that reaches it later
   takes it as it is (`WorkspaceIndex.read_since`), and the context build then finds it.

In Go, whose imports bring in whole packages (`runtime`: 457 files), step 2 is lighter: only
the top-level declarations that may define a wanted name are parsed (`demand_scan`), as the
file is read. Its entry is partial: kept without a stat, so the build parses the file in full
and replaces it, and a later action may parse more of it. A file whose light parse fails is
parsed in full, as in other languages.

It is bounded — `Budget`: files parsed, bytes read and wall time — so an action is never
delayed much; what it leaves, the build indexes anyway. Pure: no pygls (`prompting.cross_file`
calls it).
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat as stat_module
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from mistral_lsp.syntax.demand_scan import LIGHT_LANGUAGES, defining, light_entry, merged
from mistral_lsp.syntax.languages import language_for
from mistral_lsp.syntax.resolvers import GO_IMPORT_PATH, RESOLVERS, normal_path
from mistral_lsp.syntax.workspace import RACY_NANOSECONDS, FileEntry, WorkspaceIndex, analyse
from mistral_lsp.syntax.workspace_files import MAX_FILE_BYTES, SKIPPED_DIRS, is_indexable

_KEYWORD_BEFORE = re.compile(
    rb"\b(?:func|type|var|const|def|class|fn|struct|enum|trait|interface|function|let|define|mod)[ \t]+\*?\Z"
)
"""Where a definition may name something: a line's first word, or the word after a keyword."""
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_GO_ALIAS = re.compile(r'(?m)^\s*(?:import\s+)?([A-Za-z_]\w*)\s+"[^"]+"')


@dataclasses.dataclass(frozen=True)
class Budget:
    """What one action may spend resolving its imports on demand."""

    files: int = 256
    """Files parsed, at most: in full, or (Go) only the declarations that may define a wanted
    name (`demand_scan`; a few declarations cost far less than a file)."""
    full: int = 32
    """Of those, files parsed in full, at most."""
    bytes: int = 3_000_000
    """Bytes read (candidates looked at, parsed or not), at most: the file that would pass
    it is not parsed."""
    seconds: float = 0.25
    """Wall time, at most (checked before each file: one file may overrun it)."""


DEFAULT_BUDGET = Budget()


@dataclasses.dataclass
class Filled:
    """What one on-demand resolution did (the bench reports it)."""

    candidates: int = 0
    read: int = 0
    parsed: int = 0
    """Files parsed, in full or in part."""
    light: int = 0
    """Of those, files parsed in part (`demand_scan`)."""
    seconds: float = 0.0


def fill_on_demand(
    index: WorkspaceIndex, path: str, language: str, imports: Sequence[str], used: Iterable[str],
    defined: Iterable[str] = (), budget: Budget = DEFAULT_BUDGET,
) -> Filled:
    """Index the not-yet-indexed files `path`'s imports bring in that may define a name of
    `used` not in `defined` (the names the index already resolves), within `budget`."""
    started = time.perf_counter()
    filled = Filled()
    resolver = RESOLVERS.get(language)
    wanted = set(used) - set(defined) - _qualifiers(language, imports)
    if resolver is None or not wanted:
        return filled
    wanted |= _aliased(imports, wanted)
    candidates = _unindexed(index, path, resolver(_DiskView(index), path, imports))
    filled.candidates = len(candidates)
    reader = _Reader(index, wanted, budget, started, filled)
    held = reader.read(candidates, light=language in LIGHT_LANGUAGES)
    wanted = reader.wanted
    # Parsing is what costs: the files that may define the most wanted names first.
    while held and reader.may_parse(full=True):
        best = max(held, key=lambda item: (len(item[3] & wanted), len(item[4] & wanted)))
        held.remove(best)
        candidate, data, stat, _, names = best
        if not names & wanted:
            break
        text = data.decode("utf-8", "replace")
        entry = _parse(candidate, text)
        index.put(candidate, entry, stat if entry is not None else None, text)
        filled.parsed += 1
        wanted -= set(entry.symbols) if entry is not None else set()
    filled.seconds = time.perf_counter() - started
    return filled


_Held = tuple[str, bytes, "tuple[int, int] | None", set[str], set[str]]
"""A candidate read: path, bytes, stat, the wanted names it holds where a definition names
something, and those it holds anywhere."""


class _Reader:
    """Reads the candidates within the budget, and keeps those that may define a wanted name."""

    def __init__(self, index: WorkspaceIndex, wanted: set[str], budget: Budget, started: float, filled: Filled) -> None:
        self.index = index
        self.wanted = wanted
        """The names still wanted (a light parse that finds one takes it out)."""
        self.budget = budget
        self.started = started
        self.filled = filled

    def may_parse(self, full: bool) -> bool:
        filled, budget = self.filled, self.budget
        if full and filled.parsed - filled.light >= budget.full:
            return False
        return filled.parsed < budget.files and time.perf_counter() - self.started <= budget.seconds

    def read(self, candidates: list[str], light: bool) -> list[_Held]:
        """The candidates (read within the budget) that may define a wanted name, to parse in
        full: that hold it — ranked by those they hold where a definition names something
        (`_KEYWORD_BEFORE`). `light`: a file is parsed in part as it is read (`demand_scan`),
        and kept to parse in full only when that fails."""
        held: list[_Held] = []
        spent = 0
        # Reading leaves time to parse in full, unless parsing is done as files are read.
        seconds = self.budget.seconds if light else self.budget.seconds / 2
        for candidate in candidates:
            if not self.wanted or time.perf_counter() - self.started > seconds:
                break
            if light and not self.may_parse(full=False):
                break
            data, stat = _read(self.index, candidate)
            if data is None:
                continue
            self.filled.read += 1
            spent += len(data)
            if spent > self.budget.bytes:
                break
            names = {name.encode() for name in self.wanted}
            if light:
                found = self._light(candidate, data, names)
                held += [(candidate, data, stat, found, found)] if found else []
                continue
            defining, anywhere = _may_define(data, names)
            if anywhere:
                held.append((candidate, data, stat, defining, anywhere))
        return held

    def _light(self, path: str, data: bytes, names: set[bytes]) -> set[str]:
        """Parse the declarations of `data` that may define a wanted name (`demand_scan`); the
        names to parse the file in full for (none: done)."""
        scan, pieces = defining(data, names)
        if scan is None or not pieces:
            return set()
        entry = light_entry(path, scan, [piece for found in pieces.values() for piece in found])
        if entry is None:
            return _decoded(set(pieces))  # cut short: parse the whole file
        earlier = self.index.get(path) if self.index.partial(path) else None
        self.index.put(path, merged(earlier, entry), partial=True)
        self.filled.parsed += 1
        self.filled.light += 1
        self.wanted -= set(entry.symbols)
        return set()


def _may_define(data: bytes, names: set[bytes]) -> tuple[set[str], set[str]]:
    """The names `data` holds where a definition may name them, and those it holds anywhere."""
    anywhere: set[bytes] = set()
    defining: set[bytes] = set()
    for name in names:  # `bytes.find` per name: far cheaper than splitting the file into words
        as_word, defined_here = _holds(data, name)
        if as_word:
            anywhere.add(name)
        if defined_here:
            defining.add(name)
    return _decoded(defining), _decoded(anywhere)


def _holds(data: bytes, name: bytes) -> tuple[bool, bool]:
    """Whether `data` holds `name` as a whole word, and somewhere a definition may name it (the
    line's first word, or right after a keyword: `_KEYWORD_BEFORE`)."""
    as_word = False
    at = data.find(name)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or data[at - 1] not in _WORD_BYTES) and (end == len(data) or data[end] not in _WORD_BYTES):
            as_word = True
            before = data[data.rfind(b"\n", 0, at) + 1 : at]
            if not before.strip(b" \t") or _KEYWORD_BEFORE.search(before):
                return True, True
        at = data.find(name, end)
    return as_word, False


def _decoded(names: set[bytes]) -> set[str]:
    return {name.decode() for name in names}


def _qualifiers(language: str, imports: Sequence[str]) -> set[str]:
    """Go's package names (`strings.Builder`): every file of the package holds them."""
    if language != "go":
        return set()
    text = "\n".join(imports)
    return {p.rpartition("/")[2] for p in GO_IMPORT_PATH.findall(text)} | set(_GO_ALIAS.findall(text))


def _aliased(imports: Sequence[str], wanted: set[str]) -> set[str]:
    """The imported names behind aliases the target uses (`from m import name as alias`)."""
    text = "\n".join(imports)
    return {name for name, alias in re.findall(r"\b([A-Za-z_$][\w$]*)\s+as\s+([A-Za-z_$][\w$]*)", text) if alias in wanted}


def _unindexed(index: WorkspaceIndex, path: str, proposed: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen = {path}
    for candidate in proposed:
        candidate = normal_path(candidate)
        if candidate not in seen and (index.get(candidate) is None or index.partial(candidate)):
            out.append(candidate)
        seen.add(candidate)
    return out


def _read(index: WorkspaceIndex, path: str) -> tuple[bytes | None, tuple[int, int] | None]:
    """The file's bytes and stat, or None when the index would not keep it."""
    file = Path(path)
    if not is_indexable(file, root=index.root_of(path)):
        return None, None
    try:
        found = os.stat(path)
        data = file.read_bytes()
    except OSError:
        return None, None
    racy = time.time_ns() - found.st_mtime_ns <= RACY_NANOSECONDS
    return data, None if racy else (found.st_size, found.st_mtime_ns)


def _parse(path: str, text: str) -> FileEntry | None:
    try:
        return analyse(path, text)
    except Exception:  # a grammar surprise costs this file, not the action
        return None


class _DiskView(WorkspaceIndex):
    """The index as the resolvers see it, with the disk behind it: a workspace file of a known
    language that exists counts as indexed, a directory lists its files. Lookups over the
    whole tree (by file name, every path) see only what is indexed: no walk on demand."""

    def __init__(self, index: WorkspaceIndex) -> None:
        super().__init__()
        self.roots = index.roots
        self._index = index

    def get(self, path: str) -> FileEntry | None:
        found = self._index.get(path)
        if found is not None or not self._is_source(path):
            return found
        return FileEntry(path, "", {}, ())  # a placeholder: the resolver only asks whether it is there

    def in_dir(self, directory: str) -> list[str]:
        indexed = set(self._index.in_dir(directory))
        if _skipped(self._index, directory + "/x"):
            return sorted(indexed)
        try:
            names = os.listdir(directory)
        except OSError:
            return sorted(indexed)
        return sorted(indexed | {f"{directory}/{name}" for name in names if language_for(uri=name) is not None})

    def with_name(self, file_name: str) -> list[str]:
        return self._index.with_name(file_name)

    def paths(self) -> list[str]:
        return self._index.paths()

    def _is_source(self, path: str) -> bool:
        if language_for(uri=path) is None or _skipped(self._index, path):
            return False
        try:
            found = os.stat(path)
        except OSError:
            return False
        return stat_module.S_ISREG(found.st_mode) and found.st_size <= MAX_FILE_BYTES


def _skipped(index: WorkspaceIndex, path: str) -> bool:
    """Outside the workspace, or in a folder the index skips (counted from the root)."""
    root = index.root_of(path)
    if root is None:
        return True
    folders = path[len(root.as_posix()) :].split("/")[:-1]
    return any(part in SKIPPED_DIRS for part in folders)
