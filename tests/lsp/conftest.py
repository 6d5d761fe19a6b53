"""End-to-end harness: the real server over stdio, a test client that behaves like an editor,
and the loopback fake Mistral API.

`Editor` keeps the client-side text of each open document, applies `workspace/applyEdit`
as an editor would (refusing a stale version, then sending `didChange`), records
`mistral/stream`, and lets tests wait for conditions on notifications — never sleeps.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import LanguageClient, make_test_lsp_client

from mistral_lsp.testing.fake_api import FakeMistralAPI

API_KEY = "sk-test-" + "9f2c4e7a1b3d5f60" * 2
CLIENTS = ["neovim", "visual_studio_code"]


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP edits to `text` like an editor: positions in the negotiated encoding."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        line = lines[position.line].rstrip("\r\n")
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return starts[position.line] + index
            units += 1 if encoding == "utf-32" else len(char.encode("utf-16-le")) // 2 if encoding == "utf-16" else len(char.encode("utf-8"))
        return starts[position.line] + len(line)

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


class Editor:
    """The client side of a session, with the behaviour of a real editor."""

    def __init__(self, client: LanguageClient, fake: FakeMistralAPI, workspace: Path, log_file: Path) -> None:
        self.client = client
        self.fake = fake
        self.workspace = workspace
        self.log_file = log_file
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.streams: list[dict[str, Any]] = []
        self.applied_edits: list[types.WorkspaceEdit] = []
        self.refuse_edits = False
        self.encoding = "utf-16"
        self.init_result: types.InitializeResult | None = None
        self._changed = asyncio.Event()
        self._install_handlers()

    def _install_handlers(self) -> None:
        client = self.client
        converter = client.protocol._converter

        # lsprotocol reads any item with a "command" key as a Command, but a CodeAction may
        # carry a command object too (editors tell them apart by the key's type).
        def code_action_or_command(obj: Any, _: type) -> types.Command | types.CodeAction:
            if isinstance(obj.get("command"), str):
                return converter.structure(obj, types.Command)  # type: ignore[no-any-return]
            return converter.structure(obj, types.CodeAction)  # type: ignore[no-any-return]

        converter.register_structure_hook(types.Command | types.CodeAction, code_action_or_command)  # type: ignore[arg-type]

        @client.feature("mistral/stream")
        def on_stream(_client: LanguageClient, params: Any) -> None:
            self.streams.append(_as_dict(params))
            self.notify()

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def on_apply_edit(_client: LanguageClient, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            result = self.apply_workspace_edit(params.edit)
            self.notify()
            return result

        original = client.protocol._handle_notification

        def hooked(method_name: str, params: Any) -> None:
            original(method_name, params)
            self.notify()

        client.protocol._handle_notification = hooked  # type: ignore[method-assign]

    def notify(self) -> None:
        self._changed.set()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        """Wait for `predicate()` to be truthy, re-checking on every message from the server or fake."""

        async def loop() -> Any:
            while True:
                value = predicate()
                if value:
                    return value
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    # -- documents ------------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        return self.workspace / name

    def uri(self, name: str) -> str:
        return self.path(name).as_uri()

    async def open(self, name: str, text: str, language_id: str = "python", *, write: bool = True) -> str:
        path = self.path(name)
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        uri = path.as_uri()
        self.texts[uri] = text
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
            )
        )
        return uri

    def edit(self, uri: str, edits: list[types.TextEdit]) -> None:
        """The user types: apply edits locally and tell the server (incremental sync)."""
        self.texts[uri] = apply_text_edits(self.texts[uri], edits, self.encoding)
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits],
            )
        )

    def insert_lines(self, uri: str, line: int, text: str) -> None:
        position = types.Position(line=line, character=0)
        self.edit(uri, [types.TextEdit(range=types.Range(start=position, end=position), new_text=text)])

    def save(self, uri: str) -> None:
        Path(uri.removeprefix("file://")).write_text(self.texts[uri], encoding="utf-8", newline="")
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))

    def apply_workspace_edit(self, edit: types.WorkspaceEdit) -> types.ApplyWorkspaceEditResult:
        if self.refuse_edits:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="refused by the test")
        for change in edit.document_changes or []:
            if isinstance(change, types.CreateFile):
                path = Path(change.uri.removeprefix("file://"))
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("", encoding="utf-8")
            elif isinstance(change, types.TextDocumentEdit):
                uri = change.text_document.uri
                version = change.text_document.version
                if uri in self.texts:
                    if version is not None and version != self.versions[uri]:
                        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
                    edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
                    self.edit(uri, edits)
                else:
                    path = Path(uri.removeprefix("file://"))
                    text = path.read_text(encoding="utf-8") if path.exists() else ""
                    path.write_text(apply_text_edits(text, list(change.edits), self.encoding), encoding="utf-8")  # type: ignore[arg-type]
        for uri, edits in (edit.changes or {}).items():
            self.edit(uri, list(edits))
        self.applied_edits.append(edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    # -- commands -------------------------------------------------------------------------------

    async def command(self, name: str, argument: dict[str, Any]) -> Any:
        result = await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[argument])
        )
        return Result(result) if isinstance(result, dict) else result

    def run_command(self, name: str, argument: dict[str, Any]) -> asyncio.Task[Any]:
        return asyncio.ensure_future(self.command(name, argument))

    async def code_actions(self, uri: str, range_: types.Range, diagnostics: list[types.Diagnostic] | None = None,
                           only: list[str] | None = None) -> list[types.CodeAction]:
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=range_,
                context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),  # type: ignore[arg-type]
            )
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    def stream_text(self, run_id: str) -> str:
        return "".join(s.get("delta", "") for s in self.streams if s.get("id") == run_id)

    def done(self, run_id: str) -> dict[str, Any] | None:
        return next((s for s in self.streams if s.get("id") == run_id and s.get("done")), None)

    def messages(self, kind: types.MessageType | None = None) -> list[str]:
        return [m.message for m in self.client.messages if kind is None or m.type == kind]


class Result(dict):  # type: ignore[type-arg]
    """A command's result object, readable as `result.applied`."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if hasattr(value, "_asdict"):
        return {k: _as_dict(v) if hasattr(v, "_asdict") else v for k, v in value._asdict().items()}
    return dict(vars(value))


def pos(line: int, character: int = 0) -> types.Position:
    return types.Position(line=line, character=character)


def rng(start_line: int, start_char: int, end_line: int, end_char: int) -> types.Range:
    return types.Range(start=pos(start_line, start_char), end=pos(end_line, end_char))


@pytest.fixture
def fake_api() -> Iterator[FakeMistralAPI]:
    fake = FakeMistralAPI(api_key=API_KEY)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def server_env(fake: FakeMistralAPI, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env.update(
        MISTRAL_API_KEY=API_KEY,
        MISTRAL_BASE_URL=fake.base_url,
        MISTRAL_LSP_CACHE_DIR=str(tmp_path / "cache"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
    )
    env.update(extra)
    return env


async def start_editor(
    fake: FakeMistralAPI,
    tmp_path: Path,
    client_name: str = "neovim",
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    init_options: bool = True,
    client_info: str | None = None,
    opt_in: bool = True,
    capabilities: types.ClientCapabilities | None = None,
) -> Editor:
    """Start a session; `opt_in` sends `experimental.mistral` like our plugins do (else the
    server treats the client as a plain LSP client)."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    log_file = tmp_path / f"server-{client_name}.log"
    client = make_test_lsp_client()
    await client.start_io(
        sys.executable, "-m", "mistral_lsp", "-vv", "--log-file", str(log_file),
        env=env or server_env(fake, tmp_path),
    )
    editor = Editor(client, fake, workspace, log_file)
    capabilities = capabilities or client_capabilities(client_name)
    if opt_in:
        capabilities.experimental = {"mistral": {"streamNotifications": True, "commandsResolveOnCompletion": True}}
    client.set_configuration({"maxRetries": 2, **(settings or {})}, section="mistral")
    editor.init_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="workspace")],
            initialization_options={"maxRetries": 2, **(settings or {})} if init_options else None,
            client_info=types.ClientInfo(name=client_info) if client_info else None,
        )
    )
    general = capabilities.general
    if general and general.position_encodings and "utf-8" in general.position_encodings:
        editor.encoding = "utf-8"
    return editor


async def editor_session(fake: FakeMistralAPI, tmp_path: Path, *args: Any, **kwargs: Any) -> AsyncIterator[Editor]:
    """A session started with `start_editor(fake, tmp_path, *args, **kwargs)`, shut down after."""
    ed = await start_editor(fake, tmp_path, *args, **kwargs)
    try:
        yield ed
    finally:
        await ed.client.shutdown_session()
        await ed.client.stop()


@pytest.fixture(params=CLIENTS)
async def editor(request: pytest.FixtureRequest, fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    async for ed in editor_session(fake_api, tmp_path, request.param):
        yield ed


@pytest.fixture
async def eglot(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    """A plain client (no `experimental.mistral`) with Emacs eglot's capabilities."""
    async for ed in editor_session(fake_api, tmp_path, opt_in=False, capabilities=client_capabilities("emacs")):
        yield ed


@pytest.fixture
async def vscode_plain(fake_api: FakeMistralAPI, tmp_path: Path) -> AsyncIterator[Editor]:
    """A plain client with VS Code's capabilities (window/showDocument among them)."""
    async for ed in editor_session(fake_api, tmp_path, opt_in=False,
                                   capabilities=client_capabilities("visual_studio_code")):
        yield ed


@pytest.fixture(scope="session", autouse=True)
def no_key_in_any_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole session: no server log or written file under the test folders holds the key."""
    yield
    leaks = [
        path
        for path in tmp_path_factory.getbasetemp().rglob("*")
        if path.is_file() and path.suffix in (".log", ".md", ".json", ".txt") and API_KEY in path.read_text(errors="replace")
    ]
    assert not leaks, f"the API key leaked into {leaks}"
