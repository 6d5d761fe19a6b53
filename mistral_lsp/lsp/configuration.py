"""Settings from the editor: `initialized` and `workspace/didChangeConfiguration`.

`initializationOptions` are read first (for clients without `workspace/configuration`), then
section `mistral` is pulled with `workspace/configuration` when the client supports it — on
start and on every change notification, since most clients send an empty change payload.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from mistral_lsp.lsp import inline_completion, workspace_index
from mistral_lsp.lsp.server import MistralLanguageServer

log = logging.getLogger(__name__)


async def initialized(ls: MistralLanguageServer, params: types.InitializedParams) -> None:
    if ls.initialization_options:
        ls.apply_settings(ls.initialization_options, "initializationOptions")
    ls.documents.set_encoding(str(ls.workspace.position_encoding or types.PositionEncodingKind.Utf16))
    try:
        await _pull_configuration(ls)
    finally:
        ls.mark_settings_loaded()
    await inline_completion.settings_changed(ls)
    await workspace_index.start(ls)


async def did_change_configuration(
    ls: MistralLanguageServer, params: types.DidChangeConfigurationParams
) -> None:
    if _supports_configuration(ls):
        # Cleared before the first await: a request right behind this notification (a completion
        # after the plugin's toggle) waits for the new settings rather than answer from the old.
        ls.settings_pull_started()
        try:
            await _pull_configuration(ls)
        finally:
            ls.settings_pull_ended()
    else:
        settings: Any = params.settings
        if isinstance(settings, dict) and "mistral" in settings:
            settings = settings["mistral"]
        if settings:
            ls.apply_settings(settings, "didChangeConfiguration")
    await inline_completion.settings_changed(ls)


def _supports_configuration(ls: MistralLanguageServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def _pull_configuration(ls: MistralLanguageServer) -> None:
    if not _supports_configuration(ls):
        return
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="mistral")])
        )
    except Exception as exc:  # a client bug must not take the server down
        log.warning("workspace/configuration failed: %s", exc)
        return
    section = result[0] if result else None
    if section is not None:
        ls.apply_settings(section, "workspace/configuration")
