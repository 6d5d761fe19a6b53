"""The one target selection: which code an action works on.

A range that is empty (a cursor) selects the innermost enclosing function or method, else
class, else top-level statement; a selection is widened to whole definitions. Review of a
range covering the whole file, or of no range, reviews the file. Selected once per run.

At a cursor, fix, explain, ask and review of a definition too big to send whole (`syntax.narrow`:
over 150 lines, or over a tenth of a file over 1,000 lines) work on the part around the cursor,
with the definition's header as context: a fix rewrites the few lines it changes, not hundreds,
and the prompt stays a small share of the file. Generate tests does not narrow: a block inside
a function cannot be tested apart from it. A selection is honoured whatever its size.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.targets import Target, file_target, select_target

_FILE_START = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))


def covers_file(doc: Document, range_: types.Range | None) -> bool:
    if range_ is None:
        return True
    last = len(doc.lines) - 1
    return range_.start.line == 0 and range_.start.character == 0 and range_.end.line >= last and (
        range_.end.line > last or range_.end.character >= len(doc.lines[last]) if doc.lines else True
    )


NARROWED_ACTIONS = frozenset({"fix", "explain", "review", "ask"})
"""The actions that work on the part of a too-big definition around the cursor."""


def select(action: str, doc: Document, range_: types.Range | None) -> Target:
    """The target of `action` at `range_` in `doc`."""
    if action == "review" and covers_file(doc, range_):
        return file_target(doc)
    return select_target(doc, range_ or _FILE_START, narrow=action in NARROWED_ACTIONS)


def target_key(doc: Document, target: Target) -> tuple[Any, ...]:
    """What makes two runs of one action "the same target": a newer one supersedes the older."""
    return (doc.uri, target.start_line, target.end_line)
