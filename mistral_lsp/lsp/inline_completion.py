"""`textDocument/inlineCompletion` (LSP 3.18): Codestral fill-in-the-middle as ghost text.

Off by default (`completion.enabled`): every pause in typing costs an API call. The capability
is advertised only when it is on:
- on at `initialize` (in `initializationOptions`): advertised statically;
- turned on later (`workspace/configuration`, a plugin's toggle): registered dynamically with
  `client/registerCapability` when the client supports dynamic registration for inline
  completion, and unregistered when it is turned off again. A client without dynamic
  registration gets a message asking to restart the server. The handler itself is always
  installed, so a plugin may send the request whatever was advertised (the Neovim plugin does);
  it answers nothing while completion is off.

The work — debounce, cancel-older, typing through, the cache, the early stop — is in
`actions/completion.py`; this module converts positions and results.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from mistral_lsp.options import parse_settings

if TYPE_CHECKING:
    from mistral_lsp.actions.completion import CompletionEngine
    from mistral_lsp.lsp.server import MistralLanguageServer

log = logging.getLogger(__name__)

REGISTRATION_ID = "mistral-inline-completion"
# How the provider is advertised now: "static" (initialize), "dynamic" (registered), or absent.
_ADVERTISED = "_mistral_inline_completion"


def engine(ls: MistralLanguageServer) -> CompletionEngine:
    from mistral_lsp.actions.completion import CompletionEngine

    if not isinstance(ls.session.completion, CompletionEngine):
        ls.session.completion = CompletionEngine()
    return ls.session.completion


async def inline_completion(
    ls: MistralLanguageServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    uri = params.text_document.uri
    await ls.wait_for_settings()
    doc = ls.documents.get(uri)
    if doc is None or not ls.settings.completion.enabled:
        return None
    try:
        completion = await engine(ls).complete(ls, uri, params.position)
    except Exception:  # one bad request must not take the server down
        log.exception("inline completion at %s failed", uri)
        return None
    if completion is None:
        return None
    doc = ls.documents.get(uri)
    if doc is None:
        return None
    # The rest of the line goes into the item's range, so an editor replacing the range keeps
    # it: VS Code renders the ghost text around the text already after the cursor.
    position = params.position
    line_end = doc.position_at(doc.line_end(position.line)) if position.line < doc.line_count else position
    after = doc.text[doc.offset_at(position):doc.line_end(position.line)] if position.line < doc.line_count else ""
    item = types.InlineCompletionItem(
        insert_text=completion.text + after,
        range=types.Range(start=position, end=line_end),
    )
    return types.InlineCompletionList(items=[item])


# -- advertising --------------------------------------------------------------------------------


def initialize(ls: MistralLanguageServer, params: types.InitializeParams) -> None:
    """Advertise the provider statically when `initializationOptions` turn completion on."""
    try:
        enabled = parse_settings(params.initialization_options).completion.enabled
    except Exception:  # invalid options are reported when `initialized` applies them
        enabled = False
    if enabled:
        ls.protocol.fm.feature_options[types.TEXT_DOCUMENT_INLINE_COMPLETION] = types.InlineCompletionOptions()
        setattr(ls, _ADVERTISED, "static")


def _client_support(ls: MistralLanguageServer) -> str:
    """"dynamic", "static" (knows the request, not its registration) or "none"."""
    document = ls.client_capabilities.text_document
    inline = document.inline_completion if document else None
    if inline is None:
        return "none"
    return "dynamic" if inline.dynamic_registration else "static"


async def settings_changed(ls: MistralLanguageServer) -> None:
    """Register or unregister the provider when `completion.enabled` changed."""
    wanted = ls.settings.completion.enabled
    advertised = getattr(ls, _ADVERTISED, None)
    if not wanted:
        engine(ls).cancel()
    if advertised == "static" or wanted == (advertised == "dynamic"):
        return
    support = _client_support(ls)
    if support != "dynamic":
        if wanted and support == "static":
            ls.show_message(
                "mistral-lsp: inline completion is on, but this editor learns of it only at start:"
                " restart the server (or set completion.enabled in initializationOptions)",
                types.MessageType.Info,
            )
        return
    try:
        if wanted:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(
                    id=REGISTRATION_ID,
                    method=types.TEXT_DOCUMENT_INLINE_COMPLETION,
                    register_options=types.InlineCompletionRegistrationOptions(
                        document_selector=_selector(ls.settings.completion.languages)
                    ),
                )
            ]))
        else:
            await ls.client_unregister_capability_async(types.UnregistrationParams(unregisterations=[
                types.Unregistration(id=REGISTRATION_ID, method=types.TEXT_DOCUMENT_INLINE_COMPLETION)
            ]))
        setattr(ls, _ADVERTISED, "dynamic" if wanted else None)
    except Exception as exc:  # a client refusing must not take the server down
        log.warning("could not %sregister inline completion: %s", "" if wanted else "un", exc)


def _selector(languages: list[str]) -> list[types.TextDocumentFilterLanguage] | None:
    if not languages:
        return None
    return [types.TextDocumentFilterLanguage(language=language) for language in languages]
