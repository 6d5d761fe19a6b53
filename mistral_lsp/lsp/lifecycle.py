"""`initialize`: the position encoding, the settings in `initializationOptions`, what the client
can do (`capabilities.py`, including the `experimental.mistral` opt-in), and whether
diagnostics are pushed or pulled.

`prefer_utf8` runs inside pygls' own `initialize` before it picks the position encoding:
UTF-8 offsets need no re-encoding against tree-sitter's byte offsets. `initialize` runs as
pygls' user handler, before pygls builds the server's capabilities, so it can leave out the
diagnostic provider for a client that will be pushed diagnostics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.lsp import inline_completion
from mistral_lsp.lsp.capabilities import read_client_features
from mistral_lsp.lsp.diagnostics import pull_supported

if TYPE_CHECKING:
    from mistral_lsp.lsp.server import MistralLanguageServer


def prefer_utf8(ls: MistralLanguageServer, params: types.InitializeParams) -> None:
    general = params.capabilities.general
    if general and general.position_encodings and types.PositionEncodingKind.Utf8 in general.position_encodings:
        general.position_encodings = [types.PositionEncodingKind.Utf8]


def initialize(ls: MistralLanguageServer, params: types.InitializeParams) -> None:
    ls.initialization_options = params.initialization_options
    ls.client_name = params.client_info.name if params.client_info else None
    ls.client_features = read_client_features(params)
    ls.pull_diagnostics = pull_supported(params.capabilities)
    inline_completion.initialize(ls, params)
    if not ls.pull_diagnostics:
        # Advertising a diagnostic provider to a push client would show findings twice.
        ls.protocol.fm.features.pop(types.TEXT_DOCUMENT_DIAGNOSTIC, None)
        ls.protocol.fm.feature_options.pop(types.TEXT_DOCUMENT_DIAGNOSTIC, None)
