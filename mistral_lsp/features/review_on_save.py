"""`textDocument/didSave`: review on save (off by default). Placeholder until the feature lands."""

from __future__ import annotations

from lsprotocol import types

from mistral_lsp.server import MistralLanguageServer


def did_save(ls: MistralLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    return None
