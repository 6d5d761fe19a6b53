"""Pull diagnostics for clients that pull and accept refresh; push for the others — never both."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

from mistral_lsp.testing.fake_api import FakeMistralAPI, Reply

from .conftest import Editor, server_env
from .test_actions import CART

FINDING = {"findings": [{"startLine": 10, "endLine": 10, "severity": "warning", "category": "bug",
                         "title": "Discount off by 10x", "message": "Divide by 100.",
                         "snippet": "return subtotal - subtotal * discount / 10", "replacement": None}]}


async def test_pull_client_gets_refresh_and_pulls_findings(fake_api: FakeMistralAPI, tmp_path: Path) -> None:
    capabilities = client_capabilities("visual_studio_code")
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(related_document_support=True)  # type: ignore[union-attr]
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)  # type: ignore[union-attr]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "mistral_lsp", env=server_env(fake_api, tmp_path))
    editor = Editor(client, fake_api, workspace, tmp_path / "none.log")
    result = await client.initialize_session(types.InitializeParams(capabilities=capabilities, root_uri=workspace.as_uri()))
    try:
        assert result.capabilities.diagnostic_provider is not None
        uri = await editor.open("cart.py", CART)
        fake_api.enqueue(Reply(text=json.dumps(FINDING)))
        await editor.command("mistral.review", {"uri": uri, "range": None})
        await editor.wait_until(lambda: client.diagnostic_refresh_count > 0, what="a diagnostic refresh")
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        (item,) = report.items
        assert item.code == "bug" and item.range.start.line == 9
        assert not client.diagnostics.get(uri)  # nothing pushed as well
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_push_clients_are_not_offered_pull(editor: Editor) -> None:
    assert editor.init_result is not None
    assert editor.init_result.capabilities.diagnostic_provider is None


async def test_explain_this_finding(editor: Editor) -> None:
    uri = await editor.open("cart.py", CART)
    editor.fake.enqueue(Reply(text=json.dumps(FINDING)))
    await editor.command("mistral.review", {"uri": uri, "range": None})
    (diagnostic,) = await editor.wait_until(lambda: editor.client.diagnostics.get(uri), what="diagnostics")
    actions = await editor.code_actions(uri, diagnostic.range, [diagnostic])
    explain = next(a for a in actions if a.title.startswith("Mistral: Explain this finding"))
    assert explain.kind == "quickfix.mistral.explain"
    editor.fake.enqueue(Reply(text="Dividing by 10 makes a 20 % discount take 2x off."))
    argument = {**explain.command.arguments[0], "showResult": False}
    result = await editor.command(explain.command.command, argument)
    assert result.text.startswith("Dividing by 10")
    prompt = json.dumps(editor.fake.requests[-1].json["messages"])
    assert "Explain this review finding" in prompt and "Divide by 100." in prompt

