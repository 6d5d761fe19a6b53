"""Units of a file for review on save: what is hashed, and where stored findings land again.

Serves no LSP method itself. `features/review_on_save.py` (`textDocument/didSave`, and the
restore on `didOpen`) uses it to tell which code changed since its last review and to show
findings again on the code as it is now; `review_cache.py` stores what it returns. Pure — lines
and definitions in, units and findings out, no LSP transport — so it is tested without a server
and loaded only when a review on save first runs, not at start-up.

What is hashed — *units* (`compute_units`): each function or method, each class's own lines
(its methods are units of their own), and the module-level lines outside every definition;
definitions nested in a function are part of that function. A unit's hash covers its
non-blank lines (trailing spaces ignored), its kind, the name of its enclosing class and
`REVIEW_PROMPT_VERSION`, so moving code or adding blank lines needs no new review.

Findings are stored relative to their unit (`StoredFinding`: `line`/`end` index the unit's own
lines, plus the snippet), so `place` re-places them wherever the unit is now, and checks them
against the snippet before they are shown again.
"""

from __future__ import annotations

import dataclasses
import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mistral_lsp.review.findings import Finding
from mistral_lsp.syntax import definitions

if TYPE_CHECKING:
    from mistral_lsp.syntax.document import Document
    from mistral_lsp.syntax.targets import Definition

# Part of every hash: bump it when the review prompt changes enough to warrant re-reviews.
REVIEW_PROMPT_VERSION = "1"
# Kinds whose nested definitions are part of their own text (closures, local helpers).
_FUNCTION_KINDS = frozenset({
    "function", "method", "constructor", "lambda", "arrow_function", "func", "fn", "procedure",
    "subroutine", "getter", "setter", "property", "local_function",
})
MODULE_UNIT_NAME = "(module level)"


@dataclasses.dataclass(frozen=True)
class StoredFinding:
    """A finding relative to its definition: `line`..`end` index the definition's own lines."""

    line: int
    end: int
    severity: str
    category: str
    title: str
    message: str
    snippet: str
    replacement: str | None = None
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for optional in ("replacement", "rule"):
            if data[optional] is None:
                del data[optional]
        return data

    @classmethod
    def from_json(cls, data: Any) -> StoredFinding:
        if not isinstance(data, Mapping):
            raise ValueError("a finding is not an object")
        line, end = data.get("line"), data.get("end")
        if not isinstance(line, int) or not isinstance(end, int) or line < 0 or end < line:
            raise ValueError("a finding has no valid line range")
        def text(key: str) -> str:
            value = data.get(key)
            if not isinstance(value, str):
                raise ValueError(f"a finding's {key} is not text")
            return value

        replacement = data.get("replacement")
        if replacement is not None and not isinstance(replacement, str):
            raise ValueError("a finding's replacement is not text")
        rule = data.get("rule")
        return cls(
            line=line, end=end, severity=text("severity"), category=text("category"),
            title=text("title"), message=text("message"), snippet=text("snippet"),
            replacement=replacement, rule=rule if isinstance(rule, str) else None,
        )


class DefinitionLike(Protocol):
    """What review on save needs of `syntax.definitions(doc)` items."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def start_line(self) -> int: ...
    @property
    def end_line(self) -> int: ...


@dataclasses.dataclass(frozen=True)
class Unit:
    """One reviewable piece of a file: a definition's own lines (0-based, ascending)."""

    name: str
    kind: str
    lines: tuple[int, ...]
    digest: str
    definition: Any = None

    @property
    def start_line(self) -> int:
        return self.lines[0]

    @property
    def end_line(self) -> int:
        return self.lines[-1]

    def index_of(self, line: int) -> int | None:
        """Index of `line` in the unit's own lines, or None when the unit does not own it."""
        at = bisect_left(self.lines, line)
        return at if at < len(self.lines) and self.lines[at] == line else None

    def text(self, doc_lines: Sequence[str]) -> str:
        return "\n".join(doc_lines[line] for line in self.lines)


def _is_function(kind: str) -> bool:
    return kind.lower() in _FUNCTION_KINDS


def _digest(language: str, kind: str, owner: str, text: str) -> str:
    data = "\0".join((REVIEW_PROMPT_VERSION, language, kind, owner, text))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def _text(lines: Sequence[str], own: Iterable[int]) -> str:
    # Blank lines and trailing spaces do not count: adding them needs no new review, and the
    # unit's line indexes (non-blank lines) stay valid for every text with this hash.
    return "\n".join(lines[line].rstrip() for line in own)


def compute_units(
    lines: Sequence[str], definitions: Iterable[DefinitionLike], language: str
) -> list[Unit]:
    """Split a file into units; see the module docstring. Pure: lines + definitions in, units out."""
    spans = _unit_spans(_in_file(definitions, len(lines) - 1), len(lines) - 1)
    owned = _owned_lines(spans)
    units = [_unit_of(span, owned[index], spans, lines, language) for index, span in enumerate(spans)]
    covered = {line for span in spans for line in range(span.start, span.end + 1)}
    module_lines = [line for line in range(len(lines)) if line not in covered and lines[line].strip()]
    if module_lines:
        units.append(
            Unit(
                name=MODULE_UNIT_NAME,
                kind="module",
                lines=tuple(module_lines),
                digest=_digest(language, "module", "", _text(lines, module_lines)),
            )
        )
    units.sort(key=lambda u: u.start_line)
    return units


@dataclasses.dataclass(frozen=True)
class _Span:
    """A definition kept as a unit: its lines (clipped to the file) and its enclosing unit."""

    definition: DefinitionLike
    start: int
    end: int
    parent: int | None
    """Index of the enclosing unit's span, or None at the top level."""


def _in_file(definitions: Iterable[DefinitionLike], last: int) -> list[DefinitionLike]:
    """The definitions that start in the file, outer ones first."""
    return sorted(
        (d for d in definitions if 0 <= d.start_line <= last and d.start_line <= d.end_line),
        key=lambda d: (d.start_line, -d.end_line),
    )


def _unit_spans(ordered: Iterable[DefinitionLike], last: int) -> list[_Span]:
    """The definitions not nested in a function, each with its enclosing unit."""
    spans: list[_Span] = []
    stack: list[int] = []  # indexes of the spans around the current line
    for d in ordered:
        end = min(d.end_line, last)
        while stack and spans[stack[-1]].end < d.start_line:
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is not None and (_is_function(spans[parent].definition.kind) or end > spans[parent].end):
            continue  # inside a function (part of its text) or overlapping oddly: not a unit
        spans.append(_Span(d, d.start_line, end, parent))
        stack.append(len(spans) - 1)
    return spans


def _owned_lines(spans: Sequence[_Span]) -> list[list[int]]:
    """Each span's own lines: its lines minus those of the units nested in it."""
    taken: dict[int, set[int]] = {}
    for span in spans:
        if span.parent is not None:
            taken.setdefault(span.parent, set()).update(range(span.start, span.end + 1))
    return [
        [line for line in range(span.start, span.end + 1) if line not in taken.get(index, ())]
        for index, span in enumerate(spans)
    ]


def _unit_of(span: _Span, owned: list[int], spans: Sequence[_Span], lines: Sequence[str], language: str) -> Unit:
    own = [line for line in owned if lines[line].strip()] or [span.start]
    owner = spans[span.parent].definition.name if span.parent is not None else ""
    d = span.definition
    return Unit(
        name=d.name, kind=d.kind, lines=tuple(own), digest=_digest(language, d.kind, owner, _text(lines, own)), definition=d
    )


def to_stored(unit: Unit, finding: Finding) -> StoredFinding | None:
    """A finding relative to its unit, or None when its first line is not the unit's."""
    first = unit.index_of(finding.start_line)
    if first is None:
        return None
    last = first
    for index in range(first, len(unit.lines)):
        if unit.lines[index] > finding.end_line:
            break
        last = index
    return StoredFinding(
        line=first, end=last, severity=finding.severity, category=finding.category,
        title=finding.title, message=finding.message, snippet=finding.snippet,
        replacement=finding.replacement, rule=finding.rule,
    )


def place(unit: Unit, stored: Iterable[StoredFinding], lines: Sequence[str]) -> list[Finding]:
    """Stored findings of `unit` at the unit's current lines; those whose snippet is gone are dropped."""
    placed = []
    for item in stored:
        if item.line >= len(unit.lines):
            continue
        start = unit.lines[item.line]
        end = unit.lines[min(item.end, len(unit.lines) - 1)]
        if start >= len(lines) or (item.snippet and item.snippet not in lines[start]):
            continue
        placed.append(
            Finding(
                start_line=start, end_line=max(start, end), severity=item.severity,
                category=item.category, title=item.title, message=item.message,
                snippet=item.snippet, replacement=item.replacement, rule=item.rule,
            )
        )
    return placed


def owner_of(units: Sequence[Unit], line: int) -> Unit | None:
    return next((unit for unit in units if unit.index_of(line) is not None), None)


# -- a document's units, at one text ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A document's lines, definitions, outline and units, at one generation of its text."""

    generation: int
    lines: tuple[str, ...]
    definitions: tuple[Definition, ...]
    outline: str
    units: tuple[Unit, ...]


def with_rules_key(snap: Snapshot, rules_key: str) -> Snapshot:
    """`snap` with unit hashes that also cover the review rules applied to the file
    (`project.rules.rules_digest`): a rule change is a new hash for the units of the files it
    covers, so only they are reviewed again. No rules ("") keeps the hashes as they were."""
    if not rules_key:
        return snap
    units = tuple(
        dataclasses.replace(unit, digest=hashlib.sha256(f"{unit.digest}\0{rules_key}".encode()).hexdigest()[:32])
        for unit in snap.units
    )
    return dataclasses.replace(snap, units=units)


def snapshot_of(doc: Document) -> Snapshot:
    """The document's units and what the prompt needs beside them; call under `Document.cached`."""
    from mistral_lsp.prompting.context import outline

    # Runs under the document's lock (`Document.cached`): everything is of one text.
    lines = tuple(doc.lines)
    found = tuple(definitions(doc))
    language = doc.language.name if doc.language is not None else doc.language_id
    return Snapshot(
        generation=doc.generation,
        lines=lines,
        definitions=found,
        outline=outline(doc),
        units=tuple(compute_units(lines, found, language)),
    )
