"""Open documents and their syntax trees: `textDocument/didOpen`, `didChange`, `didClose`.

Closing a document cancels the runs on it. Each change is applied to our own document (text + incremental tree-sitter tree) and to the
review findings on it, which move with their code or go when their code is edited.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from mistral_lsp.lsp import workspace_index
from mistral_lsp.lsp.server import MistralLanguageServer
from mistral_lsp.text.uris import short_uri

log = logging.getLogger(__name__)


def did_open(ls: MistralLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    from mistral_lsp.lsp import review_on_save

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
    # Its runs stop now (their HTTP streams close) rather than stream an answer for a document
    # that is gone and then fail with "the document was closed".
    cancelled = ls.session.runs.cancel_document(uri)
    if cancelled:
        log.info("%s closed: cancelled %s", short_uri(uri), ", ".join(cancelled))
    ls.documents.close(uri)
    workspace_index.document_closed(ls, uri)
    if ls.findings.has(uri):
        ls.findings.clear(uri)
        ls.publish_findings(uri)
