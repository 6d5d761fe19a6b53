"""`textDocument/codeAction`: the Mistral actions and review suggestions, from memory.

"Mistral: Ask" is offered only to clients that opted in (`experimental.mistral`): our plugins
prompt for the question when it is chosen. A plain client cannot add a question to a code
action's command, so it calls `mistral.ask` with `workspace/executeCommand` (docs/clients.md).

No network and no parsing here: the actions only carry commands (the work happens when the
editor executes one), and suggestions carry a ready, versioned edit built from the finding's
replacement. This keeps the light-bulb instant on any file size. A client that sends our
diagnostics back stripped of `source` and `data` (ALE) still gets the findings' follow-ups:
they are found by `code` and line among the stored findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mistral_lsp.lsp.server import MistralLanguageServer
from mistral_lsp.protocol import (
    ACTIONS,
    CUSTOM,
    EXPLAIN_FINDING_KIND,
    FIX_WITH_DIAGNOSTICS_KIND,
    SUGGESTION_KIND,
    action_spec,
)
from mistral_lsp.protocol import FINDING_SOURCE as SOURCE
from mistral_lsp.text.workspace_edits import split, to_changes

if TYPE_CHECKING:
    from mistral_lsp.syntax.document import Document

OPTIONS = types.CodeActionOptions(
    code_action_kinds=[
        types.CodeActionKind.QuickFix,
        types.CodeActionKind.Refactor,
        types.CodeActionKind.RefactorRewrite,
        FIX_WITH_DIAGNOSTICS_KIND, *(spec.kind for spec in ACTIONS), CUSTOM.kind, SUGGESTION_KIND, EXPLAIN_FINDING_KIND,
    ],
    resolve_provider=False,
)




def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == prefix or kind.startswith(prefix + ".") for prefix in only)


def _restored(ls: MistralLanguageServer, uri: str, diagnostic: types.Diagnostic) -> types.Diagnostic:
    """Our diagnostic as we published it, when the client sent it back without `source` or
    `data` (ALE keeps only code, message and range): found by code and first line among the
    stored findings. Any other diagnostic is returned as it came."""
    # review.findings loads the syntax layer, which answering `initialize` does not need.
    from mistral_lsp.review.findings import to_diagnostic

    code = diagnostic.code if isinstance(diagnostic.code, str) else None
    # Our codes are the finding's rule id or category; another linter's code matches no stored finding.
    if (diagnostic.source == SOURCE and diagnostic.data) or not code:
        return diagnostic
    doc = ls.documents.get(uri)
    if doc is None:
        return diagnostic
    line = diagnostic.range.start.line
    candidates = [f for f in ls.findings.get(uri) if (f.rule or f.category) == code and f.start_line == line]
    if not candidates:
        return diagnostic
    restored = [to_diagnostic(f, doc) for f in candidates]
    return next((d for d in restored if d.message == diagnostic.message), restored[0])


def code_action(
    ls: MistralLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    if doc is None:
        return None
    only = [str(kind) for kind in params.context.only] if params.context.only else None
    # The client sends the diagnostics it finds relevant to the range (Neovim: the cursor's
    # line); trust its choice rather than re-filtering by strict overlap.
    diagnostics = [_restored(ls, uri, d) for d in params.context.diagnostics]
    foreign = [d for d in diagnostics if d.source != SOURCE]
    arguments = _arguments(ls, params, doc, foreign)
    actions: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        if diagnostic.source == SOURCE:
            actions += _finding_actions(ls, doc, diagnostic, arguments, only)
    features = ls.client_features
    # Ask needs a question a code action cannot carry: only our plugins, which prompt for it, get it.
    can_ask = features.stream_notifications or features.resolve_on_completion
    return actions + _mistral_actions(arguments, foreign, only, can_ask=can_ask) + _custom_actions(ls, doc, arguments, only)


def _custom_actions(
    ls: MistralLanguageServer, doc: Document, arguments: dict[str, Any], only: list[str] | None
) -> list[types.CodeAction]:
    """The project's custom actions (`.mistral/actions`) that apply to the document: "Mistral:
    <title>", running `mistral.custom` with their id. Their files are re-read only when changed."""
    if not _wanted(CUSTOM.kind, only):
        return []
    from mistral_lsp.actions.custom_actions import applicable

    return [
        types.CodeAction(
            title=f"Mistral: {action.title}",
            kind=CUSTOM.kind,
            command=types.Command(title=f"Mistral: {action.title}", command=CUSTOM.command,
                                  arguments=[{**arguments, "actionId": action.id}]),
        )
        for action in applicable(ls, doc)
    ]


def _arguments(
    ls: MistralLanguageServer, params: types.CodeActionParams, doc: Document, foreign: list[types.Diagnostic]
) -> dict[str, Any]:
    """A command's arguments: the range, the version it was computed for, other tools' diagnostics."""
    value: dict[str, Any] = {
        "uri": params.text_document.uri,
        "range": ls.converter.unstructure(params.range),
        "version": doc.version,
    }
    if foreign:
        value["diagnostics"] = ls.converter.unstructure(foreign)
    return value


def _finding_actions(
    ls: MistralLanguageServer, doc: Document, diagnostic: types.Diagnostic, arguments: dict[str, Any],
    only: list[str] | None,
) -> list[types.CodeAction]:
    """A review finding's follow-ups: apply its suggestion (if it has one), explain it."""
    title = diagnostic.data.get("title") if isinstance(diagnostic.data, dict) else None
    label = title or diagnostic.message
    actions: list[types.CodeAction] = []
    # review.findings loads the syntax layer, which answering `initialize` does not need.
    from mistral_lsp.review.findings import suggestion_edit

    edit = suggestion_edit(doc, diagnostic) if _wanted(SUGGESTION_KIND, only) else None
    if edit is not None:
        if not ls.client_features.document_changes:
            edit = to_changes(split(edit).text_edits)  # computed for this very version
        actions.append(
            types.CodeAction(
                title=f"Mistral: Apply suggestion — {label}",
                kind=SUGGESTION_KIND,
                diagnostics=[diagnostic],
                edit=edit,
                is_preferred=True,
            )
        )
    if _wanted(EXPLAIN_FINDING_KIND, only):
        actions.append(_explain_finding(ls, diagnostic, arguments, label))
    return actions


def _explain_finding(
    ls: MistralLanguageServer, diagnostic: types.Diagnostic, arguments: dict[str, Any], label: str
) -> types.CodeAction:
    converter = ls.converter
    explain_args = {
        **arguments,
        "range": converter.unstructure(diagnostic.range),
        "diagnostics": [converter.unstructure(diagnostic)],
        "instruction": "Explain this review finding — why it is a problem here and how to fix it: "
        + diagnostic.message,
    }
    return types.CodeAction(
        title=f"Mistral: Explain this finding — {label}",
        kind=EXPLAIN_FINDING_KIND,
        diagnostics=[diagnostic],
        command=types.Command(title="Mistral: Explain this finding", command=action_spec("explain").command,
                              arguments=[explain_args]),
    )


def _mistral_actions(
    arguments: dict[str, Any], foreign: list[types.Diagnostic], only: list[str] | None, *, can_ask: bool
) -> list[types.CodeAction]:
    """The actions; with other tools' diagnostics in range, fix is the quick fix for them. Ask
    only when the client can prompt for its question (`can_ask`)."""
    actions: list[types.CodeAction] = []
    for spec in ACTIONS:
        if spec.name == "ask" and not can_ask:
            continue
        is_fix = spec.name == "fix"
        kind = FIX_WITH_DIAGNOSTICS_KIND if is_fix and foreign else spec.kind
        if not _wanted(kind, only):
            continue
        actions.append(
            types.CodeAction(
                title=spec.title,
                kind=kind,
                diagnostics=foreign or None if is_fix else None,
                is_preferred=True if kind == FIX_WITH_DIAGNOSTICS_KIND else None,
                command=types.Command(title=spec.title, command=spec.command, arguments=[dict(arguments)]),
            )
        )
    return actions
