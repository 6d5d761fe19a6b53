"""What the file index learns from one unit (a top-level node, or a class's or namespace's
member): its definitions and imports, relative to the unit, so an unchanged unit found again
after an edit is reused as it is (`index.py` walks the file and reuses them).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from mistral_lsp.syntax.nodes import (
    MAX_NAME,
    RECEIVER_TYPE,
    Syntax,
    first_named,
    members_of,
    path_to,
    short_name,
    value_names,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from mistral_lsp.syntax.index_walk import _Walk


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
        node = self.root
        self.definition_or_import(node)
        self.value_definitions(node)
        return _Unit(tuple(self.definitions), tuple(self.imports), self.members, node.has_error)

    def definition_or_import(self, node: Node) -> None:
        """What the unit itself is: a function, a class (whose members are units), a namespace
        (same), a wrapper or assignment holding definitions, or an import."""
        syntax = self.syntax
        if node.type in syntax.spec.functions:
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

    def value_definitions(self, node: Node) -> None:
        """The constants and variables the unit defines (not an import's names)."""
        value_roots = self.walk.value_roots
        if node.type in value_roots and not self.imports:
            self.values(node, 0)
        elif not self.definitions and not self.members and self.syntax.is_class(node):
            # An anonymous enum (C's `enum { A, B };`): its members are names of the file.
            for member in members_of(node):
                if member.type in value_roots:
                    self.values(member, 0)

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
        back = self.back if top == self.root else 0
        first_line = _first_line(syntax, top, back)
        end_line = syntax.lines_of(top)[1]
        self.definitions.append(_Template(
            "value", name, self.owner, name, node.type, first_line - self.row, end_line - self.row,
            path_to(self.root, node), path_to(self.root, top), back,
        ))

    def add(self, node: Node, outer: Node | None, assigned: str | None, back: int) -> _Template:
        syntax, owner = self.syntax, self.owner
        top = outer or node
        name = syntax.own_name(node) or assigned
        first_line = _first_line(syntax, top, back)
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


def _first_line(syntax: Syntax, top: Node, back: int) -> int:
    """The first line of `top` with its `back` leading nodes (decorators, comments)."""
    first = top
    for _ in range(back):
        first = first.prev_named_sibling or first
    return syntax.first_line(first)
