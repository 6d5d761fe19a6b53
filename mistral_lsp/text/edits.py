"""Edits that land on the right lines: re-indent, minimal diff, rebase onto a newer version.

Pure functions on strings and offsets; `features/` and `actions/` turn them into LSP
`TextEdit`s with the document's position codec. Nothing here knows about LSP transport.

Why minimal edits: a whole-target replacement moves the user's cursor and marks and makes a
large undo step; editing only the changed characters keeps both in place.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

_INDENT = re.compile(r"[ \t]*")


@dataclasses.dataclass(frozen=True)
class OffsetEdit:
    """Replace `text[start:end]` with `new_text` (Python string offsets into the old text)."""

    start: int
    end: int
    new_text: str


def leading_indent(line: str) -> str:
    match = _INDENT.match(line)
    return match.group(0) if match else ""


def reindent(code: str, indent: str) -> str:
    """Shift `code` so its first non-blank line starts at `indent`, keeping relative indentation.

    Models often return a method dedented to column 0, or with the class's indentation
    doubled; both come back at the target's own indentation.
    """
    lines = code.split("\n")
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return code
    current = leading_indent(first)
    if current == indent:
        return code
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
        elif line.startswith(current):
            out.append(indent + line[len(current) :])
        else:
            # A line indented less than the first one (a closing brace, a dedented
            # continuation): strip what it has and give it the target's indentation.
            out.append(indent + line.lstrip(" \t"))
    return "\n".join(out)


def normalize_newlines(code: str, newline: str) -> str:
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    return code if newline == "\n" else code.replace("\n", newline)


def detect_newline(text: str) -> str:
    index = text.find("\n")
    if index > 0 and text[index - 1] == "\r":
        return "\r\n"
    return "\n"


def minimal_edits(old: str, new: str, base: int = 0) -> list[OffsetEdit]:
    """The smallest line edits turning `old` into `new`, narrowed within lines; offsets shifted by `base`."""
    if old == new:
        return []
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    line_starts = [0]
    for line in old_lines:
        line_starts.append(line_starts[-1] + len(line))
    edits: list[OffsetEdit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = line_starts[i1], line_starts[i2]
        replaced, replacement = old[start:end], "".join(new_lines[j1:j2])
        # Narrow to the characters that differ, so an edit inside a line keeps the cursor.
        prefix = _common_prefix(replaced, replacement)
        suffix = _common_suffix(replaced[prefix:], replacement[prefix:])
        edits.append(
            OffsetEdit(
                base + start + prefix,
                base + end - suffix,
                replacement[prefix : len(replacement) - suffix],
            )
        )
    return edits


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[-1 - i] == b[-1 - i]:
        i += 1
    return i


def apply_offset_edits(text: str, edits: list[OffsetEdit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.new_text + text[edit.end :]
    return text


class RebaseError(Exception):
    """The target's text changed (or can no longer be found unambiguously) since the request."""


def whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the lines `text[start:end]` touches, their line break included.

    A fix rebased by its text alone would miss text typed after its end on its last line (or
    before its start on its first): the target would still be found, and the typed text merged
    into the fixed line. Rebasing whole lines refuses that instead.
    """
    line_start = text.rfind("\n", 0, start) + 1
    if end > start and text[end - 1] == "\n":
        return line_start, end
    newline = text.find("\n", end)
    return line_start, len(text) if newline == -1 else newline + 1


def rebase_target(current_text: str, original_start: int, original_text: str) -> int:
    """Where `original_text` now starts in `current_text`.

    Unchanged position first; else the one occurrence nearest the old position when the text
    around it was edited. Raises RebaseError when the target's own text changed.
    """
    if current_text[original_start : original_start + len(original_text)] == original_text:
        return original_start
    occurrences = []
    index = current_text.find(original_text)
    while index != -1:
        occurrences.append(index)
        index = current_text.find(original_text, index + 1)
    if not occurrences:
        raise RebaseError(
            "code edited while it answered; run Fix again"
        )
    if len(occurrences) > 1:
        # Several identical copies: only safe when one is clearly where the target was.
        occurrences.sort(key=lambda at: abs(at - original_start))
        if abs(occurrences[0] - original_start) == abs(occurrences[1] - original_start):
            raise RebaseError(
                "that code now appears more than once; run Fix again"
            )
    return min(occurrences, key=lambda at: abs(at - original_start))
