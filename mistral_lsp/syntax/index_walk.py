"""The file index's walk: a top-level piece of the file, unit by unit, reusing what the last
version's walk learnt from the units no edit touched (see `index` for when a piece is walked
and `index_units` for what is learnt from one unit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mistral_lsp.syntax.index_units import _Analysis, _Unit
from mistral_lsp.syntax.nodes import DefInfo, Home, Syntax, members_of

if TYPE_CHECKING:
    from tree_sitter import Node

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
        """Walk the unit `node` (after `back` leading nodes from byte `start`, first line `row`),
        then its members: what an unchanged unit held is reused, the rest analysed."""
        key = (node.type, owner, top, back, start, node.end_byte)
        entry = self._unchanged(node, key)
        home = self.home
        assert home is not None
        if entry is not None and not entry[0].broken:
            unit, infos = entry
            _moved_to(infos, unit, row, home, route)
        else:
            unit = _Analysis(self, node, back, top=top, owner=owner).unit()
            infos = _placed(unit, row, home, route)
        self.used[key] = (unit, infos)
        if infos:
            self.definitions.extend(infos)
        if unit.imports:
            self.imports.extend((row + first, row + last) for first, last in unit.imports)
        if unit.members == "class":
            self.units(members_of(node), top=False, owner=unit.definitions[0].name, route=route)
        elif unit.members is not None:
            self.units(members_of(node), top=top, owner=owner, route=route)

    def _unchanged(self, node: Node, key: _UnitKey) -> _Entry | None:
        """What the last version's walk found in the unit, if no change touched it (taken: each
        is reused once)."""
        if node.has_error:
            # Error recovery may reparse untouched broken code differently: no reuse.
            return None
        changed_from, changed_to, shift = self.changes or (-1, -1, 0)
        kind, owner, top, back, start, end = key
        if changed_from < 0 or end <= changed_from:
            return self.known.pop(key, None)
        if start >= changed_to:
            return self.known.pop((kind, owner, top, back, start - shift, end - shift), None)
        return None


def _moved_to(infos: list[DefInfo], unit: _Unit, row: int, home: Home, route: tuple[int, ...]) -> None:
    """Unchanged code: the same objects, moved to where the code now is."""
    for info, t in zip(infos, unit.definitions, strict=True):
        info.start_line = row + t.start
        info.end_line = row + t.end
        info.rehome(home, route)


def _placed(unit: _Unit, row: int, home: Home, route: tuple[int, ...]) -> list[DefInfo]:
    """The definitions of a unit analysed afresh, in its lines from `row`."""
    return [
        DefInfo(
            t.kind, t.name, t.parent, row + t.start, row + t.end, t.node_type,
            None, None, home, route, t.path, t.top_path, t.back, t, t.short_name,
        )
        for t in unit.definitions
    ]
