"""Review findings: validated against the file, kept on their code as it moves, shown as diagnostics.

A finding is anchored by its line range *and* its snippet (the trimmed text of its first line).
The model reads line numbers off a target numbered only every few lines (`lineAnchors`, see
`prompting.sections.numbered`), so the line it names can be a few off: the finding goes to the
nearest line holding its snippet within `SNIPPET_SEARCH_LINES` (`nearest_holder`). Edits above a
finding shift it; an edit that touches its lines, or any change after which no line near its
first one holds its snippet, removes it — a finding never points at the wrong line.

Findings are kept per document and per origin ("review" for the command, "save" for review
on save), and published together as one diagnostics set with source `mistral`.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mistral_lsp.prompting.sections import SPARSE_ANCHOR_EVERY
from mistral_lsp.protocol import FINDING_CATEGORIES, FINDING_SOURCE, FindingData
from mistral_lsp.text.edits import leading_indent, reindent

if TYPE_CHECKING:
    from mistral_lsp.syntax.document import Document

SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
CATEGORIES = FINDING_CATEGORIES
SOURCE = FINDING_SOURCE

SNIPPET_SEARCH_LINES = 2 * SPARSE_ANCHOR_EVERY
"""How far from the line the model named its snippet's line is looked for: a line between two
anchors is at most `SPARSE_ANCHOR_EVERY - 1` lines from either, and a model counting from the
farther one, or miscounting by one, is still found."""

_ids = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One review finding on 0-based, inclusive lines."""

    start_line: int
    end_line: int
    severity: str
    category: str
    title: str
    message: str
    snippet: str
    replacement: str | None = None
    id: str = dataclasses.field(default_factory=lambda: f"f{next(_ids)}")
    rule: str | None = None
    """The project review rule the finding reports (its id), if any."""

    def moved(self, delta: int) -> Finding:
        return dataclasses.replace(self, start_line=self.start_line + delta, end_line=self.end_line + delta)

    def to_data(self) -> FindingData:
        """The finding as the protocol carries it in a review's result."""
        return FindingData(
            id=self.id, start_line=self.start_line, end_line=self.end_line, severity=self.severity,
            category=self.category, title=self.title, message=self.message, snippet=self.snippet,
            replacement=self.replacement, rule=self.rule,
        )


def _line_holds(lines: Sequence[str], line: int, snippet: str) -> bool:
    return 0 <= line < len(lines) and (not snippet or snippet in lines[line])


def nearest_holder(
    lines: Sequence[str], line: int, snippet: str, allowed: Callable[[int], bool] | None = None
) -> int | None:
    """The line a finding the model put on `line` belongs on: `line` itself when it holds
    `snippet`, else the nearest line within `SNIPPET_SEARCH_LINES` whose trimmed text *is* the
    snippet, else the nearest that contains it; None when none does (or `snippet` is empty).

    A repeated line (`return None`, `}`) goes to the copy nearest the model's number: that is
    the one it counted towards. At equal distance the line above wins, so the choice never
    depends on anything but the text. `allowed` limits the search to the lines the model saw.
    """
    ok = allowed or (lambda _line: True)
    if _line_holds(lines, line, snippet) and ok(line):
        return line
    if not snippet:
        return None
    contains: int | None = None
    for distance in range(1, SNIPPET_SEARCH_LINES + 1):
        for candidate in (line - distance, line + distance):
            if not (0 <= candidate < len(lines)) or not ok(candidate) or snippet not in lines[candidate]:
                continue
            if lines[candidate].strip() == snippet:
                return candidate
            if contains is None:
                contains = candidate
    return contains


def findings_from_reply(
    payload: Mapping[str, Any] | None,
    lines: Sequence[str],
    *,
    within: tuple[int, int] | None = None,
    shown: Collection[int] | None = None,
    rules: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Validate the model's findings (1-based lines) against the file; bad ones are dropped.

    A finding whose snippet is not on its line is moved to the nearest line holding it
    (`nearest_holder`), only to lines of the file, of `within` (the reviewed lines) and of
    `shown` (the lines the prompt showed) when given; it is dropped when there is none. One
    without a snippet is clamped to those lines. Its last line is clamped too. A finding naming
    one of `rules` (rule id -> severity: the rules the prompt listed) carries its id and takes
    its severity; the id of any other rule is dropped.
    """
    raw = payload.get("findings") if payload else None
    if not isinstance(raw, list):
        return []
    low, high = within if within is not None else (0, max(len(lines) - 1, 0))
    high = min(high, max(len(lines) - 1, 0))

    def allowed(line: int) -> bool:
        return low <= line <= high and (shown is None or line in shown)

    found = (_finding_of(item, lines, allowed, (low, high)) for item in raw if isinstance(item, Mapping))
    return [with_rule(finding, rules or {}) for finding in found if finding is not None]


def with_rule(finding: Finding, rules: Mapping[str, str]) -> Finding:
    """`finding` with its rule's severity, or without a rule id that is not one of `rules`."""
    if finding.rule is None:
        return finding
    if finding.rule not in rules:
        return dataclasses.replace(finding, rule=None)
    return dataclasses.replace(finding, severity=rules[finding.rule])


def _finding_of(
    item: Mapping[str, Any], lines: Sequence[str], allowed: Callable[[int], bool], bounds: tuple[int, int]
) -> Finding | None:
    """One finding of the reply, placed on the lines `allowed` within `bounds`; None if unusable."""
    span = _reply_lines(item)
    title = str(item.get("title") or "").strip()
    message = str(item.get("message") or "").strip()
    if span is None or not (title or message):
        return None
    start, end = span
    low, high = bounds
    snippet = str(item.get("snippet") or "").strip()
    # The snippet is looked for around the line the model named, not around where clamping
    # put it: a line number far outside the code shown is a made-up finding.
    holder = nearest_holder(lines, start, snippet, allowed) if snippet else min(max(start, low), high)
    if holder is None or not allowed(holder):
        return None
    return _with_defaults(item, holder, min(max(end + holder - start, holder), high), title, message, snippet)


def _with_defaults(
    item: Mapping[str, Any], start: int, end: int, title: str, message: str, snippet: str
) -> Finding:
    """The finding at its lines, its severity and category defaulted when not ours."""
    severity = str(item.get("severity") or "warning").lower()
    category = str(item.get("category") or "bug").lower()
    replacement = item.get("replacement")
    rule = item.get("rule")
    return Finding(
        start_line=start,
        end_line=end,
        severity=severity if severity in SEVERITIES else "warning",
        category=category if category in CATEGORIES else "bug",
        title=title or message.split(". ")[0],
        message=message or title,
        snippet=snippet,
        replacement=replacement if isinstance(replacement, str) else None,
        rule=rule.strip() if isinstance(rule, str) and rule.strip() else None,
    )


def _reply_lines(item: Mapping[str, Any]) -> tuple[int, int] | None:
    """A finding's first and last lines, 0-based (the reply's are 1-based); None if not numbers."""
    try:
        start = int(item.get("startLine", item.get("line", 0))) - 1
        end = int(item.get("endLine", start + 1)) - 1
    except (TypeError, ValueError):
        return None
    return start, max(end, start)


def shift_for_change(
    findings: Iterable[Finding], change: types.TextDocumentContentChangeEvent
) -> list[Finding]:
    """Move findings for one content change; drop those whose lines it touched."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return list(findings)  # a whole-document change: `revalidate` re-anchors by snippet
    start, end = change.range.start, change.range.end
    delta = change.text.count("\n") - (end.line - start.line)
    kept = []
    for finding in findings:
        if start.line > finding.end_line:
            kept.append(finding)
        elif end.line < finding.start_line or (end.line == finding.start_line and end.character == 0):
            # Entirely above: lines inserted or removed before the finding move it.
            kept.append(finding.moved(delta))
        # else: the change touched the finding's own lines — its advice may no longer apply.
    return kept


def revalidate(findings: Iterable[Finding], lines: Sequence[str]) -> list[Finding]:
    """Keep findings whose first line still holds their snippet; re-anchor nearby when it moved."""
    kept = []
    for finding in findings:
        if finding.end_line < len(lines) and _line_holds(lines, finding.start_line, finding.snippet):
            kept.append(finding)
            continue
        # The finding's lines must stay in the file.
        last = len(lines) - 1 - (finding.end_line - finding.start_line)
        holder = nearest_holder(lines, finding.start_line, finding.snippet, functools.partial(operator.ge, last))
        if holder is not None and finding.snippet:
            kept.append(finding.moved(holder - finding.start_line))
    return kept


def to_diagnostic(finding: Finding, doc: Document) -> types.Diagnostic:
    lines = doc.lines
    whole = doc.line_range(finding.start_line, finding.end_line)
    first_line = lines[finding.start_line] if finding.start_line < len(lines) else ""
    indent = len(leading_indent(first_line))  # whitespace is one unit in every encoding
    data: dict[str, Any] = {"findingId": finding.id, "snippet": finding.snippet, "title": finding.title}
    if finding.replacement is not None:
        data["replacement"] = finding.replacement
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=finding.start_line, character=indent), end=whole.end),
        message=f"{finding.title}: {finding.message}" if finding.message != finding.title else finding.title,
        severity=SEVERITIES[finding.severity],
        # The category alone: editors show `source(code)` ("mistral(bug)", not "mistral(mistral/bug)").
        code=finding.rule or finding.category,
        source=SOURCE,
        data=data,
    )


def suggestion_edit(doc: Document, diagnostic: types.Diagnostic) -> types.WorkspaceEdit | None:
    """The versioned edit applying a finding's replacement, or None when it has none or went stale."""
    data = diagnostic.data if isinstance(diagnostic.data, Mapping) else None
    if not data or not isinstance(data.get("replacement"), str):
        return None
    start, end = diagnostic.range.start.line, diagnostic.range.end.line
    lines = doc.lines
    if end >= len(lines) or not _line_holds(lines, start, str(data.get("snippet") or "")):
        return None
    replacement = reindent(str(data["replacement"]).rstrip("\n"), leading_indent(lines[start]))
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
                edits=[types.TextEdit(range=doc.line_range(start, end), new_text=replacement)],
            )
        ]
    )


class FindingsStore:
    """Findings per document and origin (an action, or review on save); the LSP layer turns them
    into diagnostics and publishes them after each change."""

    def __init__(self) -> None:
        self._by_uri: dict[str, dict[str, list[Finding]]] = {}

    def set(self, uri: str, origin: str, findings: list[Finding]) -> None:
        self._by_uri.setdefault(uri, {})[origin] = list(findings)

    def get(self, uri: str, origin: str | None = None) -> list[Finding]:
        origins = self._by_uri.get(uri, {})
        if origin is not None:
            return list(origins.get(origin, []))
        # One finding once: review on save restores, from the baseline the review command
        # seeded, the very findings that command published.
        unique: dict[tuple[int, int, str, str], Finding] = {}
        for found in origins.values():
            for finding in found:
                unique.setdefault((finding.start_line, finding.end_line, finding.title, finding.message), finding)
        return list(unique.values())

    def has(self, uri: str) -> bool:
        return any(self._by_uri.get(uri, {}).values())

    def apply_changes(
        self, uri: str, changes: Sequence[types.TextDocumentContentChangeEvent], lines: Sequence[str]
    ) -> bool:
        """Shift/drop findings for edits; True when anything changed."""
        origins = self._by_uri.get(uri)
        if not origins:
            return False
        changed = False
        for origin, found in origins.items():
            updated = found
            for change in changes:
                updated = shift_for_change(updated, change)
            updated = revalidate(updated, lines)
            if updated != found:
                origins[origin] = updated
                changed = True
        return changed

    def clear(self, uri: str) -> None:
        self._by_uri.pop(uri, None)
