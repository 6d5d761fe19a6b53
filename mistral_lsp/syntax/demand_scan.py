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
   anything but a closing bracket (gofmt's layout: bodies are indented, closing braces are not);
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
_NAMING = re.compile(rb"(?:func |(?:type|var|const) (?:[A-Za-z_]\w*, *)*)\Z")
"""What precedes a name a top-level declaration's own line defines."""
_IN_GROUP = re.compile(rb"\t(?:[A-Za-z_]\w*, *)*\Z")
"""What precedes a name a line of a `var|const|type (` group defines."""
_GROUP_HEAD = re.compile(rb"(?:var|const|type) \(")
_PREAMBLE = (b"package ", b"import ")
_TOKEN = re.compile(rb"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`[^`]*`", re.DOTALL)
"""Go's comments, strings and runes: what may hold a line that only looks like a declaration."""
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class Scan:
    """One file's top-level layout, found when a wanted name is where a definition names
    something (most files holding a name only use it)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        hidden = [m.span() for m in _TOKEN.finditer(data) if data.find(b"\n", *m.span()) >= 0]
        self._hidden_starts = [start for start, _ in hidden]
        self._hidden = hidden
        first = [0] if _STARTER.match(b"\n" + data[:64]) else []
        self.starts = [start for start in first + [m.start() + 1 for m in _STARTER.finditer(data)]
                       if not self.hidden(start)]
        """Offsets of the lines starting at column 0 (bar closing brackets, and lines of a
        multi-line raw string or block comment), in order."""

    def hidden(self, at: int) -> bool:
        """`at` is inside a multi-line raw string or block comment."""
        i = bisect_right(self._hidden_starts, at) - 1
        return i >= 0 and at < self._hidden[i][1]

    def declaration_at(self, line_start: int, named: bool) -> int | None:
        """The start of the top-level declaration that defines a name on the line starting at
        `line_start` (`named`: the line's own declaration names it; else a group's line)."""
        if named:
            return None if self.hidden(line_start) else line_start
        i = bisect_right(self.starts, line_start) - 1
        if i < 0:
            return None
        head = self.starts[i]
        # Inside the group: its head is the last top-level line, and its `)` is not yet passed.
        data = self.data
        if _GROUP_HEAD.match(data, head) and data.find(b"\n)", head, line_start) < 0 and not self.hidden(line_start):
            return head
        return None

    def end_of(self, start: int) -> int:
        """Where the declaration starting at `start` ends: the next top-level line."""
        i = bisect_right(self.starts, start)
        return self.starts[i] - 1 if i < len(self.starts) else len(self.data)

    def preamble(self) -> list[int]:
        """The starts of the package clause and the imports."""
        return [start for start in self.starts if self.data.startswith(_PREAMBLE, start)]


def defining(data: bytes, names: Iterable[bytes]) -> tuple[Scan | None, dict[bytes, list[int]]]:
    """For each name of `names` that `data` may define at top level: the starts of the
    declarations that do; with the file's scan (None when it holds none of the names)."""
    scan: Scan | None = None
    out: dict[bytes, list[int]] = {}
    for name in names:
        at = data.find(name)
        while at >= 0:
            end = at + len(name)
            if (at == 0 or data[at - 1] not in _WORD_BYTES) and (end == len(data) or data[end] not in _WORD_BYTES):
                line_start = data.rfind(b"\n", 0, at) + 1
                prefix = data[line_start:at]
                named = _NAMING.match(prefix) is not None
                if named or _IN_GROUP.match(prefix):
                    scan = scan or Scan(data)
                    start = scan.declaration_at(line_start, named)
                    if start is not None:
                        out.setdefault(name, []).append(start)
            at = data.find(name, end)
    return scan, out


def light_entry(path: str, scan: Scan, starts: Iterable[int]) -> FileEntry | None:
    """The entry of `path` with only the declarations starting at `starts` (and the preamble),
    its lines numbered as in the file; None when their parse finds a syntax error or a
    definition that runs past its declaration's end (a declaration cut short)."""
    data = scan.data
    pieces: list[bytes] = []
    lines: list[tuple[int, int]] = []
    """Each declaration's first and last line."""
    done = line = 0
    for start, end in sorted({(start, scan.end_of(start)) for start in (*scan.preamble(), *starts)}):
        if start < done:
            continue
        line += data.count(b"\n", done, start)
        piece = data[start:end]
        pieces += [b"\n" * (line - (lines[-1][1] if lines else 0)), piece]
        lines.append((line, line + piece.count(b"\n")))
        line, done = lines[-1][1], end
    doc = Document(Path(path).as_uri(), b"".join(pieces).decode("utf-8", "replace"))
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
    """Two partial entries of one file as one (the later's definitions of a name win)."""
    if earlier is None:
        return later
    return FileEntry(later.path, later.language, {**earlier.symbols, **later.symbols}, later.imports)
