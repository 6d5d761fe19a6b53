"""Where a definition is: `DefInfo` (a definition found in a tree, found again after edits by
its route from a top-level node, its `Home`), and the tree paths that route is made of.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_QUALIFIER = re.compile(r"::|[.:]")


def short_name(name: str | None) -> str | None:
    """The name without its owner (`deposit` for `Account::deposit`)."""
    return None if name is None else _QUALIFIER.split(name)[-1] or name


class Home:
    """Where a top-level piece of the file index is in the current tree: its node.

    The definitions found in the piece find their own nodes from it, so a new version of the
    tree that leaves the piece as it was (moved, maybe) only has to replace this one node.
    """

    __slots__ = ("node",)

    def __init__(self, node: Node) -> None:
        self.node = node


class DefInfo:
    """A definition in the current tree: what it is, its whole-line extent, and its nodes.

    The nodes are found lazily from a home (the top-level node it is in, see `Home`), a route
    of member indices down to the unit it was found in (`members_of`), and paths of named-child
    indices from there: the file index reuses what it learnt about unchanged code from one
    version to the next, and only the definitions a prompt shows need their nodes.
    """

    __slots__ = (
        "_back", "_first", "_home", "_node", "_path", "_route", "_seen", "_top_path", "end_line", "kind",
        "name", "node_type", "parent", "short_name", "start_line", "template",
    )

    def __init__(
        self,
        kind: str,
        name: str | None,
        parent: str | None,
        start_line: int,
        end_line: int,
        node_type: str,
        node: Node | None = None,
        first: Node | None = None,
        home: Home | None = None,
        route: tuple[int, ...] = (),
        path: tuple[int, ...] = (),
        top_path: tuple[int, ...] = (),
        back: int = 0,
        template: object = None,
        short: str | None = None,
    ) -> None:
        # Positional and plain: the file index makes thousands of these per version.
        self.kind = kind
        """"function" | "method" | "class"."""
        self.name = name
        self.parent = parent
        """The class (or type, for a Go method) it belongs to."""
        self.start_line = start_line
        self.end_line = end_line
        self.node_type = node_type
        self.short_name = short if short is not None else short_name(name)
        self.template = template
        """What the index remembers about it (and keys its signature by)."""
        self._node = node
        self._first = first
        self._home = home
        self._route = route
        self._seen: Node | None = None
        """The home node `_node` and `_first` were found from (a new tree replaces it)."""
        self._path = path
        self._top_path = top_path
        self._back = back

    def rehome(self, home: Home, route: tuple[int, ...]) -> None:
        """The same definition in a new version of the tree (the index reuses unchanged ones)."""
        self._home = home
        self._route = route
        self._seen = None
        self._node = None
        self._first = None

    def _unit(self) -> Node:
        """The node of the unit it was found in (see `_fresh`)."""
        home = self._home
        assert home is not None, "a DefInfo needs a node or a home"
        node = home.node
        for index in self._route:
            node = members_of(node)[index]
        return node

    def _fresh(self) -> None:
        """Forget the nodes found in an older tree."""
        home = self._home
        if home is not None and self._seen is not home.node:
            self._seen = home.node
            self._node = None
            self._first = None

    @property
    def node(self) -> Node:
        """The definition node itself (`function_definition`, `class_declaration`...)."""
        self._fresh()
        if self._node is None:
            self._node = _follow(self._unit(), self._path)
        return self._node

    @property
    def first(self) -> Node:
        """The first node of its extent: a wrapper (decorators, `export`) or leading attribute."""
        self._fresh()
        if self._first is None:
            node = _follow(self._unit(), self._top_path)
            for _ in range(self._back):
                node = node.prev_named_sibling or node
            self._first = node
        return self._first

    def __repr__(self) -> str:
        return f"DefInfo({self.kind} {self.name!r}, lines {self.start_line}-{self.end_line}, parent={self.parent!r})"


def _follow(node: Node, path: tuple[int, ...]) -> Node:
    for index in path:
        node = node.named_children[index]
    return node


def members_of(node: Node) -> list[Node]:
    """The nodes directly inside a class or namespace (its body's children)."""
    body = node.child_by_field_name("body")
    return (body if body is not None else node).named_children


def path_to(ancestor: Node, node: Node) -> tuple[int, ...]:
    """Named-child indices leading from `ancestor` down to `node`."""
    path: list[int] = []
    while node != ancestor:
        parent = node.parent
        assert parent is not None, "path_to: not an ancestor"
        path.append(parent.named_children.index(node))
        node = parent
    return tuple(reversed(path))
