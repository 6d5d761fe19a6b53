"""Tree-sitter helpers: which role a node plays, a definition's name, extent, signature, docstring.

The only code that looks at tree-sitter nodes (with `index`, which walks whole files with
these helpers); it asks the language table which role a node kind plays and never tests a
language by name. Offsets: tree-sitter gives UTF-8 bytes and rows; what leaves here is string
offsets and 0-based document lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

# Re-exported: most callers think of these as node helpers.
from mistral_lsp.syntax.definfo import DefInfo as DefInfo
from mistral_lsp.syntax.definfo import Home as Home
from mistral_lsp.syntax.definfo import members_of as members_of
from mistral_lsp.syntax.definfo import path_to as path_to
from mistral_lsp.syntax.definfo import short_name as short_name
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.languages import LanguageSpec

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_NAME = 200
_MAX_SIGNATURE = 400
_MAX_DOC_LINES = 40
RECEIVER_TYPE = re.compile(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$")
_GENERIC_SUFFIX = re.compile(r"\s*<.*$", re.DOTALL)



class Syntax:
    """Tree helpers bound to one document and its language."""

    def __init__(self, doc: Document, spec: LanguageSpec) -> None:
        self.doc = doc
        self.spec = spec
        self._assign = spec.assignment_fields()
        # Tree-sitter's rows are our lines unless a lone "\r" (a line break for LSP, not for
        # tree-sitter) is in the text; then lines come from byte offsets, more slowly.
        self.rows_are_lines = not doc.cached("lone_cr", lambda: has_lone_cr(doc.text))

    # -- positions and text -------------------------------------------------------------------

    def offset(self, byte: int) -> int:
        return self.doc.offset_of_byte(byte)

    def first_line(self, node: Node) -> int:
        if self.rows_are_lines:
            return node.start_point.row
        return self.doc.line_of(self.offset(node.start_byte))

    def lines_of(self, node: Node) -> tuple[int, int]:
        """First and last document line of `node` (a trailing newline does not count)."""
        if self.rows_are_lines:
            start, (end, column) = node.start_point.row, node.end_point
            return start, (end - 1 if column == 0 and end > start else end)
        doc = self.doc
        start = doc.line_of(self.offset(node.start_byte))
        end_byte = node.end_byte - 1 if node.end_byte > node.start_byte else node.end_byte
        return start, max(start, doc.line_of(self.offset(end_byte)))

    def text(self, node: Node) -> str:
        raw = node.text
        return raw.decode("utf-8", "replace") if raw is not None else ""

    def lines_text(self, start_line: int, end_line: int) -> str:
        doc = self.doc
        return doc.text[doc.line_start(start_line) : doc.line_end(end_line)]

    # -- roles ----------------------------------------------------------------------------------

    def is_function(self, node: Node) -> bool:
        return node.type in self.spec.functions

    def is_class(self, node: Node) -> bool:
        return node.type in self.spec.classes and (
            not self.spec.class_needs_body or node.child_by_field_name("body") is not None
        )

    def is_definition(self, node: Node) -> bool:
        return self.is_function(node) or self.is_class(node)

    def is_namespace(self, node: Node) -> bool:
        return node.type in self.spec.namespaces and (
            node.type not in self.spec.imports or node.child_by_field_name("body") is not None
        )

    def is_import(self, node: Node) -> bool:
        spec = self.spec
        if node.type in spec.imports:
            return node.type not in spec.namespaces or node.child_by_field_name("body") is None
        if spec.import_pattern is None or self.is_definition(node):
            return False
        first_line = self.doc.line_text(self.doc.line_of(self.offset(node.start_byte)))
        return spec.is_import_line(first_line)

    def is_top_level(self, node: Node) -> bool:
        """Directly in the file, or in a namespace / `#ifdef` block."""
        parent = node.parent
        if parent is None:
            return False
        if parent.parent is None or self.is_namespace(parent):
            return True
        grand = parent.parent
        return self.is_namespace(grand) and parent == grand.child_by_field_name("body")

    def members(self, node: Node) -> list[Node]:
        """The nodes directly inside a class or namespace (its body's children)."""
        return members_of(node)

    # -- definitions ----------------------------------------------------------------------------

    def own_name(self, node: Node) -> str | None:
        name = node.child_by_field_name("name")
        if name is None:
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.child_by_field_name("declarator") is not None:
                declarator = declarator.child_by_field_name("declarator")
            name = declarator
        if name is None and self.is_class(node):
            name = node.child_by_field_name("type") or node.child_by_field_name("value")  # Rust `impl Type`, Ruby `class << Type`
        if name is None:
            return None
        text = " ".join(self.text(name).split())
        return _GENERIC_SUFFIX.sub("", text)[:MAX_NAME] or None

    def extent(self, node: Node) -> tuple[Node, str | None]:
        """The outermost node that belongs to definition `node` (decorators, `export`, the
        declaration it is assigned in), and the name that assignment gives it."""
        top = node
        assigned: str | None = None
        while (parent := top.parent) is not None:
            if parent.type in self.spec.wrappers and self._only_definition(parent, top):
                top = parent
                continue
            field = self._assign.get(parent.type)
            if field is not None:
                target = parent.child_by_field_name(field) if field else first_named(parent)
                if target is not None and target != top and self._only_definition(parent, top):
                    if assigned is None:
                        assigned = " ".join(self.text(target).split())[:MAX_NAME]
                    top = parent
                    continue
            break
        return top, assigned

    def _only_definition(self, parent: Node, child: Node) -> bool:
        """No other child of `parent` is or may hold a definition."""
        spec = self.spec
        for other in parent.named_children:
            if other != child and (
                self.is_definition(other) or other.type in self._assign or other.type in spec.wrappers
            ):
                return False
        return True

    def wrapped_definition(self, node: Node) -> Node | None:
        """The definition a wrapper or leading node belongs to (`@decorator`, `export`,
        `#[derive]`), else None."""
        if node.type in self.spec.leading:
            following = self._led(node)
            if following is None:
                return None
            node = following
        return self._inner_definition(node)

    def _led(self, node: Node) -> Node | None:
        """The node after the leading nodes from `node` (`#[derive]`, `#[cfg]`), if it is or
        wraps a definition (leading nodes before anything else belong to nothing)."""
        following = node.next_named_sibling
        while following is not None and following.type in self.spec.leading:
            following = following.next_named_sibling
        if following is None or (self.wrapped_definition(following) is None and not self.is_definition(following)):
            return None
        return following

    def _inner_definition(self, node: Node) -> Node | None:
        """`node` if it is a definition, else the one definition it holds through at most four
        wrappers and assignments (`export const f = () => ...`), else None."""
        for _depth in range(4):
            if self.is_definition(node):
                return node
            if node.type not in self.spec.wrappers and node.type not in self._assign:
                return None
            inner = self._only_holder(node)
            if inner is None:
                return None
            node = inner
        return None

    def _only_holder(self, node: Node) -> Node | None:
        """The one child of a wrapper that is a definition (or, failing that, may hold one):
        with two, the wrapper belongs to neither."""
        children = node.named_children
        inner = [child for child in children if self.is_definition(child)]
        inner = inner or [child for child in children if child.type in self.spec.wrappers or child.type in self._assign]
        return inner[0] if len(inner) == 1 else None

    def enclosing_definition(self, node: Node) -> Node | None:
        parent = node.parent
        while parent is not None:
            if self.is_definition(parent):
                return parent
            parent = parent.parent
        return None

    def info(self, node: Node) -> DefInfo:
        """Kind, name, owner and whole-line extent of definition `node`."""
        top, assigned = self.extent(node)
        name = self.own_name(node) or assigned
        first = top
        while (previous := first.prev_named_sibling) is not None and previous.type in self.spec.leading:
            first = previous
        start_line = self.lines_of(first)[0]
        end_line = self.lines_of(top)[1]
        enclosing = self.enclosing_definition(node)
        owner = self._definition_name(enclosing) if enclosing is not None and self.is_class(enclosing) else None
        if self.is_class(node):
            kind = "class"
        elif owner is not None:
            kind = "method"
        elif enclosing is None and (receiver := node.child_by_field_name("receiver")) is not None:
            match = RECEIVER_TYPE.search(self.text(receiver))
            kind, owner = "method", match.group(1) if match else None
        elif enclosing is None and name and (qualifier := self.qualifier(name)) is not None:
            kind, owner = "method", qualifier
        else:
            kind = "function"
        return DefInfo(kind, name, owner, start_line, end_line, node.type, node, first)

    def _definition_name(self, node: Node) -> str | None:
        return self.own_name(node) or self.extent(node)[1]

    def qualifier(self, name: str) -> str | None:
        """The owner in a qualified definition name (`Account` in `Account::deposit`)."""
        for separator in self.spec.scope_separators:
            owner, found, _member = name.rpartition(separator)
            if found and owner:
                return owner
        return None

    def signature(self, info: DefInfo) -> str:
        """The definition's header on one line: from the start of its line to its body."""
        doc, node = self.doc, info.node
        start = doc.line_start(doc.line_of(self.offset(node.start_byte)))
        body = node.child_by_field_name("body")
        if body is not None and body.start_byte > node.start_byte:
            end = self.offset(body.start_byte)
        else:
            end = doc.line_end(doc.line_of(self.offset(node.start_byte)))
        header = " ".join(line.strip() for line in doc.text[start:end].splitlines() if line.strip())
        header = header.replace("( ", "(").replace(" )", ")").replace(", )", ")")
        header = header.rstrip().removesuffix("{").rstrip()
        return header[:_MAX_SIGNATURE]

    def docstring(self, info: DefInfo) -> str | None:
        """A Python-style docstring, or the comment lines right above the definition."""
        if self.spec.docstring_in_body:
            body = info.node.child_by_field_name("body")
            first = first_named(body) if body is not None else None
            if first is not None and first.type == "expression_statement":
                string = first_named(first)
                if string is not None and string.type == "string":
                    start, end = self.lines_of(first)
                    return self.lines_text(start, min(end, start + _MAX_DOC_LINES - 1))
            return None
        top_line = info.start_line
        previous = info.first.prev_named_sibling
        while previous is not None and "comment" in previous.type:
            start, end = self.lines_of(previous)
            if end != top_line - 1 or info.start_line - start > _MAX_DOC_LINES:
                break
            top_line = start
            previous = previous.prev_named_sibling
        return self.lines_text(top_line, info.start_line - 1) if top_line < info.start_line else None

    # -- the file -------------------------------------------------------------------------------

    def identifiers(self, start_byte: int, end_byte: int) -> Iterator[str]:
        """Names used between two byte offsets, in order (with repeats)."""
        from tree_sitter import QueryCursor

        tree = self.doc.tree
        if tree is None:
            return
        cursor = QueryCursor(self.spec.identifier_query())
        cursor.set_byte_range(start_byte, end_byte)
        nodes = [node for found in cursor.captures(tree.root_node).values() for node in found]
        nodes.sort(key=lambda node: node.start_byte)
        for node in nodes:
            raw = node.text
            if raw:
                yield raw.decode("utf-8", "replace").lstrip(":")  # a Ruby symbol names `name`


_NAME_LEAVES = ("constant", "name", "word", "variable_name")
_PATTERN_PARTS = ("pattern", "_list", "tuple", "type")
"""Name nodes made of names: `a, (b, c) = ...`, `const {x, y} = o`, Python's `type T = ...`."""


def is_name_leaf(node: Node) -> bool:
    kind = node.type
    return kind.endswith(("identifier", "identifier_pattern")) or kind in _NAME_LEAVES


def value_names(node: Node, field: str, syntax: Syntax) -> list[str]:
    """The names a value definition gives (see `LanguageSpec.values`)."""
    holders = _name_holders(node, field)
    names: list[str] = []
    if field == "declarator":
        names = [name for holder in holders if (name := _declarator_name(holder, syntax)) is not None]
        if (macro_named := _after_export_macro(node)) is not None:
            # `API_MACRO Type name;` parses as type `API_MACRO`, declarator `Type` and an error
            # holding the real name.
            names = [syntax.text(macro_named)]
    else:
        for holder in holders:
            _collect_names(holder, syntax, names, 0)
    return [name for name in names if name]


def _name_holders(node: Node, field: str) -> list[Node]:
    """The nodes the names are in: `node` itself ("."), its first named child (""), or its
    `field` children (else a first child that is a name: the field is optional in some
    grammars)."""
    if field == ".":
        return [node]
    if field == "":
        first = first_named(node)
        return [first] if first is not None else []
    holders = list(node.children_by_field_name(field))
    if holders:
        return holders
    first = first_named(node)
    return [first] if first is not None and is_name_leaf(first) else []


def _declarator_name(holder: Node, syntax: Syntax) -> str | None:
    """C: `*table[3] = ...` → `table`; a function declarator is a prototype, not a value."""
    found: Node | None = holder
    while found is not None and not is_name_leaf(found) and found.type != "function_declarator":
        found = found.child_by_field_name("declarator")
    if found is not None and found.type != "function_declarator":
        return syntax.text(found)
    return None


def _after_export_macro(node: Node) -> Node | None:
    errors = [child for child in node.named_children if child.type == "ERROR"]
    if len(errors) == 1 and errors[0].named_child_count == 1 and is_name_leaf(errors[0].named_children[0]):
        return errors[0].named_children[0]
    return None


def _collect_names(node: Node, syntax: Syntax, out: list[str], depth: int) -> None:
    if is_name_leaf(node):
        out.append(syntax.text(node).lstrip("$"))
    elif depth < 4 and any(part in node.type for part in _PATTERN_PARTS):
        for child in node.named_children:
            _collect_names(child, syntax, out, depth + 1)


def has_lone_cr(text: str) -> bool:
    return "\r" in text and text.count("\r") != text.count("\r\n")


def first_named(node: Node) -> Node | None:
    return node.named_children[0] if node.named_child_count else None


def syntax_of(doc: Document) -> Syntax | None:
    """Tree helpers for `doc`, or None without a language or a tree."""
    spec = doc.language
    if spec is None or doc.tree is None:
        return None
    return Syntax(doc, spec)
