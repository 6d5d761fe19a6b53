"""A file's definitions and imports, kept up to date incrementally.

Walking a 10k-line file's definitions takes ~30 ms in Python, too slow to redo after every
keystroke. So the walk is split into units — the nodes at the top level, in namespaces and in
class bodies — and what it learns from a unit (its definitions and imports, relative to the
unit's first line, with paths to their nodes) is remembered by the unit's kind, context and
byte span. The top-level units (with the leading attributes before them) are the file's pieces.

After edits, the document says which bytes changed (`Document.take_changes`). A piece outside
them is found again at its old span (shifted if after them) and is taken whole: a comparison,
its new node, and its lines moved if lines were added or removed before it — nothing inside it
is looked at (`DefInfo` finds its nodes lazily from the piece's node, see `Home`). A piece that
overlaps an edit, or holds a syntax error (error recovery may parse untouched broken code
differently next time), is walked again, unit by unit, reusing the units of the old pieces it
replaces that no edit touched (`index_walk`). The result is the same as a fresh walk
(property tests hold it so).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, cast

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index_walk import _Entry, _Piece, _UnitKey, _Walk
from mistral_lsp.syntax.nodes import DefInfo, Syntax, syntax_of

if TYPE_CHECKING:
    from tree_sitter import Node

_MEMO_KEY = "index_pieces"


class FileIndex:
    """A file's named definitions (top level and class members, not nested functions) and
    imports, with the lookups the context builder needs."""

    def __init__(
        self,
        definitions: Sequence[DefInfo] = (),
        imports: Sequence[tuple[int, int]] = (),
        signatures: dict[object, str] | None = None,
        by_name: dict[str, list[DefInfo]] | None = None,
    ) -> None:
        self.definitions = tuple(info for info in definitions if info.kind != "value")
        """Functions, classes and methods, in file order."""
        self.values = tuple(info for info in definitions if info.kind == "value")
        """Constants, variables, type aliases, typedefs, macros and enum members (kind "value"),
        in file order: looked up by name, never targets or siblings."""
        self.imports = tuple(imports)
        """Line spans of top-level imports (and package / namespace clauses)."""
        self.by_name: dict[str, list[DefInfo]] = by_name if by_name is not None else _by_name(definitions)
        """Definitions by short name (in file order)."""
        self._signatures = signatures if signatures is not None else {}

    def signature(self, syntax: Syntax, info: DefInfo) -> str:
        """`syntax.signature(info)`, remembered across versions for unchanged code."""
        key = info.template if info.template is not None else id(info)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = syntax.signature(info)
        return found


def _by_name(definitions: Sequence[DefInfo], names: set[str] | None = None) -> dict[str, list[DefInfo]]:
    """`definitions` by short name (only those in `names`, if given)."""
    out: dict[str, list[DefInfo]] = {}
    for info in definitions:
        name = info.short_name
        if name and (names is None or name in names):
            if name in out:
                out[name].append(info)
            else:
                out[name] = [info]
    return out


def build_index(syntax: Syntax) -> FileIndex:
    """The file index of `syntax`'s document, from the last version's where code is unchanged
    (remembered in the document's memo for the next version)."""
    doc = syntax.doc
    tree = doc.tree
    if tree is None:
        return FileIndex()
    memo = doc.memo.pop(_MEMO_KEY, None)
    changes = _whole_lines(doc, doc.take_changes())
    old, signatures, names = memo if memo is not None else ([], {}, None)
    with _no_garbage_collection():
        pieces, replaced, walked = _pieces(syntax, tree.root_node, old, changes)
        definitions, imports = _gathered(pieces)
        names = _names_now(names, definitions, (*replaced, *walked))
    signatures = _live_signatures(signatures, definitions)
    doc.memo[_MEMO_KEY] = (pieces, signatures, names)
    return FileIndex(definitions, imports, signatures, names)


@contextlib.contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """The walk allocates thousands of short-lived objects and no cycles; a garbage collection
    triggered in the middle of it would cost more than the walk (3-4x on a 10k-line file)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _gathered(pieces: list[_Piece]) -> tuple[list[DefInfo], list[tuple[int, int]]]:
    """The pieces' definitions and import lines (absolute), in file order."""
    definitions: list[DefInfo] = []
    imports: list[tuple[int, int]] = []
    for piece in pieces:
        if piece.definitions:
            definitions += piece.definitions
        if piece.imports:
            row = piece.row
            imports += [(row + first, row + last) for first, last in piece.imports]
    return definitions, imports


def _names_now(
    names: dict[str, list[DefInfo]] | None, definitions: list[DefInfo], changed: Sequence[_Piece]
) -> dict[str, list[DefInfo]]:
    """The definitions by name, from the last version's table where no name changed."""
    if names is None:
        return _by_name(definitions)
    if not changed:
        return names
    # Only the names defined in the pieces replaced or walked can have other definitions now;
    # the other lists hold the same objects, in the same order.
    touched = {info.short_name for piece in changed for info in piece.definitions if info.short_name}
    names = dict(names)  # the last version's index keeps its own (lists are not changed)
    for name in touched:
        names.pop(name, None)
    names.update(_by_name(definitions, touched))
    return names


def _live_signatures(signatures: dict[object, str], definitions: list[DefInfo]) -> dict[object, str]:
    """The remembered signatures, without those of code that is gone once they pile up: the
    memo follows the file, not its past."""
    if len(signatures) <= 2 * len(definitions) + 64:
        return signatures
    templates = {info.template for info in definitions}
    return {key: value for key, value in signatures.items() if key in templates}


def _whole_lines(doc: Document, changes: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
    """The changed bytes widened to whole lines ("\n" to "\n"): a signature runs from the start
    of its line (and without a body, to its end), so code on a changed line is not reused."""
    if changes is None:
        return None
    start, end, shift = changes
    text = doc.text
    before = text.rfind("\n", 0, doc.offset_of_byte(start))
    after = text.find("\n", doc.offset_of_byte(end))
    return (
        doc.byte_offset(before) if before >= 0 else 0,
        doc.byte_offset(after) + 1 if after >= 0 else len(text.encode("utf-8", "surrogatepass")) + 1,
        shift,
    )


def _pieces(
    syntax: Syntax, root: Node, old: list[_Piece], changes: tuple[int, int, int] | None
) -> tuple[list[_Piece], list[_Piece], list[_Piece]]:
    """The file's pieces — the last version's where untouched, the others walked again — the
    last version's pieces replaced, and the pieces walked."""
    # The hot loop of every keystroke-then-action: one call per top-level unit (`take`), no
    # more (a generator or a helper per step costs ~20% of the index after an edit).
    take = _Reuse(syntax, root.has_error, old, changes)
    leading_kinds = syntax.spec.leading
    slots: list[_Piece | None] = []
    todo: list[tuple[int, Node, int, int]] = []
    back = lead_start = 0
    for node in root.named_children:
        if leading_kinds and node.type in leading_kinds:
            # An attribute or comment the language attaches to the unit after it.
            if not back:
                lead_start = node.start_byte
            back += 1
            continue
        start = lead_start if back else node.start_byte
        piece = take(node, back, start)
        if piece is None:
            todo.append((len(slots), node, back, start))
        slots.append(piece)
        back = 0
    replaced = take.replaced_all()
    walked = _walk_again(syntax, slots, todo, replaced, changes)
    return cast("list[_Piece]", slots), replaced, walked


class _Reuse:
    """The last version's pieces, met in file order as the new tree's top-level units are: each
    one is taken (moved if after the changes) or replaced."""

    def __init__(self, syntax: Syntax, errors: bool, old: list[_Piece], changes: tuple[int, int, int] | None) -> None:
        self.syntax = syntax
        self.errors = errors
        """The new tree has syntax errors somewhere (else no node needs looking at for them)."""
        self.old = old
        self.count = len(old)
        self.next = 0
        """The old pieces before `old[next]` are taken or replaced."""
        self.replaced: list[_Piece] = []
        self.changed_from, self.changed_to, self.shift = changes or (-1, -1, 0)
        self.lines: int | None = None
        """Lines added before the pieces after the changes (known once one is moved)."""

    def __call__(self, node: Node, back: int, start: int) -> _Piece | None:
        """The last version's piece for the unit `node` (after `back` leading nodes from byte
        `start`), moved to where it now is; None when it has to be walked again: a change
        touches it, it holds a syntax error (error recovery may reparse untouched broken code
        differently), or the last version had no such piece there."""
        if self.errors and node.has_error:
            return None
        end = node.end_byte
        changed_from = self.changed_from
        before = changed_from < 0 or end <= changed_from
        if not before and start < self.changed_to:
            return None
        shift = 0 if before else self.shift
        old, found = self.old, self.next
        if found >= self.count or old[found].start != start - shift:  # out of step with the last version
            found = self._seek(start - shift)
            if found < 0:
                return None
        candidate = old[found]
        self.next = found + 1
        if candidate.end != end - shift or candidate.kind != node.kind_id or candidate.back != back or candidate.broken:
            self.replaced.append(candidate)
            return None
        candidate.home.node = node
        if not before:
            self._move(candidate, node, start, end)
        return candidate

    def replaced_all(self) -> list[_Piece]:
        """The old pieces not taken (with those after the last one met)."""
        return self.replaced + self.old[self.next :]

    def _seek(self, was: int) -> int:
        """The place of the old piece that began at byte `was`, or -1; the old pieces before
        it are replaced."""
        old, j, count = self.old, self.next, self.count
        while j < count and old[j].start < was:
            self.replaced.append(old[j])
            j += 1
        self.next = j
        return j if j < count and old[j].start == was else -1

    def _move(self, piece: _Piece, node: Node, start: int, end: int) -> None:
        """Now from byte `start` to `end`, with its definitions as many lines further down as
        the code before it grew.

        In place: the definitions are the same objects from version to version (the names
        table and the last index's lists hold them; `test_pieces_after_an_edit_are_reused_and_moved`
        holds it so), and new copies would double the index's cost after a line added near the
        top of a 10k-line file (copies and names again 2.4 ms, against 0.2 ms).
        """
        lines = self.lines
        if lines is None or not self.syntax.rows_are_lines:
            # Rows count "\n"s: all pieces after the changes moved by as many.
            lines = self.lines = self.syntax.first_line(node) - piece.row
        piece.start, piece.end = start, end
        if lines:
            piece.row += lines
            for info in piece.definitions:
                info.start_line += lines
                info.end_line += lines


def _walk_again(
    syntax: Syntax,
    slots: list[_Piece | None],
    todo: list[tuple[int, Node, int, int]],
    replaced: list[_Piece],
    changes: tuple[int, int, int] | None,
) -> list[_Piece]:
    """Walk the units `todo` (slot, node, leading nodes, first byte) into their slots, reusing
    the units of the replaced pieces that no change touched; the pieces walked."""
    if not todo:
        return []
    walk = _Walk(syntax, _known_units(replaced), changes)
    walked = []
    for slot, node, back, start in todo:
        piece = slots[slot] = walk.piece(node, back, start, syntax.first_line(node))
        walked.append(piece)
    return walked


def _known_units(replaced: list[_Piece]) -> dict[_UnitKey, _Entry]:
    """The units of the pieces replaced, by their bytes in the last version."""
    known: dict[_UnitKey, _Entry] = {}
    for gone in replaced:
        base = gone.start
        for (kind, owner, top, lead, first, last), entry in gone.units.items():
            known[(kind, owner, top, lead, first + base, last + base)] = entry
    return known


def file_index(doc: Document) -> FileIndex:
    """The document's definitions and imports (cached until the next change)."""

    def build() -> FileIndex:
        syntax = syntax_of(doc)
        return build_index(syntax) if syntax is not None else FileIndex()

    return doc.cached("file_index", build)
