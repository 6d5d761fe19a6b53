"""The language server: its state (settings, documents, runs, findings, API client) and start-up.

Handlers live in `features/`, registered from the one table in `features/__init__.py`. This
module holds what they share, and a protocol subclass for three things pygls does not do:
prefer UTF-8 positions when the client offers them, map `$/cancelRequest` of a running
command onto its run, and keep the API key out of pygls' own logging.

Heavy modules (httpx, tree-sitter grammars) load on first use, so `initialize` answers fast.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from mistral_lsp import __version__
from mistral_lsp.findings import FindingsStore
from mistral_lsp.logs import redactor
from mistral_lsp.options import Settings, SettingsError, parse_settings
from mistral_lsp.streaming import RunRegistry, current_work_done_token
from mistral_lsp.syntax.document import DocumentStore

if TYPE_CHECKING:
    from mistral_lsp.actions.fix import PendingFix
    from mistral_lsp.mistral import MistralClient
    from mistral_lsp.syntax.workspace import WorkspaceIndex

log = logging.getLogger(__name__)

# LSP's RequestFailed: the request was valid but could not be carried out.
REQUEST_FAILED = -32803


def pull_supported(capabilities: types.ClientCapabilities) -> bool:
    """Whether pull diagnostics can replace push for this client: it pulls, and it re-pulls when
    told (`workspace/diagnostic/refresh`) — findings arrive seconds after a save, not on a pull."""
    text_document, workspace = capabilities.text_document, capabilities.workspace
    return bool(
        text_document and text_document.diagnostic
        and workspace and workspace.diagnostics and workspace.diagnostics.refresh_support
    )



class MistralProtocol(LanguageServerProtocol):
    """pygls' protocol with UTF-8 preference and run-aware cancellation."""

    _server: MistralLanguageServer

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        general = params.capabilities.general
        if general and general.position_encodings and types.PositionEncodingKind.Utf8 in general.position_encodings:
            # UTF-8 offsets need no re-encoding against tree-sitter's byte offsets.
            general.position_encodings = [types.PositionEncodingKind.Utf8]
        self._server.initialization_options = params.initialization_options
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        self._server.pull_diagnostics = pull_supported(params.capabilities)
        if not self._server.pull_diagnostics:
            # Advertising a diagnostic provider to a push client would show findings twice.
            result.capabilities.diagnostic_provider = None
        return result

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        current_work_done_token.set(params.work_done_token)
        result = yield from super().lsp_workspace__execute_command(params)
        return result

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        self._server.runs.cancel_request(msg_id)


class MistralLanguageServer(LanguageServer):
    """Shared state of the server; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(
            name="mistral-lsp",
            version=__version__,
            protocol_cls=MistralProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.settings = Settings()
        self.documents = DocumentStore()
        self.runs = RunRegistry()
        self.findings = FindingsStore()
        self.pending_fixes: dict[str, PendingFix] = {}
        self.initialization_options: Any = None
        self.review_on_save_before_toggle: bool | list[str] = False
        # `mistral.toggleReviewOnSave` overrides the setting for the session: (the configured
        # value when toggled, the toggled value). It holds until the setting itself changes.
        self.review_on_save_toggle: tuple[bool | list[str], bool | list[str]] | None = None
        # Set once the first settings (initializationOptions, then workspace/configuration) are
        # in: a save or command arriving earlier waits for them instead of using the defaults.
        self.settings_loaded = asyncio.Event()
        # Pull diagnostics replace push only for clients that pull and accept refresh requests.
        self.pull_diagnostics = False
        self.workspace_index: WorkspaceIndex | None = None
        """Every workspace file's definitions and imports (`features/workspace_index.py`)."""
        self._client: MistralClient | None = None
        self._client_settings: tuple[Any, ...] | None = None
        redactor.add_secret(self.settings.resolved_api_key())

    @property
    def converter(self) -> Any:
        """lsprotocol's converter, for argument objects and results (pygls has no public accessor)."""
        return self.protocol._converter

    # -- settings ---------------------------------------------------------------------------

    def apply_settings(self, raw: Any, origin: str) -> bool:
        """Take new settings; on a bad value, say which and keep the last good settings."""
        try:
            settings = parse_settings(raw)
        except SettingsError as exc:
            self.show_message(
                "mistral-lsp: invalid settings, keeping the previous ones — " + "; ".join(exc.problems),
                types.MessageType.Warning,
            )
            log.warning("invalid settings from %s: %s", origin, exc.problems)
            return False
        redactor.add_secret(settings.resolved_api_key())
        if self.review_on_save_toggle is not None:
            configured, toggled = self.review_on_save_toggle
            if settings.review_on_save == configured:
                settings = dataclasses.replace(settings, review_on_save=toggled)
            else:
                self.review_on_save_toggle = None
        self.settings = settings
        log.info("settings from %s: %s", origin, settings.redacted_dict())
        return True

    # -- the API client -----------------------------------------------------------------------

    def client(self) -> MistralClient:
        """The long-lived API client, rebuilt only when a setting it depends on changed."""
        from mistral_lsp.mistral import MistralClient

        s = self.settings
        key = (s.resolved_base_url(), s.resolved_api_key(), s.backend, s.timeout_seconds,
               s.max_retries, s.max_concurrent_requests)
        if self._client is None or key != self._client_settings:
            old = self._client
            self._client = MistralClient(
                base_url=s.resolved_base_url(),
                api_key=s.resolved_api_key(),
                backend=s.backend,
                timeout_seconds=s.timeout_seconds,
                max_retries=s.max_retries,
                max_concurrent_requests=s.max_concurrent_requests,
            )
            self._client_settings = key
            if old is not None:
                self._close_later(old)
        return self._client

    async def wait_for_settings(self, timeout: float = 5.0) -> None:
        if not self.settings_loaded.is_set():
            try:
                await asyncio.wait_for(self.settings_loaded.wait(), timeout)
            except asyncio.TimeoutError:
                log.warning("no settings from the client after %.0f s; using what we have", timeout)

    def _close_later(self, client: MistralClient) -> None:
        # Runs still streaming on the old client finish first; closing it is not urgent.
        task = asyncio.get_running_loop().create_task(client.aclose())
        task.add_done_callback(lambda _: None)

    # -- messages to the user -------------------------------------------------------------------

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=redactor.redact(message)))

    def publish_findings(self, uri: str) -> None:
        from mistral_lsp.findings import to_diagnostic

        if self.pull_diagnostics:
            self.workspace_diagnostic_refresh(None)
            return
        doc = self.documents.get(uri)
        if doc is None:
            diagnostics: list[types.Diagnostic] = []
            version = None
        else:
            diagnostics = [to_diagnostic(f, doc) for f in self.findings.get(uri)]
            version = doc.version
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )


def create_server() -> MistralLanguageServer:
    from mistral_lsp.features import register_features

    server = MistralLanguageServer()
    register_features(server)
    return server
