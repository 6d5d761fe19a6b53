"""The project's instructions and review rules in a request, inside its cached prefix.

Serves no LSP method. `AGENTS.md` / `.mistral/instructions.md` (`project/instructions.py`) go
with every action, and the review rules that apply to a file (`project/rules.py`) with every
review of it, appended to the system message: the system prompt, then the project's
instructions, then the rules are the same for every request on files under the same rules,
so the API caches them as one prefix.

The instructions are capped at `instructionsTokens` (whole lines, estimated tokens); when cut,
the prompt says so, and so does `context` (the file is listed with "(cut)").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from mistral_lsp.project.instructions import Instructions
from mistral_lsp.prompting.tokens import estimate_tokens

CUT_SUFFIX = " (cut)"


@dataclasses.dataclass(frozen=True)
class ProjectBlock:
    """What the project adds to a request's system message, and the files it came from."""

    text: str = ""
    files: tuple[str, ...] = ()


def instructions_block(found: Sequence[Instructions], cap_tokens: int) -> ProjectBlock:
    """The instructions files as one section of at most `cap_tokens` (estimated) tokens."""
    if not found or cap_tokens <= 0:
        return ProjectBlock()
    parts: list[str] = []
    files: list[str] = []
    spent = 0
    for item in found:
        kept, cut = _cut(item.text, cap_tokens - spent)
        if not kept:
            files.append(item.relative + CUT_SUFFIX)
            parts.append(f"### {item.relative}\n[left out: the mistral.instructionsTokens cap "
                         f"({cap_tokens} tokens) was reached]")
            continue
        spent += estimate_tokens(kept)
        note = (f"\n[cut here: the file is longer than the mistral.instructionsTokens cap ({cap_tokens} "
                "tokens); the rest was left out]") if cut else ""
        parts.append(f"### {item.relative}\n{kept}{note}")
        files.append(item.relative + (CUT_SUFFIX if cut else ""))
    text = (
        "## The project's instructions\n"
        "The project's own conventions, from its repository. Follow them unless the task says otherwise.\n\n"
        + "\n\n".join(parts)
    )
    return ProjectBlock(text, tuple(files))


def _cut(text: str, budget: int) -> tuple[str, bool]:
    """`text` whole when it fits `budget` tokens, else its first whole lines that do."""
    if estimate_tokens(text) <= budget:
        return text, False
    kept: list[str] = []
    spent = 0
    for line in text.split("\n"):
        cost = estimate_tokens(line) + 1
        if spent + cost > budget:
            break
        kept.append(line)
        spent += cost
    return "\n".join(kept).rstrip(), True


def with_project(messages: list[dict[str, Any]], *sections: str) -> list[dict[str, Any]]:
    """`messages` with the non-empty `sections` appended to the system message."""
    extra = [section for section in sections if section]
    if not extra or not messages or messages[0].get("role") != "system":
        return messages
    first = dict(messages[0])
    first["content"] = "\n\n".join([str(first.get("content") or ""), *extra])
    return [first, *messages[1:]]
