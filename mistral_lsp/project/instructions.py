"""Project instructions: `AGENTS.md` at a workspace root, or `.mistral/instructions.md`.

Serves no LSP method. The actions, review on save and `mistral-lsp review` send what
`find_instructions` returns with every request, as the project's conventions (capped and
placed by `prompting/instructions.py`); `context.instructions` names the files used.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

INSTRUCTION_FILES = ("AGENTS.md", ".mistral/instructions.md")


@dataclasses.dataclass(frozen=True)
class Instructions:
    """One instructions file: its path relative to its root, and its text."""

    relative: str
    text: str


def find_instructions(root: Path | None) -> list[Instructions]:
    """The instructions files at `root` that exist and hold text, `AGENTS.md` first."""
    if root is None:
        return []
    found = []
    for relative in INSTRUCTION_FILES:
        path = root / relative
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # absent (the usual case) or unreadable: no instructions from it
        if text.strip():
            found.append(Instructions(relative, text.strip()))
    return found
