"""A light top-level parse for on-demand resolution (`workspace_demand`): of a Go file, only the
top-level declarations that may define a few wanted names (and its package clause and imports)
are parsed, not the whole file.

Why: a Go package is a directory, and a big one (`runtime`: 457 files, 3.3 MB) holds the
definitions a target wants spread over many files. Parsing each whole file costs most of the
on-demand budget; parsing only a few declarations of each costs little, so the budget reaches
every file of the package.

How, without losing precision:

1. the wanted names are found with `bytes.find`; an occurrence is a candidate definition when
   it is where a top-level declaration names something — `func Name`, `type|var|const Name`
   (or `var a, Name`) on a line that starts at column 0, or `<tab>Name` inside a
   `var|const|type (` group;
2. each such declaration spans from its line to the next line that starts at column 0 with
   anything but a closing bracket or a label (gofmt's layout: bodies are indented, closing
   braces are not); lines inside a multi-line raw string or block comment never count. Of a
   `const|var (` group (syscall's tables hold thousands of lines) only the head, the wanted
   line, one other (a group of one is one definition spanning it, for the full index too) and
   the `)` are kept; a `type (` group is kept whole (its types span it in the full index);
3. the file's text is kept with every other line blanked, so line numbers stay the file's own,
   and parsed with the same tree-sitter walk as the full index (`workspace.entry_of_document`):
   a declaration parsed alone yields the same definition as in the whole file, since Go's
   top-level declarations do not depend on each other syntactically;
4. when that parse finds a syntax error (a declaration cut short: a raw string or a block
   comment with lines at column 0), the light parse gives up: the caller parses the whole file.

The entry it makes is partial (only the declarations parsed): the index keeps it without the
file's stat (`WorkspaceIndex.put(partial=True)`), so the build parses the file in full and
replaces it. Pure: no pygls.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.workspace import FileEntry, entry_of_document

LIGHT_LANGUAGES = frozenset({"go"})
"""Languages with a light parse: those whose imports bring in whole directories."""

_STARTER = re.compile(rb"\n(?![A-Za-z_]\w*:)[^\s})\]]")
"""A line starting at column 0 with anything but a closing bracket or a label (gofmt puts a
function's labels there): a top-level declaration, a comment or a directive starts there (the
match starts at the newline before it)."""
_SPEC_START = re.compile(rb"\n(?:\t(?![\s})\]])|[^\s])")
"""Where a group's line (spec) ends: the next line one tab in (not closing a bracket), or the
next line at column 0."""
_GROUP_HEADS = (b"\nvar (", b"\nconst (", b"\ntype (")
_PREAMBLE = re.compile(rb"\n(?:package|import) ")
_TOKEN = re.compile(rb"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`[^`]*`", re.DOTALL)
"""Go's comments, strings and runes: what may hold a line that only looks like a declaration."""


@functools.lru_cache(maxsize=64)
def _naming(names: frozenset[bytes]) -> re.Pattern[bytes]:
    """Where a top-level declaration names one of `names`: `func Name`, `type|var|const Name`
    (or `var a, Name`) at column 0, or `<tab>Name` (`<tab>a, Name`) as a group's line may. One
    pass over a file: most files holding a name only use it."""
    alternatives = b"|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(
        rb"\n(?:(func |(?:type|var|const) (?:[A-Za-z_]\w*, *)*)|\t(?:[A-Za-z_]\w*, *)*)(" + alternatives + rb")(?!\w)"
    )


class Scan:
    """One file's top-level layout, looked at only where a wanted name may be defined."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._hidden: list[tuple[int, int]] | None = None if b"`" in data or b"/*" in data else []
        self._groups: list[tuple[int, int]] | None = None

    def hidden(self, at: int) -> bool:
        """`at` is inside a multi-line raw string or block comment (a line there may look like
        a declaration)."""
        if self._hidden is None:
            data = self.data
            self._hidden = [m.span() for m in _TOKEN.finditer(data) if data.find(b"\n", *m.span()) >= 0]
        i = bisect_right(self._hidden, (at, len(self.data))) - 1
        return i >= 0 and at < self._hidden[i][1]

    def group_of(self, line_start: int) -> tuple[int, int] | None:
        """The start of the `var|const|type (` group whose line starts at `line_start`, and of
        its `)` line, if there is one."""
        if self._groups is None:
            self._groups = sorted(self._group_spans())
        i = bisect_right(self._groups, (line_start, 0)) - 1
        # Inside it: its `)` (at column 0) not passed yet; else the line is a function's.
        return self._groups[i] if i >= 0 and line_start < self._groups[i][1] else None

    def _group_spans(self) -> list[tuple[int, int]]:
        data = self.data
        spans = []
        for group in _GROUP_HEADS:
            at = data.find(group)
            while at >= 0:
                end = data.find(b"\n)", at + 1)
                spans.append((at + 1, end + 1 if end >= 0 else len(data)))
                at = data.find(group, at + 1)
        return spans

    def end_of(self, start: int, boundary: re.Pattern[bytes] = _STARTER) -> int:
        """Where the declaration starting at `start` ends: the next top-level line (or, with
        `boundary` `_SPEC_START`, where a group's line ends: its next one)."""
        found = boundary.search(self.data, start)
        while found is not None and self.hidden(found.start() + 1):
            found = boundary.search(self.data, found.end())
        return found.start() if found is not None else len(self.data)

    def preamble(self) -> list[int]:
        """The starts of the package clause and the imports."""
        found = [m.start() + 1 for m in _PREAMBLE.finditer(self.data)]
        return [start for start in [0] * self.data.startswith((b"package ", b"import ")) + found if not self.hidden(start)]

    def _spec_from(self, at: int, close: int) -> int:
        """The first spec of a group at or after `at` (comments skipped); `close` if none."""
        while at < close and self.data.startswith(b"\t//", at):
            at = self.end_of(at, _SPEC_START) + 1
        return min(at, close)

    def pieces_at(self, line_start: int, named: bool) -> list[tuple[int, int]]:
        """The pieces of the file to parse for the definition on the line at `line_start`: its
        declaration, or a group's head, that line's spec and the group's `)` (a group may be a
        table of thousands); none when the line is not one of a top-level declaration."""
        if self.hidden(line_start):
            return []
        if named:
            return [(line_start, self.end_of(line_start))]
        group = self.group_of(line_start)
        if group is None:
            return []
        head, close = group
        if self.data.startswith(b"type", head):  # a type of a group spans it (the full index's view)
            return [(head, self.end_of(head))]
        spec_end = self.end_of(line_start, _SPEC_START)
        # A second spec: a group of one is one definition spanning it (the full index's view).
        other = self._spec_from(spec_end + 1, close)
        if other >= close:
            other = self._spec_from(self.data.find(b"\n", head) + 1, close)
        if other in (line_start, close):
            return [(head, self.end_of(head))]
        return [(head, self.data.find(b"\n", head)), (line_start, spec_end), (other, self.end_of(other, _SPEC_START)),
                (close, self.end_of(close))]


def defining(data: bytes, names: Iterable[bytes]) -> tuple[Scan | None, dict[bytes, list[tuple[int, int]]]]:
    """For each name of `names` that `data` may define at top level: the pieces of the file
    (byte spans) that do; with the file's scan (None when it may define none)."""
    scan: Scan | None = None
    out: dict[bytes, list[tuple[int, int]]] = {}
    for match in _naming(frozenset(names)).finditer(data):
        scan = scan or Scan(data)
        pieces = scan.pieces_at(match.start() + 1, named=match.group(1) is not None)
        if pieces:
            out.setdefault(match.group(2), []).extend(pieces)
    return scan, out


def light_entry(path: str, scan: Scan, pieces: Iterable[tuple[int, int]]) -> FileEntry | None:
    """The entry of `path` with only `pieces` of it (and the preamble) parsed, its lines
    numbered as in the file; None when their parse finds a syntax error or a definition that
    runs past its piece (a declaration cut short)."""
    data = scan.data
    spans: list[tuple[int, int]] = []
    for start, end in sorted({*pieces, *((start, scan.end_of(start)) for start in scan.preamble())}):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    texts: list[bytes] = []
    lines: list[tuple[int, int]] = []
    """Each piece's first and last line."""
    done = line = 0
    for start, end in spans:
        line += data.count(b"\n", done, start)
        piece = data[start:end]
        texts += [b"\n" * (line - (lines[-1][1] if lines else 0)), piece]
        lines.append((line, line + piece.count(b"\n")))
        line, done = lines[-1][1], end
    doc = Document(Path(path).as_uri(), b"".join(texts).decode("utf-8", "replace"))
    tree = doc.tree
    if tree is None or tree.root_node.has_error:
        return None
    entry = entry_of_document(path, doc)
    firsts = [first for first, _ in lines]
    for symbols in entry.symbols.values() if entry is not None else ():
        for symbol in symbols:
            i = bisect_right(firsts, symbol.start_line) - 1
            if i < 0 or symbol.end_line > lines[i][1]:
                return None
    return entry


def merged(earlier: FileEntry | None, later: FileEntry) -> FileEntry:
    """Two partial entries of one file as one: each name's definitions in both (a file may
    define `_` or an `init` many times; each parse may have seen some)."""
    if earlier is None:
        return later
    symbols = dict(earlier.symbols)
    for name, found in later.symbols.items():
        symbols[name] = tuple(sorted({*symbols.get(name, ()), *found}, key=lambda symbol: symbol.start_line))
    return FileEntry(later.path, later.language, symbols, later.imports)
