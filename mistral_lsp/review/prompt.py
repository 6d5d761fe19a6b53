"""The request review on save sends for the changed units of a file, and how its reply is read.

Serves no LSP method itself. `features/review_on_save.py` builds its one chat request per save
(`textDocument/didSave`) with `build_messages`, and turns the model's JSON answer into findings
per unit hash with `findings_by_unit`, for the review cache. Pure — a snapshot of the document
in, messages out; reply text in, findings out — and loaded only when a review is sent.

The prompt shows the changed units' code as contiguous blocks (`blocks`) after the file's
outline, trimmed to a share of `contextTokens` on big files (`outline_for`): the changed code
is what is reviewed, the outline only says what it can call.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mistral_lsp.project.rules import Rule, review_section
from mistral_lsp.prompting.instructions import with_project
from mistral_lsp.prompting.prompts import build_review_definitions_messages
from mistral_lsp.prompting.replies import parse_json_object
from mistral_lsp.prompting.tokens import estimate_tokens
from mistral_lsp.review.findings import findings_from_reply
from mistral_lsp.review.units import Snapshot, StoredFinding, Unit, owner_of, to_stored
from mistral_lsp.syntax.targets import Definition

if TYPE_CHECKING:
    from mistral_lsp.options import Settings
    from mistral_lsp.syntax.document import Document

log = logging.getLogger(__name__)

# The outline beside the changed code: the whole file's when it fits, else trimmed to this share
# of `contextTokens` (capped) — on a big file the outline would otherwise cost more than the code.
OUTLINE_SHARE = 6
OUTLINE_MAX_TOKENS = 800
MODULE_KIND = "top-level code"
MODULE_NAME = "outside any definition"
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


class ReplyError(Exception):
    """The model's answer cannot be used."""


def findings_by_unit(
    text: str, asked_lines: Sequence[str], changed: Sequence[Unit], rules: Sequence[Rule] = ()
) -> dict[str, list[StoredFinding]]:
    """The reply's findings relative to the changed unit owning each, by unit hash (every
    changed unit has an entry: an empty list records it as reviewed and clean); a finding of
    one of `rules` carries its id and severity."""
    payload = parse_json_object(text)
    if payload is None:
        raise ReplyError("the model's review was not valid JSON; save again to retry")
    results: dict[str, list[StoredFinding]] = {unit.digest: [] for unit in changed}
    # Only the changed units' lines were shown: a finding is re-anchored among them, never onto
    # a line the model did not see.
    shown = {line for unit in changed for line in unit.lines}
    severities = {rule.id: rule.finding_severity for rule in rules}
    for finding in findings_from_reply(payload, asked_lines, shown=shown, rules=severities):
        unit = owner_of(changed, finding.start_line)
        stored = to_stored(unit, finding) if unit is not None else None
        if unit is not None and stored is not None:
            results[unit.digest].append(stored)
        else:
            log.info("finding outside the reviewed definitions dropped: line %d", finding.start_line + 1)
    return results


def build_messages(
    doc: Document, snap: Snapshot, path: str, changed: Sequence[Unit], outline_budget: int,
    line_anchors: str = "sparse", *, rules: Sequence[Rule] = (), instructions: str = "",
) -> list[dict[str, str]]:
    """The review request: the file's outline as context, then the changed units' code, its
    lines numbered as the `lineAnchors` setting says; the project's `instructions` and review
    `rules` in the system message (the cached prefix)."""
    language = doc.language.name if doc.language is not None else (doc.language_id or "text")
    messages = build_review_definitions_messages(
        path, language, outline_for(snap, changed, outline_budget), blocks(snap, changed), line_anchors
    )
    return with_project(messages, instructions, review_section(rules))


def blocks(snap: Snapshot, changed: Sequence[Unit]) -> list[Definition]:
    """What the prompt shows: the changed units' lines as contiguous blocks, in file order.

    Units separated by blank lines only are one block (a first save shows a class whole, not
    its header and each method apart); a block that is exactly one definition is shown as it
    (`Changed method Cart.total`); others are named after what they hold.
    """
    lines = sorted({line for unit in changed for line in unit.lines})
    owners = {line: unit for unit in changed for line in unit.lines}
    result = []
    for start, end in _runs(snap.lines, lines):
        inside = list({id(owners[line]): owners[line] for line in lines_between(lines, start, end)}.values())
        result.append(_block(snap, start, end, inside))
    return result


def _runs(doc_lines: Sequence[str], lines: Sequence[int]) -> list[tuple[int, int]]:
    """The sorted `lines` as (first, last) runs, joined across blank lines."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and all(not doc_lines[gap].strip() for gap in range(runs[-1][1] + 1, line)):
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return [(start, end) for start, end in runs]


def _block(snap: Snapshot, start: int, end: int, inside: Sequence[Unit]) -> Definition:
    """Lines `start`-`end`, holding the units `inside`, as one block of the prompt."""
    definition: Definition | None = next(
        (
            unit.definition for unit in inside
            if unit.definition is not None
            and (unit.definition.start_line, unit.definition.end_line) == (start, end)
        ),
        None,
    )
    if definition is not None and len(inside) == 1:
        return definition  # one function, method or class, whole
    if definition is None and len(inside) == 1:
        definition = inside[0].definition  # part of a class, or module-level lines
    name, kind = _block_name(definition, inside)
    return Definition(
        name=name,
        kind=kind,
        start_line=start,
        end_line=end,
        text="\n".join(snap.lines[start : end + 1]),
        signature=definition.signature if definition is not None else "",
        parent=definition.parent if definition is not None else None,
    )


def _block_name(definition: Definition | None, inside: Sequence[Unit]) -> tuple[str, str]:
    """A block's name and kind: its definition's, else what it holds."""
    if definition is not None:
        return definition.name, definition.kind
    if all(unit.definition is None for unit in inside):
        return MODULE_NAME, MODULE_KIND
    names = [unit.name for unit in inside]
    return ", ".join(names[:4]) + (", …" if len(names) > 4 else ""), "code"


def lines_between(lines: Sequence[int], start: int, end: int) -> Sequence[int]:
    """The items of the sorted `lines` within `start..end`."""
    return lines[bisect_left(lines, start) : bisect_right(lines, end)]


def outline_for(snap: Snapshot, changed: Sequence[Unit], budget_tokens: int) -> str:
    """The file's outline, whole when it fits `budget_tokens` (a stable prompt prefix, cached by
    the API); else, leaving out the changed definitions (shown whole anyway), the entries that
    matter most to the changed code — the classes around it, the names it uses, then its nearest
    neighbours — in file order, with `…` where entries were left out."""
    outline = snap.outline
    if not outline or estimate_tokens(outline) <= budget_tokens:
        return outline
    rows = outline.split("\n")
    if len(rows) != len(snap.definitions):  # not one row per definition: the first rows that fit
        keep = max(1, len(rows) * budget_tokens // estimate_tokens(outline))
        return "\n".join([*rows[:keep], "…"])
    # A changed definition is shown whole: its outline row would say nothing more.
    shown = {id(unit.definition) for unit in changed if unit.definition is not None}
    candidates = [i for i, d in enumerate(snap.definitions) if id(d) not in shown]
    if not candidates:
        return ""
    chosen = _chosen_rows(rows, candidates, _row_priority(snap, changed), budget_tokens)
    out = _with_gaps(rows, chosen)
    left_out = len(candidates) - len(chosen)
    if left_out:
        out.append(f"({left_out} other definitions not listed)")
    return "\n".join(out)


def _row_priority(snap: Snapshot, changed: Sequence[Unit]) -> Callable[[int], tuple[int, int]]:
    """How much the outline row of a definition (by index) matters to the changed code, most
    first: the classes around it, then the names it uses, then its nearest neighbours."""
    spans = [(unit.start_line, unit.end_line) for unit in changed if unit.definition is not None]
    used = {name for unit in changed for name in _IDENTIFIER.findall(unit.text(snap.lines))}

    def priority(index: int) -> tuple[int, int]:
        d = snap.definitions[index]
        if any(d.start_line <= end and start <= d.end_line for start, end in spans):
            return (0, 0)  # the class around a changed method
        distance = min((abs(d.start_line - start) for start, _ in spans), default=d.start_line)
        return (1 if d.name in used else 2, distance)

    return priority


def _chosen_rows(
    rows: Sequence[str], candidates: Sequence[int], priority: Callable[[int], tuple[int, int]], budget_tokens: int
) -> set[int]:
    """The rows that fit `budget_tokens`, by priority; the classes around the changed code always."""
    chosen: set[int] = set()
    spent = 0
    for index in sorted(candidates, key=priority):
        cost = estimate_tokens(rows[index]) + 1
        if spent + cost > budget_tokens and priority(index)[0] > 0:
            continue
        chosen.add(index)
        spent += cost
    return chosen


def _with_gaps(rows: Sequence[str], chosen: set[int]) -> list[str]:
    """The `chosen` rows in order, with `…` for each run of rows left out."""
    out: list[str] = []
    skipped = 0
    for index, row in enumerate(rows):
        if index in chosen:
            if skipped:
                out.append("…")
            out.append(row)
            skipped = 0
        else:
            skipped += 1
    if skipped:
        out.append("…")
    return out


def outline_budget(settings: Settings) -> int:
    return min(OUTLINE_MAX_TOKENS, max(100, settings.context_tokens // OUTLINE_SHARE))
