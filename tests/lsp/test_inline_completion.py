"""Inline completion (`textDocument/inlineCompletion`) end to end: the real server over stdio,
against the loopback fake's FIM endpoints.

What a user notices: the suggestion that appears (and what it leaves out), that nothing is
asked of the API while completion is off or while typing through a suggestion, that an older
request stops costing tokens the moment a newer one comes, and that the key never shows.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import client_capabilities
from pytest_lsp.client import (
    DEFAULT_CLIENT_FEATURES,
    LanguageClient,
    make_test_lsp_client,
    register_lsp_features,
)

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import API_KEY, Editor, pos, rng, server_env

ON = {"completion": {"enabled": True, "debounceMs": 0}}

CALC = """\
def helper(value):
    return value * 2


def add(a, b):
    return a + b


def mul(a, b):
""" + "    \n"  # the cursor's line: indented, empty


async def start(
    fake: FakeMistralAPI, tmp_path: Path, settings: dict[str, Any] | None = None, *,
    init_options: bool = True, dynamic: bool = False, env: dict[str, str] | None = None,
    configuration_gate: asyncio.Event | None = None,
) -> Editor:
    """Like conftest.start_editor (VS Code's capabilities), optionally with inline completion's
    dynamic registration, recording `client/registerCapability`. With `configuration_gate`, the
    client answers `workspace/configuration` only while the gate is set (a slow editor)."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    log_file = tmp_path / "server.log"
    client = make_test_lsp_client() if configuration_gate is None else _gated_client(configuration_gate)
    await client.start_io(sys.executable, "-m", "mistral_lsp", "-vv", "--log-file", str(log_file),
                          env=env or server_env(fake, tmp_path))
    editor = Editor(client, fake, workspace, log_file)
    registrations: list[types.Registration] = []
    editor.registrations = registrations  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(_client: LanguageClient, params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)
        editor.notify()

    @client.feature(types.CLIENT_UNREGISTER_CAPABILITY)
    def on_unregister(_client: LanguageClient, params: types.UnregistrationParams) -> None:
        gone = {u.id for u in params.unregisterations}
        registrations[:] = [r for r in registrations if r.id not in gone]
        editor.notify()

    capabilities = client_capabilities("visual_studio_code")
    if dynamic:
        assert capabilities.text_document is not None
        capabilities.text_document.inline_completion = types.InlineCompletionClientCapabilities(
            dynamic_registration=True)
    client.set_configuration({"maxRetries": 0, **(settings or {})}, section="mistral")
    editor.init_result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities,
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="workspace")],
        initialization_options={"maxRetries": 0, **(settings or {})} if init_options else None,
    ))
    return editor


def _gated_client(gate: asyncio.Event) -> LanguageClient:
    async def configuration(client: LanguageClient, params: types.ConfigurationParams) -> list[Any]:
        await gate.wait()
        return [client.get_configuration(section=item.section, scope_uri=item.scope_uri) for item in params.items]

    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, types.WORKSPACE_CONFIGURATION: configuration})
    return client


@pytest.fixture
async def sessions() -> AsyncIterator[list[Editor]]:
    started: list[Editor] = []
    yield started
    for editor in started:
        await editor.client.shutdown_session()
        await editor.client.stop()


async def complete(editor: Editor, uri: str, line: int, character: int) -> list[types.InlineCompletionItem]:
    result = await editor.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=pos(line, character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
    ))
    if result is None:
        return []
    return list(result.items if isinstance(result, types.InlineCompletionList) else result)


def fim_requests(fake: FakeMistralAPI) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests if r.path.endswith("completions") and "chat" not in r.path]


def insert_text(item: types.InlineCompletionItem) -> str:
    return item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value


async def test_off_by_default_advertises_nothing_and_calls_nothing(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    editor = await start(fake_api, tmp_path, dynamic=True)
    sessions.append(editor)
    assert editor.init_result is not None
    assert editor.init_result.capabilities.inline_completion_provider is None
    uri = await editor.open("calc.py", CALC)
    assert await complete(editor, uri, 9, 4) == []
    assert fim_requests(fake_api) == []
    assert [r for r in editor.registrations if r.method == types.TEXT_DOCUMENT_INLINE_COMPLETION] == []  # type: ignore[attr-defined]


async def test_request_body_and_suggestion(fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]) -> None:
    editor = await start(fake_api, tmp_path, {"completion": {"enabled": True, "debounceMs": 0, "maxTokens": 64}})
    sessions.append(editor)
    assert editor.init_result is not None
    assert editor.init_result.capabilities.inline_completion_provider is not None
    uri = await editor.open("calc.py", CALC)
    fake_api.enqueue(Reply(text="return a * b\n\n\ndef div(a, b):\n    return a / b\n"))
    items = await complete(editor, uri, 9, 4)
    assert [insert_text(i) for i in items] == ["return a * b"]
    assert items[0].range == rng(9, 4, 9, 4)
    (body,) = fim_requests(fake_api)
    request = next(r for r in fake_api.requests if r.json is body)
    assert request.path == "/v1/fim/completions"
    # Resolved through /v1/models like the chat model (an alias the API lists is kept as is).
    assert body["model"] == "codestral-latest"
    assert any(r.path == "/v1/models" for r in fake_api.requests)
    assert body["stream"] is True and body["max_tokens"] == 64
    assert body["prompt"].endswith("def mul(a, b):\n    ")
    assert body["prompt"].startswith("# Path: calc.py\n")
    assert body["suffix"] == "\n"
    assert body["stop"] == ["\n\n\n"]  # the cursor is on an empty line: several lines allowed
    assert set(body) <= {"model", "prompt", "suffix", "stream", "max_tokens", "stop", "temperature"}


async def test_mid_line_is_single_line_and_drops_the_repeated_closers(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    uri = await editor.open("calc.py", "def f(a, b):\n    print()\n")
    fake_api.enqueue(Reply(text="a, b)\nprint('more')"))
    items = await complete(editor, uri, 1, 10)
    assert fim_requests(fake_api)[0]["stop"] == ["\n"]
    # The `)` already after the cursor is kept once: the item covers the rest of the line.
    assert [insert_text(i) for i in items] == ["a, b)"]
    assert items[0].range == rng(1, 10, 1, 11)
    # A suggestion that only repeats what follows the cursor is not shown.
    uri2 = await editor.open("b.py", "x = compute(\n    1, 2)\n")
    fake_api.enqueue(Reply(text="    1, 2)"))
    assert await complete(editor, uri2, 0, 12) == []
    fake_api.enqueue(Reply(text="   \n  "))
    assert await complete(editor, uri, 1, 4) == []


async def test_typing_through_reuses_the_suggestion_without_a_request(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    uri = await editor.open("calc.py", CALC)
    fake_api.enqueue(Reply(text="return a * b"))
    assert [insert_text(i) for i in await complete(editor, uri, 9, 4)] == ["return a * b"]
    asked = len(fim_requests(fake_api))
    editor.edit(uri, [types.TextEdit(range=rng(9, 4, 9, 4), new_text="ret")])
    assert [insert_text(i) for i in await complete(editor, uri, 9, 7)] == ["urn a * b"]
    # Typing what the suggestion does not say makes a new request.
    editor.edit(uri, [types.TextEdit(range=rng(9, 7, 9, 7), new_text="x")])
    fake_api.enqueue(Reply(text=" = a * b"))
    assert [insert_text(i) for i in await complete(editor, uri, 9, 8)] == [" = a * b"]
    assert len(fim_requests(fake_api)) == asked + 1
    # Back to the same context: the cache answers.
    editor.edit(uri, [types.TextEdit(range=rng(9, 4, 9, 8), new_text="")])
    assert [insert_text(i) for i in await complete(editor, uri, 9, 4)] == ["return a * b"]
    assert len(fim_requests(fake_api)) == asked + 1


async def test_newer_request_cancels_the_older_and_closes_its_stream(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    uri = await editor.open("calc.py", CALC)
    # One chunk, then a minute's pause per chunk: the newer request must close it in the pause.
    slow = Reply(text="return a * b  # " + "x" * 200, chunks=["return a", " * b"] + ["  # x"] * 40,
                 delay_per_chunk=60)
    fake_api.enqueue(slow, Reply(text="return b * a"))
    first = asyncio.ensure_future(complete(editor, uri, 9, 4))
    await fake_api.wait_for_requests_async(len(fake_api.requests) + 1)
    editor.edit(uri, [types.TextEdit(range=rng(9, 4, 9, 4), new_text="r")])
    second = await complete(editor, uri, 9, 5)
    disconnect = await fake_api.wait_for_disconnect_async(timeout=20)
    assert disconnect.path == "/v1/fim/completions" and disconnect.chunks_sent <= 1
    assert await first == []
    assert [insert_text(i) for i in second] == ["return b * a"]


async def test_stream_stops_once_the_block_is_closed(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    source = "function total(items) {\n  let sum = 0;\n  for (const item of items) {\n}\n"
    uri = await editor.open("total.js", source, "javascript")
    # The block closes in the first chunk; the next comes a minute later, unless the stream is
    # closed first (order, not a time bound: a loaded machine cannot make this flaky).
    chunks = ["\n    sum += item.price;\n  }\n", "  return sum;\n", "}\n"] + ["// more\n"] * 30
    fake_api.enqueue(Reply(text="".join(chunks), chunks=chunks, delay_per_chunk=60))
    items = await complete(editor, uri, 2, 30)
    assert [insert_text(i) for i in items] == ["\n    sum += item.price;\n  }"]
    disconnect = await fake_api.wait_for_disconnect_async(timeout=20)
    assert disconnect.chunks_sent == 1  # stopped at the block's end, not after the 33 chunks


async def test_python_block_ends_at_the_dedent(fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]) -> None:
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    uri = await editor.open("calc.py", "class Calc:\n    def add(self, a, b):\n")
    chunks = ["\n        return a + b\n", "\n    def sub(self, a, b):\n", "        return a - b\n"]
    fake_api.enqueue(Reply(text="".join(chunks), chunks=chunks, delay_per_chunk=0.3))
    items = await complete(editor, uri, 1, 24)
    assert [insert_text(i) for i in items] == ["\n        return a + b"]
    await fake_api.wait_for_disconnect_async(timeout=5)


async def test_turned_on_later_registers_dynamically(fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]) -> None:
    editor = await start(fake_api, tmp_path, {"completion": {"debounceMs": 0}}, dynamic=True)
    sessions.append(editor)
    every: list[types.Registration] = editor.registrations  # type: ignore[attr-defined]

    def registrations() -> list[types.Registration]:
        # The workspace index registers its file watchers too: only completion's count here.
        return [r for r in every if r.method == types.TEXT_DOCUMENT_INLINE_COMPLETION]

    editor.client.set_configuration({"completion": {"enabled": True, "debounceMs": 0, "languages": ["python"]}},
                                    section="mistral")
    editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await editor.wait_until(registrations, what="client/registerCapability")
    assert registrations()[0].method == types.TEXT_DOCUMENT_INLINE_COMPLETION
    assert json.loads(json.dumps(editor.client.protocol._converter.unstructure(registrations()[0].register_options))) \
        == {"documentSelector": [{"language": "python"}]}
    uri = await editor.open("calc.py", CALC)
    fake_api.enqueue(Reply(text="return a * b"))
    assert [insert_text(i) for i in await complete(editor, uri, 9, 4)] == ["return a * b"]
    # Not a listed language: nothing asked.
    js = await editor.open("a.js", "function f() {\n  \n}\n", "javascript")
    asked = len(fim_requests(fake_api))
    assert await complete(editor, js, 1, 2) == []
    assert len(fim_requests(fake_api)) == asked
    editor.client.set_configuration({"completion": {"enabled": False}}, section="mistral")
    editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await editor.wait_until(lambda: not registrations(), what="client/unregisterCapability")


async def test_a_request_right_behind_the_toggle_waits_for_the_new_settings(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    # Our plugins' toggle sends the change notification and, a keystroke later, the completion
    # request: the server must answer it from the settings the notification announced, even
    # while the editor is slow to answer the server's pull of them.
    gate = asyncio.Event()
    gate.set()
    editor = await start(fake_api, tmp_path, {"completion": {"debounceMs": 0}}, configuration_gate=gate)
    sessions.append(editor)
    uri = await editor.open("calc.py", CALC)
    assert await complete(editor, uri, 9, 4) == []  # off
    gate.clear()
    editor.client.set_configuration({"completion": {"enabled": True, "debounceMs": 0}}, section="mistral")
    editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    fake_api.enqueue(Reply(text="return a * b"))
    asked = asyncio.ensure_future(complete(editor, uri, 9, 4))
    # A request answered from memory, sent after: answers arrive in order, so had the server
    # answered the completion from the old settings, it would be in by now.
    await editor.code_actions(uri, rng(9, 4, 9, 4))
    assert not asked.done(), "answered before the editor's settings arrived"
    gate.set()
    assert [insert_text(i) for i in await asked] == ["return a * b"]


async def test_openai_backend_uses_completions_with_suffix(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    settings = {"backend": "openai", "completion": {"enabled": True, "debounceMs": 0, "model": "codestral-latest"}}
    editor = await start(fake_api, tmp_path, settings)
    sessions.append(editor)
    uri = await editor.open("calc.py", CALC)
    fake_api.enqueue(Reply(text="return a * b\n"))
    assert [insert_text(i) for i in await complete(editor, uri, 9, 4)] == ["return a * b"]
    request = next(r for r in fake_api.requests if r.path == "/v1/completions")
    assert request.json["suffix"] == "\n" and request.json["prompt"].endswith("    ")
    assert "min_tokens" not in request.json and "random_seed" not in request.json


async def test_api_failure_is_shown_once_and_never_holds_the_key(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    uri = await editor.open("calc.py", CALC)
    fake_api.enqueue(Reply(status=401), Reply(status=401))
    assert await complete(editor, uri, 9, 4) == []
    editor.edit(uri, [types.TextEdit(range=rng(9, 4, 9, 4), new_text="r")])
    assert await complete(editor, uri, 9, 5) == []
    await editor.wait_until(lambda: editor.messages(types.MessageType.Warning), what="the failure message")
    warnings = [m for m in editor.messages(types.MessageType.Warning) if "inline completion" in m]
    assert len(warnings) == 1 and "key" in warnings[0].lower()
    outputs = [*editor.messages(), editor.log_file.read_text(errors="replace"),
               *(json.dumps(r.json) for r in fake_api.requests)]
    assert not [text for text in outputs if API_KEY in text]


async def test_header_names_what_the_code_uses_from_other_workspace_files(
    fake_api: FakeMistralAPI, tmp_path: Path, sessions: list[Editor]
) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "pricing.py").write_text(
        "def discount(price: float, percent: float) -> float:\n    return price * (1 - percent / 100)\n\n\n"
        "def unrelated_markup(price):\n    return price * 2\n"
    )
    # Enough files that the index build reports progress, whose end the test waits for.
    for i in range(110):
        (workspace / f"filler_{i}.py").write_text(f"def filler_{i}():\n    return {i}\n")
    editor = await start(fake_api, tmp_path, ON)
    sessions.append(editor)
    await editor.wait_until(
        lambda: any(isinstance(r, types.WorkDoneProgressEnd) and (r.message or "").startswith("Indexed")
                    for rs in editor.client.progress_reports.values() for r in rs),
        what="the workspace index build",
    )
    text = "from pricing import discount\n\n\ndef total(price):\n    return discount(price, 10)\n\n\ndef net(price):\n    \n"
    uri = await editor.open("calc.py", text)
    fake_api.enqueue(Reply(text="return price\n"))
    await complete(editor, uri, 8, 4)
    (body,) = fim_requests(fake_api)
    header = body["prompt"].split("from pricing import discount", 1)[0]
    assert "# pricing.py: def discount(price: float, percent: float) -> float:" in header
    assert "unrelated_markup" not in body["prompt"]
