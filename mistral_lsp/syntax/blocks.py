"""Blocks for inline completion: where a prefix or suffix may be cut, and when a streamed
completion has closed the block it was writing.

Serves no LSP method itself: `prompting/fim.py` cuts the fill-in-the-middle context at the
node boundaries found here, and `actions/completion.py` asks `closed_block` after each
completed line of a streamed suggestion, so it can close the HTTP stream as soon as the block
is done instead of paying for tokens nobody will see.

Two rules, by language family:
- a language with closing tokens (`}`, `end`, `)`…): tree-sitter parses the prefix plus the
  completion so far; the block is closed when a node around the cursor now ends with a real
  (not error-recovered, not missing) closing token inside the completion;
- an indentation language (Python): the block is closed at the first completed line indented
  no deeper than the line the block started on.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import TYPE_CHECKING

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.languages import LanguageSpec

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

log = logging.getLogger(__name__)

INDENT_LANGUAGES = frozenset({"python"})
CLOSERS = frozenset({"}", "]", ")", "end", "fi", "done", "esac"})


@dataclasses.dataclass(frozen=True)
class Boundaries:
    """0-based lines where a syntax node starts (`starts`) or ends (`ends`), sorted."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]


def boundaries(doc: Document, cursor_line: int) -> Boundaries:
    """Lines where the top-level nodes, and the members of each node around the cursor line,
    start and end: cutting there never leaves half a statement. Empty without a tree."""
    tree = doc.tree
    if tree is None:
        return Boundaries((), ())
    starts: set[int] = set()
    ends: set[int] = set()
    node: Node | None = tree.root_node
    while node is not None:
        inner: Node | None = None
        for child in node.named_children:
            first, last = child.start_point[0], child.end_point[0]
            starts.add(first)
            ends.add(last)
            if first <= cursor_line <= last and last > first:
                inner = child
        node = inner
    return Boundaries(tuple(sorted(starts)), tuple(sorted(ends)))


@functools.cache
def _parser(spec: LanguageSpec) -> Parser:
    from tree_sitter import Parser

    return Parser(spec.grammar())


def _indent_width(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def closed_block(
    spec: LanguageSpec | None, prefix: str, completion: str, *, block_start: bool, base_indent: int
) -> int | None:
    """How many characters of `completion` to keep when it has closed its block, else None.

    `prefix` is the document text before the cursor; only whole lines of `completion` are
    looked at (the last, unfinished one may still change). `block_start`: the cursor ends a
    block opener (`def f():`, `if (x) {`), so the block is the completion's own and its closing
    line is kept; otherwise the completion fills an existing block and stops before the line
    that closes it (the suffix already holds that line). `base_indent` is the indentation of
    the cursor's line.
    """
    end = completion.rfind("\n")
    if end < 0:
        return None
    lines = completion[:end].split("\n")
    if spec is None or spec.name in INDENT_LANGUAGES:
        return _closed_by_indent(lines, block_start=block_start, base_indent=base_indent)
    try:
        return _closed_by_tree(spec, prefix, lines, block_start=block_start)
    except Exception:  # a grammar failing must not break completion: no early stop
        log.exception("block check failed for %s", spec.name)
        return None


def _closed_by_indent(lines: list[str], *, block_start: bool, base_indent: int) -> int | None:
    offset = len(lines[0]) + 1
    body_seen = False
    if not block_start and lines[0].strip():
        # On an empty line the completion's first line sets the block's level.
        base_indent += _indent_width(lines[0])
    for line in lines[1:]:
        if line.strip():
            width = _indent_width(line)
            # Block start: the body is deeper than the header; empty line: the block's own level.
            leaves = width <= base_indent if block_start else width < base_indent
            if leaves and (body_seen or not block_start):
                return offset
            body_seen = True
        offset += len(line) + 1
    return None


def _closed_by_tree(spec: LanguageSpec, prefix: str, lines: list[str], *, block_start: bool) -> int | None:
    text = prefix + "\n".join(lines)
    data = text.encode("utf-8", "surrogatepass")
    cursor = len(prefix.encode("utf-8", "surrogatepass"))
    tree = _parser(spec).parse(data)
    node: Node | None = tree.root_node.descendant_for_byte_range(cursor, cursor)
    cursor_row = prefix.count("\n")
    while node is not None and node.parent is not None:
        last = node.children[-1] if node.child_count else None
        if (
            last is not None
            and node.start_byte < cursor
            and last.start_byte >= cursor
            and not last.is_named
            and not last.is_missing
            and last.type in CLOSERS
            and not node.has_error
        ):
            closer_row = last.start_point[0] - cursor_row  # its line within the completion
            own = node.start_point[0] == cursor_row
            keep_rows = closer_row + 1 if (block_start and own) else closer_row
            if keep_rows <= 0:
                return 0
            return sum(len(line) + 1 for line in lines[:keep_rows])
        node = node.parent
    return None
