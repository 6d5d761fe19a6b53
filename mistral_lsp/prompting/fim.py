"""The fill-in-the-middle context of an inline completion, and the clean-up of its answer.

Serves no LSP method itself: `actions/completion.py` builds a `FimContext` for each
`textDocument/inlineCompletion` request and passes the model's text through `finish`.

- The prefix and suffix are token-budgeted around the cursor and cut at node boundaries
  (`syntax/blocks.py`), never in the middle of a statement that started outside the window.
- The definitions the code around the cursor uses, from this file, that the window does not
  show, are prepended as a short commented header (their signatures), within the budget.
- Multi-line suggestions are asked for only where the cursor starts a block or an empty line;
  elsewhere the stop rule is the end of the line.
- `finish` drops what would only repeat the text after the cursor, and empty or whitespace
  suggestions.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from mistral_lsp.prompting.cross_file import cross_file_parts
from mistral_lsp.prompting.sections import display_path
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax.blocks import boundaries
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index import FileIndex, file_index
from mistral_lsp.syntax.nodes import Syntax, syntax_of
from mistral_lsp.syntax.workspace import WorkspaceIndex

log = logging.getLogger(__name__)

DEFAULT_BUDGET_TOKENS = 2000
SUFFIX_SHARE = 0.25
HEADER_SHARE = 0.15
MAX_HEADER_DEFINITIONS = 8
# What may follow the cursor on its line for a multi-line suggestion: closers an editor paired.
_CLOSERS = set(")]}>\"'`;, \t")
_BLOCK_OPENERS = (":", "{", "=>", " do", " then", " else")
SINGLE_LINE_STOP = ["\n"]
# Two blank lines: the model has moved on to the next top-level definition.
MULTI_LINE_STOP = ["\n\n\n"]


@dataclasses.dataclass(frozen=True)
class FimContext:
    """What is sent for one completion, and what the clean-up needs to know of the cursor."""

    prompt: str
    """The commented header, then the prefix."""
    suffix: str
    header: str
    line_before: str
    """The cursor's line up to the cursor."""
    line_after: str
    """The cursor's line after the cursor."""
    multiline: bool
    block_start: bool
    """The cursor ends a block opener (`def f():`, `if (x) {`)."""
    base_indent: int
    """Indentation width of the cursor's line."""
    prefix_text: str
    """The prefix without the header: what the block check parses."""

    @property
    def stop(self) -> list[str]:
        return MULTI_LINE_STOP if self.multiline else SINGLE_LINE_STOP

    @property
    def cache_key(self) -> tuple[str, str, bool]:
        return (self.prompt, self.suffix, self.multiline)


def _indent_width(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


def build_fim_context(
    doc: Document, offset: int, budget_tokens: int = DEFAULT_BUDGET_TOKENS, workspace: WorkspaceIndex | None = None
) -> FimContext:
    """The context for a completion at `offset` (in the document's text). Never raises."""
    with doc.lock:
        text = doc.text
        line = doc.line_of(offset)
        line_start = doc.line_start(line)
        line_end = doc.line_end(line)
        line_before = text[line_start:offset]
        line_after = text[offset:line_end]
        try:
            bounds = boundaries(doc, line)
        except Exception:
            log.exception("no node boundaries for %s; cutting at lines", doc.uri)
            bounds = None
        suffix_budget = int(budget_tokens * SUFFIX_SHARE)
        header_budget = int(budget_tokens * HEADER_SHARE)
        first_line = _prefix_start(doc, line, budget_tokens - suffix_budget - header_budget,
                                   bounds.starts if bounds else ())
        last_line = _suffix_end(doc, line, suffix_budget, bounds.ends if bounds else ())
        prefix = text[doc.line_start(first_line):offset]
        suffix = text[offset:doc.line_end(last_line)]
        if last_line + 1 < doc.line_count and suffix:
            suffix += "\n"
        try:
            header = _header(doc, first_line, last_line, line, header_budget, workspace)
        except Exception:
            log.exception("no definitions header for %s", doc.uri)
            header = ""
        stripped = line_before.rstrip()
        after_is_closers = all(char in _CLOSERS for char in line_after)
        block_start = bool(stripped) and stripped.endswith(_BLOCK_OPENERS) and after_is_closers
        multiline = after_is_closers and (not line_before.strip() or block_start)
        return FimContext(
            prompt=header + prefix,
            suffix=suffix,
            header=header,
            line_before=line_before,
            line_after=line_after,
            multiline=multiline,
            block_start=block_start,
            base_indent=_indent_width(line_before if line_before.strip() else line_before + "x"),
            prefix_text=prefix,
        )


def _window(doc: Document, line: int, budget: int, step: int) -> int:
    """The farthest line from `line` (going `step` = -1 up or +1 down) such that the lines
    between fit `budget` tokens. Estimated on whole windows, not line by line: a few calls
    of `estimate_tokens` instead of one per line keep a request under a millisecond."""
    limit = 0 if step < 0 else doc.line_count - 1
    far = line
    for _ in range(6):
        first, last = sorted((line, far))
        used = estimate_tokens(doc.text[doc.line_start(first):doc.line_end(last)])
        if used > budget:
            # Over: give back lines in proportion to the excess, then check again.
            span = abs(far - line)
            if span == 0:
                return line
            far -= step * max(1, span * (used - budget) // used + 1)
            continue
        if far == limit or used > budget * 0.9:
            return far
        # Under: go on by the characters the remaining tokens likely cover (~3.5 a token).
        chars = int((budget - used) * 3.5) + 1
        if step < 0:
            far = min(far - 1, doc.line_of(max(0, doc.line_start(far) - chars)))
        else:
            far = max(far + 1, doc.line_of(min(len(doc.text), doc.line_end(far) + chars)))
        far = min(max(far, 0), doc.line_count - 1)
    first, last = sorted((line, far))
    while far != line and estimate_tokens(doc.text[doc.line_start(first):doc.line_end(last)]) > budget:
        far -= step
        first, last = sorted((line, far))
    return far


def _prefix_start(doc: Document, line: int, budget: int, starts: tuple[int, ...]) -> int:
    """The first line of the prefix: as far up as the budget goes, then down to a node start."""
    first = _window(doc, line, budget, -1)
    if first == 0:
        return 0
    snapped = next((start for start in starts if first <= start <= line), None)
    return snapped if snapped is not None else first


def _suffix_end(doc: Document, line: int, budget: int, ends: tuple[int, ...]) -> int:
    """The last line of the suffix: as far down as the budget goes, then up to a node end."""
    last = _window(doc, line, budget, 1)
    if last + 1 >= doc.line_count:
        return last
    snapped = next((end for end in reversed(ends) if line <= end <= last), None)
    return snapped if snapped is not None else last


def _header(
    doc: Document, first_line: int, last_line: int, cursor_line: int, budget: int,
    workspace: WorkspaceIndex | None = None,
) -> str:
    """Signatures of the definitions used near the cursor but outside the window — this file's,
    then other workspace files' (through the workspace index) — as comments; the file's path
    first. Only the path when nothing fits or there is no tree."""
    comment = doc.language.comment if doc.language else "#"
    lines = [f"{comment} Path: {display_path(doc.uri).rsplit('/', 1)[-1]}"]
    syntax = syntax_of(doc)
    if syntax is not None:
        index = file_index(doc)
        around_start = doc.byte_offset(doc.line_start(max(first_line, cursor_line - 30)))
        around_end = doc.byte_offset(doc.line_end(min(last_line, cursor_line + 10)))
        names = dict.fromkeys(syntax.identifiers(around_start, around_end))
        chosen = []
        for name in names:
            for info in index.by_name.get(name, ())[:1]:
                outside = info.end_line < first_line or info.start_line > last_line
                if outside and info not in chosen:
                    chosen.append(info)
            if len(chosen) >= MAX_HEADER_DEFINITIONS:
                break
        used = estimate_tokens(lines[0])
        signatures: list[str] = []
        for info in chosen:
            signature = " ".join(index.signature(syntax, info).split())
            entry = f"{comment} {signature}"
            cost = estimate_tokens(entry) + 1
            if used + cost > budget:
                break
            used += cost
            signatures.append(entry)
        if signatures:
            lines.append(f"{comment} Definitions used below (signatures, from this file):")
            lines.extend(signatures)
        if workspace is not None and doc.uri.startswith("file:"):
            others = _other_files(doc, syntax, index, names, workspace, comment, budget - used)
            if others:
                lines.append(f"{comment} Definitions used below (signatures, from other files):")
                lines.extend(others)
    return "\n".join(lines) + "\n"


def _other_files(
    doc: Document, syntax: Syntax, index: FileIndex, names: dict[str, None], workspace: WorkspaceIndex,
    comment: str, budget: int,
) -> list[str]:
    """`comment path:line: signature` of other files' definitions the code near the cursor uses."""
    used = [name for name in names if name not in index.by_name]
    imports = [syntax.lines_text(first, last) for first, last in index.imports]
    path = Path(display_path(doc.uri)).absolute().as_posix()
    language = doc.language.name if doc.language else ""
    out: list[str] = []
    for part in cross_file_parts(workspace, path, language, imports, used, comment, on_demand=False)[:MAX_HEADER_DEFINITIONS]:
        first = part.signature.split("\n", 1)[-1].removesuffix(f" {comment} …").strip()
        entry = f"{comment} {part.path}: {' '.join(first.split())}"
        cost = estimate_tokens(entry) + 1
        if cost > budget:
            break
        budget -= cost
        out.append(entry)
    return out


def finish(ctx: FimContext, text: str) -> str | None:
    """The suggestion to show for the model's `text`, or None when there is nothing worth showing:
    empty, whitespace, or only what already follows the cursor."""
    if not ctx.multiline:
        text = text.split("\n", 1)[0]
    text = text.rstrip()
    if not text.strip():
        return None
    after = ctx.line_after.rstrip()
    if after:
        # The model rewrote the closers after the cursor (`)` or `):`): keep them out.
        for size in range(min(len(after), len(text)), 0, -1):
            if text.endswith(after[:size]) and after[:size].strip():
                text = text[:-size].rstrip() if size < len(text) else ""
                break
    else:
        text = _without_suffix_lines(text, ctx.suffix)
    if not text.strip():
        return None
    following = (ctx.line_after + ctx.suffix[len(ctx.line_after):]).lstrip()
    if following.startswith(text.strip()):
        return None
    return text


def _without_suffix_lines(text: str, suffix: str) -> str:
    """`text` without trailing lines that the suffix already starts with (after blank lines)."""
    lines = text.split("\n")
    # Compared with their indentation: a `}` closing the suggestion's own block is not the
    # suffix's `}` closing the enclosing one.
    following = [line.rstrip() for line in suffix.split("\n")[1:] if line.strip()]
    for size in range(min(len(lines) - 1, len(following)), 0, -1):
        tail = [line.rstrip() for line in lines[-size:]]
        if tail == following[:size]:
            return "\n".join(lines[:-size]).rstrip()
    return text
