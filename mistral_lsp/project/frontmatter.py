"""Markdown files with a YAML frontmatter block, read with the line of every key.

Serves no LSP method: rules and custom actions (`rules.py`, `actions.py`) are such files, and
every problem in them is reported as `file:line: message`, so a key's line is kept.

    ---
    id: no-secrets
    severity: error
    ---
    The body, in markdown.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

FENCE = "---"


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something wrong with a project file, at a line (1-based)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class FrontmatterError(Exception):
    """The file cannot be read as frontmatter + body; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class MarkdownFile:
    """A parsed file: its frontmatter's values and their lines, and its body."""

    path: Path
    text: str
    fields: dict[str, Any]
    lines: dict[str, int]
    """The 1-based line of each frontmatter key."""
    body: str
    body_line: int
    """The 1-based line where the body starts."""

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


def read_markdown(path: Path) -> MarkdownFile:
    """`path` parsed; `FrontmatterError` when it has no frontmatter or it is not a YAML mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrontmatterError(Problem(path, 1, f"cannot read the file: {exc}")) from None
    return parse_markdown(path, text)


def parse_markdown(path: Path, text: str) -> MarkdownFile:
    rows = text.split("\n")
    if not rows or rows[0].strip() != FENCE:
        raise FrontmatterError(Problem(path, 1, "no frontmatter: the file must start with a '---' line"))
    end = next((i for i in range(1, len(rows)) if rows[i].strip() == FENCE), None)
    if end is None:
        raise FrontmatterError(Problem(path, 1, "the frontmatter is not closed by a '---' line"))
    source = "\n".join(rows[1:end])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        fields = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise FrontmatterError(Problem(path, line, f"bad frontmatter: {reason}")) from None
    if fields is None:
        fields = {}
    if not isinstance(fields, dict) or not isinstance(node, (yaml.MappingNode, type(None))):
        raise FrontmatterError(Problem(path, 2, "bad frontmatter: expected 'key: value' lines"))
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(key.value): key.start_mark.line + 2 for key, _value in node.value}
    body = "\n".join(rows[end + 1 :]).strip("\n")
    return MarkdownFile(path, text, {str(k): v for k, v in fields.items()}, lines, body, end + 2)


def string_list(value: Any) -> tuple[str, ...] | None:
    """A frontmatter list of strings (one string is a list of one); None when it is neither."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None
