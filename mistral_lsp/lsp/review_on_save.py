"""`textDocument/didSave` and the `didOpen` hook: review on save, LSP side.

The review itself (debounce, units, cache, request, failures) is `actions/review_on_save.py`;
this module only hands it the events. Off by default; see that module's docstring.
"""

from __future__ import annotations

from lsprotocol import types

from mistral_lsp.lsp import workspace_index
from mistral_lsp.lsp.server import MistralLanguageServer


def did_save(ls: MistralLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    """Schedule a review of the saved document (synchronous: saves are handled in order)."""
    from mistral_lsp.actions.review_on_save import review_on_save

    workspace_index.document_changed(ls, params.text_document.uri)
    review_on_save(ls).saved(params.text_document.uri)


def document_opened(ls: MistralLanguageServer, uri: str) -> None:
    """Hook for `documents.did_open`: cached findings of the opened document come back."""
    from mistral_lsp.actions.review_on_save import review_on_save

    review_on_save(ls).opened(uri)
