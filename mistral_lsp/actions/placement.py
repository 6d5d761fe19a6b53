"""Placing a fix's extra blocks: each `path :: name` block replaces that definition, or is listed.

The fix prompt lets the model add blocks for other definitions that must change with the target
(`replies.fix_blocks`). Each names a file relative to a workspace root (or a file name the
workspace index knows once) and a definition in it, found in the file's syntax tree: the open
document's, else the file on disk's. A block is never guessed: a file outside the workspace or
missing, a definition that does not exist or exists more than once, a block overlapping the
target or another block, a file over `fix.maxFiles` — each is listed as unplaced, with why.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from mistral_lsp.protocol import UnplacedBlock
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index import file_index
from mistral_lsp.text.edits import detect_newline, leading_indent, normalize_newlines, reindent
from mistral_lsp.text.hunks import LineHunk, split_hunks, surrounding_lines

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Editor
    from mistral_lsp.prompting.replies import LabelledBlock


class Unplaceable(Exception):
    """The block cannot be placed; the message says why."""


@dataclasses.dataclass(frozen=True)
class PlacedBlock:
    uri: str
    label: str
    version: int | None
    hunks: list[LineHunk]
    lines: tuple[int, int]


def place_blocks(
    editor: Editor, target_uri: str, target_lines: tuple[int, int], blocks: list[LabelledBlock], max_files: int
) -> tuple[list[PlacedBlock], list[UnplacedBlock]]:
    """Every block placed as hunks of its document, or listed as unplaced with why."""
    files = [target_uri]
    taken: list[tuple[str, tuple[int, int]]] = [(target_uri, target_lines)]
    placed: list[PlacedBlock] = []
    unplaced: list[UnplacedBlock] = []
    for block in blocks:
        try:
            found = _place(editor, block)
            if found.uri not in files and len(files) >= max_files:
                raise Unplaceable(f"over fix.maxFiles ({max_files})")
            if any(uri == found.uri and _overlap(lines, found.lines) for uri, lines in taken):
                raise Unplaceable(f"`{block.name}` overlaps the target or another block")
        except Unplaceable as exc:
            unplaced.append(UnplacedBlock(label=block.label, reason=str(exc)))
            continue
        taken.append((found.uri, found.lines))
        if found.hunks:
            placed.append(found)
            files += [found.uri] if found.uri not in files else []
    return placed, unplaced


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _place(editor: Editor, block: LabelledBlock) -> PlacedBlock:
    path = _resolve(editor, block.path)
    uri = path.as_uri()
    doc = editor.documents.get(uri)
    version = doc.version if doc is not None else None
    if doc is None:
        try:
            doc = Document(uri, path.read_text(encoding="utf-8"), encoding=editor.position_encoding)
        except (OSError, UnicodeDecodeError) as exc:
            raise Unplaceable(f"cannot read {block.path}: {exc}") from None
    start_line, end_line = _definition(doc, block)
    text = doc.text
    start, end = doc.line_start(start_line), doc.line_start(end_line + 1)
    old = text[start:end]
    indent = leading_indent(old)
    new = normalize_newlines(reindent(block.code.replace("\r\n", "\n"), indent), detect_newline(text))
    newline = detect_newline(text)
    if old.endswith(("\n", "\r")) and not new.endswith(newline):
        new += newline
    before, after = surrounding_lines(text, start, end)
    hunks = split_hunks(old, new, base=start, context_before=before, context_after=after)
    return PlacedBlock(uri, block.label, version, hunks, (start_line, end_line))


def _resolve(editor: Editor, raw: str) -> Path:
    """The workspace file `raw` names: relative to a root, inside it; else a file name the
    workspace index holds exactly once."""
    relative = Path(raw.lstrip("./") if raw.startswith("./") else raw)
    if relative.is_absolute() or ".." in relative.parts:
        raise Unplaceable(f"{raw} is not a path inside the workspace")
    for root in editor.workspace_roots():
        candidate = (root / relative).resolve()
        if candidate.is_file() and root.resolve() in candidate.parents:
            return candidate
    index = editor.workspace_index
    named = index.with_name(relative.name) if index is not None and len(relative.parts) == 1 else []
    if len(named) == 1:
        return Path(named[0])
    if len(named) > 1:
        raise Unplaceable(f"{raw} is ambiguous ({len(named)} files of that name)")
    raise Unplaceable(f"no file {raw} in the workspace")


def _definition(doc: Document, block: LabelledBlock) -> tuple[int, int]:
    """The lines of the one definition `block.name` in `doc` (`Class.method` for a member)."""
    if doc.tree is None:
        raise Unplaceable(f"{block.path} has no syntax tree (an unsupported language)")
    owner, _, short = block.name.rpartition(".")
    index = file_index(doc)
    found = [info for info in index.by_name.get(short, []) if not owner or info.parent == owner]
    if not found:
        raise Unplaceable(f"no definition `{block.name}` in {block.path}")
    if len(found) > 1:
        raise Unplaceable(f"`{block.name}` is ambiguous in {block.path} ({len(found)} definitions)")
    return found[0].start_line, found[0].end_line
