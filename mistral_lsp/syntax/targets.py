"""What an action is about: the target at a cursor or selection, and the file's definitions.

A cursor (empty range) selects the innermost enclosing named function or method, else class,
else the top-level statement, else a paragraph of lines. Asked to (`narrow=True`), a cursor in a
definition too big to send whole (`too_big`) selects the part around the cursor instead
(`narrow.part_around`): the largest statement-level node around it that fits `NARROWED_LINES`, grown with
its neighbours; the definition's header goes with it (`Target.enclosing`). A selection is widened to whole lines,
or to the smallest node covering it when that adds at most 30 % more lines (a definition is
preferred). Targets always span whole lines — a fix replaces them and review findings point into
them — and selecting one never raises: without a tree (unknown language, binary, huge file, an
unexpected error) it falls back to lines.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, NamedTuple

from lsprotocol import types

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index import file_index
from mistral_lsp.syntax.narrow import Enclosing, part_around, too_big
from mistral_lsp.syntax.nodes import DefInfo, Syntax, syntax_of

if TYPE_CHECKING:
    from tree_sitter import Node

log = logging.getLogger(__name__)

MAX_STATEMENT_LINES = 200
"""A top-level statement longer than this is no useful target; a paragraph of lines is."""
MAX_WINDOW_LINES = 40
"""The most lines of the paragraph around the cursor taken when there is nothing better."""
SELECTION_SLACK = 0.3
"""A selection grows to the node covering it when that adds at most this share of lines."""


@dataclasses.dataclass(frozen=True)
class Target:
    """Whole lines of a document an action works on."""

    range: types.Range
    """From character 0 of `start_line` to the end of `end_line`'s text."""
    text: str
    """Exactly the document's text in `range`."""
    kind: str
    """"function" | "method" | "class" | "statement" | "selection" | "lines" | "file"."""
    name: str | None
    indent: str
    """Leading whitespace of the first line."""
    start_line: int
    end_line: int
    """0-based, inclusive."""
    parent: str | None = None
    """The class (or type) a method belongs to."""
    enclosing: Enclosing | None = None
    """For a narrowed target (kind "block"): the definition it is part of."""


@dataclasses.dataclass(frozen=True)
class Definition:
    """A named top-level function or class, or a member of a class (not nested functions)."""

    name: str
    kind: str
    """"function" | "method" | "class"."""
    start_line: int
    end_line: int
    text: str
    """Its whole lines, decorators and leading attributes included."""
    signature: str
    """Its header on one line (`def deposit(self, amount: float) -> float:`)."""
    parent: str | None


def make_target(
    doc: Document, start_line: int, end_line: int, kind: str, name: str | None = None, parent: str | None = None,
    enclosing: Enclosing | None = None,
) -> Target:
    """The target spanning whole lines `start_line..end_line` (clamped to the document)."""
    rng = doc.line_range(start_line, end_line)
    start_line, end_line = rng.start.line, rng.end.line
    first = doc.line_text(start_line)
    return Target(
        range=rng,
        text=doc.text[doc.line_start(start_line) : doc.line_end(end_line)],
        kind=kind,
        name=name,
        indent=first[: len(first) - len(first.lstrip())],
        start_line=start_line,
        end_line=end_line,
        parent=parent,
        enclosing=enclosing,
    )


def file_target(doc: Document) -> Target:
    """The whole file, for whole-file actions."""
    return make_target(doc, 0, doc.line_count - 1, "file")


def select_target(doc: Document, range: types.Range, *, narrow: bool = False) -> Target:
    """The target for an action invoked on `range` (see the module docstring); with `narrow`, a
    cursor in a definition that is `too_big` selects the part around it. Never raises."""
    try:
        with doc.lock:
            return _select(doc, range, narrow)
    except Exception:  # a surprise in a grammar must cost the user precision, not the action
        log.exception("target selection failed in %s; falling back to lines", doc.uri)
        return _fallback(doc, range)


def _select(doc: Document, range: types.Range, narrow: bool = False) -> Target:
    syntax = syntax_of(doc)
    if _is_empty(range):
        cursor = doc.offset_at(range.start)
        if syntax is not None:
            found = _at_cursor(syntax, cursor, narrow)
            if found is not None:
                return found
        return paragraph_target(doc, doc.line_of(cursor))
    start_line, end_line = _selected_lines(doc, range)
    if syntax is not None:
        return _for_selection(syntax, start_line, end_line)
    return make_target(doc, start_line, end_line, "selection")


def definition_target(doc: Document, info: DefInfo) -> Target:
    return make_target(doc, info.start_line, info.end_line, info.kind, info.name, info.parent)


def paragraph_target(doc: Document, line: int) -> Target:
    """The non-blank lines around `line` (at most `MAX_WINDOW_LINES`), or a few lines around a
    blank one."""
    lines = doc.lines
    line = max(0, min(line, len(lines) - 1))
    if not lines[line].strip():
        return make_target(doc, line - 3, line + 3, "lines")
    start = end = line
    while end - start + 1 < MAX_WINDOW_LINES:
        grew = False
        if start > 0 and lines[start - 1].strip():
            start -= 1
            grew = True
        if end + 1 < len(lines) and lines[end + 1].strip() and end - start + 1 < MAX_WINDOW_LINES:
            end += 1
            grew = True
        if not grew:
            break
    return make_target(doc, start, end, "lines")


def definitions(doc: Document) -> list[Definition]:
    """Named top-level functions and classes and class members, in file order; [] without a
    tree. Cached until the document changes."""

    def build() -> list[Definition]:
        syntax = syntax_of(doc)
        if syntax is None:
            return []
        return [
            Definition(
                name=info.name or "",
                kind=info.kind,
                start_line=info.start_line,
                end_line=info.end_line,
                text=syntax.lines_text(info.start_line, info.end_line),
                signature=syntax.signature(info),
                parent=info.parent,
            )
            for info in file_index(doc).definitions
        ]

    try:
        return list(doc.cached("definitions", build))
    except Exception:
        log.exception("listing definitions of %s failed", doc.uri)
        return []


# -- cursor ------------------------------------------------------------------------------------


def _is_empty(rng: types.Range) -> bool:
    return rng.start.line == rng.end.line and rng.start.character == rng.end.character


def _at_cursor(syntax: Syntax, cursor: int, narrow: bool = False) -> Target | None:
    doc = syntax.doc
    tree = doc.tree
    if tree is None:
        return None
    on_code = bool(doc.line_text(doc.line_of(cursor)).strip())
    byte = doc.byte_offset(_into_code(doc, cursor) if on_code else cursor)
    around = _around(syntax, tree.root_node.named_descendant_for_byte_range(byte, byte))
    if around.definition is not None:
        return _whole_or_part(syntax, around.definition, byte, narrow)
    # Outside any named definition: a callback (`it("...", () => {...})`) beats the whole
    # top-level statement, which can be a 500-line `describe`.
    if around.anonymous is not None:
        info = syntax.info(around.anonymous)
        if info.end_line > info.start_line:
            return _whole_or_part(syntax, info, byte, narrow)
    if around.top_level is not None and on_code:
        start, end = syntax.lines_of(around.top_level)
        if end - start < MAX_STATEMENT_LINES:
            return make_target(doc, start, end, "statement")
    return None


def _into_code(doc: Document, cursor: int) -> int:
    """In the indentation or past the end of a line, the cursor means that line's code — not
    the block around it (the class body, for a method's `def` line)."""
    line = doc.line_of(cursor)
    text = doc.line_text(line)
    start = doc.line_start(line)
    first = start + len(text) - len(text.lstrip())
    last = start + len(text.rstrip()) - 1
    return min(max(cursor, first), last)


class _Around(NamedTuple):
    definition: DefInfo | None
    """The innermost named function or class."""
    anonymous: Node | None
    """The innermost anonymous function met before it."""
    top_level: Node | None
    """The innermost top-level node met before it."""


def _around(syntax: Syntax, node: Node | None) -> _Around:
    """What encloses `node`, climbing from it to the root."""
    anonymous: Node | None = None
    top_level: Node | None = None
    while node is not None and node.parent is not None:
        # The climb goes on from this node's parent, never the wrapped definition's: that one
        # sits below an `export` (or beside a `#[derive]`), and its parent would be this node
        # again — an endless loop on `export default () => {...}`.
        climbing = node
        wrapped = syntax.wrapped_definition(node)
        if wrapped is not None:
            # On a decorator, an `export` or a `#[derive]`: the definition it belongs to.
            node = wrapped
        named = _named_definition(syntax, node)
        if named is not None:
            return _Around(named, anonymous, top_level)
        if anonymous is None and syntax.is_function(node):
            anonymous = node
        if top_level is None and syntax.is_top_level(node):
            top_level = node
        node = climbing.parent
    return _Around(None, anonymous, top_level)


def _named_definition(syntax: Syntax, node: Node) -> DefInfo | None:
    """`node` if it is a named function or a class (anonymous classes too: a class is a
    target as it is)."""
    if syntax.is_function(node):
        info = syntax.info(node)
        return info if info.name else None
    if syntax.is_class(node):
        return syntax.info(node)
    return None


def _whole_or_part(syntax: Syntax, info: DefInfo, byte: int, narrow: bool) -> Target:
    doc = syntax.doc
    if narrow and too_big(doc, info.start_line, info.end_line):
        start, end, enclosing = part_around(syntax, info, byte)
        return make_target(doc, start, end, "block", info.name, info.parent, enclosing)
    return definition_target(doc, info)


# -- selection ---------------------------------------------------------------------------------


def _selected_lines(doc: Document, rng: types.Range) -> tuple[int, int]:
    start, end = rng.start, rng.end
    if (end.line, end.character) < (start.line, start.character):
        start, end = end, start
    end_line = end.line
    # A linewise selection ends at character 0 of the next line: that line is not selected.
    if end.character == 0 and end_line > start.line:
        end_line -= 1
    last = doc.line_count - 1
    start_line = max(0, min(start.line, last))
    return start_line, max(start_line, min(end_line, last))


def _for_selection(syntax: Syntax, start_line: int, end_line: int) -> Target:
    doc = syntax.doc
    tree = doc.tree
    plain = make_target(doc, start_line, end_line, "selection")
    code = [i for i in range(start_line, end_line + 1) if doc.line_text(i).strip()]
    if tree is None or not code:
        return plain
    first_text, last_text = doc.line_text(code[0]), doc.line_text(code[-1])
    start = doc.line_start(code[0]) + len(first_text) - len(first_text.lstrip())
    end = doc.line_start(code[-1]) + len(last_text.rstrip())
    node: Node | None = tree.root_node.named_descendant_for_byte_range(doc.byte_offset(start), doc.byte_offset(end))
    selected = end_line - start_line + 1
    allowed = selected + max(1, int(selected * SELECTION_SLACK))
    smallest: tuple[int, int] | None = None
    while node is not None and node.parent is not None:
        info = syntax.info(node) if syntax.is_definition(node) else None
        lines = (info.start_line, info.end_line) if info else syntax.lines_of(node)
        low, high = min(lines[0], start_line), max(lines[1], end_line)
        if high - low + 1 > allowed:
            break
        if info is not None and info.name:
            return make_target(doc, low, high, info.kind, info.name, info.parent)
        if smallest is None:
            smallest = (low, high)
        node = node.parent
    if smallest is not None and smallest != (start_line, end_line):
        return make_target(doc, smallest[0], smallest[1], "selection")
    return plain


def _fallback(doc: Document, rng: types.Range) -> Target:
    try:
        if _is_empty(rng):
            return paragraph_target(doc, rng.start.line)
        start_line, end_line = _selected_lines(doc, rng)
        return make_target(doc, start_line, end_line, "selection")
    except Exception:
        log.exception("line fallback failed in %s", doc.uri)
        return file_target(doc)
