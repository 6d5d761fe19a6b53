"""The context's same-file references: which definitions of the file the target uses.

Serves no LSP method. The first phase of the builder's references section (`Builder.add_references`):
from the syntax tree and file index, the definitions worth showing, most wanted first; the
builder then shows as many as its budget allows. Pure — nothing here knows about tokens — and
run under the document's lock, like the builder.

The choice, in order: the type the target's method belongs to (a Go or Rust method's struct),
then each name the target uses, by its definitions (`MAX_REFERENCES_PER_NAME` each, those of
the target's own class first, a class member standing for its class when that class is short),
then names defined in the bodies of the functions around the target.
"""

from __future__ import annotations

from collections.abc import Sequence

from mistral_lsp.prompting.sections import (
    MAX_CLASS_MEMBER_LINES,
    MAX_REFERENCES_PER_NAME,
    MAX_VALUE_LINES,
)
from mistral_lsp.syntax.index import FileIndex
from mistral_lsp.syntax.nodes import DefInfo, Syntax, short_name
from mistral_lsp.syntax.scopes import enclosing_local_definitions
from mistral_lsp.syntax.targets import Target

ByName = dict[str, list[DefInfo]]


def used_definitions(syntax: Syntax, index: FileIndex, target: Target, enclosing: DefInfo | None) -> list[DefInfo]:
    """The same-file definitions `target` uses, most wanted first, each once (see the module
    docstring); `enclosing` is the class around the target, whose outline is shown apart."""
    names = target_names(syntax, target)
    return _file_definitions(index.by_name, target, names, enclosing) + _local_definitions(
        syntax, index.by_name, target, names
    )


def target_names(syntax: Syntax, target: Target) -> list[str]:
    """The identifiers in the target's lines, once each, in order."""
    doc = syntax.doc
    start = doc.byte_offset(doc.line_start(target.start_line))
    end = doc.byte_offset(doc.line_end(target.end_line))
    return list(dict.fromkeys(syntax.identifiers(start, end)))


def outside(info: DefInfo, target: Target) -> bool:
    """`info` has no line in common with the target."""
    return info.end_line < target.start_line or info.start_line > target.end_line


def _file_definitions(by_name: ByName, target: Target, names: Sequence[str], enclosing: DefInfo | None) -> list[DefInfo]:
    """The file index's definitions of `names`, after the type the target's method belongs to."""
    owner = _owner_type(by_name, target, enclosing)
    chosen = [owner] if owner is not None else []
    seen = set(chosen)  # DefInfo hashes by identity
    for name in names:
        for info in _definitions_of(by_name, target, name, seen, enclosing):
            seen.add(info)
            chosen.append(info)
    return chosen


def _owner_type(by_name: ByName, target: Target, enclosing: DefInfo | None) -> DefInfo | None:
    """A Go method's struct, a Rust impl's struct: the type the method belongs to, found by
    name (one: the other `impl` blocks of the type are not what the method uses)."""
    if target.parent is None:
        return None
    kinds = {enclosing.node_type} if enclosing is not None else set()
    return next(
        (
            info for info in by_name.get(target.parent, ())
            if info.kind == "class" and info.node_type not in kinds and outside(info, target)
        ),
        None,
    )


def _definitions_of(
    by_name: ByName, target: Target, name: str, seen: set[DefInfo], enclosing: DefInfo | None
) -> list[DefInfo]:
    """What to show for one name: its definitions not shown yet, those of the target's own class
    first, class members standing for their class (`_owners_of_members`)."""
    candidates = [
        info
        for info in by_name.get(name, ())
        if info not in seen
        and outside(info, target)
        # Constructors: of the class around the target (`new Scanner(...)` inside Scanner);
        # another class is shown whole or by its signature instead.
        and not (info.kind == "method" and info.short_name == info.parent and info.parent != target.parent)
    ]
    candidates.sort(key=lambda info: (info.parent != target.parent, info.parent is not None))
    shown = [info for info in _owners_of_members(by_name, target, candidates, enclosing) if info not in seen]
    return shown[:MAX_REFERENCES_PER_NAME]


def _owners_of_members(
    by_name: ByName, target: Target, candidates: list[DefInfo], enclosing: DefInfo | None
) -> list[DefInfo]:
    """What shows each candidate (`_stand_in` for class members), each once, in order."""
    out: list[DefInfo] = []
    for info in candidates:
        is_member = info.kind == "value" and info.parent is not None
        shown = _stand_in(by_name, target, info, enclosing) if is_member else info
        if shown is not None and shown not in out:
            out.append(shown)
    return out


def _stand_in(by_name: ByName, target: Target, member: DefInfo, enclosing: DefInfo | None) -> DefInfo | None:
    """A class constant or enum member stands for its class (the target sees it there), if
    the class is short enough to be shown whole; else it is shown itself. One of the class
    around the target is in the class outline already; one of an outer class (a nested
    class's method using the outer class's fields) is shown itself. None: nothing to show."""
    parent = member.parent or ""
    owners = [owner for owner in by_name.get(short_name(parent) or parent, ()) if owner.kind == "class"]
    if enclosing is not None and any(owner is enclosing for owner in owners):
        # A member of the class around the target: short ones are in its outline.
        return None if member.end_line - member.start_line < MAX_CLASS_MEMBER_LINES else member
    if any(owner.start_line <= target.start_line and owner.end_line >= target.end_line for owner in owners):
        return member  # an outer class: too big to show, its member is shown itself
    if not owners:
        return None
    if owners[0].end_line - owners[0].start_line < MAX_VALUE_LINES:
        return owners[0]
    return member  # a big class would be shown by its signature only: the member itself is


def _local_definitions(syntax: Syntax, by_name: ByName, target: Target, names: Sequence[str]) -> list[DefInfo]:
    """For names the file index does not know, their definitions in the bodies of the
    functions around the target, innermost first, one per name."""
    missing = {name for name in names if name not in by_name}
    found: list[DefInfo] = []
    for info in enclosing_local_definitions(syntax, target.start_line, target.end_line, missing):
        if info.short_name in missing:
            missing.discard(info.short_name)
            found.append(info)
    return found
