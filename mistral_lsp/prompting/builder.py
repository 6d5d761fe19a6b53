"""The context builder: fills a token budget with what the target uses, by priority.

See `context.py` for the priorities. One `_Builder` per request; it reads the syntax tree and
file index under the document's lock, and the workspace index for other files. Which same-file
definitions the target uses is decided in `references.py`; here, how many of them fit.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.prompting.cross_file import cross_file_parts
from mistral_lsp.prompting.references import outside, used_definitions
from mistral_lsp.prompting.sections import (
    BIG_FILE_LINES,
    DEFAULT_LINE_ANCHORS,
    MAX_CLASS_MEMBER_LINES,
    MAX_CONTEXT_SHARE,
    MAX_PROMPT_SHARE,
    MAX_SIBLINGS,
    MAX_VALUE_LINES,
    MIN_CONTEXT_TOKENS,
    PROMPT_FRAME_TOKENS,
    SECTION_OVERHEAD_TOKENS,
    PromptContext,
    Section,
    _diagnostic_line,
    _target_title,
    display_path,
    enclosing_section,
    file_tokens_of,
    header_text,
    numbered,
)
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.syntax.document import Document
from mistral_lsp.syntax.index import FileIndex, file_index
from mistral_lsp.syntax.nodes import DefInfo, Syntax, first_named, syntax_of
from mistral_lsp.syntax.targets import Target
from mistral_lsp.syntax.workspace import WorkspaceIndex

if TYPE_CHECKING:
    from tree_sitter import Node

log = logging.getLogger(__name__)



class Builder:
    def __init__(
        self, doc: Document, target: Target, language: str, path: str, budget: int, *, use_tree: bool = True,
        workspace: WorkspaceIndex | None = None, anchors: str = DEFAULT_LINE_ANCHORS,
    ) -> None:
        self.workspace = workspace
        self.anchors = anchors
        self.doc = doc
        self.target = target
        self.language = language
        self.path = path
        self.budget = budget
        self.syntax: Syntax | None = syntax_of(doc) if use_tree else None
        self.index: FileIndex = file_index(doc) if self.syntax is not None else FileIndex()
        self.comment = doc.language.comment if doc.language else "#"
        self.sections: list[Section] = []
        self.used = estimate_tokens(header_text(path, language))

    @property
    def left(self) -> int:
        return self.budget - self.used

    def add(self, kind: str, title: str, text: str, *, code: bool = True, force: bool = False) -> bool:
        tokens = estimate_tokens(text) + estimate_tokens(title) + SECTION_OVERHEAD_TOKENS
        if not text.strip() or (tokens > self.left and not force):
            return False
        self.sections.append(Section(title, text, tokens, kind, code))
        self.used += tokens
        return True

    def cost(self, text: str) -> int:
        return estimate_tokens(text) + 1  # +1: the newline joining it to its neighbours

    def add_parts(
        self, kind: str, title: str, parts: Sequence[str], render: Callable[[Sequence[str]], str], *, code: bool = True
    ) -> int:
        """Add the longest prefix of `parts` (in priority order) that fits; how many were kept.

        Estimates are not additive (joined text tokenizes a little differently), so the prefix
        the per-part costs allow is checked on the rendered text and shortened if need be.
        """
        kept = len(self.fits(title, parts))
        while kept > 0:
            if self.add(kind, title, render(parts[:kept]), code=code):
                return kept
            kept -= max(1, kept // 10)
        return 0

    def fits(self, title: str, parts: Iterable[str]) -> list[str]:
        """The longest prefix of `parts` that fits what is left, with the section's overhead."""
        room = self.left - estimate_tokens(title) - SECTION_OVERHEAD_TOKENS
        out: list[str] = []
        for part in parts:
            cost = self.cost(part)
            if cost > room:
                break
            out.append(part)
            room -= cost
        return out

    def build(self, diagnostics: Sequence[types.Diagnostic]) -> PromptContext:
        target = self.target
        # How lines are numbered is said once, in the system prompt (a cached prefix).
        self.add("target", _target_title(target), numbered(target.text, target.start_line, self.anchors), force=True)
        # Around the target, at most a fifth of the file: for a big file the prompt stays a
        # small part of what sending the file would cost; in a file over `BIG_FILE_LINES`, the
        # whole request (the frame of system prompt and task included) stays under
        # `MAX_PROMPT_SHARE` of it.
        file_tokens = self.doc.cached("file_tokens", lambda: file_tokens_of(self.doc.text))
        room = max(MIN_CONTEXT_TOKENS, int(MAX_CONTEXT_SHARE * file_tokens))
        if self.doc.line_count > BIG_FILE_LINES:
            room = min(room, max(0, int(MAX_PROMPT_SHARE * file_tokens) - PROMPT_FRAME_TOKENS - self.used))
        self.budget = min(self.budget, self.used + room)
        self.add_enclosing()
        self.add_diagnostics(diagnostics)
        if self.syntax is not None and target.kind != "file":
            self.add_imports()
            enclosing = self.enclosing_class()
            if enclosing is not None:
                # At most half the room left: in a 16k-line class, hundreds of one-line members
                # would leave none for the definitions the target uses.
                budget, self.budget = self.budget, self.used + self.left // 2
                try:
                    self.add_class(enclosing)
                finally:
                    self.budget = budget
            shown = self.add_references(enclosing)
            others = self.add_cross_file()
            self.add_siblings(shown, enclosing)
        else:
            others = []
        files = [self._own_path(), *others]
        return PromptContext(
            target, self.language, self.path, self.sections, self.used, self.budget, self.doc.text, files, self.anchors
        )

    def _own_path(self) -> str:
        if self.workspace is not None and self.doc.uri.startswith("file:"):
            return self.workspace.relative(Path(display_path(self.doc.uri)).absolute().as_posix())
        return self.path

    def add_cross_file(self) -> list[str]:
        """Definitions from other workspace files the target uses; returns their files."""
        workspace, syntax, target = self.workspace, self.syntax, self.target
        if workspace is None or syntax is None or not self.doc.uri.startswith("file:"):
            return []
        start = self.doc.byte_offset(self.doc.line_start(target.start_line))
        end = self.doc.byte_offset(self.doc.line_end(target.end_line))
        own = self.index.by_name
        used = [name for name in dict.fromkeys(syntax.identifiers(start, end)) if name not in own]
        imports = [syntax.lines_text(first, last) for first, last in self.index.imports]
        path = Path(display_path(self.doc.uri)).absolute().as_posix()
        parts = cross_file_parts(workspace, path, self.language, imports, used, self.comment)
        if not parts:
            return []
        title = "Definitions the target uses (other workspace files)"
        texts = self._widened(title, [part.signature for part in parts], [part.whole for part in parts])
        kept = len(texts) if self.add("workspace", title, "\n\n".join(texts)) else self.add_parts(
            "workspace", title, [part.signature for part in parts], "\n\n".join
        )
        return list(dict.fromkeys(part.path for part in parts[:kept]))

    # -- sections -------------------------------------------------------------------------------

    def add_enclosing(self) -> None:
        """A narrowed target's definition: its header, so the model knows what the part is in."""
        if self.target.enclosing is not None:
            title, text = enclosing_section(self.target, self.comment)
            self.add("enclosing", title, text)

    def add_diagnostics(self, diagnostics: Sequence[types.Diagnostic]) -> None:
        target = self.target
        on_target = sorted(
            (d for d in diagnostics if d.range.start.line <= target.end_line and d.range.end.line >= target.start_line),
            key=lambda d: (d.severity or types.DiagnosticSeverity.Error, d.range.start.line),
        )
        lines = [_diagnostic_line(d, self.doc.line_text(d.range.start.line)) for d in on_target]
        self.add_parts("diagnostics", "Diagnostics on the target", lines, "\n".join, code=False)

    def add_imports(self) -> None:
        assert self.syntax is not None
        parts = [self.syntax.lines_text(start, end) for start, end in self.index.imports]

        def render(kept: Sequence[str]) -> str:
            more = len(parts) - len(kept)
            return "\n".join([*kept, self._omitted(more, "imports")] if more else kept)

        self.add_parts("imports", "Imports", parts, render)

    def enclosing_class(self) -> DefInfo | None:
        target = self.target
        containing = [
            info
            for info in self.index.definitions
            if info.kind == "class"
            and info.start_line <= target.start_line
            and info.end_line >= target.end_line
            and (info.start_line, info.end_line) != (target.start_line, target.end_line)
        ]
        return containing[-1] if containing else None

    def add_class(self, info: DefInfo) -> None:
        """The class's header, docstring and short non-method members, in file order."""
        syntax = self.syntax
        assert syntax is not None
        title = f"Enclosing class `{info.name}` (outline)"
        body = info.node.child_by_field_name("body")
        if body is None:  # a Go struct: its fields are all there is
            text = textwrap.dedent(syntax.lines_text(info.start_line, info.end_line))
            if not self.add("class", title, text):
                self.add("class", title, syntax.signature(info))
            return
        docstring = syntax.docstring(info)
        groups = self._outline_groups(info, body, docstring)
        closing = syntax.doc.line_text(info.end_line).strip()
        doc_comment = None if docstring is None or syntax.spec.docstring_in_body else docstring
        parts = [doc_comment] if doc_comment else []
        parts += self._grouped_lines(groups, closing_line=info.end_line if len(closing) <= 3 else None)
        if len(self.fits(title, parts)) > (1 if doc_comment else 0):
            self.add_parts("class", title, parts, lambda kept: textwrap.dedent("\n".join(kept)))

    def _outline_groups(self, info: DefInfo, body: Node, docstring: str | None) -> list[tuple[int, int]]:
        """The line ranges of a class outline, in file order: the header, a docstring in the
        body, then the short fields that start after what is already in."""
        syntax = self.syntax
        assert syntax is not None
        first = first_named(body)
        # Python's and Ruby's bodies start at their first member; braces open on a header line.
        opens_with_member = first is not None and first.start_byte == body.start_byte
        body_line = syntax.lines_of(body)[0]
        groups = [(info.start_line, max(info.start_line, body_line - 1 if opens_with_member else body_line))]
        if docstring is not None and syntax.spec.docstring_in_body and first is not None:
            groups.append(syntax.lines_of(first))
        for start, end in self._short_fields(info):
            if start > groups[-1][1]:
                groups.append((start, end))
        return groups

    def _short_fields(self, info: DefInfo) -> Iterator[tuple[int, int]]:
        """The lines of each member of a class that is neither a definition nor a comment, and
        is at most `MAX_CLASS_MEMBER_LINES` long."""
        syntax = self.syntax
        assert syntax is not None
        for member in syntax.members(info.node):
            if syntax.is_definition(member) or syntax.wrapped_definition(member) is not None or "comment" in member.type:
                continue
            start, end = syntax.lines_of(member)
            if end - start + 1 <= MAX_CLASS_MEMBER_LINES:
                yield start, end

    def _grouped_lines(self, groups: list[tuple[int, int]], closing_line: int | None) -> list[str]:
        """The text of each line group, with an `…` comment where lines were skipped."""
        assert self.syntax is not None
        parts: list[str] = []
        previous_end: int | None = None
        for start, end in groups:
            if previous_end is not None and start > previous_end + 1:
                parts.append(self._gap(previous_end + 1, start - 1))
            parts.append(self.syntax.lines_text(start, end))
            previous_end = end
        if closing_line is not None and previous_end is not None and closing_line > previous_end:
            if closing_line > previous_end + 1:
                parts.append(self._gap(previous_end + 1, closing_line - 1))
            parts.append(self.syntax.lines_text(closing_line, closing_line))
        return parts

    def _gap(self, first: int, last: int) -> str:
        """What stands for skipped lines: `…` at their indentation, or a blank line if blank."""
        code = [self.doc.line_text(line) for line in range(first, last + 1) if self.doc.line_text(line).strip()]
        if not code:
            return ""
        indent = min((text[: len(text) - len(text.lstrip())] for text in code), key=len)
        return f"{indent}{self.comment} …"

    def _omitted(self, count: int, what: str) -> str:
        return f"{self.comment} … {count} more {what}"

    def add_references(self, enclosing: DefInfo | None) -> set[DefInfo]:
        """Same-file definitions the target uses; returns those shown. Two phases: which
        definitions (`references.used_definitions`), then the section showing as many as fit."""
        assert self.syntax is not None
        chosen = used_definitions(self.syntax, self.index, self.target, enclosing)
        return self._add_reference_section(chosen) if chosen else set()

    def _add_reference_section(self, chosen: list[DefInfo]) -> set[DefInfo]:
        """Add the references section: every definition by its signature, as many as fit, then
        whole wherever room is left (functions first: a helper's body says more per token than
        a whole class does). Returns the definitions shown."""
        title = "Definitions the target uses (same file)"
        signatures = [self._reference_signature(info) for info in chosen]
        whole = [self._reference_text(info, signature) for info, signature in zip(chosen, signatures, strict=True)]
        parts = self._widened(title, signatures, whole, first=lambda i: chosen[i].kind != "class")
        if self.add("references", title, "\n\n".join(parts)):
            return set(chosen[: len(parts)])
        kept = self.add_parts("references", title, signatures, "\n\n".join)
        return set(chosen[:kept])

    def _reference_signature(self, info: DefInfo) -> str:
        assert self.syntax is not None
        line = self._value_line(info) if info.kind == "value" else self.index.signature(self.syntax, info)
        return f"{line} {self.comment} …"

    def _reference_text(self, info: DefInfo, signature: str) -> str:
        """A definition's whole text; a long constant's (a table) is its signature."""
        assert self.syntax is not None
        if info.kind == "value" and info.end_line - info.start_line >= MAX_VALUE_LINES:
            return signature
        return textwrap.dedent(self.syntax.lines_text(info.start_line, info.end_line))

    def _widened(
        self, title: str, short: Sequence[str], whole: Sequence[str], *, first: Callable[[int], bool] = lambda i: True
    ) -> list[str]:
        """The longest prefix of `short` that fits, then each part replaced by its `whole` text
        while the room left allows, those for which `first` holds before the others."""
        room = self.left - estimate_tokens(title) - SECTION_OVERHEAD_TOKENS
        parts: list[str] = []
        for text in short:
            cost = self.cost(text)
            if cost > room:
                break
            parts.append(text)
            room -= cost
        for i in sorted(range(len(parts)), key=lambda i: not first(i)):
            extra = self.cost(whole[i]) - self.cost(parts[i])
            if extra <= room:
                parts[i] = whole[i]
                room -= extra
        return parts

    def _value_line(self, info: DefInfo) -> str:
        """A constant's or variable's defining line, as written (`TABLE = {`)."""
        assert self.syntax is not None
        return self.doc.line_text(self.syntax.first_line(info.node)).strip()

    def add_siblings(self, shown: set[DefInfo], enclosing: DefInfo | None) -> None:
        syntax, target = self.syntax, self.target
        assert syntax is not None
        parent = enclosing.name if enclosing is not None else None
        siblings = [
            info
            for info in self.index.definitions
            if info.parent == parent
            and info not in shown
            and outside(info, target)
            and (enclosing is None or enclosing.start_line <= info.start_line <= enclosing.end_line)
        ]
        if not siblings:
            return
        title = f"Other members of `{parent}` (signatures)" if parent else "Other definitions in this file (signatures)"
        room = self.left - estimate_tokens(title) - SECTION_OVERHEAD_TOKENS - 8
        # Nearest first, signatures computed only until the budget is spent (a 10k-line file has
        # thousands of siblings).
        nearest: list[tuple[int, str]] = []
        for info in sorted(siblings, key=lambda info: abs(info.start_line - target.start_line))[:MAX_SIBLINGS]:
            # No line numbers: nothing is anchored on a sibling, and tekken spends a token a digit.
            line = self.index.signature(syntax, info)
            room -= self.cost(line)
            if room < 0:
                break
            nearest.append((info.start_line, line))

        def render(kept: Sequence[tuple[int, str]]) -> str:
            text = "\n".join(line for _, line in sorted(kept))
            more = len(siblings) - len(kept)
            return f"{text}\n{self._omitted(more, 'definitions')}" if more else text

        self.add_parts("siblings", title, [line for _, line in nearest], lambda kept: render(nearest[: len(kept)]))
