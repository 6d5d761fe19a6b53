"""Definitions local to the functions around a target: a nested function's helpers.

A Lua `local function` inside another function, a JavaScript closure's `const` helpers, a
Python inner `def`: they are not in the file index (which keeps top-level definitions and class
members) but the nested target uses them as it would a top-level one. Only the statements
directly in an enclosing function's body count — what the target can see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mistral_lsp.syntax.nodes import DefInfo, Syntax, value_names

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_SCOPES = 6
"""Enclosing functions looked into, innermost first (deeper nesting is rare and costly)."""


def enclosing_local_definitions(syntax: Syntax, start_line: int, end_line: int, names: set[str]) -> list[DefInfo]:
    """The definitions named in `names` directly in the bodies of the functions enclosing
    lines `start_line`-`end_line` (outside those lines), innermost scope first."""
    doc = syntax.doc
    tree = doc.tree
    if tree is None or not names:
        return []
    byte = doc.byte_offset(doc.line_start(start_line) + len(doc.line_text(start_line)) - len(doc.line_text(start_line).lstrip()))
    node = tree.root_node.named_descendant_for_byte_range(byte, byte)
    spec = syntax.spec
    value_fields = dict(spec.values)
    roots = frozenset(value_fields) | spec.value_lists
    out: list[DefInfo] = []
    scopes = 0
    while node is not None and scopes < MAX_SCOPES:
        if syntax.is_function(node):
            first, last = syntax.lines_of(node)
            if first < start_line or last > end_line:
                scopes += 1
                body = node.child_by_field_name("body")
                for child in body.named_children if body is not None else ():
                    out += _named(syntax, child, names, value_fields, roots, start_line, end_line)
        node = node.parent
    return out


def _named(
    syntax: Syntax, node: Node, names: set[str], value_fields: dict[str, str], roots: frozenset[str],
    start_line: int, end_line: int,
) -> list[DefInfo]:
    first, last = syntax.lines_of(node)
    if first <= end_line and last >= start_line:
        return []  # the statement holding the target
    inner = node if syntax.is_function(node) else syntax.wrapped_definition(node)
    if inner is not None and syntax.is_function(inner):
        info = syntax.info(inner)
        return [info] if info.short_name in names else []
    found: list[DefInfo] = []
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        field = value_fields.get(current.type)
        if field is not None:
            for name in value_names(current, field, syntax):
                if name in names:
                    found.append(DefInfo("value", name, None, first, last, current.type, current, node))
        elif current.type in roots and depth < 3:
            stack += [(child, depth + 1) for child in current.named_children]
    return found
