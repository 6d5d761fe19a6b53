"""The language server: its state (settings, documents, findings, session, API client) and start-up.

Handlers live in the modules of `lsp/`, registered from the one table in `features.py`. This
module holds what they share, and implements the actions' `Editor` protocol on top of pygls.
Its protocol subclass runs the table's protocol-level hooks inside pygls' own handling of
`initialize`, `workspace/executeCommand` and `$/cancelRequest` (see `features.py`); how pygls'
failures are answered and logged is decided in `pygls_logging.py`, and nowhere else.

Heavy modules (httpx, tree-sitter grammars, the syntax layer) load on first use, so `initialize`
answers fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.language_server import lsp_method

from mistral_lsp import __version__
from mistral_lsp.actions.session import Session
from mistral_lsp.logs import one_line, redactor
from mistral_lsp.lsp import pygls_logging, wire
from mistral_lsp.lsp.capabilities import ClientFeatures
from mistral_lsp.lsp.diagnostics import publish
from mistral_lsp.lsp.progress import RunReporter, current_work_done_token
from mistral_lsp.options import Settings, SettingsError, parse_settings
from mistral_lsp.text.uris import short_uri, to_path

if TYPE_CHECKING:
    from concurrent.futures import Future

    import cattrs

    from mistral_lsp.actions.editor import Reporter
    from mistral_lsp.actions.runs import Run
    from mistral_lsp.lsp.workspace_index import Lifecycle
    from mistral_lsp.mistral import MistralClient
    from mistral_lsp.review.findings import FindingsStore
    from mistral_lsp.syntax.document import DocumentStore
    from mistral_lsp.syntax.workspace import WorkspaceIndex

log = logging.getLogger(__name__)

# LSP's RequestFailed: the request was valid but could not be carried out.
REQUEST_FAILED = -32803


class MistralProtocol(LanguageServerProtocol):
    """pygls' protocol, running the registration table's protocol-level hooks.

    It overrides pygls' public methods only (the `lsp_*` built-in features, `structure_message`,
    `handle_message`), but one: `_send_handler_result`, see `pygls_logging`."""

    def __init__(self, server: MistralLanguageServer, converter: cattrs.Converter) -> None:
        self.language_server = server
        super().__init__(server, converter)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        self.language_server.hook(types.INITIALIZE)(self.language_server, params)  # before pygls picks the encoding
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        return result

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        self.language_server.hook(types.WORKSPACE_EXECUTE_COMMAND)(self.language_server, params)
        result = yield from super().lsp_workspace__execute_command(params)
        return result

    # -- documents: pygls' own bookkeeping fails on a document that is not open --------------

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        item = params.text_document
        wrong = [name for name, value, kind in (("uri", item.uri, str), ("text", item.text, str),
                                                ("languageId", item.language_id, str))
                 if not isinstance(value, kind)]
        if not isinstance(item.version, int) or isinstance(item.version, bool):
            wrong.append("version")
        if wrong:
            self.language_server.note_client_mistake(f"ignored didOpen: wrong type of textDocument.{', '.join(wrong)}")
            return
        yield from super().lsp_text_document__did_open(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        if not self._is_open(params.text_document.uri, "didChange"):
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if not self._is_open(params.text_document.uri, "didClose"):
            return
        yield from super().lsp_text_document__did_close(params)

    def _is_open(self, uri: Any, method: str) -> bool:
        if isinstance(uri, str) and self.language_server.documents.get(uri) is not None:
            return True
        self.language_server.note_client_mistake(f"ignored {method} of a document that is not open ({short_uri(str(uri))})")
        return False

    # -- every request answered, no popups for the client's mistakes (see wire.py) ----------

    def structure_message(self, data: dict[str, Any]) -> Any:
        return wire.structure(data, self.language_server.converter, self.get_message_type, super().structure_message)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, list):  # a JSON-RPC batch: LSP has none
            for item in message:
                self.handle_message(wire.not_supported_in_batch(item))
        elif isinstance(message, wire.Undecodable):
            self._reject(message)
        elif not hasattr(message, "jsonrpc"):
            self.language_server.note_client_mistake(f"ignored a message that is not a JSON-RPC object ({type(message).__name__})")
        elif message.jsonrpc != "2.0":
            self._reject(wire.wrong_version(message))
        else:
            super().handle_message(message)
            if getattr(message, "method", None) == types.CANCEL_REQUEST:  # pygls has cancelled the request's future
                self.language_server.hook(types.CANCEL_REQUEST)(self.language_server, message.params.id)

    def _reject(self, message: wire.Undecodable) -> None:
        if message.id is None:
            self.language_server.note_client_mistake(f"ignored a malformed message: {message.error.message}")
            return
        log.info("answered request %s with an error: %s", message.id, message.error.message)
        self._send_response(message.id, error=wire.short_error(message.error))

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """The one override of a private pygls method: pygls offers no public way to decide how
        a failed request is answered and logged (`pygls_logging.answer`). What it relies on is
        checked by tests/unit/test_pygls_contract.py."""
        self._request_futures.pop(msg_id, None)
        result, error = pygls_logging.answer(future, msg_id)
        self._send_response(msg_id, result=result, error=error)


T = TypeVar("T")


class _BuiltOnFirstUse(Generic[T]):
    """An attribute built on first use. The documents and findings stores are: their modules
    load the syntax layer, which answering `initialize` does not need (cold start, bench/)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> T:
        if instance is None:  # the class's attribute: the descriptor itself
            return self  # type: ignore[return-value]
        values = instance.__dict__
        if self._name not in values:
            values[self._name] = self._build()
        return values[self._name]  # type: ignore[no-any-return]

    def __set__(self, instance: object, value: T) -> None:
        instance.__dict__[self._name] = value


def _document_store() -> DocumentStore:
    from mistral_lsp.syntax.document import DocumentStore

    return DocumentStore()


def _findings_store() -> FindingsStore:
    from mistral_lsp.review.findings import FindingsStore

    return FindingsStore()


class MistralLanguageServer(LanguageServer):
    """Shared state of the server, and the actions' `Editor`; see the module docstring."""

    def __init__(self) -> None:
        pygls_logging.install()  # pygls' records of expected events at their level
        converter: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
        self._lsp_converter = converter
        super().__init__(
            name="mistral-lsp",
            version=__version__,
            protocol_cls=MistralProtocol,
            converter_factory=lambda: converter,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self._settings = Settings()
        self.session = Session()
        self.initialization_options: Any = None
        # `clientInfo.name` from initialize: "Neovim", "Visual Studio Code"… (for the key hint).
        self.client_name: str | None = None
        # Set while the editor's settings are in: clear until the first ones (initializationOptions,
        # then workspace/configuration) arrive and while a change notification's pull is answered,
        # so a save, command or completion arriving meanwhile waits instead of using stale values.
        self._settings_loaded = asyncio.Event()
        self._first_settings_in = False
        self._settings_pulls = 0
        # Pull diagnostics replace push only for clients that pull and accept refresh requests.
        self.pull_diagnostics = False
        self.workspace_index: WorkspaceIndex | None = None
        """Every workspace file's definitions and imports (`lsp/workspace_index.py`)."""
        self.workspace_index_lifecycle: Lifecycle | None = None
        """Its background build and pending updates."""
        # What this client can do (read in `initialize`; see capabilities.py).
        self.client_features = ClientFeatures()
        self.protocol_hooks: dict[str, Callable[..., None]] = {}
        self._client: MistralClient | None = None
        self._client_settings: tuple[Any, ...] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        redactor.add_secret(self._settings.resolved_api_key())

    documents = _BuiltOnFirstUse(_document_store)
    """The open documents and their syntax trees."""
    findings = _BuiltOnFirstUse(_findings_store)
    """Review findings by document."""

    def note_client_mistake(self, message: str) -> None:
        """A message from the client we could not use: logged (and in the editor's LSP log), never a popup."""
        log.warning("%s", message)
        self.log_message(f"mistral-lsp: {message}", types.MessageType.Warning)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' public hook for what it could not answer: see `pygls_logging` (2)."""
        pygls_logging.report_server_error(self, error, source)

    def hook(self, method: str) -> Callable[..., None]:
        return self.protocol_hooks.get(method, _no_hook)

    @property
    def converter(self) -> cattrs.Converter:
        """lsprotocol's converter (pygls' default), for messages, argument objects and results."""
        return self._lsp_converter

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
        self._first_settings_in = True
        if self._settings_pulls == 0:
            self._settings_loaded.set()

    def settings_pull_started(self) -> None:
        """A `workspace/configuration` pull after a change notification is under way."""
        self._settings_pulls += 1
        self._settings_loaded.clear()

    def settings_pull_ended(self) -> None:
        self._settings_pulls -= 1
        if self._settings_pulls == 0 and self._first_settings_in:
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

        options = self._settings.client_options()
        key = tuple(options.values())
        if self._client is None or key != self._client_settings:
            old = self._client
            self._client = MistralClient(**options)
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
        """One short line (see `logs.one_line`), redacted."""
        text = one_line(redactor.redact(message), wire.MAX_SHOWN)
        self.window_show_message(types.ShowMessageParams(type=self.client_features.shown_level(kind), message=text))

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=redactor.redact(message)))

    @property
    def key_hint(self) -> str:
        """How to set the API key, in the words of the editor's plugin (chosen by `clientInfo.name`)."""
        return key_hint_for(self.client_name)

    @property
    def notice_level(self) -> types.MessageType:
        """The level of a message that carries a result (where an explanation or a written file
        is): Info, but Error for clients that say nothing of themselves — ALE, which shows only
        errors by default."""
        return self.client_features.shown_level(types.MessageType.Info)

    def show_notice(self, message: str) -> None:
        """A result for a client that cannot open it (where an explanation or a file is): unlike
        an error it may span a few lines, each one short, so an echo area shows its start."""
        lines = [one_line(line, wire.MAX_SHOWN) for line in redactor.redact(message).splitlines() if line.strip()]
        self.window_show_message(types.ShowMessageParams(type=self.notice_level, message="\n".join(lines[:6])))

    async def open_reporter(
        self, run: Run, *, title: str, message: str = "waiting for the model", stream: bool = True
    ) -> Reporter:
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


def key_hint_for(client_name: str | None) -> str:
    """Where this editor's plugin takes the API key from (editors/*/README.md)."""
    name = (client_name or "").lower()
    if "neovim" in name or name == "nvim":
        return "set MISTRAL_API_KEY or api_key_cmd in require('mistral').setup(), then run :Mistral restart"
    if "code" in name or "codium" in name or "cursor" in name:
        return 'run "Mistral: Set API Key" from the Command Palette'
    return "set the MISTRAL_API_KEY environment variable or the mistral.apiKey setting"
