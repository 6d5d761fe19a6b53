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
replaces that no edit touched. The result is the same as a fresh walk (property tests hold it
so).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.nodes import (
    MAX_NAME,
    RECEIVER_TYPE,
    DefInfo,
    Home,
    Syntax,
    first_named,
    members_of,
    path_to,
    short_name,
    syntax_of,
    value_names,
)

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


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, quickly
class _Template:
    """A definition relative to the unit it was found in."""

    kind: str
    name: str | None
    parent: str | None
    short_name: str | None
    node_type: str
    start: int
    end: int
    """Lines relative to the unit's first line (negative: leading attributes before it)."""
    path: tuple[int, ...]
    top_path: tuple[int, ...]
    back: int


@dataclasses.dataclass(frozen=True)
class _Unit:
    definitions: tuple[_Template, ...]
    imports: tuple[tuple[int, int], ...]
    members: str | None
    """"class" or "namespace" when the walk goes on into the unit's members."""
    broken: bool
    """Analysed from a node with syntax errors: not to be reused."""


_UnitKey = tuple[str, str | None, bool, int, int, int]
"""(node kind, owner, top level, leading nodes, first byte, end byte)."""
_Entry = tuple[_Unit, list[DefInfo]]


class _Piece:
    """A top-level unit, with the leading nodes before it, and everything found in it."""

    __slots__ = ("back", "broken", "definitions", "end", "home", "imports", "kind", "row", "start", "units")

    def __init__(
        self,
        kind: int,
        back: int,
        start: int,
        end: int,
        row: int,
        broken: bool,
        home: Home,
        definitions: list[DefInfo],
        imports: list[tuple[int, int]],
        units: dict[_UnitKey, _Entry],
    ) -> None:
        self.kind = kind
        """The node's `kind_id`."""
        self.back = back
        self.start = start
        """First byte (of the first leading node), in the version last indexed."""
        self.end = end
        self.row = row
        """First line of the unit's node (not of leading nodes)."""
        self.broken = broken
        """Its node has syntax errors: not to be reused whole."""
        self.home = home
        self.definitions = definitions
        """Its definitions and its members', in file order."""
        self.imports = imports
        """Relative to `row`."""
        self.units = units
        """What the walk learnt, by unit key with bytes relative to `start`."""


class _Walk:
    """Walks pieces unit by unit, reusing the units no edit touched."""

    def __init__(self, syntax: Syntax, known: dict[_UnitKey, _Entry], changes: tuple[int, int, int] | None) -> None:
        self.syntax = syntax
        spec = syntax.spec
        self.known = known
        """What the last version's walk found in the pieces walked again, by unit key (bytes of
        the last version); taken from as it is reused."""
        self.changes = changes
        """The bytes changed since (see `Document.take_changes`)."""
        self.leading = spec.leading
        self.assign = spec.assignment_fields()
        self.named_kinds = spec.functions | spec.classes | frozenset(self.assign)
        self.holders = self.named_kinds | spec.wrappers
        """Kinds that are, or may hold, a definition."""
        self.containers = spec.wrappers | frozenset(self.assign)
        self.value_fields = dict(spec.values)
        self.value_lists = spec.value_lists
        self.value_roots = frozenset(self.value_fields) | spec.value_lists
        # What the piece being walked holds.
        self.home: Home | None = None
        self.used: dict[_UnitKey, _Entry] = {}
        self.definitions: list[DefInfo] = []
        self.imports: list[tuple[int, int]] = []

    def piece(self, node: Node, back: int, start: int, row: int) -> _Piece:
        """Walk the top-level unit `node` (after `back` leading nodes from byte `start`)."""
        home = self.home = Home(node)
        self.used, self.definitions, self.imports = {}, [], []
        self.unit(node, back, start, row, top=True, owner=None, route=())
        units = {(k[0], k[1], k[2], k[3], k[4] - start, k[5] - start): entry for k, entry in self.used.items()}
        imports = [(first - row, last - row) for first, last in self.imports]
        return _Piece(node.kind_id, back, start, node.end_byte, row, node.has_error, home, self.definitions, imports, units)

    def units(self, nodes: list[Node], *, top: bool, owner: str | None, route: tuple[int, ...]) -> None:
        """The members of a class or namespace: `members_of(...)` of the unit at `route`."""
        leading_kinds, syntax = self.leading, self.syntax
        leading: list[Node] = []
        for i, node in enumerate(nodes):
            if node.type in leading_kinds:
                leading.append(node)
                continue
            back = len(leading)
            start = leading[0].start_byte if back else node.start_byte
            self.unit(node, back, start, syntax.first_line(node), top=top, owner=owner, route=(*route, i))
            leading = []

    def unit(
        self, node: Node, back: int, start: int, row: int, *, top: bool, owner: str | None, route: tuple[int, ...]
    ) -> None:
        kind = node.type
        end = node.end_byte
        changed_from, changed_to, shift = self.changes or (-1, -1, 0)
        key = (kind, owner, top, back, start, end)
        if node.has_error:
            # Error recovery may reparse untouched broken code differently: no reuse.
            entry = None
        elif changed_from < 0 or end <= changed_from:
            entry = self.known.pop(key, None)
        elif start >= changed_to:
            entry = self.known.pop((kind, owner, top, back, start - shift, end - shift), None)
        else:
            entry = None
        home = self.home
        assert home is not None
        if entry is not None and not entry[0].broken:
            unit, infos = entry
            # Unchanged code: the same objects, moved to where the code now is.
            for info, t in zip(infos, unit.definitions, strict=True):
                info.start_line = row + t.start
                info.end_line = row + t.end
                info.rehome(home, route)
        else:
            unit = _Analysis(self, node, back, top=top, owner=owner).unit()
            infos = [
                DefInfo(
                    t.kind, t.name, t.parent, row + t.start, row + t.end, t.node_type,
                    None, None, home, route, t.path, t.top_path, t.back, t, t.short_name,
                )
                for t in unit.definitions
            ]
        self.used[key] = (unit, infos)
        if infos:
            self.definitions.extend(infos)
        if unit.imports:
            self.imports.extend((row + first, row + last) for first, last in unit.imports)
        if unit.members is not None:
            if unit.members == "class":
                self.units(members_of(node), top=False, owner=unit.definitions[0].name, route=route)
            else:
                self.units(members_of(node), top=top, owner=owner, route=route)


class _Analysis:
    """What one unit holds, relative to it (its class members and namespace members are units
    of their own)."""

    def __init__(self, walk: _Walk, unit: Node, back: int, *, top: bool, owner: str | None) -> None:
        self.walk = walk
        self.syntax = walk.syntax
        self.root = unit
        self.row = walk.syntax.first_line(unit)
        self.back = back
        self.top = top
        self.owner = owner
        self.definitions: list[_Template] = []
        self.imports: list[tuple[int, int]] = []
        self.members: str | None = None

    def unit(self) -> _Unit:
        node, syntax = self.root, self.syntax
        spec = syntax.spec
        if node.type in spec.functions:
            self.add(node, None, None, self.back)
        elif syntax.is_class(node):
            template = self.add(node, None, None, self.back)
            if template.name:
                self.members = "class"
        elif syntax.is_namespace(node):
            self.members = "namespace"
        elif node.type in self.walk.containers:
            self.descend(node, None, None, self.back, top=self.top)
            if self.top and not self.definitions and syntax.is_import(node):
                self.imports.append(self.relative(node))
        elif self.top and syntax.is_import(node):
            self.imports.append(self.relative(node))
        if node.type in self.walk.value_roots and not self.imports:
            self.values(node, 0)
        elif not self.definitions and not self.members and syntax.is_class(node):
            # An anonymous enum (C's `enum { A, B };`): its members are names of the file.
            for member in members_of(node):
                if member.type in self.walk.value_roots:
                    self.values(member, 0)
        return _Unit(tuple(self.definitions), tuple(self.imports), self.members, self.root.has_error)

    def relative(self, node: Node) -> tuple[int, int]:
        start, end = self.syntax.lines_of(node)
        return start - self.row, end - self.row

    def visit(self, nodes: list[Node], outer: Node | None, assigned: str | None, back: int) -> None:
        """Inside a wrapper or assignment: the nodes under it (no unit is a member of these)."""
        syntax, spec = self.syntax, self.syntax.spec
        for node in nodes:
            if node.type in spec.functions:
                self.add(node, outer, assigned, back)
            elif syntax.is_class(node):
                template = self.add(node, outer, assigned, back)
                if template.name:
                    # A class inside a wrapper (`export class`): its members belong to this unit.
                    self.nested_members(node, template.name)
            elif node.type in self.walk.containers:
                self.descend(node, outer, assigned, back, top=False)

    def nested_members(self, node: Node, owner: str) -> None:
        saved = self.owner
        self.owner = owner
        try:
            for member in self.syntax.members(node):
                self.visit_member(member)
        finally:
            self.owner = saved

    def visit_member(self, node: Node) -> None:
        syntax, spec = self.syntax, self.syntax.spec
        if node.type in self.walk.value_roots:
            self.values(node, 0)
        elif node.type in spec.functions:
            self.add(node, None, None, 0)
        elif syntax.is_class(node):
            template = self.add(node, None, None, 0)
            if template.name:
                self.nested_members(node, template.name)
        elif node.type in self.walk.containers:
            self.descend(node, None, None, 0, top=False)

    def descend(self, node: Node, outer: Node | None, assigned: str | None, back: int, *, top: bool) -> None:
        """Into a wrapper or an assignment: its one definition, if it has one, owns it."""
        children = node.named_children
        inner = sum(1 for child in children if child.type in self.walk.holders)
        if inner == 0:
            return
        # Only a wrapper of exactly one definition belongs to it (`export`, decorators);
        # `const a = () => 1, b = () => 2;` belongs to neither.
        if inner > 1:
            self.visit(children, None, None, 0)
            return
        name = assigned
        field = self.walk.assign.get(node.type)
        if field is not None:
            target = node.child_by_field_name(field) if field else first_named(node)
            if target is not None and target.type not in self.walk.named_kinds:
                name = name or " ".join(self.syntax.text(target).split())[:MAX_NAME]
        self.visit(children, outer or node, name, back)

    def values(self, node: Node, depth: int) -> None:
        """The constants, variables, aliases and macros `node` names (and its value lists')."""
        walk = self.walk
        field = walk.value_fields.get(node.type)
        if field is not None:
            defined = {template.name for template in self.definitions}
            for name in value_names(node, field, self.syntax):
                if name not in defined:
                    self.add_value(node, name)
                    defined.add(name)
        elif node.type in walk.value_lists and depth < 3:
            for child in node.named_children:
                if child.type in walk.value_roots:
                    self.values(child, depth + 1)

    def add_value(self, node: Node, name: str) -> None:
        syntax, walk = self.syntax, self.walk
        top = node
        # The declaration that holds only this value is its extent: `export const A = 1;`.
        while top != self.root and (parent := top.parent) is not None and parent.type in walk.value_lists:
            if sum(1 for child in parent.named_children if child.type in walk.value_roots) != 1:
                break
            top = parent
        first_line = syntax.first_line(top)
        back = self.back if top == self.root else 0
        if back:
            first: Node = top
            for _ in range(back):
                first = first.prev_named_sibling or first
            first_line = syntax.first_line(first)
        end_line = syntax.lines_of(top)[1]
        self.definitions.append(_Template(
            "value", name, self.owner, name, node.type, first_line - self.row, end_line - self.row,
            path_to(self.root, node), path_to(self.root, top), back,
        ))

    def add(self, node: Node, outer: Node | None, assigned: str | None, back: int) -> _Template:
        syntax, owner = self.syntax, self.owner
        top = outer or node
        name = syntax.own_name(node) or assigned
        first_line = syntax.first_line(top)
        if back:
            first: Node = top
            for _ in range(back):
                first = first.prev_named_sibling or first
            first_line = syntax.first_line(first)
        end_line = syntax.lines_of(top)[1]
        parent = owner
        if syntax.is_class(node):
            kind = "class"
        elif owner is not None:
            kind = "method"
        elif (receiver := node.child_by_field_name("receiver")) is not None:
            match = RECEIVER_TYPE.search(syntax.text(receiver))
            kind, parent = "method", match.group(1) if match else None
        elif name and (qualifier := syntax.qualifier(name)) is not None:
            kind, parent = "method", qualifier
        else:
            kind = "function"
        template = _Template(
            kind, name, parent, short_name(name), node.type, first_line - self.row, end_line - self.row,
            path_to(self.root, node), path_to(self.root, top), back,
        )
        if name:
            self.definitions.append(template)
        return template


def build_index(syntax: Syntax) -> FileIndex:
    doc = syntax.doc
    tree = doc.tree
    if tree is None:
        return FileIndex()
    memo = doc.memo.pop(_MEMO_KEY, None)
    changes = _whole_lines(doc, doc.take_changes())
    old, signatures, names = memo if memo is not None else ([], {}, None)
    # The walk allocates thousands of short-lived objects and no cycles; a garbage collection
    # triggered in the middle of it would cost more than the walk (3-4x on a 10k-line file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        pieces, replaced, walked = _pieces(syntax, tree.root_node, old, changes)
        definitions: list[DefInfo] = []
        imports: list[tuple[int, int]] = []
        for piece in pieces:
            if piece.definitions:
                definitions += piece.definitions
            if piece.imports:
                row = piece.row
                imports += [(row + first, row + last) for first, last in piece.imports]
        if names is None:
            names = _by_name(definitions)
        elif replaced or walked:
            # Only the names defined in the pieces replaced or walked can have other
            # definitions now; the other lists hold the same objects, in the same order.
            touched = {
                info.short_name for piece in (*replaced, *walked) for info in piece.definitions if info.short_name
            }
            names = dict(names)  # the last version's index keeps its own (lists are not changed)
            for name in touched:
                names.pop(name, None)
            names.update(_by_name(definitions, touched))
    finally:
        if collecting:
            gc.enable()
    if len(signatures) > 2 * len(definitions) + 64:
        # Forget the signatures of code that is gone: the memo follows the file, not its past.
        templates = {info.template for info in definitions}
        signatures = {key: value for key, value in signatures.items() if key in templates}
    doc.memo[_MEMO_KEY] = (pieces, signatures, names)
    return FileIndex(definitions, imports, signatures, names)


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
    # The hot loop of every keystroke-then-action: kept flat, no helper calls per piece.
    changed_from, changed_to, shift = changes or (-1, -1, 0)
    leading_kinds = syntax.spec.leading
    rows_are_lines = syntax.rows_are_lines
    errors = root.has_error
    count = len(old)
    j = 0  # the old pieces before old[j] are reused or replaced
    replaced: list[_Piece] = []
    slots: list[_Piece | None] = []
    todo: list[tuple[int, Node, int, int]] = []
    back = lead_start = 0
    delta: int | None = None  # lines added before the pieces after the changes
    for node in root.named_children:
        if leading_kinds and node.type in leading_kinds:
            if not back:
                lead_start = node.start_byte
            back += 1
            continue
        start = lead_start if back else node.start_byte
        end = node.end_byte
        piece: _Piece | None = None
        if errors and node.has_error:
            was = -1  # error recovery may reparse untouched broken code differently: no reuse
        elif changed_from < 0 or end <= changed_from:
            was, moved, after = start, 0, False
        elif start >= changed_to:
            was, moved, after = start - shift, shift, True
        else:
            was = -1
        if was >= 0:
            while j < count and old[j].start < was:
                replaced.append(old[j])
                j += 1
            if j < count and old[j].start == was:
                candidate = old[j]
                j += 1
                if (
                    candidate.end == end - moved and candidate.kind == node.kind_id and candidate.back == back
                    and not candidate.broken
                ):
                    piece = candidate
                    piece.home.node = node
                    if after:
                        piece.start, piece.end = start, end
                        if delta is None or not rows_are_lines:
                            # Rows count "\n"s: all pieces after the changes moved by as many.
                            delta = syntax.first_line(node) - piece.row
                        if delta:
                            piece.row += delta
                            for info in piece.definitions:
                                info.start_line += delta
                                info.end_line += delta
                else:
                    replaced.append(candidate)
        if piece is None:
            todo.append((len(slots), node, back, start))
        slots.append(piece)
        back = 0
    replaced += old[j:]
    if not todo:
        return cast("list[_Piece]", slots), replaced, []
    # The units of the pieces replaced, by their bytes in the last version.
    known: dict[_UnitKey, _Entry] = {}
    for gone in replaced:
        base = gone.start
        for (kind, owner, top, lead, first, last), entry in gone.units.items():
            known[(kind, owner, top, lead, first + base, last + base)] = entry
    walk = _Walk(syntax, known, changes)
    walked = []
    for slot, node, back, start in todo:
        piece = slots[slot] = walk.piece(node, back, start, syntax.first_line(node))
        walked.append(piece)
    return cast("list[_Piece]", slots), replaced, walked


def file_index(doc: Document) -> FileIndex:
    """The document's definitions and imports (cached until the next change)."""

    def build() -> FileIndex:
        syntax = syntax_of(doc)
        return build_index(syntax) if syntax is not None else FileIndex()

    return doc.cached("file_index", build)
