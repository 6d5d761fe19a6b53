"""A fix's change as hunks: whole-line pieces of the minimal diff, each accepted or refused alone.

Pure functions on strings and offsets. A hunk is one run of changed lines of the line diff that
`edits.minimal_edits` narrows today; unchanged lines separate hunks. Each hunk remembers the
unchanged line before and after it (its context), so that it can be found again in a document
that changed since (`locate`): its own lines and its context must still be there, unchanged,
shifted is fine. A hunk whose lines were edited is not found, and is refused alone.
"""

from __future__ import annotations

import dataclasses
import difflib

from mistral_lsp.text.edits import RebaseError, rebase_target


@dataclasses.dataclass(frozen=True)
class LineHunk:
    """Replace the whole lines `old` at offset `start` of a text with `new`."""

    start: int
    old: str
    new: str
    before: str
    """The unchanged line just before `old` ("" at the start of the text)."""
    after: str
    """The unchanged line just after `old` ("" at the end of the text)."""

    @property
    def end(self) -> int:
        return self.start + len(self.old)


def split_hunks(old: str, new: str, base: int = 0, *, context_before: str = "", context_after: str = "") -> list[LineHunk]:
    """The hunks turning `old` (whole lines, at offset `base` of its document) into `new`.

    `context_before` / `context_after` are the document's lines around `old`, the context of a
    hunk at its first or last line.
    """
    if old == new:
        return []
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    hunks: list[LineHunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = old_lines[i1 - 1] if i1 > 0 else context_before
        after = old_lines[i2] if i2 < len(old_lines) else context_after
        hunks.append(LineHunk(base + starts[i1], old[starts[i1]:starts[i2]], "".join(new_lines[j1:j2]), before, after))
    return hunks


def surrounding_lines(text: str, start: int, end: int) -> tuple[str, str]:
    """The whole line of `text` ending at `start` and the one beginning at `end` ("" at the edges)."""
    before_start = text.rfind("\n", 0, max(start - 1, 0)) + 1 if start > 0 else start
    after_end = text.find("\n", end)
    return text[before_start:start], text[end:] if after_end == -1 else text[end:after_end + 1]


def locate(text: str, hunk: LineHunk) -> int:
    """Where `hunk.old` starts in `text` now: its lines and their context found unchanged, the
    occurrence nearest its old place. Raises RebaseError when they were edited (or are ambiguous)."""
    needle = hunk.before + hunk.old + hunk.after
    try:
        return rebase_target(text, hunk.start - len(hunk.before), needle) + len(hunk.before)
    except RebaseError:
        raise RebaseError("its lines were edited since the proposal") from None


def moved(hunk: LineHunk, start: int) -> LineHunk:
    return dataclasses.replace(hunk, start=start)
