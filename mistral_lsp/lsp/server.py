"""The language server: its state (settings, documents, findings, session, API client) and start-up.

Handlers live in the modules of `lsp/`, registered from the one table in `features.py`. This
module holds what they share, and implements the actions' `Editor` protocol on top of pygls.
Its protocol subclass runs the table's protocol-level hooks inside pygls' own handling of
`initialize`, `workspace/executeCommand` and `$/cancelRequest` (see `features.py`).

Heavy modules (httpx, tree-sitter grammars) load on first use, so `initialize` answers fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from mistral_lsp import __version__
from mistral_lsp.actions.session import Session
from mistral_lsp.logs import redactor
from mistral_lsp.lsp.capabilities import ClientFeatures
from mistral_lsp.options import Settings, SettingsError, parse_settings
from mistral_lsp.review.findings import FindingsStore
from mistral_lsp.syntax.document import DocumentStore
from mistral_lsp.text.uris import to_path

if TYPE_CHECKING:
    from mistral_lsp.actions.editor import Reporter
    from mistral_lsp.actions.runs import Run
    from mistral_lsp.mistral import MistralClient

log = logging.getLogger(__name__)

# LSP's RequestFailed: the request was valid but could not be carried out.
REQUEST_FAILED = -32803


class MistralProtocol(LanguageServerProtocol):
    """pygls' protocol, running the registration table's protocol-level hooks."""

    _server: MistralLanguageServer

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        self._server.hook(types.INITIALIZE)(self._server, params)  # before pygls picks the encoding
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        return result

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        self._server.hook(types.WORKSPACE_EXECUTE_COMMAND)(self._server, params)
        result = yield from super().lsp_workspace__execute_command(params)
        return result

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        self._server.hook(types.CANCEL_REQUEST)(self._server, msg_id)


class MistralLanguageServer(LanguageServer):
    """Shared state of the server, and the actions' `Editor`; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(
            name="mistral-lsp",
            version=__version__,
            protocol_cls=MistralProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self._settings = Settings()
        self.documents = DocumentStore()
        self.findings = FindingsStore()
        self.session = Session()
        self.initialization_options: Any = None
        # Set once the first settings (initializationOptions, then workspace/configuration) are
        # in: a save or command arriving earlier waits for them instead of using the defaults.
        self._settings_loaded = asyncio.Event()
        # Pull diagnostics replace push only for clients that pull and accept refresh requests.
        self.pull_diagnostics = False
        # What this client can do (read in `initialize`; see capabilities.py).
        self.client_features = ClientFeatures()
        self.protocol_hooks: dict[str, Callable[..., None]] = {}
        self._client: MistralClient | None = None
        self._client_settings: tuple[Any, ...] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        redactor.add_secret(self._settings.resolved_api_key())

    def hook(self, method: str) -> Callable[..., None]:
        return self.protocol_hooks.get(method, _no_hook)

    @property
    def converter(self) -> Any:
        """lsprotocol's converter, for argument objects and results (pygls has no public accessor)."""
        return self.protocol._converter

    # -- settings ---------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

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
        self._settings = self.session.with_toggle(settings)
        log.info("settings from %s: %s", origin, self._settings.redacted_dict())
        return True

    def replace_settings(self, settings: Settings) -> None:
        """Settings changed by the session itself (the review-on-save toggle)."""
        self._settings = settings

    def settings_loaded(self) -> bool:
        return self._settings_loaded.is_set()

    def mark_settings_loaded(self) -> None:
        self._settings_loaded.set()

    async def wait_for_settings(self, timeout: float = 5.0) -> None:
        if not self._settings_loaded.is_set():
            try:
                await asyncio.wait_for(self._settings_loaded.wait(), timeout)
            except asyncio.TimeoutError:
                log.warning("no settings from the client after %.0f s; using what we have", timeout)

    @property
    def position_encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    # -- the API client -----------------------------------------------------------------------

    def client(self) -> MistralClient:
        """The long-lived API client, rebuilt only when a setting it depends on changed."""
        from mistral_lsp.mistral import MistralClient

        s = self._settings
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

    def _close_later(self, client: MistralClient) -> None:
        # Runs still streaming on the old client finish first; closing it is not urgent. The
        # set holds the task until it ends: the event loop keeps only a weak reference.
        task = asyncio.get_running_loop().create_task(client.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # -- the Editor protocol (actions/editor.py) -------------------------------------------------

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=redactor.redact(message)))

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=redactor.redact(message)))

    @property
    def notice_level(self) -> types.MessageType:
        """The level of a message that carries a result (where an explanation or a written file
        is): Info, but Error for clients that say nothing of themselves — ALE, which shows only
        errors by default."""
        return types.MessageType.Error if self.client_features.info_may_be_hidden else types.MessageType.Info

    def show_notice(self, message: str) -> None:
        self.show_message(message, self.notice_level)

    async def open_reporter(
        self, run: Run, *, title: str, message: str = "waiting for the model", stream: bool = True
    ) -> Reporter:
        from mistral_lsp.lsp.progress import RunReporter, current_work_done_token

        # Only a command's own run uses the token its request carried (a run that outlives its
        # request, for clients that did not opt in, has request_id None).
        token = current_work_done_token.get() if run.request_id is not None else None
        stream = stream and self.client_features.stream_notifications
        return await RunReporter.open(self, run, token, title=title, message=message, stream=stream)

    async def apply_edit(self, edit: types.WorkspaceEdit, label: str) -> types.ApplyWorkspaceEditResult:
        from mistral_lsp.lsp.edits import apply_edit

        return await apply_edit(self, edit, label)

    def can_show_document(self) -> bool:
        return self.client_features.show_document

    async def show_document(self, params: types.ShowDocumentParams) -> bool:
        shown = await self.window_show_document_async(params)
        return bool(shown.success)

    def publish_findings(self, uri: str) -> None:
        from mistral_lsp.lsp.diagnostics import publish

        publish(self, uri)

    def workspace_roots(self) -> list[Path]:
        try:
            workspace = self.workspace
        except RuntimeError:  # not initialized yet: no workspace folders to speak of
            return []
        roots = [path for folder in workspace.folders.values() if (path := to_path(folder.uri))]
        if workspace.root_path:
            roots.append(Path(workspace.root_path))
        return roots


def _no_hook(*_: Any) -> None:
    return None
