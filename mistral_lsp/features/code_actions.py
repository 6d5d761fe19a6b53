"""`textDocument/codeAction`: the four Mistral actions and review suggestions, from memory.

No network and no parsing here: the actions only carry commands (the work happens when the
editor executes one), and suggestions carry a ready, versioned edit built from the finding's
replacement. This keeps the light-bulb instant on any file size.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from mistral_lsp.findings import SOURCE, suggestion_edit
from mistral_lsp.server import MistralLanguageServer

FIX_WITH_DIAGNOSTICS = types.CodeActionKind.QuickFix + ".mistral"
FIX = types.CodeActionKind.RefactorRewrite + ".mistral"
EXPLAIN = types.CodeActionKind.Refactor + ".mistral.explain"
REVIEW = types.CodeActionKind.Refactor + ".mistral.review"
TESTS = types.CodeActionKind.Refactor + ".mistral.tests"
SUGGESTION = types.CodeActionKind.QuickFix + ".mistral.suggestion"
EXPLAIN_FINDING = types.CodeActionKind.QuickFix + ".mistral.explain"

OPTIONS = types.CodeActionOptions(
    code_action_kinds=[
        types.CodeActionKind.QuickFix,
        types.CodeActionKind.Refactor,
        types.CodeActionKind.RefactorRewrite,
        FIX_WITH_DIAGNOSTICS, FIX, EXPLAIN, REVIEW, TESTS, SUGGESTION, EXPLAIN_FINDING,
    ],
    resolve_provider=False,
)


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == prefix or kind.startswith(prefix + ".") for prefix in only)


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
    diagnostics = list(params.context.diagnostics)
    foreign = [d for d in diagnostics if d.source != SOURCE]

    def args(extra: dict[str, Any] | None = None) -> dict[str, Any]:
        value: dict[str, Any] = {
            "uri": uri,
            "range": ls.converter.unstructure(params.range),
            "version": doc.version,
        }
        if foreign:
            value["diagnostics"] = ls.converter.unstructure(foreign)
        return {**value, **(extra or {})}

    actions: list[types.CodeAction] = []

    for diagnostic in diagnostics:
        if diagnostic.source != SOURCE:
            continue
        title = diagnostic.data.get("title") if isinstance(diagnostic.data, dict) else None
        edit = suggestion_edit(doc, diagnostic) if _wanted(SUGGESTION, only) else None
        if edit is not None:
            actions.append(
                types.CodeAction(
                    title=f"Mistral: Apply suggestion — {title or diagnostic.message}",
                    kind=SUGGESTION,
                    diagnostics=[diagnostic],
                    edit=edit,
                    is_preferred=True,
                )
            )
        if _wanted(EXPLAIN_FINDING, only):
            converter = ls.converter
            explain_args = args({
                "range": converter.unstructure(diagnostic.range),
                "diagnostics": [converter.unstructure(diagnostic)],
                "instruction": "Explain this review finding — why it is a problem here and how to fix it: "
                + diagnostic.message,
            })
            actions.append(
                types.CodeAction(
                    title=f"Mistral: Explain this finding — {title or diagnostic.message}",
                    kind=EXPLAIN_FINDING,
                    diagnostics=[diagnostic],
                    command=types.Command(title="Mistral: Explain this finding", command="mistral.explain",
                                          arguments=[explain_args]),
                )
            )

    fix_kind = FIX_WITH_DIAGNOSTICS if foreign else FIX
    table = [
        ("Mistral: Fix", fix_kind, "mistral.fix"),
        ("Mistral: Explain", EXPLAIN, "mistral.explain"),
        ("Mistral: Review", REVIEW, "mistral.review"),
        ("Mistral: Generate tests", TESTS, "mistral.generateTests"),
    ]
    for title, kind, command in table:
        if not _wanted(kind, only):
            continue
        actions.append(
            types.CodeAction(
                title=title,
                kind=kind,
                diagnostics=foreign or None if command == "mistral.fix" else None,
                is_preferred=True if kind == FIX_WITH_DIAGNOSTICS else None,
                command=types.Command(title=title, command=command, arguments=[args()]),
            )
        )
    return actions
