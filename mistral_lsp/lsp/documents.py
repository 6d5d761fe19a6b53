"""Open documents and their syntax trees: `textDocument/didOpen`, `didChange`, `didClose`.

Closing a document cancels the runs on it and drops its ask/explain conversations. Each change is applied to our own document (text + incremental tree-sitter tree) and to the
review findings on it, which move with their code or go when their code is edited.
"""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from mistral_lsp.lsp import review_on_save, workspace_index
from mistral_lsp.lsp.server import MistralLanguageServer
from mistral_lsp.text.uris import short_uri

log = logging.getLogger(__name__)

# How long the runs of a closed document wait for it to be reopened (a reload) before they stop.
REOPEN_GRACE_S = 1.0


def did_open(ls: MistralLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = ls.documents.open(item.uri, item.text, item.version, item.language_id)
    if ls.findings.has(item.uri):
        ls.findings.apply_changes(item.uri, [types.TextDocumentContentChangeWholeDocument(text=item.text)], doc.lines)
        ls.publish_findings(item.uri)
    # Findings cached by review on save come back for unchanged code, without a request.
    review_on_save.document_opened(ls, item.uri)
    workspace_index.document_changed(ls, item.uri)


def did_change(ls: MistralLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents.change(uri, params.content_changes, params.text_document.version)
    doc = ls.documents.get(uri)
    workspace_index.document_changed(ls, uri)
    if doc is not None and ls.findings.apply_changes(uri, params.content_changes, doc.lines):
        ls.publish_findings(uri)
    elif doc is not None and ls.findings.has(uri):
        # Same findings, new version: republish so the client keeps them on this version.
        ls.publish_findings(uri)


def did_close(ls: MistralLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents.close(uri)
    # A reload (Neovim's `:e!`, a file changed on disk and re-read) is didClose then didOpen at
    # once: the runs are cancelled only if the document is still closed a moment later.
    asyncio.get_running_loop().call_later(REOPEN_GRACE_S, _cancel_runs_if_closed, ls, uri)
    workspace_index.document_closed(ls, uri)
    if ls.findings.has(uri):
        ls.findings.clear(uri)
        ls.publish_findings(uri)


def _cancel_runs_if_closed(ls: MistralLanguageServer, uri: str) -> None:
    """The runs on a closed document stop (their HTTP streams close) rather than stream an answer
    nobody will see and then fail with "the document was closed"."""
    if ls.documents.get(uri) is not None:
        return
    if ls.session.conversations is not None:  # nobody can follow them up any more (a reload keeps them)
        ls.session.conversations.drop_document(uri)
    cancelled = ls.session.runs.cancel_document(uri)
    if cancelled:
        log.info("%s closed: cancelled %s", short_uri(uri), ", ".join(cancelled))
