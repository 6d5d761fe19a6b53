"""The context sent with an action: the target and what it uses, filled into a token budget.

By priority, each piece only if it still fits (`estimate_tokens`), trimmed at node boundaries
(a whole import, member, definition or signature, never half of one):

1. the target, with 1-based file line numbers (`sections.numbered`: by default on its first
   and last lines and every 5th, `15| code`; or on every line, `  12 | code`) — always, whole:
   a fix replaces it and review findings point into it, so it cannot be cut; when it alone is
   over budget, the context is the target and nothing else (`PromptContext.over_budget`). A
   narrowed target (the part of a huge definition around the cursor, `syntax.narrow`) comes
   with its definition's header;
2. the diagnostics on the target's lines, each with its line's text;
3. the file's imports;
4. the enclosing class: its header, docstring and fields;
5. the same-file definitions of the names the target uses — all as signatures first, then
   upgraded to their full text in order of first use while the budget lasts;
6. the signatures of the target's siblings (same class, or top level; no line numbers: nothing
   points at them), nearest first, at most
   `MAX_SIBLINGS`.

What goes around the target costs at most a fifth of the file's tokens (or 1,500 tokens); in a
file over 1,000 lines, the target and its context together at most 23 % of it. The path and
language head the prompt. Without a syntax tree (unknown language, binary, huge
file) the context is the target alone. Building it never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lsprotocol import types

from mistral_lsp.prompting.builder import Builder
from mistral_lsp.prompting.sections import (
    DEFAULT_LINE_ANCHORS,
    MAX_SIBLINGS,
    PromptContext,
    Section,
    display_path,
    header_text,
    numbered,
)
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.targets import Target, definitions, paragraph_target, select_target
from mistral_lsp.syntax.workspace import WorkspaceIndex

__all__ = ["MAX_SIBLINGS", "PromptContext", "Section", "build_context", "display_path", "header_text", "numbered", "outline"]

log = logging.getLogger(__name__)


def build_context(
    doc: Document,
    range: types.Range,
    *,
    diagnostics: Sequence[types.Diagnostic] = (),
    budget_tokens: int = 6000,
    target: Target | None = None,
    path: str | None = None,
    workspace: WorkspaceIndex | None = None,
    line_anchors: str = DEFAULT_LINE_ANCHORS,
) -> PromptContext:
    """The target at `range` (or `target`) and its context within `budget_tokens`. Never raises."""
    spec = doc.language
    language = spec.name if spec else (doc.language_id or "text")
    path = path or display_path(doc.uri)
    try:
        with doc.lock:
            target = target or select_target(doc, range)
            return Builder(
                doc, target, language, path, budget_tokens, workspace=workspace, anchors=line_anchors
            ).build(diagnostics)
    except Exception:
        log.exception("building context for %s failed; sending the target alone", doc.uri)
        try:
            target = target or paragraph_target(doc, range.start.line)
            return Builder(
                doc, target, language, path, budget_tokens, use_tree=False, anchors=line_anchors
            ).build(diagnostics)
        except Exception:
            log.exception("even the plain context failed for %s", doc.uri)
            empty = Target(range, "", "lines", None, "", range.start.line, range.start.line)
            return PromptContext(empty, language, path, [], 0, budget_tokens, doc.text)



def outline(doc: Document) -> str:
    """Every definition's signature with its 1-based line, members indented under their class."""
    items = definitions(doc)
    if not items:
        return ""
    width = len(str(max(d.start_line for d in items) + 1))
    stack: list[int] = []
    lines = []
    for d in items:
        while stack and stack[-1] < d.start_line:
            stack.pop()
        lines.append(f"{d.start_line + 1:>{width}}: {'  ' * len(stack)}{d.signature}")
        if d.kind == "class":
            stack.append(d.end_line)
    return "\n".join(lines)
