"""What a prompt's context is made of: sections, their budget, and how code is shown.

The data types and rendering rules shared by the context builder (`builder.py`) and the prompt
templates: `Section`, `PromptContext`, the header and path, line numbering, and the limits the
builder works within.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from urllib.parse import unquote, urlsplit

from lsprotocol import types

from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax.targets import Target

SECTION_OVERHEAD_TOKENS = 8
"""Title markup and code fences around each section."""
MAX_CLASS_MEMBER_LINES = 3
"""Class members longer than this (a big constant table) are left out of the class outline."""
MAX_REFERENCES_PER_NAME = 2
SPARSE_ANCHOR_EVERY = 5
"""With sparse line anchors, every how many lines the target shows a line number."""
DEFAULT_LINE_ANCHORS = "sparse"
"""The `lineAnchors` setting's default (see `numbered`)."""
MAX_QUOTED_LINE = 100
"""A diagnostic's line is quoted beside its number, cut to this many characters."""
MAX_CONTEXT_SHARE = 0.2
"""What goes around the target costs at most this share of the whole file's tokens..."""
MAX_PROMPT_SHARE = 0.23
"""...and in a file over `BIG_FILE_LINES`, the whole request (target, context and the frame
around them, `PROMPT_FRAME_TOKENS`) at most this share
(the issue's "≤ 25 %", with room for the estimates' error): a big file's prompt stays a small
part of what sending the file would cost."""
PROMPT_FRAME_TOKENS = 600
"""The system prompt, the file's header and the task's words, at most, in any action's prompt
(`tests/unit/test_prompts.py` checks it): in a big file they count against `MAX_PROMPT_SHARE`."""
BIG_FILE_LINES = 1000
MIN_CONTEXT_TOKENS = 1500
"""...or this many tokens, if more (a small file's helpers fit whole)."""
MAX_VALUE_LINES = 25
"""A constant, variable or type alias longer than this (a 300-line table) is sent as its
defining line: the name and where it comes from are what the target needs, not the data."""
MAX_SIBLINGS = 80
"""Sibling signatures past the 80 nearest add cost, not understanding: the budget is a ceiling."""

_SEVERITY = {
    types.DiagnosticSeverity.Error: "error",
    types.DiagnosticSeverity.Warning: "warning",
    types.DiagnosticSeverity.Information: "information",
    types.DiagnosticSeverity.Hint: "hint",
}


@dataclasses.dataclass(frozen=True)
class Section:
    """One titled piece of context."""

    title: str
    text: str
    tokens: int
    kind: str
    """"target" | "diagnostics" | "enclosing" | "imports" | "class" | "references" | "workspace" | "siblings"."""
    code: bool = True
    """Source code (shown fenced, in the file's language), or plain text."""


@dataclasses.dataclass
class PromptContext:
    """The target and its context, ready for `prompts.build_messages`."""

    target: Target
    language: str
    """The language's name ("python", "typescript"...), else the LSP languageId, else "text"."""
    path: str
    sections: list[Section]
    tokens: int
    """Estimated tokens of the sections plus the path / language header."""
    budget_tokens: int
    file_text: str = dataclasses.field(default="", repr=False)
    files: list[str] = dataclasses.field(default_factory=list)
    """The files the context shows code of: this one, then the others (workspace-relative)."""
    anchors: str = DEFAULT_LINE_ANCHORS
    """How the target's lines are numbered (`numbered`)."""

    def section(self, kind: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind), None)

    @functools.cached_property
    def whole_file_tokens(self) -> int:
        """Estimated tokens of the whole file (computed on first use: it scans the file)."""
        return estimate_tokens(self.file_text)

    @property
    def over_budget(self) -> bool:
        """The target alone did not fit the budget; nothing else was added."""
        return self.tokens > self.budget_tokens


def header_text(path: str, language: str) -> str:
    return f"File: {path} ({language})"


def display_path(uri: str) -> str:
    """A file URI as a path (`file:///C:/x` → `C:/x`); other URIs as they are."""
    if not uri.startswith("file:"):
        return uri
    path = unquote(urlsplit(uri).path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]
    return path


def numbered(text: str, first_line: int, anchors: str = DEFAULT_LINE_ANCHORS) -> str:
    """`text` with 1-based file line numbers, `first_line` being 0-based.

    `anchors="every"` numbers each line in a padded column (`  12 | code`): about 4 tekken
    tokens a line, since tekken splits numbers digit by digit. `anchors="sparse"` (the default)
    numbers the first and last lines and every `SPARSE_ANCHOR_EVERY`-th (`15| code`), about a
    fifth of the cost: the model counts at most `SPARSE_ANCHOR_EVERY - 1` lines from an anchor,
    and review findings stay exact because each carries its line's text (`snippet`) and is moved
    to the nearest line holding it (`review.findings`); a fix replaces the whole target and
    needs no line numbers.
    """
    lines = text.split("\n")
    if anchors == "sparse":
        last = len(lines) - 1
        return "\n".join(
            f"{first_line + i + 1}| {line}" if i in (0, last) or (first_line + i + 1) % SPARSE_ANCHOR_EVERY == 0
            else line
            for i, line in enumerate(lines)
        )
    width = len(str(first_line + len(lines)))
    return "\n".join(f"{first_line + i + 1:>{width}} | {line}" for i, line in enumerate(lines))


def anchors_rule(anchors: str) -> str:
    """How the code's lines are numbered, for the system prompt (one sentence)."""
    if anchors == "sparse":
        return (
            f"with the file's line number on its first, its last and every {SPARSE_ANCHOR_EVERY}th line "
            "(`15| code`): count from the nearest. The numbers are not part of the code."
        )
    return "with the file's line numbers in a left column (`12 | code`); the numbers are not part of the code."


def quoted(line: str) -> str:
    """A line of code, trimmed and cut, in backticks: how a prompt names a line besides its number."""
    text = line.strip()
    if len(text) > MAX_QUOTED_LINE:
        text = text[: MAX_QUOTED_LINE - 1].rstrip() + "…"
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _target_title(target: Target) -> str:
    lines = f"lines {target.start_line + 1}-{target.end_line + 1}"
    if target.kind == "file":
        return f"The whole file ({lines})"
    if target.enclosing is not None:
        outer = target.enclosing
        return (
            f"Target: {lines}, part of {outer.kind} `{enclosing_name(target)}` "
            f"(lines {outer.start_line + 1}-{outer.end_line + 1}; the rest of it is not shown)"
        )
    if target.name:
        owner = (
            f"{target.parent}." if target.parent and target.kind == "method" and not target.name.startswith(target.parent)
            else ""
        )
        return f"Target: {target.kind} `{owner}{target.name}` ({lines})"
    return f"Target: {target.kind} ({lines})"


def enclosing_name(target: Target) -> str:
    """The name of the definition a narrowed target is part of, with its class for a method."""
    outer = target.enclosing
    name = (outer.name if outer is not None else None) or target.name or "?"
    parent = target.parent
    return f"{parent}.{name}" if parent and outer is not None and outer.kind == "method" and not name.startswith(parent) else name


def enclosing_section(target: Target, comment: str) -> tuple[str, str]:
    """The title and text showing a narrowed target's definition: its header, then a comment
    standing for its body."""
    outer = target.enclosing
    assert outer is not None
    header = textwrap.dedent(outer.header)
    indent = next((line[: len(line) - len(line.lstrip())] for line in header.split("\n")[1:] if line.strip()), "")
    text = f"{header}\n{indent or '    '}{comment} … lines {outer.start_line + 1}-{outer.end_line + 1}, the target among them"
    return f"The target is part of {outer.kind} `{enclosing_name(target)}` (its header)", text


_SAMPLED_FILE_CHARS = 64_000
_SAMPLES = 16
_SAMPLE_CHARS = 2_000


def file_tokens_of(text: str) -> int:
    """A file's estimated tokens: exact for a small file, else from 16 evenly spread samples
    (estimating a 1 MB file whole would cost more than building its context)."""
    if len(text) <= _SAMPLED_FILE_CHARS:
        return estimate_tokens(text)
    step = len(text) // _SAMPLES
    sample = "".join(text[i * step : i * step + _SAMPLE_CHARS] for i in range(_SAMPLES))
    return int(estimate_tokens(sample) * len(text) / len(sample))


def _diagnostic_line(d: types.Diagnostic, line_text: str) -> str:
    """`- line 12 (`code on it`): error [source/code]: message` — the line quoted, so that the
    model finds it without counting from a line anchor."""
    severity = _SEVERITY.get(d.severity or types.DiagnosticSeverity.Error, "error")
    source = "/".join(str(x) for x in (d.source, d.code) if x is not None)
    message = " ".join(d.message.split("\n")[:3]).strip()
    where = f"line {d.range.start.line + 1}" + (f" ({quoted(line_text)})" if line_text.strip() else "")
    return f"- {where}: {severity}{f' [{source}]' if source else ''}: {message}"
