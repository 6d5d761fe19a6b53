"""Findings as diagnostics, pushed or pulled: `textDocument/publishDiagnostics`,
`textDocument/diagnostic` and `workspace/diagnostic/refresh`.

Clients that pull diagnostics *and* accept refresh requests get pull (findings arrive seconds
after a save, so the server must be able to say "pull again"); every other client gets push.
Never both, so no client shows a finding twice. The one place findings become diagnostics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from mistral_lsp.lsp.server import MistralLanguageServer

OPTIONS = types.DiagnosticOptions(identifier="mistral", inter_file_dependencies=False, workspace_diagnostics=False)


def pull_supported(capabilities: types.ClientCapabilities) -> bool:
    """Whether pull diagnostics can replace push for this client: it pulls, and it re-pulls when
    told (`workspace/diagnostic/refresh`) — findings arrive seconds after a save, not on a pull."""
    text_document, workspace = capabilities.text_document, capabilities.workspace
    return bool(
        text_document and text_document.diagnostic
        and workspace and workspace.diagnostics and workspace.diagnostics.refresh_support
    )


def diagnostics_of(ls: MistralLanguageServer, uri: str) -> tuple[list[types.Diagnostic], int | None]:
    """Every finding on `uri` (all origins) as diagnostics, with the document's version."""
    doc = ls.documents.get(uri)
    if doc is None:
        return [], None
    from mistral_lsp.review.findings import to_diagnostic  # loads the syntax layer: not at start-up

    return [to_diagnostic(f, doc) for f in ls.findings.get(uri)], doc.version


def publish(ls: MistralLanguageServer, uri: str) -> None:
    """Tell the client the findings on `uri` changed: a refresh for pull clients, else a push."""
    if ls.pull_diagnostics:
        ls.workspace_diagnostic_refresh(None)
        return
    diagnostics, version = diagnostics_of(ls, uri)
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
    )


def document_diagnostic(
    ls: MistralLanguageServer, params: types.DocumentDiagnosticParams
) -> types.RelatedFullDocumentDiagnosticReport:
    """Pull diagnostics: the same findings `publish` pushes."""
    diagnostics, _ = diagnostics_of(ls, params.text_document.uri)
    return types.RelatedFullDocumentDiagnosticReport(items=diagnostics)
