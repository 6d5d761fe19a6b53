"""How a target too big to send whole is narrowed to the part around the cursor.

Serves no LSP method itself: `targets.select_target(..., narrow=True)` asks it, for the actions
that read or rewrite code closely at a cursor (`actions.target` says which). `too_big` is the
one rule of when; `part_around` finds which whole lines: a balanced piece of the body around the
cursor, or the header and the first statements when the cursor is on the header.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.nodes import DefInfo, Syntax

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_TARGET_LINES = 150
"""A definition longer than this is too big a target at a cursor (see `too_big`)..."""
BIG_FILE_LINES = 1000
MAX_TARGET_FILE_SHARE = 0.1
"""...and so is one over this share of the lines of a file over `BIG_FILE_LINES` (the prompt
stays a small part of what sending the file would cost)."""
NARROWED_LINES = 60
"""A narrowed target spans at most this many lines."""
MAX_HEADER_LINES = 8
"""The enclosing definition's header shown with a narrowed target, at most."""


@dataclasses.dataclass(frozen=True)
class Enclosing:
    """The definition a narrowed target is part of."""

    kind: str
    name: str | None
    start_line: int
    end_line: int
    header: str
    """Its first lines, up to its body (decorators included), at most `MAX_HEADER_LINES`."""


def too_big(doc: Document, start_line: int, end_line: int) -> bool:
    """Whether lines `start_line..end_line` are too many for a target at a cursor: a fix would
    rewrite hundreds of lines to change a few, and the prompt would outgrow the file's share."""
    cap = MAX_TARGET_LINES
    if doc.line_count > BIG_FILE_LINES:
        cap = min(cap, int(doc.line_count * MAX_TARGET_FILE_SHARE))
    return end_line - start_line + 1 > cap


def part_around(syntax: Syntax, info: DefInfo, byte: int) -> tuple[int, int, Enclosing]:
    """The part of the big definition `info` around the cursor at `byte`, in whole lines.

    Inside its body: the largest node around the cursor spanning at most `NARROWED_LINES`
    (a statement, a loop, a nested definition), grown with its neighbouring siblings while it
    fits — a balanced piece of code. On a line no such node holds (the definition's header, a
    big loop's header or closing line): that line and the statements after it that fit.
    """
    doc, definition = syntax.doc, info.node
    line = doc.line_of(syntax.offset(byte))
    tree = doc.tree
    assert tree is not None
    node: Node | None = tree.root_node.named_descendant_for_byte_range(byte, byte)
    fitting: Node | None = None
    while node is not None and not (node.start_byte <= definition.start_byte and node.end_byte >= definition.end_byte):
        first, last = syntax.lines_of(node)
        if last - first + 1 > NARROWED_LINES:
            break
        fitting = node
        node = node.parent
    header_end = _header_end(syntax, info)
    if fitting is not None and syntax.lines_of(fitting)[0] > header_end:
        start, end = _grown(syntax, fitting, info)
    elif line <= header_end or node is None or node == definition or node.start_byte <= definition.start_byte:
        # On the definition's header (or its decorators): the header and the first statements.
        start = info.start_line
        end = max(min(header_end, start + NARROWED_LINES - 1), _statements_end(syntax, definition, header_end + 1, start))
    else:
        start, end = _around(syntax, node, line)
    return start, end, _enclosing(syntax, info)


def _grown(syntax: Syntax, node: Node, info: DefInfo) -> tuple[int, int]:
    """`node`'s lines grown with its siblings, nearest first, while within `NARROWED_LINES`."""
    start, end = syntax.lines_of(node)
    before, after = node.prev_named_sibling, node.next_named_sibling
    while before is not None or after is not None:
        for side in ("before", "after"):
            sibling = before if side == "before" else after
            if sibling is None:
                continue
            first, last = syntax.lines_of(sibling)
            low, high = min(start, first), max(end, last)
            if high - low + 1 > NARROWED_LINES or low < info.start_line or high > info.end_line:
                before, after = (None, after) if side == "before" else (before, None)
                continue
            start, end = low, high
            if side == "before":
                before = sibling.prev_named_sibling
            else:
                after = sibling.next_named_sibling
    return start, end


def _statements(node: Node) -> list[Node]:
    """The statements of `node`'s body (through wrappers: Go's `block` → `statement_list`)."""
    body = node.child_by_field_name("body") or node
    children = body.named_children
    while len(children) == 1 and children[0].named_children:
        children = children[0].named_children
    return children


def _statements_end(syntax: Syntax, node: Node, after: int, start: int) -> int:
    """The last line of `node`'s statements from line `after` on that fit in a target from line
    `start` (else `start`)."""
    end = start
    for statement in _statements(node):
        first, last = syntax.lines_of(statement)
        if first < after:
            continue
        if last - start + 1 > NARROWED_LINES:
            break
        end = last
    return end


def _around(syntax: Syntax, node: Node, line: int) -> tuple[int, int]:
    """On a line of the too-big `node` that none of its statements hold: from its header, its
    header and the statements after it; from a closing line (`}`, `} else {`), the statements
    before it and that line."""
    statements = _statements(node)
    node_start = syntax.lines_of(node)[0]
    if not statements or line < syntax.lines_of(statements[0])[0]:
        start = node_start if line - node_start < NARROWED_LINES else line
        return start, max(line, _statements_end(syntax, node, line + 1, start))
    start = line
    for statement in reversed(statements):
        first, last = syntax.lines_of(statement)
        if last >= line:
            continue
        if line - first + 1 > NARROWED_LINES:
            break
        start = first
    return start, line


def _header_end(syntax: Syntax, info: DefInfo) -> int:
    """The definition's last line before its body's first statement."""
    statements = _statements(info.node)
    body_start = syntax.lines_of(statements[0])[0] if statements else info.end_line
    return max(info.start_line, body_start - 1)


def _enclosing(syntax: Syntax, info: DefInfo) -> Enclosing:
    end = min(_header_end(syntax, info), info.start_line + MAX_HEADER_LINES - 1)
    return Enclosing(info.kind, info.name, info.start_line, info.end_line, syntax.lines_text(info.start_line, end))
