"""A file's definitions and imports, kept up to date incrementally.

Walking a 10k-line file's definitions takes ~30 ms in Python, too slow to redo after every
keystroke. So the walk is split into units — the nodes at the top level, in namespaces and in
class bodies — and what it learns from a unit (its definitions and imports, relative to the
unit's first line, with paths to their nodes) is remembered by the unit's kind, context and
byte span. After edits, the document says which bytes changed (`Document.take_changes`): a unit
outside them is found again at its old span (shifted if after them) and costs a lookup; only
the units that overlap an edit, or hold a syntax error (error recovery may parse untouched
broken code differently next time), are analysed again. The result is the same as a fresh walk
(a property test holds it so).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.nodes import (
    MAX_NAME,
    RECEIVER_TYPE,
    DefInfo,
    Syntax,
    first_named,
    path_to,
    short_name,
    syntax_of,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_MEMO_KEY = "index_units"


class FileIndex:
    """A file's named definitions (top level and class members, not nested functions) and
    imports, with the lookups the context builder needs."""

    def __init__(
        self,
        definitions: Sequence[DefInfo] = (),
        imports: Sequence[tuple[int, int]] = (),
        signatures: dict[object, str] | None = None,
    ) -> None:
        self.definitions = tuple(definitions)
        """In file order."""
        self.imports = tuple(imports)
        """Line spans of top-level imports (and package / namespace clauses)."""
        self.by_name: dict[str, list[DefInfo]] = {}
        """Definitions by short name."""
        for info in self.definitions:
            if info.short_name:
                self.by_name.setdefault(info.short_name, []).append(info)
        self._signatures = signatures if signatures is not None else {}

    def signature(self, syntax: Syntax, info: DefInfo) -> str:
        """`syntax.signature(info)`, remembered across versions for unchanged code."""
        key = info.template if info.template is not None else id(info)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = syntax.signature(info)
        return found


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


class _Walk:
    """One pass over the tree, unit by unit, reusing the units no edit touched."""

    def __init__(
        self, syntax: Syntax, known: dict[Any, tuple[_Unit, list[DefInfo]]], changes: tuple[int, int, int] | None
    ) -> None:
        self.syntax = syntax
        spec = syntax.spec
        self.known = known
        """What the last version's walk found, by unit (kind, context, byte span); taken from
        as it is reused."""
        self.changes = changes
        """The bytes changed since (see `Document.take_changes`)."""
        self.used: dict[Any, tuple[_Unit, list[DefInfo]]] = {}
        self.leading = spec.leading
        self.assign = spec.assignment_fields()
        self.named_kinds = spec.functions | spec.classes | frozenset(self.assign)
        self.holders = self.named_kinds | spec.wrappers
        """Kinds that are, or may hold, a definition."""
        self.containers = spec.wrappers | frozenset(self.assign)
        self.definitions: list[DefInfo] = []
        self.imports: list[tuple[int, int]] = []

    def units(self, nodes: list[Node], *, top: bool, owner: str | None) -> None:
        # The hot loop of every keystroke-then-action: kept flat, no helper calls per unit.
        syntax, known, used = self.syntax, self.known, self.used
        definitions, leading_kinds = self.definitions, self.leading
        changed_from, changed_to, shift = self.changes or (-1, -1, 0)
        rows_are_lines = syntax.rows_are_lines
        leading: list[Node] = []
        for node in nodes:
            kind = node.type
            if kind in leading_kinds:
                leading.append(node)
                continue
            back = len(leading)
            start = leading[0].start_byte if back else node.start_byte
            end = node.end_byte
            key = (kind, owner, top, back, start, end)
            if node.has_error:
                # Error recovery may reparse untouched broken code differently: no reuse.
                entry = None
            elif changed_from < 0 or end <= changed_from:
                entry = known.pop(key, None)
            elif start >= changed_to:
                entry = known.pop((kind, owner, top, back, start - shift, end - shift), None)
            else:
                entry = None
            row = node.start_point.row if rows_are_lines else syntax.first_line(node)
            if entry is not None and not entry[0].broken:
                unit, infos = entry
                # Unchanged code: the same objects, moved to where the code now is.
                for info, t in zip(infos, unit.definitions, strict=True):
                    info.start_line = row + t.start
                    info.end_line = row + t.end
                    info.reanchor(node)
            else:
                unit = _Analysis(self, node, back, top=top, owner=owner).unit()
                infos = [
                    DefInfo(
                        t.kind, t.name, t.parent, row + t.start, row + t.end, t.node_type,
                        None, None, node, t.path, t.top_path, t.back, t, t.short_name,
                    )
                    for t in unit.definitions
                ]
            used[key] = (unit, infos)
            if back:
                leading = []
            if infos:
                definitions.extend(infos)
            if unit.imports:
                self.imports.extend((row + first, row + last) for first, last in unit.imports)
            if unit.members is not None:
                if unit.members == "class":
                    self.units(syntax.members(node), top=False, owner=unit.definitions[0].name)
                else:
                    self.units(syntax.members(node), top=top, owner=owner)


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
        if node.type in spec.functions:
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
    changes = doc.take_changes()
    known, signatures = memo if memo is not None else ({}, {})
    walk = _Walk(syntax, known, changes)
    # The walk allocates thousands of short-lived objects and no cycles; a garbage collection
    # triggered in the middle of it would cost more than the walk (3-4x on a 10k-line file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        walk.units(tree.root_node.named_children, top=True, owner=None)
    finally:
        if collecting:
            gc.enable()
    if len(signatures) > 2 * len(walk.definitions) + 64:
        # Forget the signatures of code that is gone: the memo follows the file, not its past.
        templates = {info.template for info in walk.definitions}
        signatures = {key: value for key, value in signatures.items() if key in templates}
    doc.memo[_MEMO_KEY] = (walk.used, signatures)
    return FileIndex(walk.definitions, walk.imports, signatures)


def file_index(doc: Document) -> FileIndex:
    """The document's definitions and imports (cached until the next change)."""

    def build() -> FileIndex:
        syntax = syntax_of(doc)
        return build_index(syntax) if syntax is not None else FileIndex()

    return doc.cached("file_index", build)
