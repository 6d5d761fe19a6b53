"""The context's cross-file part: definitions from other workspace files that the target uses.

The workspace index (`syntax.workspace`) knows each file's top-level definitions and imports;
`syntax.resolve` turns this file's imports into files; here the definitions of those files
whose names the target uses become prompt parts, each labelled with its workspace-relative
path: signatures (the defining line) first, then whole definitions while the budget lasts —
the same ranking as same-file definitions, from the same budget.

While the index is still being built, the files the imports bring in that it has not reached
yet are indexed on demand first (`syntax.workspace_demand`, bounded in files, bytes and time).
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence

from mistral_lsp.syntax.resolve import cross_file_symbols
from mistral_lsp.syntax.workspace import Symbol, WorkspaceIndex
from mistral_lsp.syntax.workspace_demand import fill_on_demand

MAX_WHOLE_LINES = 60
"""A definition from another file longer than this is sent as its defining line."""
MAX_VALUE_LINES = 25


@dataclasses.dataclass(frozen=True)
class CrossFilePart:
    path: str
    """Workspace-relative."""
    symbol: Symbol
    signature: str
    whole: str


def cross_file_parts(
    workspace: WorkspaceIndex, path: str, language: str, imports: Sequence[str], used: Sequence[str], comment: str,
    *, on_demand: bool = True,
) -> list[CrossFilePart]:
    """The parts for the definitions of other files the target uses, in order of first use.

    `on_demand`: while the index is built, parse what the imports bring in (up to ~0.25 s);
    inline completion says no, since a keystroke's suggestion cannot wait that long."""
    workspace.flush()
    found = cross_file_symbols(workspace, path, language, imports, used)
    if on_demand and workspace.building:
        # The build has not reached every file yet: index what the imports bring in now.
        filled = fill_on_demand(workspace, path, language, imports, used, [s.name for _, s in found])
        if filled.parsed:
            found = cross_file_symbols(workspace, path, language, imports, used)
    lines_of: dict[str, list[str] | None] = {}
    parts: list[CrossFilePart] = []
    for file, symbol in found:
        if file not in lines_of:
            text = workspace.text(file)
            lines_of[file] = text.split("\n") if text is not None else None
        lines = lines_of[file]
        if lines is None or symbol.start_line >= len(lines):
            continue
        relative = workspace.relative(file)
        label = f"{comment} {relative}:{symbol.head_line + 1}"
        first = lines[symbol.head_line].strip()
        signature = f"{label}\n{first} {comment} …" if symbol.end_line > symbol.start_line else f"{label}\n{first}"
        size = symbol.end_line - symbol.start_line + 1
        limit = MAX_VALUE_LINES if symbol.kind == "value" else MAX_WHOLE_LINES
        whole = (
            f"{label}\n" + textwrap.dedent("\n".join(lines[symbol.start_line : symbol.end_line + 1]))
            if size <= limit else signature
        )
        parts.append(CrossFilePart(relative, symbol, signature, whole))
    return parts
