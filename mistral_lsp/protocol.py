"""The contract between the server and its editors, as types: the one source of the protocol.

`docs/protocol.schema.json` is generated from this module and from `options.Settings`
(`python -m tools.protocol_codegen`), and the plugins' types, command tables and the VS Code
settings block are generated from that schema, so the server, the Neovim plugin and the VS Code
extension cannot drift apart. `docs/protocol.md` explains what the types mean; a test fails
when it names a command, field or setting that is not here.

On the wire every field is camelCase (`show_result` is `showResult`) and fields that are
`None` are left out. The LSP layer teaches lsprotocol's converter these classes, so pygls
structures command arguments into them and results are unstructured from them.

This is a leaf: it imports nothing of ours, and nothing here does I/O.
"""

from __future__ import annotations

from typing import Literal

import attrs
from lsprotocol import types

STREAM_NOTIFICATION = "mistral/stream"

# The client capability our plugins send in `initialize` (`capabilities.experimental.mistral`):
# only clients that set these get `mistral/stream` and commands that resolve when the run ends.
# Every other client gets `RunStarted` at once and the run finishes on its own.
EXPERIMENTAL_CAPABILITY = "mistral"
STREAM_NOTIFICATIONS_CAPABILITY = "streamNotifications"
RESOLVE_ON_COMPLETION_CAPABILITY = "commandsResolveOnCompletion"

ActionName = Literal["review", "explain", "fix", "tests", "ask"]
ReasoningEffort = Literal["none", "high"]


@attrs.frozen(kw_only=True)
class ActionSpec:
    """One of the five actions, with every name it goes by."""

    name: ActionName
    """The action's name: in results, `mistral/stream`, and the `actions.<name>` settings."""
    command: str
    """The `workspace/executeCommand` command that runs it."""
    title: str
    """The code action's title, and the work-done progress title."""
    kind: str
    """The code action kind (Fix with foreign diagnostics uses `FIX_WITH_DIAGNOSTICS_KIND`)."""
    reasoning_effort: ReasoningEffort
    """The default `actions.<name>.reasoningEffort`."""
    label: str
    """A short label for stream views and status lines."""


# In menu order: Fix first, since with diagnostics at the cursor it is the preferred quick fix.
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(name="fix", command="mistral.fix", title="Mistral: Fix",
               kind="refactor.rewrite.mistral", reasoning_effort="high", label="Fix"),
    ActionSpec(name="explain", command="mistral.explain", title="Mistral: Explain",
               kind="refactor.mistral.explain", reasoning_effort="none", label="Explain"),
    ActionSpec(name="review", command="mistral.review", title="Mistral: Review",
               kind="refactor.mistral.review", reasoning_effort="high", label="Review"),
    ActionSpec(name="tests", command="mistral.generateTests", title="Mistral: Generate tests",
               kind="refactor.mistral.tests", reasoning_effort="high", label="Generate tests"),
    # Ask needs the user's question: its code action is offered to our plugins only, which prompt
    # for it; plain clients call `mistral.ask` with a `question` (docs/clients.md).
    ActionSpec(name="ask", command="mistral.ask", title="Mistral: Ask",
               kind="refactor.mistral.ask", reasoning_effort="none", label="Ask"),
)
ACTION_NAMES: tuple[ActionName, ...] = tuple(spec.name for spec in ACTIONS)


def action_spec(name: str) -> ActionSpec:
    """The action called `name`; a `KeyError` for anything else."""
    for spec in ACTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


# Code action kinds beyond the five actions' own.
FIX_WITH_DIAGNOSTICS_KIND = "quickfix.mistral"
SUGGESTION_KIND = "quickfix.mistral.suggestion"
EXPLAIN_FINDING_KIND = "quickfix.mistral.explain"

# The instant commands (the five actions' commands are in ACTIONS).
CANCEL = "mistral.cancel"
ACCEPT_FIX = "mistral.acceptFix"
REJECT_FIX = "mistral.rejectFix"
TOGGLE_REVIEW_ON_SAVE = "mistral.toggleReviewOnSave"
APPLY_SUGGESTION = "mistral.applySuggestion"

FINDING_SOURCE = "mistral"
FINDING_CATEGORIES = ("bug", "security", "performance", "correctness", "style", "maintainability")


# -- command arguments ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ActionArguments:
    """The one argument object of the five actions' commands."""

    uri: str
    """The document, which must be open in the editor."""
    range: types.Range | None = None
    """The target; empty (a cursor) selects the innermost definition around it; null reviews the file."""
    version: int | None = None
    """The document version the editor saw."""
    diagnostics: tuple[types.Diagnostic, ...] = ()
    """Diagnostics at the range (not ours), for Fix to address."""
    id: str | None = None
    """A client-chosen run id; else the server makes one."""
    preview: bool = False
    """Fix only: compute the edit but leave it to `mistral.acceptFix` / `mistral.rejectFix`."""
    show_result: bool = True
    """Explain opens its markdown and tests open the test file; plugins rendering the stream pass false."""
    instruction: str | None = None
    """Extra words for the model, appended to the task."""
    question: str | None = None
    """Ask: the user's free-form question about the target (required: a blank one is refused).
    Explain with `conversationId`: a follow-up question, as with `mistral.ask`."""
    conversation_id: str | None = None
    """Ask (and explain): continue this conversation, from an earlier ask or explain result's
    `conversationId`, with its earlier questions and answers; `range` defaults to its target."""


@attrs.frozen(kw_only=True)
class RunArguments:
    """The argument of `mistral.cancel`: a run id, or none for every run."""

    id: str | None = None


@attrs.frozen(kw_only=True)
class FixDecisionArguments:
    """The argument of `mistral.acceptFix` / `mistral.rejectFix`: the previewed fix's run id."""

    id: str
    hunks: list[str] | None = None
    """The ids of the hunks to accept or reject; every pending hunk when absent. Hunks not named
    stay pending: the proposal lives until each is decided (or 30 minutes)."""


@attrs.frozen(kw_only=True)
class SuggestionArguments:
    """The argument of `mistral.applySuggestion`: a review finding's diagnostic."""

    uri: str
    diagnostic: types.Diagnostic


# -- results and notifications ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Usage:
    """Tokens the API reported for a run."""

    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int


@attrs.frozen(kw_only=True)
class FindingData:
    """A validated review finding, on 0-based inclusive lines."""

    id: str
    start_line: int
    end_line: int
    severity: str
    category: str
    title: str
    message: str
    snippet: str
    replacement: str | None = None


@attrs.frozen(kw_only=True)
class ContextSummary:
    """What went into the prompt besides the target."""

    files: list[str]
    """Workspace-relative paths whose code is in the prompt (this file first)."""
    tokens: int
    """Estimated tokens of the prompt's context."""
    lookups: list[str] | None = None
    """One line per workspace tool call the model made, e.g. "definition parse_header —
    email/_header_value_parser.py:1024"; absent when it made none."""


@attrs.frozen(kw_only=True)
class Hunk:
    """One change of a fix's proposal: whole lines of one document and what replaces them."""

    id: str
    """Unique within the run ("h1", "h2", ...), stable for the life of the proposal."""
    uri: str
    """The document it changes."""
    range: types.Range
    """The lines it replaces, in the text of `version`: from character 0 of its first line to
    character 0 of the line after its last (or the end of the document)."""
    new_text: str
    """The replacement for `range`: whole lines, each ending in a newline."""
    old_text: str
    """The text `range` holds now (for display)."""
    version: int | None = None
    """The document version `range` refers to; null for a closed file (its text on disk)."""
    label: str | None = None
    """Where it is, for lists: the workspace-relative path and the definition, "calc.py :: add"."""


@attrs.frozen(kw_only=True)
class UnplacedBlock:
    """An extra block of a fix's answer the server could not place; never applied."""

    label: str
    """The block's header as the model wrote it, "calc.py :: add"."""
    reason: str
    """Why it was not placed, e.g. "no definition `foo` in calc.py"."""


@attrs.frozen(kw_only=True)
class RefusedHunk:
    """A hunk `mistral.acceptFix` did not apply."""

    id: str
    reason: str
    """Why, e.g. its lines were edited since the proposal."""


@attrs.define(kw_only=True)
class ActionResult:
    """What the five actions' commands resolve with when the run ends."""

    id: str
    action: ActionName
    uri: str
    text: str = ""
    """The model's whole answer (never its thinking)."""
    applied: bool = False
    """Whether the result reached the document (a fix or tests applied, findings published)."""
    cancelled: bool | None = None
    """True when the run was cancelled or superseded."""
    message: str | None = None
    """Why nothing was applied, when nothing was."""
    edit: types.WorkspaceEdit | None = None
    """Fix: the edit, applied or (with `preview`) proposed."""
    version: int | None = None
    """Fix with `preview`: the document version the edit was computed for."""
    preview: bool | None = None
    """Fix with `preview`: true."""
    explanation: str | None = None
    """Fix: the model's one-line explanation of the change, when it gave one."""
    hunks: list[Hunk] | None = None
    """Fix: every hunk of the proposal (all pending, with `preview`), or the hunks applied."""
    unplaced: list[UnplacedBlock] | None = None
    """Fix: the answer's extra blocks that could not be placed (never applied), with why."""
    diagnostics: int | None = None
    """Review: how many findings were published."""
    findings: list[FindingData] | None = None
    """Review: the validated findings."""
    test_uri: str | None = None
    """Generate tests: the test file."""
    test_file_created: bool | None = None
    """Generate tests: true when the test file was created, false when the tests were appended."""
    explanation_uri: str | None = None
    """Explain and ask: the markdown file written, when one was."""
    usage: Usage | None = None
    """Tokens, when the API reported them."""
    context: ContextSummary | None = None
    """The files and tokens of the prompt's context."""
    conversation_id: str | None = None
    """Ask and explain: the conversation this answer belongs to; pass it back to `mistral.ask`
    with a `question` to follow up."""


@attrs.frozen(kw_only=True)
class RunStarted:
    """What the five actions' commands answer at once to a client that did not opt in to
    `commandsResolveOnCompletion`: the run goes on, and its result reaches the editor through
    `workspace/applyEdit`, diagnostics, `window/showDocument` and `window/showMessage`."""

    id: str
    """The run's id, for `mistral.cancel`."""
    started: bool
    """False when the run could not start; `message` says why (it was also shown)."""
    message: str | None = None
    conversation_id: str | None = None
    """Ask and explain: the conversation the answer will belong to, for a follow-up."""


@attrs.frozen(kw_only=True)
class CancelResult:
    cancelled: list[str]
    """The ids of the runs cancelled."""


@attrs.frozen(kw_only=True)
class AppliedResult:
    """The result of `mistral.acceptFix` and `mistral.applySuggestion`."""

    applied: bool
    """Accept: true when at least one hunk was applied."""
    message: str | None = None
    applied_hunks: list[str] | None = None
    """Accept: the ids of the hunks this call applied."""
    refused: list[RefusedHunk] | None = None
    """Accept: the hunks this call refused (each alone), with why."""
    pending: list[Hunk] | None = None
    """Accept: the hunks still pending, with their ranges and versions as they are now in the
    documents; empty when none remain."""


@attrs.frozen(kw_only=True)
class RejectResult:
    rejected: bool
    """False when the fix was unknown (already accepted, rejected or expired)."""
    pending: list[Hunk] | None = None
    """The hunks still pending, with their current ranges and versions; empty when none remain."""


@attrs.frozen(kw_only=True)
class ToggleResult:
    review_on_save: bool | list[str]
    """The value of `reviewOnSave` now in force for this session."""


@attrs.frozen(kw_only=True)
class StreamNotification:
    """`mistral/stream`: a piece of answer text (`delta`), or the run's end (`done`)."""

    id: str
    action: ActionName
    uri: str
    delta: str | None = None
    done: bool | None = None
    error: str | None = None
    """With `done`: why the run failed."""
    cancelled: bool | None = None
    """With `done`: the run was cancelled or superseded."""
    lookup: str | None = None
    """The model is looking something up in the workspace (a tool call), e.g. "looking up
    `parse_header` — email/_header_value_parser.py"; also a `$/progress` report."""
    hunks: list[Hunk] | None = None
    """With `done` of a fix: every hunk of its proposal."""


@attrs.frozen(kw_only=True)
class FindingDiagnosticData:
    """The `data` of a review finding's diagnostic (source `mistral`, code `mistral/<category>`)."""

    finding_id: str
    snippet: str
    title: str
    replacement: str | None = None


@attrs.frozen(kw_only=True)
class CommandSpec:
    """A command the server serves, with its argument and result types (for the schema)."""

    command: str
    arguments: type | None
    result: type
    description: str
    started_result: type | None = None
    """The answer given at once to clients that did not opt in to `commandsResolveOnCompletion`."""


COMMANDS: tuple[CommandSpec, ...] = (
    *(CommandSpec(command=spec.command, arguments=ActionArguments, result=ActionResult,
                  description=f"{spec.title}: reports progress; resolves when the run ends for clients that opt in, "
                              "else answers RunStarted at once", started_result=RunStarted)
      for spec in ACTIONS),
    CommandSpec(command=CANCEL, arguments=RunArguments, result=CancelResult,
                description="cancel a run (or every run); its HTTP stream closes at once"),
    CommandSpec(command=ACCEPT_FIX, arguments=FixDecisionArguments, result=AppliedResult,
                description="apply a previewed fix (or some of its hunks), each hunk rebased onto the current "
                            "version or refused alone"),
    CommandSpec(command=REJECT_FIX, arguments=FixDecisionArguments, result=RejectResult,
                description="drop a previewed fix (or some of its hunks)"),
    CommandSpec(command=TOGGLE_REVIEW_ON_SAVE, arguments=None, result=ToggleResult,
                description="flip reviewOnSave for this session"),
    CommandSpec(command=APPLY_SUGGESTION, arguments=SuggestionArguments, result=AppliedResult,
                description="apply a review finding's replacement"),
)
